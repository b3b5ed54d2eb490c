// XOR chunk encode/decode cost on realistic scrape data: 15 s interval with
// millisecond jitter, for counters (monotonic, integer increments) and
// gauges (random walk with limited precision), plus a constant series.
// Reports time per sample and bytes per sample.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "tsdb/chunkenc/xor_chunk.h"

namespace promethium::tsdb {
namespace {

enum class Kind { kConstant, kCounter, kGauge };

std::vector<Sample> MakeSamples(Kind kind, int n) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> jitter(-25, 25);
  std::vector<Sample> out;
  int64_t t = 1700000000000;
  double v = kind == Kind::kGauge ? 0.5 : 1000;
  for (int i = 0; i < n; ++i) {
    t += 15000 + jitter(rng);
    switch (kind) {
      case Kind::kConstant: break;
      case Kind::kCounter: v += static_cast<double>(rng() % 200); break;
      case Kind::kGauge: v = std::round((v + std::normal_distribution<double>(0, 0.05)(rng)) * 1000) / 1000; break;
    }
    out.push_back({t, v});
  }
  return out;
}

constexpr int kSamplesPerChunk = 120;

void BM_XorEncode(benchmark::State& state) {
  const std::vector<Sample> samples = MakeSamples(static_cast<Kind>(state.range(0)), kSamplesPerChunk);
  size_t bytes = 0;
  for (auto _ : state) {
    XorChunk chunk;
    XorAppender app(&chunk);
    for (const Sample& s : samples) app.Append(s.t, s.v);
    bytes = chunk.SizeBytes();
    benchmark::DoNotOptimize(chunk.Bytes().data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kSamplesPerChunk);
  state.counters["ns_per_sample"] =
      benchmark::Counter(static_cast<double>(kSamplesPerChunk),
                         benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_sample"] = static_cast<double>(bytes) / kSamplesPerChunk;
}

void BM_XorDecode(benchmark::State& state) {
  const std::vector<Sample> samples = MakeSamples(static_cast<Kind>(state.range(0)), kSamplesPerChunk);
  XorChunk chunk;
  XorAppender app(&chunk);
  for (const Sample& s : samples) app.Append(s.t, s.v);
  XorIterator it;
  for (auto _ : state) {
    it.Reset(chunk.Bytes());
    double sum = 0;
    while (it.Next() == ValueType::kFloat) sum += it.At().v;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kSamplesPerChunk);
  state.counters["ns_per_sample"] =
      benchmark::Counter(static_cast<double>(kSamplesPerChunk),
                         benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_sample"] = static_cast<double>(chunk.SizeBytes()) / kSamplesPerChunk;
}

// Arg: 0 constant, 1 counter, 2 gauge.
BENCHMARK(BM_XorEncode)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_XorDecode)->Arg(0)->Arg(1)->Arg(2);

}  // namespace
}  // namespace promethium::tsdb
