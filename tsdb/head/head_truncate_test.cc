// Head::Truncate: chunk dropping, series GC, postings, metrics, pins, and a
// bounded stress test of truncation racing appends and queries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "tsdb/head/head.h"
#include "tsdb/head/head_test_util.h"

namespace promethium::tsdb {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace testing_util;

constexpr int64_t kRange = 1000;  // chunk range in these tests

double CounterValue(MetricsRegistry* m, const std::string& name) { return m->GetCounter(name, "")->Value(); }

// Appends one sample every `step` ms in [from, to) to series `l`.
void Fill(Head* head, const Labels& l, int64_t from, int64_t to, int64_t step) {
  for (int64_t t = from; t < to; t += step) ASSERT_TRUE(AppendOne(head, l, t, static_cast<double>(t)).ok());
}

TEST(HeadTruncate, DropsOnlyChunksWhollyBeforeMint) {
  MetricsRegistry metrics;
  Head head(SmallHeadOptions(kRange), &metrics);
  const Labels l{{"__name__", "m"}};
  Fill(&head, l, 0, 3000, 100);  // 3 chunks: [0,900] [1000,1900] [2000,2900]
  ASSERT_EQ(head.NumChunks(), 3u);
  ASSERT_TRUE(head.Truncate(1500).ok());
  // [1000,1900] holds samples >= 1500: it stays whole.
  EXPECT_EQ(head.NumChunks(), 2u);
  EXPECT_EQ(head.MinTime(), 1500);
  EXPECT_EQ(head.MinValidTime(), 1500);
  SeriesMap all = QueryRange(&head, {Eq("__name__", "m")}, kMinTime, kMaxTime);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all.begin()->second.front().t, 1000);
  EXPECT_EQ(all.begin()->second.size(), 20u);
  // The querier never serves below MinValidTime.
  EXPECT_EQ(Query(&head, {Eq("__name__", "m")}).begin()->second.front().t, 1500);
  EXPECT_EQ(CounterValue(&metrics, "prometheus_tsdb_head_truncations_total"), 1);
  EXPECT_EQ(CounterValue(&metrics, "prometheus_tsdb_head_chunks_removed_total"), 1);
  EXPECT_EQ(metrics.GetGauge("prometheus_tsdb_head_chunks", "")->Value(), 2);
  EXPECT_EQ(metrics.GetGauge("prometheus_tsdb_head_min_time", "")->Value(), 1500);
}

TEST(HeadTruncate, GarbageCollectsEmptySeriesAndTheirPostings) {
  MetricsRegistry metrics;
  Head head(SmallHeadOptions(kRange), &metrics);
  const Labels old_series{{"__name__", "m"}, {"job", "old"}, {"only_old", "x"}};
  const Labels live_series{{"__name__", "m"}, {"job", "live"}};
  for (int64_t t = 0; t < 3000; t += 100) {
    if (t < 1000) {
      ASSERT_TRUE(AppendOne(&head, old_series, t, 1).ok());
    }
    ASSERT_TRUE(AppendOne(&head, live_series, t, 1).ok());
  }
  const std::vector<SeriesRef> old_refs = ExpandPostings(head.NewIndexReader()->PostingsFor("job", {"old"}).get());
  ASSERT_EQ(old_refs.size(), 1u);
  const SeriesRef old_ref = old_refs[0];
  ASSERT_EQ(head.NumSeries(), 2u);

  ASSERT_TRUE(head.Truncate(2000).ok());
  EXPECT_EQ(head.NumSeries(), 1u);
  EXPECT_FALSE(head.SeriesExists(old_ref));
  EXPECT_EQ(CounterValue(&metrics, "prometheus_tsdb_head_series_removed_total"), 1);
  EXPECT_EQ(metrics.GetGauge("prometheus_tsdb_head_series", "")->Value(), 1);
  auto ix = head.NewIndexReader();
  EXPECT_THAT(ix->LabelValues("job"), ElementsAre("live"));
  EXPECT_THAT(ix->LabelNames(), ElementsAre("__name__", "job"));  // only_old is gone
  EXPECT_EQ(ExpandPostings(ix->AllPostings().get()).size(), 1u);
  EXPECT_THAT(ExpandPostings(ix->PostingsFor("job", {"old"}).get()), IsEmpty());
  Labels got;
  EXPECT_EQ(ix->Series(old_ref, &got, nullptr).code(), Status::Code::kNotFound);

  // The same labels come back as a new series with a new ref.
  auto again = head.NewAppender();
  auto ref = again->Append(0, old_series, 2500, 1);
  ASSERT_TRUE(ref.ok());
  EXPECT_NE(*ref, old_ref);
  ASSERT_TRUE(again->Commit().ok());
  EXPECT_EQ(Query(&head, {Eq("job", "old")}).begin()->second.size(), 1u);
}

