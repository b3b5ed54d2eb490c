#include "tsdb/head/mem_series.h"

#include <gtest/gtest.h>

#include <bit>
#include <limits>
#include <random>

namespace promethium::tsdb {
namespace {

std::vector<Sample> ReadChunk(const MemSeries& s, const ChunkMeta& meta) {
  std::string bytes;
  EXPECT_TRUE(s.CopyChunk(HeadChunkId(meta.ref), &bytes));
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
  MemSeries s(1, Labels{{"__name__", "x"}});
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
  MemSeries s(7, Labels{{"__name__", "x"}});
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
  MemSeries s(1, Labels{{"a", "b"}});
  SeriesLock lock(s.mu());
  ChunkCutOptions opts;
  opts.chunk_range_ms = 1000;
  s.Append(990, 1, opts);
  EXPECT_FALSE(s.Append(995, 1, opts));
  EXPECT_TRUE(s.Append(1000, 1, opts));  // crosses into the next range
  EXPECT_EQ(s.NumChunks(), 2u);
}

TEST(MemSeries, CutsBeforeExceedingMaxBytes) {
  MemSeries s(1, Labels{{"a", "b"}});
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
    ASSERT_TRUE(s.CopyChunk(HeadChunkId(m.ref), &bytes));
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
  MemSeries s(1, Labels{{"a", "b"}});
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
  MemSeries s(1, Labels{{"a", "b"}});
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
