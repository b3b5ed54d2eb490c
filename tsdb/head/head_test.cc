#include "tsdb/head/head.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <thread>

namespace promethium::tsdb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using SeriesMap = std::map<std::string, std::vector<Sample>>;

Matcher M(MatchType type, std::string name, std::string value) { return *Matcher::Make(type, name, value); }

class HeadTest : public ::testing::Test {
 protected:
  HeadTest() : head_(HeadOptions{}, &metrics_) {}

  SeriesRef AppendOne(const Labels& l, int64_t t, double v) {
    auto app = head_.NewAppender();
    auto ref = app->Append(0, l, t, v);
    EXPECT_TRUE(ref.ok()) << ref.status().ToString();
    EXPECT_TRUE(app->Commit().ok());
    return ref.ok() ? *ref : 0;
  }

  SeriesMap Query(const Matchers& ms, int64_t mint = kMinTime, int64_t maxt = kMaxTime, bool sorted = false) {
    auto q = head_.NewQuerier(mint, maxt);
    auto set = q->Select(sorted, nullptr, ms);
    SeriesMap out;
    while (set->Next()) {
      auto it = set->At().Iterator(nullptr);
      std::vector<Sample>& samples = out[set->At().labels().ToString()];
      while (it->Next() == ValueType::kFloat) samples.push_back(it->At());
      EXPECT_TRUE(it->Err().ok());
    }
    EXPECT_TRUE(set->Err().ok()) << set->Err().ToString();
    return out;
  }

  std::vector<std::string> QueryOrder(const Matchers& ms) {
    auto q = head_.NewQuerier(kMinTime, kMaxTime);
    auto set = q->Select(true, nullptr, ms);
    std::vector<std::string> out;
    while (set->Next()) out.push_back(set->At().labels().ToString());
    return out;
  }

  MetricsRegistry metrics_;
  Head head_;
};

TEST_F(HeadTest, CommitMakesSamplesVisible) {
  auto app = head_.NewAppender();
  auto ref = app->Append(0, Labels{{"__name__", "up"}, {"job", "a"}}, 1000, 1);
  ASSERT_TRUE(ref.ok());
  EXPECT_NE(*ref, 0u);
  // The series exists (ref is cacheable) but the sample is not visible yet.
  EXPECT_THAT(Query({M(MatchType::kEqual, "__name__", "up")}), IsEmpty());
  ASSERT_TRUE(app->Commit().ok());
  SeriesMap got = Query({M(MatchType::kEqual, "__name__", "up")});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.begin()->first, "{__name__=\"up\", job=\"a\"}");
  ASSERT_EQ(got.begin()->second.size(), 1u);
  EXPECT_EQ(got.begin()->second[0].t, 1000);
  EXPECT_EQ(got.begin()->second[0].v, 1);
}

TEST_F(HeadTest, RollbackDiscards) {
  auto app = head_.NewAppender();
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "up"}}, 1000, 1).ok());
  ASSERT_TRUE(app->Rollback().ok());
  ASSERT_TRUE(app->Commit().ok());  // nothing left to commit
  EXPECT_THAT(Query({M(MatchType::kEqual, "__name__", "up")}), IsEmpty());
  EXPECT_EQ(head_.NumSeries(), 1u);  // created at Append time, as Prometheus
  EXPECT_EQ(head_.MaxTime(), std::numeric_limits<int64_t>::min());
}

TEST_F(HeadTest, RefIsStableAndReusable) {
  const Labels l{{"__name__", "up"}, {"job", "a"}};
  SeriesRef ref = AppendOne(l, 1000, 1);
  auto app = head_.NewAppender();
  auto again = app->Append(ref, l, 2000, 2);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, ref);
  auto by_labels = app->Append(0, l, 3000, 3);
  ASSERT_TRUE(by_labels.ok());
  EXPECT_EQ(*by_labels, ref);
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Query({M(MatchType::kEqual, "job", "a")}).begin()->second.size(), 3u);
  EXPECT_EQ(head_.NumSeries(), 1u);
}

