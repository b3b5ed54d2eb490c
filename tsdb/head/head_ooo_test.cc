// The out-of-order window: accept, reject, query and WAL replay.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "tsdb/head/head.h"
#include "tsdb/head/head_test_util.h"
#include "tsdb/wal/record.h"

namespace promethium::tsdb {
namespace {

using ::testing::ElementsAre;
using namespace testing_util;

constexpr int64_t kRange = 1000;

double FloatCounter(MetricsRegistry* m, const std::string& name) {
  return m->GetCounter(name, "", {{"type", "float"}})->Value();
}

TEST(HeadOutOfOrder, DisabledWindowRejectsAsBefore) {
  MetricsRegistry metrics;
  Head head(SmallHeadOptions(kRange, /*ooo_window_ms=*/0), &metrics);
  const Labels l{{"__name__", "m"}};
  ASSERT_TRUE(AppendOne(&head, l, 500, 1).ok());
  Status st = AppendOne(&head, l, 400, 1);
  EXPECT_EQ(st.code(), Status::Code::kOutOfOrder);
  EXPECT_EQ(FloatCounter(&metrics, "prometheus_tsdb_out_of_order_samples_total"), 1);
  EXPECT_EQ(FloatCounter(&metrics, "prometheus_tsdb_head_out_of_order_samples_appended_total"), 0);
}

TEST(HeadOutOfOrder, AcceptsWithinWindowAndQueriesMerged) {
  MetricsRegistry metrics;
  Head head(SmallHeadOptions(kRange, /*ooo_window_ms=*/3000), &metrics);
  const Labels l{{"__name__", "m"}};
  for (int64_t t = 1000; t <= 5000; t += 1000) ASSERT_TRUE(AppendOne(&head, l, t, static_cast<double>(t)).ok());
  for (int64_t t : {4500, 2500, 2001, 4999}) ASSERT_TRUE(AppendOne(&head, l, t, static_cast<double>(t)).ok()) << t;
  // Older than max time (5000) - window (3000): too old.
  Status st = AppendOne(&head, l, 1999, 1);
  EXPECT_EQ(st.code(), Status::Code::kOutOfBounds);
  EXPECT_EQ(st.message(), "too old sample");
  // A new series can start inside the window too (older than half a range).
  ASSERT_TRUE(AppendOne(&head, Labels{{"__name__", "n"}}, 2100, 1).ok());

  const SeriesMap got = Query(&head, {Eq("__name__", "m")});
  EXPECT_THAT(Times(got.begin()->second), ElementsAre(1000, 2000, 2001, 2500, 3000, 4000, 4500, 4999, 5000));
  for (const Sample& s : got.begin()->second) EXPECT_EQ(s.v, static_cast<double>(s.t));
  EXPECT_EQ(FloatCounter(&metrics, "prometheus_tsdb_head_out_of_order_samples_appended_total"), 4);
  EXPECT_EQ(FloatCounter(&metrics, "prometheus_tsdb_too_old_samples_total"), 1);
  EXPECT_EQ(FloatCounter(&metrics, "prometheus_tsdb_head_samples_appended_total"), 10);
  // Chunks still respect chunk-range boundaries.
  auto ix = head.NewIndexReader();
  Labels labels;
  std::vector<ChunkMeta> metas;
  ASSERT_TRUE(ix->Series(ExpandPostings(ix->PostingsFor("__name__", {"m"}).get())[0], &labels, &metas).ok());
  for (const ChunkMeta& m : metas) EXPECT_EQ(ChunkRangeEnd(m.min_time, kRange), ChunkRangeEnd(m.max_time, kRange));
}

TEST(HeadOutOfOrder, DuplicatesAsPrometheus) {
  Head head(SmallHeadOptions(kRange, 10000), nullptr);
  const Labels l{{"__name__", "m"}};
  for (int64_t t : {100, 200, 300}) ASSERT_TRUE(AppendOne(&head, l, t, 1).ok());
  EXPECT_TRUE(AppendOne(&head, l, 200, 1).ok());  // same timestamp and value: ignored
  Status st = AppendOne(&head, l, 200, 2);
  EXPECT_EQ(st.code(), Status::Code::kDuplicate);
  EXPECT_EQ(st.message(), "duplicate sample for timestamp");
  ASSERT_TRUE(AppendOne(&head, l, 150, 5).ok());
  EXPECT_EQ(AppendOne(&head, l, 150, 6).code(), Status::Code::kDuplicate);  // duplicate of an OOO sample
  // Two out-of-order samples for one timestamp in one batch: the second is
  // dropped at commit.
  auto app = head.NewAppender();
  ASSERT_TRUE(app->Append(0, l, 120, 1).ok());
  ASSERT_TRUE(app->Append(0, l, 120, 2).ok());
  ASSERT_TRUE(app->Commit().ok());
  const std::vector<Sample> got = Query(&head, {Eq("__name__", "m")}).begin()->second;
  EXPECT_THAT(Times(got), ElementsAre(100, 120, 150, 200, 300));
  EXPECT_EQ(got[1].v, 1);
  EXPECT_EQ(got[2].v, 5);
  EXPECT_EQ(got[3].v, 1);
}

TEST(HeadOutOfOrder, OlderThanTheSeriesStartsAChunkInItsOwnRange) {
  Head head(SmallHeadOptions(kRange, 10000), nullptr);
  const Labels l{{"__name__", "m"}};
  for (int64_t t : {5000, 5100}) ASSERT_TRUE(AppendOne(&head, l, t, 1).ok());
  for (int64_t t : {3500, 3400, 1200}) ASSERT_TRUE(AppendOne(&head, l, t, 1).ok());
  EXPECT_THAT(Times(Query(&head, {Eq("__name__", "m")}).begin()->second), ElementsAre(1200, 3400, 3500, 5000, 5100));
  EXPECT_EQ(head.NumChunks(), 3u);
  EXPECT_EQ(head.MinTime(), 1200);
  // Appends in order keep going into the open chunk.
  ASSERT_TRUE(AppendOne(&head, l, 5200, 1).ok());
  EXPECT_EQ(head.NumChunks(), 3u);
  EXPECT_THAT(Times(QueryRange(&head, {Eq("__name__", "m")}, 3000, 3999).begin()->second), ElementsAre(3400, 3500));
}

TEST(HeadOutOfOrder, BelowMinValidTimeIsOutOfBoundsEvenInsideTheWindow) {
  Head head(SmallHeadOptions(kRange, 10000), nullptr);
  const Labels l{{"__name__", "m"}};
  ASSERT_TRUE(AppendOne(&head, l, 5000, 1).ok());
  head.SetMinValidTime(4000);
  Status st = AppendOne(&head, l, 3999, 1);
  EXPECT_EQ(st.code(), Status::Code::kOutOfBounds);
  EXPECT_EQ(st.message(), "out of bounds");
  EXPECT_TRUE(AppendOne(&head, l, 4000, 1).ok());
}

// Random out-of-order traffic, replayed from the WAL records an appender
// would have written, rebuilds the same head.
TEST(HeadOutOfOrder, ReplayRebuildsTheSameHead) {
  Head live(SmallHeadOptions(kRange, 2000), nullptr);
  std::vector<std::string> records;
  std::vector<wal::RefSeries> series;
  std::mt19937_64 rng(7);
  std::vector<Labels> labels;
  for (int i = 0; i < 5; ++i) labels.push_back(Labels{{"__name__", "m"}, {"i", std::to_string(i)}});
  int64_t now = 10000;
  for (int batch = 0; batch < 400; ++batch) {
    now += 50;
    auto app = live.NewAppender();
    std::vector<wal::RefSample> logged;
    for (size_t i = 0; i < labels.size(); ++i) {
      const int64_t t = now - static_cast<int64_t>(rng() % 2500);  // some too old
      const double v = static_cast<double>(rng() % 3);
      auto ref = app->Append(0, labels[i], t, v);
      if (ref.ok()) logged.push_back({*ref, t, v});
      if (ref.ok() && series.size() <= i) series.push_back({*ref, labels[i]});
    }
    ASSERT_TRUE(app->Commit().ok());
    std::string rec;
    wal::EncodeSamples(logged, &rec);
    records.push_back(std::move(rec));
  }
  Head replayed(SmallHeadOptions(kRange, 2000), nullptr);
  WalReplayStats stats;
  std::string series_rec;
  wal::EncodeSeries(series, &series_rec);
  ASSERT_TRUE(replayed.ReplayWalRecord(series_rec, &stats).ok());
  for (const std::string& rec : records) ASSERT_TRUE(replayed.ReplayWalRecord(rec, &stats).ok());
  replayed.FinishWalReplay();
  const SeriesMap want = Query(&live, {Eq("__name__", "m")});
  const SeriesMap got = Query(&replayed, {Eq("__name__", "m")});
  ASSERT_EQ(want.size(), got.size());
  for (const auto& [name, samples] : want) {
    ASSERT_EQ(got.at(name).size(), samples.size()) << name;
    for (size_t i = 0; i < samples.size(); ++i) {
      EXPECT_EQ(got.at(name)[i].t, samples[i].t);
      EXPECT_EQ(got.at(name)[i].v, samples[i].v);
    }
  }
  EXPECT_GT(want.begin()->second.size(), 100u);
}

}  // namespace
}  // namespace promethium::tsdb
