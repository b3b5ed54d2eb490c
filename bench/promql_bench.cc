// PromQL engine range-query benchmarks over an in-memory Queryable:
// rate, sum by and a - b across 10/100/1000 series of 10s-interval data.
// Reports time per query and per evaluation step (time_per_step).
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>

#include "promql/engine/engine.h"
#include "tests/promqltest/memory_storage.h"

namespace {

using promethium::Labels;
using promethium::promql::Engine;
using promethium::promql::EngineOptions;
using promethium::promqltest::MemoryStorage;

constexpr int64_t kInterval = 10'000;      // 10s scrape interval
constexpr int64_t kSpan = 3 * 3600'000;    // 3h of data
constexpr int64_t kQueryStart = 3600'000;  // query the last 2h
constexpr int64_t kStep = 15'000;

MemoryStorage* Storage(int series) {
  static std::map<int, std::unique_ptr<MemoryStorage>> cache;
  auto& s = cache[series];
  if (s) return s.get();
  s = std::make_unique<MemoryStorage>();
  for (int i = 0; i < series; ++i) {
    std::string inst = std::to_string(i);
    std::string job = "job" + std::to_string(i % 10);
    Labels a{{"__name__", "http_requests_total"}, {"instance", inst}, {"job", job}};
    Labels b{{"__name__", "http_errors_total"}, {"instance", inst}, {"job", job}};
    for (int64_t t = 0; t <= kSpan; t += kInterval) {
      s->Add(a, t, static_cast<double>(t / kInterval * (i + 1)));
      s->Add(b, t, static_cast<double>(t / kInterval));
    }
  }
  return s.get();
}

void RunRange(benchmark::State& state, const char* query) {
  MemoryStorage* storage = Storage(static_cast<int>(state.range(0)));
  Engine engine(EngineOptions{});
  const int64_t steps = (kSpan - kQueryStart) / kStep + 1;
  for (auto _ : state) {
    auto r = engine.RangeQuery(*storage, query, kQueryStart, kSpan, kStep);
    if (!r.ok()) {
      state.SkipWithError(r.error.c_str());
      return;
    }
    benchmark::DoNotOptimize(r.value);
  }
  state.counters["time_per_step"] = benchmark::Counter(
      static_cast<double>(steps), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Rate(benchmark::State& state) { RunRange(state, "rate(http_requests_total[5m])"); }
void BM_SumBy(benchmark::State& state) { RunRange(state, "sum by (job) (http_requests_total)"); }
void BM_SumByRate(benchmark::State& state) { RunRange(state, "sum by (job) (rate(http_requests_total[5m]))"); }
void BM_Subtract(benchmark::State& state) { RunRange(state, "http_requests_total - http_errors_total"); }

BENCHMARK(BM_Rate)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SumBy)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SumByRate)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Subtract)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