TEST_F(HeadTest, KnownRefNeedsNoLabelsUnknownRefWithoutLabelsIsNotFound) {
  const Labels l{{"__name__", "up"}, {"job", "a"}};
  SeriesRef ref = AppendOne(l, 1000, 1);
  auto app = head_.NewAppender();
  auto by_ref = app->Append(ref, Labels(), 2000, 2);
  ASSERT_TRUE(by_ref.ok()) << by_ref.status().ToString();
  EXPECT_EQ(*by_ref, ref);
  auto unknown = app->Append(ref + 1000, Labels(), 2000, 2);
  EXPECT_EQ(unknown.status().code(), Status::Code::kNotFound);
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Query({M(MatchType::kEqual, "job", "a")}).begin()->second.size(), 2u);
  EXPECT_EQ(head_.NumSeries(), 1u);
}

TEST_F(HeadTest, OutOfOrderAndDuplicates) {
  const Labels l{{"__name__", "up"}};
  AppendOne(l, 1000, 1);
  auto app = head_.NewAppender();
  auto ooo = app->Append(0, l, 999, 5);
  EXPECT_EQ(ooo.status().code(), Status::Code::kOutOfOrder);
  EXPECT_EQ(ooo.status().message(), "out of order sample");
  auto dup = app->Append(0, l, 1000, 2);
  EXPECT_EQ(dup.status().code(), Status::Code::kDuplicate);
  auto same = app->Append(0, l, 1000, 1);
  EXPECT_TRUE(same.ok());                        // same timestamp and value: silently accepted
  EXPECT_TRUE(app->Append(0, l, 1001, 3).ok());  // the batch stays usable
  ASSERT_TRUE(app->Commit().ok());
  std::vector<Sample> got = Query({M(MatchType::kEqual, "__name__", "up")}).begin()->second;
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].v, 1);
  EXPECT_EQ(got[1].t, 1001);
  EXPECT_EQ(metrics_.GetCounter("prometheus_tsdb_out_of_order_samples_total", "", {{"type", "float"}})->Value(), 1);
}

TEST_F(HeadTest, OutOfOrderWithinBatchDroppedAtCommit) {
  const Labels l{{"__name__", "up"}};
  auto app = head_.NewAppender();
  ASSERT_TRUE(app->Append(0, l, 2000, 2).ok());
  ASSERT_TRUE(app->Append(0, l, 1000, 1).ok());  // older, but nothing committed yet
  ASSERT_TRUE(app->Commit().ok());
  std::vector<Sample> got = Query({M(MatchType::kEqual, "__name__", "up")}).begin()->second;
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].t, 2000);
  EXPECT_EQ(metrics_.GetCounter("prometheus_tsdb_out_of_order_samples_total", "", {{"type", "float"}})->Value(), 1);
}

TEST_F(HeadTest, CompetingAppendersRevalidateAtCommit) {
  const Labels l{{"__name__", "up"}};
  auto a = head_.NewAppender();
  auto b = head_.NewAppender();
  ASSERT_TRUE(a->Append(0, l, 1000, 1).ok());
  ASSERT_TRUE(b->Append(0, l, 2000, 2).ok());
  ASSERT_TRUE(b->Commit().ok());
  ASSERT_TRUE(a->Commit().ok());  // a's sample is now out of order: dropped
  std::vector<Sample> got = Query({M(MatchType::kEqual, "__name__", "up")}).begin()->second;
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].t, 2000);
}

TEST_F(HeadTest, OutOfBoundsOlderThanHalfChunkRange) {
  AppendOne(Labels{{"__name__", "a"}}, 10 * 3600 * 1000, 1);
  auto app = head_.NewAppender();
  auto r = app->Append(0, Labels{{"__name__", "b"}}, 10 * 3600 * 1000 - 3600 * 1000 - 1, 1);
  EXPECT_EQ(r.status().code(), Status::Code::kOutOfBounds);
  EXPECT_TRUE(app->Append(0, Labels{{"__name__", "b"}}, 10 * 3600 * 1000 - 3600 * 1000, 1).ok());
}

TEST_F(HeadTest, ExtremeTimestampsRoundTrip) {
  const Labels l{{"__name__", "extreme"}};
  const int64_t big = std::numeric_limits<int64_t>::max();
  auto app = head_.NewAppender();
  ASSERT_TRUE(app->Append(0, l, big - 2, 1).ok());
  ASSERT_TRUE(app->Append(0, l, big - 1, 2).ok());
  ASSERT_TRUE(app->Append(0, l, big, 3).ok());
  ASSERT_TRUE(app->Commit().ok());
  std::vector<Sample> got =
      Query({M(MatchType::kEqual, "__name__", "extreme")}, kMinTime, std::numeric_limits<int64_t>::max())
          .begin()
          ->second;
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2].t, big);
  // The range end saturates at INT64_MAX: no overflow into a cut per sample.
  EXPECT_LE(head_.NumChunks(), 2u);
}

