// The head's range view (NewRangeIndexReader/NewRangeChunkReader), which
// compaction writes blocks from: exactly the samples in range, chunks that
// never straddle chunk-range (block) boundaries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "tsdb/head/head.h"
#include "tsdb/head/head_test_util.h"

namespace promethium::tsdb {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace testing_util;

constexpr int64_t kRange = 1000;

std::vector<ChunkMeta> Metas(IndexReader* ix, SeriesRef ref) {
  Labels l;
  std::vector<ChunkMeta> metas;
  EXPECT_TRUE(ix->Series(ref, &l, &metas).ok());
  return metas;
}

TEST(HeadRange, ChunksNeverStraddleChunkRangeBoundaries) {
  Head head(SmallHeadOptions(kRange), nullptr);
  std::mt19937_64 rng(42);
  std::vector<Labels> series;
  for (int i = 0; i < 20; ++i) series.push_back(Labels{{"__name__", "m"}, {"i", std::to_string(i)}});
  // Irregular intervals: dense bursts (2x-target and size cuts), sparse
  // series and gaps longer than a chunk range.
  int64_t t = 0;
  for (int step = 0; step < 5000; ++step) {
    t += 1 + static_cast<int64_t>(rng() % (step % 1000 < 100 ? 3 : 60));
    if (step % 1500 == 0) t += 2 * kRange;
    for (size_t i = 0; i < series.size(); ++i) {
      if (rng() % (i + 1) != 0) continue;
      ASSERT_TRUE(AppendOne(&head, series[i], t, static_cast<double>(rng() % 1000)).ok());
    }
  }
  auto ix = head.NewIndexReader();
  size_t checked = 0;
  for (SeriesRef ref : ExpandPostings(ix->AllPostings().get())) {
    for (const ChunkMeta& m : Metas(ix.get(), ref)) {
      EXPECT_EQ(ChunkRangeEnd(m.min_time, kRange), ChunkRangeEnd(m.max_time, kRange))
          << "chunk [" << m.min_time << ", " << m.max_time << "] straddles a boundary";
      ++checked;
    }
  }
  EXPECT_GT(checked, 100u);
}

TEST(HeadRange, ReturnsExactlyTheSamplesInRange) {
  Head head(SmallHeadOptions(kRange), nullptr);
  const Labels a{{"__name__", "a"}};
  const Labels b{{"__name__", "b"}};
  for (int64_t t = 0; t < 4000; t += 90) {
    ASSERT_TRUE(AppendOne(&head, a, t, static_cast<double>(t)).ok());
    if (t >= 2500) {
      ASSERT_TRUE(AppendOne(&head, b, t, 1).ok());  // b starts after the range
    }
  }
  auto ix = head.NewRangeIndexReader(1000, 1999);
  int64_t mint, maxt;
  ix->TimeRange(&mint, &maxt);
  EXPECT_EQ(mint, 1000);
  EXPECT_EQ(maxt, 1999);
  // Postings list every series; b simply has no chunk in range.
  const std::vector<SeriesRef> refs = ExpandPostings(ix->AllPostings().get());
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_THAT(Metas(ix.get(), refs[1]), IsEmpty());
  for (const ChunkMeta& m : Metas(ix.get(), refs[0])) {
    EXPECT_GE(m.min_time, 1000);
    EXPECT_LE(m.max_time, 1999);
  }
  const SeriesMap got = QueryRange(&head, {Re("__name__", ".+")}, 1000, 1999);
  ASSERT_EQ(got.size(), 1u);
  std::vector<int64_t> want;
  for (int64_t t = 0; t < 4000; t += 90)
    if (t >= 1000 && t <= 1999) want.push_back(t);
  EXPECT_EQ(Times(got.begin()->second), want);
}

TEST(HeadRange, ClipsAChunkThatStraddlesTheRange) {
  // An out-of-order sample in a chunk range where the series has no chunk
  // joins a neighbouring chunk; the range view clips it back.
  Head head(SmallHeadOptions(kRange, /*ooo_window_ms=*/10000), nullptr);
  const Labels l{{"__name__", "m"}};
  for (int64_t t : {100, 200, 2100, 2200}) ASSERT_TRUE(AppendOne(&head, l, t, 1).ok());
  ASSERT_TRUE(AppendOne(&head, l, 1500, 2).ok());  // range [1000, 2000) had no chunk
  EXPECT_THAT(Times(Query(&head, {Eq("__name__", "m")}).begin()->second), ElementsAre(100, 200, 1500, 2100, 2200));
  EXPECT_THAT(Times(QueryRange(&head, {Eq("__name__", "m")}, 0, 999).begin()->second), ElementsAre(100, 200));
  EXPECT_THAT(Times(QueryRange(&head, {Eq("__name__", "m")}, 1000, 1999).begin()->second), ElementsAre(1500));
  EXPECT_THAT(Times(QueryRange(&head, {Eq("__name__", "m")}, 2000, 2999).begin()->second), ElementsAre(2100, 2200));
  auto ix = head.NewRangeIndexReader(1000, 1999);
  const std::vector<ChunkMeta> metas = Metas(ix.get(), ExpandPostings(ix->AllPostings().get())[0]);
  ASSERT_EQ(metas.size(), 1u);
  EXPECT_EQ(metas[0].min_time, 1500);
  EXPECT_EQ(metas[0].max_time, 1500);
}

// A querier over a narrow range near the end (the shape of a 1-step query):
// only chunks overlapping it are listed, series without samples in it are
// dropped before sorting, and an iterator reused across series restarts
// cleanly for each one.
TEST(HeadRange, NarrowQuerierSortsSeriesAndReusesIterators) {
  Head head(SmallHeadOptions(kRange), nullptr);
  // Created in an order that is not label order.
  const std::vector<Labels> series = {Labels{{"__name__", "s"}, {"i", "2"}}, Labels{{"__name__", "s"}, {"i", "10"}},
                                      Labels{{"__name__", "s"}, {"i", "1"}}};
  ASSERT_TRUE(AppendOne(&head, Labels{{"__name__", "s"}, {"i", "old"}}, 0, 1).ok());  // nothing in range
  for (int64_t t = 0; t < 4000; t += 90) {
    for (size_t i = 0; i < series.size(); ++i) {
      ASSERT_TRUE(AppendOne(&head, series[i], t + static_cast<int64_t>(i), static_cast<double>(t)).ok());
    }
  }
  const int64_t mint = 2050, maxt = 2300;
  // Sorted, unsorted, and sorted keeping at most one chunk meta from the
  // sort (the others are read again in Next()).
  for (int mode : {0, 1, 2}) {
    const bool sorted = mode != 1;
    auto q = mode == 2 ? std::make_unique<BlockQuerier>(head.NewIndexReader(), head.NewChunkReader(), mint, maxt,
                                                        /*max_preloaded_metas=*/1)
                       : head.NewQuerier(mint, maxt);
    auto set = q->Select(sorted, nullptr, {Eq("__name__", "s")});
    std::unique_ptr<SampleIterator> it;
    std::map<std::string, std::vector<int64_t>> got;
    std::vector<std::string> order;
    while (set->Next()) {
      order.push_back(std::string(set->At().labels().Get("i")));
      it = set->At().Iterator(std::move(it));
      auto& times = got[order.back()];
      while (it->Next() == ValueType::kFloat) times.push_back(it->At().t);
      ASSERT_TRUE(it->Err().ok()) << it->Err().ToString();
      // Seeking a reused iterator again positions it afresh.
      it = set->At().Iterator(std::move(it));
      ASSERT_EQ(it->Seek(2200), ValueType::kFloat);
      EXPECT_GE(it->At().t, 2200);
      EXPECT_LT(it->At().t, 2200 + 90);
    }
    ASSERT_TRUE(set->Err().ok()) << set->Err().ToString();
    if (sorted) {
      EXPECT_THAT(order, ElementsAre("1", "10", "2"));
    }
    ASSERT_EQ(got.size(), 3u) << "the series without samples in range is not selected";
    for (size_t i = 0; i < series.size(); ++i) {
      std::vector<int64_t> want;
      for (int64_t t = 0; t < 4000; t += 90) {
        const int64_t ti = t + static_cast<int64_t>(i);
        if (ti >= mint && ti <= maxt) want.push_back(ti);
      }
      EXPECT_EQ(got[std::string(series[i].Get("i"))], want) << "series " << i << ", mode " << mode;
    }
  }
}

}  // namespace
}  // namespace promethium::tsdb