TEST(HeadTruncate, AppendsBelowMinValidTimeAreOutOfBounds) {
  MetricsRegistry metrics;
  Head head(SmallHeadOptions(kRange), &metrics);
  const Labels l{{"__name__", "m"}};
  Fill(&head, l, 0, 3000, 100);
  auto early = head.NewAppender();  // created before the truncation
  ASSERT_TRUE(early->Append(0, Labels{{"__name__", "n"}}, 2450, 1).ok());
  ASSERT_TRUE(head.Truncate(2600).ok());
  auto app = head.NewAppender();
  auto r = app->Append(0, Labels{{"__name__", "n"}}, 2599, 1);
  EXPECT_EQ(r.status().code(), Status::Code::kOutOfBounds);
  EXPECT_EQ(r.status().message(), "out of bounds");
  EXPECT_TRUE(app->Append(0, Labels{{"__name__", "n"}}, 2600, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  // The early appender's sample is re-checked at commit and dropped.
  ASSERT_TRUE(early->Commit().ok());
  EXPECT_THAT(Times(QueryRange(&head, {Eq("__name__", "n")}, kMinTime, kMaxTime).begin()->second), ElementsAre(2600));
  EXPECT_EQ(metrics.GetCounter("prometheus_tsdb_out_of_bound_samples_total", "", {{"type", "float"}})->Value(), 2);
}

TEST(HeadTruncate, PinnedSeriesSurviveUntilCommit) {
  Head head(SmallHeadOptions(kRange), nullptr);
  auto app = head.NewAppender();
  auto ref = app->Append(0, Labels{{"__name__", "pending"}}, 5000, 1);  // new, empty series
  ASSERT_TRUE(ref.ok());
  ASSERT_TRUE(head.Truncate(100).ok());
  EXPECT_TRUE(head.SeriesExists(*ref));  // pinned: not collected
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Query(&head, {Eq("__name__", "pending")}).begin()->second.size(), 1u);

  auto rolled = head.NewAppender();
  auto gone = rolled->Append(0, Labels{{"__name__", "rolled_back"}}, 5000, 1);
  ASSERT_TRUE(rolled->Rollback().ok());
  ASSERT_TRUE(head.Truncate(200).ok());
  EXPECT_FALSE(head.SeriesExists(*gone));  // unpinned and empty: collected
  EXPECT_TRUE(head.SeriesExists(*ref));
  EXPECT_EQ(head.NumSeries(), 1u);
}

TEST(HeadTruncate, WaitsForOpenQueriersReadingBelowMint) {
  HeadOptions opts = SmallHeadOptions(kRange);
  opts.truncate_reader_wait_ms = 20000;
  Head head(opts, nullptr);
  const Labels l{{"__name__", "m"}};
  Fill(&head, l, 0, 3000, 100);
  auto q = head.NewQuerier(kMinTime, kMaxTime);
  auto set = q->Select(false, nullptr, {Eq("__name__", "m")});
  ASSERT_TRUE(set->Next());  // chunk metas listed
  std::atomic<bool> truncated{false};
  std::thread truncator([&] {
    ASSERT_TRUE(head.Truncate(2000).ok());
    truncated.store(true);
  });
  // The truncation blocks while the querier is open (bounded by the 20 s
  // wait, far beyond this test's time): seen from the head, not guessed from
  // a pause. A truncation that did not wait would never be seen blocked.
  bool blocked = false;
  for (int i = 0; i < 1000 && !blocked; ++i) {  // at most ~10 s
    blocked = head.TruncationsWaitingForReaders() == 1;
    if (!blocked) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(blocked);  // not ASSERT: the querier must still be released and the thread joined
  EXPECT_FALSE(truncated.load());
  auto it = set->At().Iterator(nullptr);
  size_t n = 0;
  while (it->Next() == ValueType::kFloat) ++n;
  EXPECT_TRUE(it->Err().ok());
  EXPECT_EQ(n, 30u);
  it.reset();
  set.reset();
  q.reset();
  truncator.join();
  EXPECT_TRUE(truncated.load());
  // A querier opened later starts at the new MinValidTime, so a truncation
  // up to it does not wait for it.
  auto later = head.NewQuerier(kMinTime, kMaxTime);
  ASSERT_TRUE(head.Truncate(2000).ok());
  EXPECT_THAT(Times(ReadAll(later.get(), {Eq("__name__", "m")}).begin()->second).front(), 2000);
}

TEST(HeadTruncate, EmptyHeadAndRepeatedTruncations) {
  Head head(SmallHeadOptions(kRange), nullptr);
  ASSERT_TRUE(head.Truncate(1000).ok());
  EXPECT_EQ(head.NumSeries(), 0u);
  EXPECT_EQ(head.MinValidTime(), 1000);
  const Labels l{{"__name__", "m"}};
  Fill(&head, l, 1000, 5000, 250);
  for (int64_t mint = 1000; mint <= 6000; mint += 1000) {
    ASSERT_TRUE(head.Truncate(mint).ok());
    const SeriesMap got = QueryRange(&head, {Eq("__name__", "m")}, kMinTime, kMaxTime);
    if (mint >= 5000) {
      EXPECT_THAT(got, IsEmpty());
      continue;
    }
    ASSERT_EQ(got.size(), 1u);
    // Whole chunks go: the oldest sample left is at the start of mint's chunk.
    EXPECT_EQ(got.begin()->second.front().t, (mint / kRange) * kRange);
  }
  EXPECT_EQ(head.NumSeries(), 0u);
  EXPECT_EQ(head.NumChunks(), 0u);
}

// Appenders create and append to churning series, a reader queries, and a
// truncator keeps cutting the head, for a bounded time. Checks memory safety
// (run under ASan with -DPROMETHIUM_SANITIZE=ON) and final consistency.
TEST(HeadTruncate, StressAppendsQueriesAndTruncations) {
  HeadOptions opts = SmallHeadOptions(kRange);
  opts.ooo_window_ms = kRange;  // exercise out-of-order inserts too
  MetricsRegistry metrics;
  Head head(opts, &metrics);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> now{0};
  std::atomic<uint64_t> committed{0}, queries{0}, truncations{0};
  auto appender = [&](int id) {
    std::vector<SeriesRef> refs(50, 0);
    std::vector<std::string> names;
    for (size_t i = 0; i < refs.size(); ++i) names.push_back(fmt::format("s{}", i));
    for (int round = 0; !stop.load() && round < 200000; ++round) {
      const int64_t t = now.fetch_add(10) + 10;
      auto app = head.NewAppender();
      for (size_t i = 0; i < refs.size(); ++i) {
        // Every 100 rounds a series gets new labels: old ones go stale.
        const Labels l{
            {"__name__", names[i]}, {"gen", fmt::format("{}", round / 100)}, {"writer", fmt::format("{}", id)}};
        if (round % 100 == 0) refs[i] = 0;
        auto r = app->Append(refs[i], l, t, static_cast<double>(t));
        refs[i] = r.ok() ? *r : 0;
        // An out-of-order sample between two in-order ones (t is a multiple
        // of 10, so t - 5 never collides).
        // An older sample: it may be rejected as out of order; either is fine.
        if (i == 0 && round % 100 > 1) app->Append(refs[i], l, t - 5, static_cast<double>(t - 5)).IgnoreError();
      }
      if (app->Commit().ok()) committed.fetch_add(1);
    }
  };
  auto reader = [&] {
    while (!stop.load()) {
      auto q = head.NewQuerier(kMinTime, kMaxTime);
      auto set = q->Select(false, nullptr, {Re("__name__", "s.*")});
      while (set->Next()) {
        auto it = set->At().Iterator(nullptr);
        int64_t prev = std::numeric_limits<int64_t>::min();
        while (it->Next() == ValueType::kFloat) {
          ASSERT_GT(it->At().t, prev);
          ASSERT_EQ(it->At().v, static_cast<double>(it->At().t));
          prev = it->At().t;
        }
        // Truncation waits for this querier: no chunk it listed goes away.
        ASSERT_TRUE(it->Err().ok()) << it->Err().ToString();
      }
      ASSERT_TRUE(set->Err().ok()) << set->Err().ToString();
      queries.fetch_add(1);
    }
  };
  auto truncator = [&] {
    while (!stop.load()) {
      const int64_t mint = now.load() - 3 * kRange;
      ASSERT_TRUE(head.Truncate(mint).ok());
      ASSERT_TRUE(head.Delete(mint + kRange, mint + kRange + 30, {Eq("writer", "1")}, nullptr).ok());
      truncations.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(appender, 0);
  threads.emplace_back(appender, 1);
  threads.emplace_back(reader);
  threads.emplace_back(truncator);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop.store(true);
  for (auto& t : threads) t.join();
  EXPECT_GT(committed.load(), 0u);
  EXPECT_GT(queries.load(), 0u);
  EXPECT_GT(truncations.load(), 0u);
  EXPECT_GT(
      metrics.GetCounter("prometheus_tsdb_head_out_of_order_samples_appended_total", "", {{"type", "float"}})->Value(),
      0);
  EXPECT_GT(CounterValue(&metrics, "prometheus_tsdb_head_series_removed_total"), 0);

  // Consistency: every posting resolves, the counters match the registry.
  ASSERT_TRUE(head.Truncate(now.load() - 3 * kRange).ok());
  auto ix = head.NewIndexReader();
  const std::vector<SeriesRef> all = ExpandPostings(ix->AllPostings().get());
  EXPECT_EQ(all.size(), head.NumSeries());
  size_t chunks = 0;
  for (SeriesRef ref : all) {
    Labels l;
    std::vector<ChunkMeta> metas;
    ASSERT_TRUE(ix->Series(ref, &l, &metas).ok());
    EXPECT_FALSE(metas.empty());
    chunks += metas.size();
  }
  EXPECT_EQ(chunks, head.NumChunks());
}

}  // namespace
}  // namespace promethium::tsdb