TEST_F(HeadTest, InvalidLabels) {
  auto app = head_.NewAppender();
  EXPECT_EQ(app->Append(0, Labels(), 1, 1).status().code(), Status::Code::kInvalidArgument);
  HeadOptions opts;
  opts.max_label_count = 2;
  Head limited(opts, nullptr);
  auto lapp = limited.NewAppender();
  EXPECT_TRUE(lapp->Append(0, Labels{{"a", "1"}, {"b", "2"}}, 1, 1).ok());
  EXPECT_EQ(lapp->Append(0, Labels{{"a", "1"}, {"b", "2"}, {"c", "3"}}, 1, 1).status().code(),
            Status::Code::kResourceExhausted);
}

TEST_F(HeadTest, StaleNaNStoredBitExact) {
  const Labels l{{"__name__", "up"}};
  auto app = head_.NewAppender();
  ASSERT_TRUE(app->Append(0, l, 1000, 1).ok());
  ASSERT_TRUE(app->Append(0, l, 2000, StaleNaN()).ok());
  ASSERT_TRUE(app->Append(0, l, 3000, std::numeric_limits<double>::quiet_NaN()).ok());
  ASSERT_TRUE(app->Append(0, l, 4000, -0.0).ok());
  ASSERT_TRUE(app->Commit().ok());
  std::vector<Sample> got = Query({M(MatchType::kEqual, "__name__", "up")}).begin()->second;
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(std::bit_cast<uint64_t>(got[1].v), kStaleNaNBits);
  EXPECT_FALSE(IsStaleNaN(got[2].v));
  EXPECT_TRUE(std::isnan(got[2].v));
  EXPECT_EQ(std::bit_cast<uint64_t>(got[3].v), std::bit_cast<uint64_t>(-0.0));
}

TEST_F(HeadTest, ConcurrentAppendsToOverlappingSeries) {
  constexpr int kThreads = 4, kSeries = 200, kSamples = 300;
  // Thread i owns timestamps i, i+4, i+8... of every series, so all threads
  // contend on the same series; each commits after every timestamp round.
  // Out-of-order rejections are expected; we count accepted samples.
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0};
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      std::vector<SeriesRef> refs(kSeries, 0);
      for (int round = 0; round < kSamples; ++round) {
        auto app = head_.NewAppender();
        int ok = 0;
        for (int s = 0; s < kSeries; ++s) {
          Labels l{{"__name__", "m"}, {"series", std::to_string(s)}};
          auto r = app->Append(refs[s], l, int64_t{round} * 1000 + th, th);
          if (r.ok()) {
            refs[s] = *r;
            ++ok;
          }
        }
        ASSERT_TRUE(app->Commit().ok());
        accepted += ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(head_.NumSeries(), static_cast<uint64_t>(kSeries));
  SeriesMap got = Query({M(MatchType::kEqual, "__name__", "m")});
  ASSERT_EQ(got.size(), static_cast<size_t>(kSeries));
  uint64_t total = 0;
  for (const auto& [labels, samples] : got) {
    for (size_t i = 1; i < samples.size(); ++i) ASSERT_LT(samples[i - 1].t, samples[i].t) << labels;
    total += samples.size();
  }
  const double appended =
      metrics_.GetCounter("prometheus_tsdb_head_samples_appended_total", "", {{"type", "float"}})->Value();
  const double ooo =
      metrics_.GetCounter("prometheus_tsdb_out_of_order_samples_total", "", {{"type", "float"}})->Value();
  EXPECT_EQ(static_cast<double>(total), appended);
  // Every attempted sample was either stored or counted as out of order.
  EXPECT_EQ(appended + ooo, static_cast<double>(kThreads) * kSeries * kSamples);
  EXPECT_GE(total, static_cast<uint64_t>(kSeries) * kSamples);  // at least one per round
}

