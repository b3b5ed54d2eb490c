// Persisted blocks: bytes per sample on disk (chunks with and without zstd,
// per zstd level and group size, plus the index), block write throughput,
// query throughput over a block, and postings intersection from the block
// index. Data: 2 h of 15 s scrapes with ms jitter for 1500 series: counters,
// gauges (limited precision random walk) and histogram buckets.
//
// Run: build/bench/block_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <zstd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "tsdb/block/block.h"
#include "tsdb/block/compactor.h"
#include "tsdb/head/head.h"
#include "tsdb/index/postings_for_matchers.h"

namespace promethium::tsdb {
namespace {

namespace fs = std::filesystem;

constexpr int kSeries = 1500;
constexpr int kSamples = 480;  // 2 h at 15 s
constexpr int64_t kStep = 15000;
constexpr int kBuckets = 10;

Head* BenchHead() {
  static Head* head = [] {
    auto* h = new Head(HeadOptions{}, nullptr);
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<int> jitter(-30, 30);
    std::vector<Labels> labels;
    std::vector<double> values(kSeries, 0);
    for (int i = 0; i < kSeries; ++i) {
      const std::string inst = "10.0." + std::to_string(i / 50) + "." + std::to_string(i % 50) + ":9100";
      const std::string job = "job" + std::to_string(i % 5);
      switch (i % 3) {
        case 0:
          labels.push_back(Labels{{"__name__", "http_requests_total"},
                                  {"job", job},
                                  {"instance", inst},
                                  {"handler", "/api/" + std::to_string(i % 20)}});
          break;
        case 1:
          labels.push_back(Labels{{"__name__", "process_resident_memory_bytes"}, {"job", job}, {"instance", inst}});
          values[i] = 2e8 + static_cast<double>(i) * 1e5;
          break;
        default:
          labels.push_back(Labels{{"__name__", "http_request_duration_seconds_bucket"},
                                  {"job", job},
                                  {"instance", inst},
                                  {"le", std::to_string(0.005 * (1 << (i % kBuckets)))}});
      }
    }
    for (int s = 0; s < kSamples; ++s) {
      auto app = h->NewAppender();
      double bucket_base = 0;
      for (int i = 0; i < kSeries; ++i) {
        const int64_t t = 1700000000000 + s * kStep + jitter(rng);
        switch (i % 3) {
          case 0:  // request counters: idle 40% of scrapes, small increments otherwise
            if (rng() % 10 >= 4) values[i] += static_cast<double>(rng() % 30);
            break;
          case 1:  // memory gauges move in pages
            values[i] += 4096.0 * static_cast<double>(static_cast<int64_t>(rng() % 64) - 32);
            break;
          default:  // cumulative buckets: each le adds a share of the requests
            if (i % kBuckets == 2) bucket_base = static_cast<double>(rng() % 20);
            values[i] += std::floor(bucket_base * static_cast<double>(i % kBuckets) / kBuckets);
        }
        (void)app->Append(0, labels[i], t, values[i]);
      }
      (void)app->Commit();
    }
    return h;
  }();
  return head;
}

uint64_t DirBytes(const std::string& dir, const std::string& sub) {
  uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir + sub)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

std::string BenchDir() {
  std::string dir = (fs::temp_directory_path() / "block_bench").string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Result<BlockMeta> WriteHeadBlock(const std::string& dir, const BlockWriteOptions& opts) {
  auto ix = BenchHead()->NewIndexReader();
  auto cr = BenchHead()->NewChunkReader();
  BlockSource src{ix.get(), cr.get()};
  return WriteBlock(Env::Default(), dir, std::span(&src, 1), INT64_MIN / 2, INT64_MAX / 2, BlockCompaction{}, opts);
}

// Writes the bench head as a block with `opts` until the benchmark stops;
// reports bytes/sample of chunks, of the index and in total, and write
// throughput (samples/s).
void RunBlockWrite(benchmark::State& state, const BlockWriteOptions& opts) {
  BenchHead();
  const std::string dir = BenchDir();
  BlockMeta meta;
  for (auto _ : state) {
    state.PauseTiming();
    if (!meta.ulid.empty()) fs::remove_all(dir + "/" + meta.ulid);  // keep only the last block
    state.ResumeTiming();
    auto m = WriteHeadBlock(dir, opts);
    if (!m.ok()) {
      state.SkipWithError(m.status().ToString().c_str());
      return;
    }
    meta = *m;
  }
  const std::string bdir = dir + "/" + meta.ulid;
  const double samples = static_cast<double>(meta.stats.num_samples);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(meta.stats.num_samples));
  state.counters["chunk_bytes_per_sample"] = static_cast<double>(DirBytes(bdir, "/chunks")) / samples;
  state.counters["index_bytes_per_sample"] = static_cast<double>(fs::file_size(bdir + "/index")) / samples;
  state.counters["total_bytes_per_sample"] = static_cast<double>(DirBytes(bdir, "")) / samples;
  fs::remove_all(dir);
}

// Args: zstd level (0 = none), group target KiB.
void BM_BlockWrite(benchmark::State& state) {
  BlockWriteOptions opts;
  opts.chunks.zstd_level = static_cast<int>(state.range(0));
  opts.chunks.group_target_bytes = static_cast<size_t>(state.range(1)) << 10;
  RunBlockWrite(state, opts);
}
BENCHMARK(BM_BlockWrite)
    ->ArgNames({"zstd_level", "group_kib"})
    ->Args({0, 32})
    ->Args({1, 16})
    ->Args({1, 32})
    ->Args({1, 64})
    ->Args({3, 16})
    ->Args({3, 32})
    ->Args({3, 64})
    ->Args({6, 32})
    ->Args({9, 32})
    ->Unit(benchmark::kMillisecond);

// The same head written in Prometheus's format (--storage.tsdb.block-format=
// prometheus): uncompressed XOR chunks and index v2, for the bytes/sample
// comparison in docs/BENCHMARKS.md.
void BM_BlockWritePrometheusFormat(benchmark::State& state) {
  BlockWriteOptions opts;
  opts.format = BlockFormat::kPrometheus;
  RunBlockWrite(state, opts);
}
BENCHMARK(BM_BlockWritePrometheusFormat)->Unit(benchmark::kMillisecond);

std::shared_ptr<Block> OpenBenchBlock(int level, const std::string& dir) {
  BlockWriteOptions opts;
  opts.chunks.zstd_level = level;
  auto meta = WriteHeadBlock(dir, opts);
  if (!meta.ok()) return nullptr;
  auto b = Block::Open(Env::Default(), dir + "/" + meta->ulid);
  return b.ok() ? *b : nullptr;
}

Matcher M(MatchType t, std::string n, std::string v) { return *Matcher::Make(t, n, v); }

// Reads every sample the selector matches in the block; returns how many.
int64_t CountSamples(Block* block, const Matchers& ms) {
  auto q = block->NewQuerier(INT64_MIN, INT64_MAX);
  auto set = q->Select(false, nullptr, ms);
  int64_t n = 0;
  while (set->Next()) {
    auto it = set->At().Iterator(nullptr);
    while (it->Next() != ValueType::kNone) ++n;
  }
  return n;
}

// Arg 0: zstd level. Reads every sample of every series (samples/s), and a
// selective query (one job, one metric).
void BM_BlockQueryAll(benchmark::State& state) {
  const std::string dir = BenchDir();
  auto block = OpenBenchBlock(static_cast<int>(state.range(0)), dir);
  int64_t n = 0;
  for (auto _ : state) n += CountSamples(block.get(), {M(MatchType::kRegexMatch, "__name__", ".+")});
  state.SetItemsProcessed(n);
  block.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_BlockQueryAll)->ArgName("zstd_level")->Arg(0)->Arg(3)->Unit(benchmark::kMillisecond);

void BM_BlockQuerySelective(benchmark::State& state) {
  const std::string dir = BenchDir();
  auto block = OpenBenchBlock(3, dir);
  const Matchers ms = {M(MatchType::kEqual, "__name__", "http_requests_total"), M(MatchType::kEqual, "job", "job1")};
  int64_t n = 0;
  for (auto _ : state) n += CountSamples(block.get(), ms);
  state.SetItemsProcessed(n);
  block.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_BlockQuerySelective)->Unit(benchmark::kMicrosecond);

// Postings for {__name__="http_request_duration_seconds_bucket", job="job2",
// instance=~"10.0.1.*"} from the block index (no chunk reads).
void BM_BlockPostingsIntersect(benchmark::State& state) {
  const std::string dir = BenchDir();
  auto block = OpenBenchBlock(3, dir);
  const Matchers ms = {M(MatchType::kEqual, "__name__", "http_request_duration_seconds_bucket"),
                       M(MatchType::kEqual, "job", "job2"), M(MatchType::kRegexMatch, "instance", "10\\.0\\.1\\..*")};
  auto ix = block->NewIndexReader();
  size_t n = 0;
  for (auto _ : state) {
    auto p = PostingsForMatchers(ix.get(), ms);
    n = ExpandPostings(p->get()).size();
    benchmark::DoNotOptimize(n);
  }
  state.counters["series"] = static_cast<double>(n);
  ix.reset();
  block.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_BlockPostingsIntersect)->Unit(benchmark::kMicrosecond);

// How much zstd would save on the index: the whole file compressed as one
// frame (an upper bound for compressing the series section).
void BM_IndexZstdBound(benchmark::State& state) {
  const std::string dir = BenchDir();
  auto block = OpenBenchBlock(3, dir);
  std::ifstream in(block->dir() + "/index", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string index = ss.str();
  std::string out(ZSTD_compressBound(index.size()), '\0');
  size_t n = 0;
  for (auto _ : state) {
    n = ZSTD_compress(out.data(), out.size(), index.data(), index.size(), static_cast<int>(state.range(0)));
  }
  const double samples = static_cast<double>(block->meta().stats.num_samples);
  state.counters["index_bytes_per_sample"] = static_cast<double>(index.size()) / samples;
  state.counters["index_zstd_bytes_per_sample"] = static_cast<double>(n) / samples;
  block.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_IndexZstdBound)->ArgName("zstd_level")->Arg(3)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace promethium::tsdb
