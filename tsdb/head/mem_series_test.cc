#include "tsdb/head/mem_series.h"

#include <gtest/gtest.h>

#include <bit>
#include <limits>
#include <random>
#include <thread>

#include "tsdb/head/series_table.h"
#include "tsdb/index/mem_postings.h"

namespace promethium::tsdb {
namespace {

// A series whose labels are interned in a process-wide index, as the head
// interns them in its postings.
std::unique_ptr<MemSeries> NewTestSeries(SeriesRef ref, const Labels& labels) {
  static MemPostings* index = new MemPostings();
  auto symbols = std::make_unique<const std::string*[]>(2 * labels.size());
  index->AddInterned(ref, labels, symbols.get());
  return std::make_unique<MemSeries>(ref, std::move(symbols), static_cast<uint32_t>(labels.size()));
}

TEST(MemSeries, LabelsRoundTripThroughSymbols) {
  const Labels l{{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"instance", "10.0.0.1:9100"}, {"mode", "idle"}};
  auto s = NewTestSeries(100, l);
  EXPECT_EQ(s->NumLabels(), 4u);
  EXPECT_EQ(s->labels(), l);
  EXPECT_TRUE(s->LabelsEqual(l));
  EXPECT_FALSE(s->LabelsEqual(Labels{{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}}));
  EXPECT_FALSE(s->LabelsEqual(
      Labels{{"__name__", "node_cpu_seconds_total"}, {"cpu", "1"}, {"instance", "10.0.0.1:9100"}, {"mode", "idle"}}));
  EXPECT_FALSE(s->LabelsEqual(
      Labels{{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"instance", "10.0.0.1:9100"}, {"node", "idle"}}));
}

TEST(SeriesMutex, ExcludesUnderContention) {
  SeriesMutex mu;
  int64_t counter = 0;  // deliberately unsynchronized except by mu
  constexpr int kPerThread = 200000;
  auto work = [&] {
    for (int i = 0; i < kPerThread; ++i) {
      SeriesLock lock(&mu);
      ++counter;
    }
  };
  std::thread a(work), b(work), c(work);
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(counter, 3 * kPerThread);
}

TEST(SeriesTable, FindsEverySeriesAcrossGrowth) {
  std::vector<std::unique_ptr<MemSeries>> owned;
  SeriesTable<SeriesByRef> by_ref;
  SeriesTable<SeriesByHash> by_hash;
  EXPECT_EQ(by_ref.Find(1, [](const MemSeries&) { return true; }), nullptr);  // empty: no buckets yet
  constexpr int kSeries = 1000;
  // Refs stepping by 4096 share their low bits, as refs in one head stripe do.
  for (int i = 0; i < kSeries; ++i) {
    const SeriesRef ref = 1 + SeriesRef{4096} * static_cast<SeriesRef>(i);
    owned.push_back(NewTestSeries(ref, Labels{{"__name__", "t"}, {"i", std::to_string(i)}}));
    by_ref.Insert(owned.back().get(), ref);
    by_hash.Insert(owned.back().get(), owned.back()->labels().Hash());
  }
  EXPECT_EQ(by_ref.size(), static_cast<size_t>(kSeries));
  for (int i = 0; i < kSeries; ++i) {
    const SeriesRef ref = 1 + SeriesRef{4096} * static_cast<SeriesRef>(i);
    MemSeries* got = by_ref.Find(ref, [ref](const MemSeries& s) { return s.ref() == ref; });
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(got, owned[static_cast<size_t>(i)].get());
    const Labels l{{"__name__", "t"}, {"i", std::to_string(i)}};
    EXPECT_EQ(by_hash.Find(l.Hash(), [&l](const MemSeries& s) { return s.LabelsEqual(l); }), got);
  }
  EXPECT_EQ(by_ref.Find(2, [](const MemSeries& s) { return s.ref() == 2; }), nullptr);
  const Labels missing{{"__name__", "t"}, {"i", "x"}};
  EXPECT_EQ(by_hash.Find(missing.Hash(), [&](const MemSeries& s) { return s.LabelsEqual(missing); }), nullptr);
  size_t visited = 0;
  by_hash.ForEach([&](MemSeries*) { ++visited; });
  EXPECT_EQ(visited, static_cast<size_t>(kSeries));
}

// The tests are single-threaded: no lock is needed to read a chunk.
std::vector<Sample> ReadChunk(const MemSeries& s, const ChunkMeta& meta) NO_THREAD_SAFETY_ANALYSIS {
  std::string bytes;
  EXPECT_TRUE(s.CopyChunk(HeadChunkId(meta.ref), nullptr, &bytes));
  std::vector<Sample> out;
  XorIterator it(bytes);
  while (it.Next() == ValueType::kFloat) out.push_back(it.At());
  return out;
}

TEST(ChunkTiming, RangeEndAndComputeEnd) {
  EXPECT_EQ(ChunkRangeEnd(0, 7200000), 7200000);
  EXPECT_EQ(ChunkRangeEnd(7199999, 7200000), 7200000);
  EXPECT_EQ(ChunkRangeEnd(7200000, 7200000), 14400000);
  EXPECT_EQ(ChunkRangeEnd(std::numeric_limits<int64_t>::max() - 5, 7200000), std::numeric_limits<int64_t>::max());
  // 30 samples at 15s cover 435s of a 2h range: 4 chunks of 30 minutes.
  EXPECT_EQ(ComputeChunkEndTime(0, 435000, 7200000, 4), 1800000);
  // Sparse data: the estimate never exceeds the range end.
  EXPECT_EQ(ComputeChunkEndTime(0, 7000000, 7200000, 4), 7200000);
}

TEST(MemSeries, CheckSemantics) {
  auto owned = NewTestSeries(1, Labels{{"__name__", "x"}});
  MemSeries& s = *owned;
  SeriesLock lock(s.mu());
  EXPECT_EQ(s.Check(100, 1.0), MemSeries::AppendCheck::kOk);
  s.Append(100, 1.0, ChunkCutOptions{});
  EXPECT_EQ(s.Check(99, 1.0), MemSeries::AppendCheck::kOutOfOrder);
  EXPECT_EQ(s.Check(100, 2.0), MemSeries::AppendCheck::kDuplicate);
  EXPECT_EQ(s.Check(100, 1.0), MemSeries::AppendCheck::kSameSample);
  EXPECT_EQ(s.Check(101, 1.0), MemSeries::AppendCheck::kOk);
  s.Append(101, StaleNaN(), ChunkCutOptions{});
  EXPECT_EQ(s.Check(101, StaleNaN()), MemSeries::AppendCheck::kSameSample);
  EXPECT_EQ(s.Check(101, std::numeric_limits<double>::quiet_NaN()), MemSeries::AppendCheck::kDuplicate);
}

TEST(MemSeries, CutsEvery120SamplesAt15sInterval) {
  auto owned = NewTestSeries(7, Labels{{"__name__", "x"}});
  MemSeries& s = *owned;
  SeriesLock lock(s.mu());
  const int n = 4 * 120 * 3;  // 6 hours = three 2h ranges
  int cuts = 0;
  for (int i = 0; i < n; ++i) cuts += s.Append(int64_t{i} * 15000, i, ChunkCutOptions{}) ? 1 : 0;
  EXPECT_EQ(cuts, 12);
  ASSERT_EQ(s.NumChunks(), 12u);
  std::vector<ChunkMeta> metas;
  s.ChunkMetas(kMinTime, kMaxTime, &metas);
  ASSERT_EQ(metas.size(), 12u);
  int next = 0;
  for (const ChunkMeta& m : metas) {
    std::vector<Sample> got = ReadChunk(s, m);
    ASSERT_EQ(got.size(), 120u);
    EXPECT_EQ(m.min_time, got.front().t);
    EXPECT_EQ(m.max_time, got.back().t);
    for (const Sample& smp : got) {
      EXPECT_EQ(smp.t, int64_t{next} * 15000);
      EXPECT_EQ(smp.v, next);
      ++next;
    }
  }
  EXPECT_EQ(next, n);
}

TEST(MemSeries, CutsAtChunkRangeBoundary) {
  auto owned = NewTestSeries(1, Labels{{"a", "b"}});
  MemSeries& s = *owned;
  SeriesLock lock(s.mu());
  ChunkCutOptions opts;
  opts.chunk_range_ms = 1000;
  s.Append(990, 1, opts);
  EXPECT_FALSE(s.Append(995, 1, opts));
  EXPECT_TRUE(s.Append(1000, 1, opts));  // crosses into the next range
  EXPECT_EQ(s.NumChunks(), 2u);
}

TEST(MemSeries, CutsBeforeExceedingMaxBytes) {
  auto owned = NewTestSeries(1, Labels{{"a", "b"}});
  MemSeries& s = *owned;
  SeriesLock lock(s.mu());
  std::mt19937_64 rng(1);
  std::vector<Sample> in;
  for (int i = 0; i < 200; ++i) {
    in.push_back({i * 1000, std::bit_cast<double>(rng() >> 2)});
    s.Append(in.back().t, in.back().v, ChunkCutOptions{});
  }
  EXPECT_GT(s.NumChunks(), 1u);  // random values take ~9 bytes each
  std::vector<ChunkMeta> metas;
  s.ChunkMetas(kMinTime, kMaxTime, &metas);
  size_t i = 0;
  for (const ChunkMeta& m : metas) {
    std::string bytes;
    ASSERT_TRUE(s.CopyChunk(HeadChunkId(m.ref), nullptr, &bytes));
    EXPECT_LE(bytes.size(), kMaxBytesPerXorChunk);
    for (const Sample& got : ReadChunk(s, m)) {
      ASSERT_LT(i, in.size());
      EXPECT_EQ(std::bit_cast<uint64_t>(got.v), std::bit_cast<uint64_t>(in[i].v));
      ++i;
    }
  }
  EXPECT_EQ(i, in.size());
}

TEST(MemSeries, CutsAtTwiceTargetWhenRateIncreases) {
  auto owned = NewTestSeries(1, Labels{{"a", "b"}});
  MemSeries& s = *owned;
  SeriesLock lock(s.mu());
  // 30 slow samples set a far end estimate, then a burst of 1ms samples.
  int64_t t = 0;
  for (int i = 0; i < 30; ++i) s.Append(t += 60000, 1, ChunkCutOptions{});
  for (int i = 0; i < 300; ++i) s.Append(t += 1, 1, ChunkCutOptions{});
  std::vector<ChunkMeta> metas;
  s.ChunkMetas(kMinTime, kMaxTime, &metas);
  ASSERT_GE(metas.size(), 2u);
  EXPECT_EQ(ReadChunk(s, metas[0]).size(), 240u);
}

TEST(MemSeries, ChunkMetasFilterByRange) {
  auto owned = NewTestSeries(1, Labels{{"a", "b"}});
  MemSeries& s = *owned;
  SeriesLock lock(s.mu());
  ChunkCutOptions opts;
  opts.chunk_range_ms = 100;
  for (int64_t t = 0; t < 1000; t += 10) s.Append(t, 1, opts);  // 10 chunks
  std::vector<ChunkMeta> metas;
  s.ChunkMetas(250, 420, &metas);
  ASSERT_EQ(metas.size(), 3u);
  EXPECT_EQ(metas[0].min_time, 200);
  EXPECT_EQ(metas[2].max_time, 490);
}

}  // namespace
}  // namespace promethium::tsdb