TEST_F(HeadTest, ConcurrentDisjointAppendsExactCounts) {
  constexpr int kThreads = 4, kSeries = 100, kSamples = 250;
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      auto app = head_.NewAppender();
      for (int i = 0; i < kSamples; ++i) {
        for (int s = 0; s < kSeries; ++s) {
          // All threads share the metric name (and its postings lists) but
          // write distinct series, so every sample must be stored.
          Labels l{{"__name__", "m"}, {"s", std::to_string(s)}, {"thread", std::to_string(th)}};
          // 10s steps keep the whole run within half a chunk range (1h), so
          // a thread that starts late is never out of bounds.
          auto r = app->Append(0, l, int64_t{i} * 10000, i);
          ASSERT_TRUE(r.ok()) << r.status().ToString();
        }
        if (i % 50 == 49) {
          ASSERT_TRUE(app->Commit().ok());
        }
      }
      ASSERT_TRUE(app->Commit().ok());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(head_.NumSeries(), static_cast<uint64_t>(kThreads * kSeries));
  SeriesMap got = Query({M(MatchType::kEqual, "__name__", "m")});
  ASSERT_EQ(got.size(), static_cast<size_t>(kThreads * kSeries));
  for (const auto& [labels, samples] : got) {
    ASSERT_EQ(samples.size(), static_cast<size_t>(kSamples)) << labels;
    for (int i = 0; i < kSamples; ++i) ASSERT_EQ(samples[i].v, i);
  }
  EXPECT_EQ(metrics_.GetGauge("prometheus_tsdb_head_series", "")->Value(), kThreads * kSeries);
  EXPECT_EQ(metrics_.GetCounter("prometheus_tsdb_head_series_created_total", "")->Value(), kThreads * kSeries);
}

TEST_F(HeadTest, QueriesDuringConcurrentAppendsSeeConsistentSeries) {
  constexpr int kSeries = 20, kRounds = 400;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::vector<SeriesRef> refs(kSeries, 0);
    for (int round = 0; round < kRounds; ++round) {
      auto app = head_.NewAppender();
      for (int s = 0; s < kSeries; ++s) {
        auto r =
            app->Append(refs[s], Labels{{"__name__", "w"}, {"s", std::to_string(s)}}, int64_t{round} * 1000, round);
        ASSERT_TRUE(r.ok());
        refs[s] = *r;
      }
      ASSERT_TRUE(app->Commit().ok());
    }
    done = true;
  });
  int queries = 0;
  while (!done.load() || queries == 0) {
    SeriesMap got = Query({M(MatchType::kEqual, "__name__", "w")});
    for (const auto& [labels, samples] : got) {
      // Each series reads back as a gap-free prefix 0, 1, 2, ... of rounds.
      for (size_t i = 0; i < samples.size(); ++i) {
        ASSERT_EQ(samples[i].t, static_cast<int64_t>(i) * 1000) << labels;
        ASSERT_EQ(samples[i].v, static_cast<double>(i)) << labels;
      }
    }
    ++queries;
  }
  writer.join();
  SeriesMap final_state = Query({M(MatchType::kEqual, "__name__", "w")});
  ASSERT_EQ(final_state.size(), static_cast<size_t>(kSeries));
  for (const auto& [labels, samples] : final_state) EXPECT_EQ(samples.size(), static_cast<size_t>(kRounds));
}

class HeadQueryTest : public HeadTest {
 protected:
  void SetUp() override {
    auto app = head_.NewAppender();
    const std::vector<Labels> series = {
        Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "a"}},
        Labels{{"__name__", "up"}, {"job", "db"}, {"instance", "b"}},
        Labels{{"__name__", "up"}, {"instance", "c"}},
        Labels{{"__name__", "req"}, {"job", "api"}, {"code", "200"}},
        Labels{{"__name__", "req"}, {"job", "api"}, {"code", "500"}},
    };
    for (const Labels& l : series) {
      for (int64_t t = 0; t <= 100000; t += 10000) ASSERT_TRUE(app->Append(0, l, t, static_cast<double>(t)).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }
};

TEST_F(HeadQueryTest, EachMatcherType) {
  EXPECT_EQ(Query({M(MatchType::kEqual, "__name__", "up")}).size(), 3u);
  EXPECT_EQ(Query({M(MatchType::kEqual, "__name__", "up"), M(MatchType::kNotEqual, "job", "api")}).size(), 2u);
  EXPECT_EQ(Query({M(MatchType::kRegexMatch, "job", "a.i")}).size(), 3u);
  EXPECT_EQ(Query({M(MatchType::kRegexMatch, "job", "api|db")}).size(), 4u);
  EXPECT_EQ(Query({M(MatchType::kEqual, "__name__", "req"), M(MatchType::kRegexNoMatch, "code", "5..")}).size(), 1u);
  EXPECT_EQ(Query({M(MatchType::kEqual, "__name__", "up"), M(MatchType::kEqual, "job", "")}).size(), 1u);
  EXPECT_THAT(Query({M(MatchType::kEqual, "__name__", "nope")}), IsEmpty());
}

TEST_F(HeadQueryTest, SelectRejectsAllEmptyMatchers) {
  auto q = head_.NewQuerier(kMinTime, kMaxTime);
  auto set = q->Select(false, nullptr, {M(MatchType::kRegexMatch, "job", ".*")});
  EXPECT_FALSE(set->Next());
  EXPECT_EQ(set->Err().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(set->Err().message(), HasSubstr("at least one non-empty matcher"));
}

TEST_F(HeadQueryTest, SortedByLabels) {
  EXPECT_THAT(
      QueryOrder({M(MatchType::kRegexMatch, "__name__", "up|req")}),
      ElementsAre("{__name__=\"req\", code=\"200\", job=\"api\"}", "{__name__=\"req\", code=\"500\", job=\"api\"}",
                  "{__name__=\"up\", instance=\"a\", job=\"api\"}", "{__name__=\"up\", instance=\"b\", job=\"db\"}",
                  "{__name__=\"up\", instance=\"c\"}"));
}

TEST_F(HeadQueryTest, ClipsToMintMaxt) {
  SeriesMap got = Query({M(MatchType::kEqual, "instance", "a")}, 15000, 50000);
  ASSERT_EQ(got.size(), 1u);
  std::vector<int64_t> ts;
  for (const Sample& s : got.begin()->second) ts.push_back(s.t);
  EXPECT_THAT(ts, ElementsAre(20000, 30000, 40000, 50000));
  // Inclusive bounds on exact sample timestamps.
  EXPECT_EQ(Query({M(MatchType::kEqual, "instance", "a")}, 100000, 200000).begin()->second.size(), 1u);
  // Series with no samples in range are not returned at all.
  EXPECT_THAT(Query({M(MatchType::kEqual, "instance", "a")}, 100001, 200000), IsEmpty());
  EXPECT_THAT(Query({M(MatchType::kEqual, "instance", "a")}, -500, -1), IsEmpty());
}

TEST_F(HeadQueryTest, HintsNarrowTheRange) {
  auto q = head_.NewQuerier(kMinTime, kMaxTime);
  SelectHints hints;
  hints.start = 30000;
  hints.end = 40000;
  auto set = q->Select(false, &hints, {M(MatchType::kEqual, "instance", "a")});
  ASSERT_TRUE(set->Next());
  auto it = set->At().Iterator(nullptr);
  int n = 0;
  while (it->Next() == ValueType::kFloat) ++n;
  EXPECT_EQ(n, 2);
}

TEST_F(HeadQueryTest, LabelNamesAndValues) {
  auto q = head_.NewQuerier(kMinTime, kMaxTime);
  auto names = q->LabelNames({});
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ElementsAre("__name__", "code", "instance", "job"));
  auto jobs = q->LabelValues("job", {});
  ASSERT_TRUE(jobs.ok());
  EXPECT_THAT(*jobs, ElementsAre("api", "db"));
  auto req_names = q->LabelNames({M(MatchType::kEqual, "__name__", "req")});
  ASSERT_TRUE(req_names.ok());
  EXPECT_THAT(*req_names, ElementsAre("__name__", "code", "job"));
  auto up_instances = q->LabelValues("instance", {M(MatchType::kEqual, "job", "api")});
  ASSERT_TRUE(up_instances.ok());
  EXPECT_THAT(*up_instances, ElementsAre("a"));
}

TEST_F(HeadQueryTest, LabelLookupsOutsideTimeRangeAreEmpty) {
  auto q = head_.NewQuerier(200000, 300000);  // data spans [0, 100000]
  auto names = q->LabelNames({});
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, IsEmpty());
  auto jobs = q->LabelValues("job", {M(MatchType::kEqual, "__name__", "up")});
  ASSERT_TRUE(jobs.ok());
  EXPECT_THAT(*jobs, IsEmpty());
}

TEST_F(HeadTest, ChunkCuttingReadsBackExactlyAcrossChunks) {
  const Labels l{{"__name__", "c"}};
  auto app = head_.NewAppender();
  const int n = 1000;
  for (int i = 0; i < n; ++i) ASSERT_TRUE(app->Append(0, l, int64_t{i} * 15000, i * 1.5).ok());
  ASSERT_TRUE(app->Commit().ok());
  // 15s samples in 2h ranges: a chunk every 120 samples.
  EXPECT_EQ(head_.NumChunks(), static_cast<uint64_t>((n + 119) / 120));
  EXPECT_EQ(metrics_.GetGauge("prometheus_tsdb_head_chunks", "")->Value(), (n + 119) / 120);
  std::vector<Sample> got = Query({M(MatchType::kEqual, "__name__", "c")}).begin()->second;
  ASSERT_EQ(got.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(got[i].t, int64_t{i} * 15000);
    ASSERT_EQ(got[i].v, i * 1.5);
  }
  // Seek across chunk boundaries, and never backwards.
  auto q = head_.NewQuerier(kMinTime, kMaxTime);
  auto set = q->Select(false, nullptr, {M(MatchType::kEqual, "__name__", "c")});
  ASSERT_TRUE(set->Next());
  auto it = set->At().Iterator(nullptr);
  ASSERT_EQ(it->Seek(500 * 15000 + 1), ValueType::kFloat);
  EXPECT_EQ(it->At().t, 501 * 15000);
  ASSERT_EQ(it->Seek(0), ValueType::kFloat);
  EXPECT_EQ(it->At().t, 501 * 15000);
  ASSERT_EQ(it->Next(), ValueType::kFloat);
  EXPECT_EQ(it->At().t, 502 * 15000);
  EXPECT_EQ(it->Seek(int64_t{n} * 15000), ValueType::kNone);
  EXPECT_EQ(it->Next(), ValueType::kNone);
}

TEST_F(HeadTest, MetricsAndTimeBounds) {
  AppendOne(Labels{{"__name__", "a"}}, 5000, 1);
  AppendOne(Labels{{"__name__", "b"}}, 7000, 1);
  EXPECT_EQ(head_.MinTime(), 5000);
  EXPECT_EQ(head_.MaxTime(), 7000);
  const std::string text = metrics_.RenderText();
  EXPECT_THAT(text, HasSubstr("prometheus_tsdb_head_series 2"));
  EXPECT_THAT(text, HasSubstr("prometheus_tsdb_head_series_created_total 2"));
  EXPECT_THAT(text, HasSubstr("prometheus_tsdb_head_samples_appended_total{type=\"float\"} 2"));
  EXPECT_THAT(text, HasSubstr("prometheus_tsdb_head_chunks 2"));
  EXPECT_THAT(text, HasSubstr("prometheus_tsdb_head_min_time 5000"));
  EXPECT_THAT(text, HasSubstr("prometheus_tsdb_head_max_time 7000"));
  EXPECT_THAT(text, HasSubstr("prometheus_tsdb_out_of_order_samples_total{type=\"float\"} 0"));
}

TEST_F(HeadTest, QuerierSnapshotIgnoresLaterCommitsWithinASeries) {
  const Labels l{{"__name__", "s"}};
  AppendOne(l, 1000, 1);
  auto q = head_.NewQuerier(kMinTime, kMaxTime);
  auto set = q->Select(false, nullptr, {M(MatchType::kEqual, "__name__", "s")});
  ASSERT_TRUE(set->Next());
  AppendOne(l, 2000, 2);  // after the series' chunk metas were taken
  auto it = set->At().Iterator(nullptr);
  ASSERT_EQ(it->Next(), ValueType::kFloat);
  EXPECT_EQ(it->At().t, 1000);
  EXPECT_EQ(it->Next(), ValueType::kNone);
}

TEST_F(HeadTest, ClosedHeadRejectsAppends) {
  head_.Close();
  auto app = head_.NewAppender();
  EXPECT_FALSE(app->Append(0, Labels{{"__name__", "x"}}, 1, 1).ok());
}

}  // namespace
}  // namespace promethium::tsdb
