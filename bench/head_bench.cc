// Head append throughput: one "scrape" per iteration appends one sample to
// each of N series with cached refs and commits, as the scrape loop does.
// Also the first scrape (series creation) cost, and two threads appending to
// disjoint series sets of one head concurrently.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "tsdb/head/head.h"

namespace promethium::tsdb {
namespace {

std::vector<Labels> MakeSeries(int n, int shard) {
  std::vector<Labels> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    out.push_back(Labels{{"__name__", "http_requests_total"},
                         {"instance", "host-" + std::to_string(i % 100) + ":9100"},
                         {"job", "node"},
                         {"path", "/api/v1/item/" + std::to_string(i / 100)},
                         {"shard", std::to_string(shard)}});
  }
  return out;
}

void BM_HeadAppendScrape(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Head head(HeadOptions{}, nullptr);
  const std::vector<Labels> series = MakeSeries(n, 0);
  std::vector<SeriesRef> refs(series.size(), 0);
  int64_t t = 0;
  for (auto _ : state) {
    t += 15000;
    auto app = head.NewAppender();
    for (size_t i = 0; i < series.size(); ++i) {
      auto r = app->Append(refs[i], series[i], t, static_cast<double>(t + static_cast<int64_t>(i)));
      if (r.ok()) refs[i] = *r;
    }
    benchmark::DoNotOptimize(app->Commit());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
  state.counters["chunks"] = static_cast<double>(head.NumChunks());
}

void BM_HeadCreateSeries(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::vector<Labels> series = MakeSeries(n, 0);
  for (auto _ : state) {
    state.PauseTiming();
    auto head = std::make_unique<Head>(HeadOptions{}, nullptr);
    state.ResumeTiming();
    auto app = head->NewAppender();
    for (const Labels& l : series) benchmark::DoNotOptimize(app->Append(0, l, 1000, 1));
    benchmark::DoNotOptimize(app->Commit());
    state.PauseTiming();
    head.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}

Head* g_shared_head = nullptr;

void BM_HeadAppendParallel(benchmark::State& state) {
  if (state.thread_index() == 0) g_shared_head = new Head(HeadOptions{}, nullptr);
  // Google Benchmark synchronizes threads before and after the timed loop.
  const int n = static_cast<int>(state.range(0));
  std::vector<Labels> series;
  std::vector<SeriesRef> refs;
  int64_t t = 0;
  for (auto _ : state) {
    if (series.empty()) {
      state.PauseTiming();
      series = MakeSeries(n, state.thread_index());
      refs.assign(series.size(), 0);
      state.ResumeTiming();
    }
    t += 15000;
    auto app = g_shared_head->NewAppender();
    for (size_t i = 0; i < series.size(); ++i) {
      auto r = app->Append(refs[i], series[i], t, 1.0);
      if (r.ok()) refs[i] = *r;
    }
    benchmark::DoNotOptimize(app->Commit());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
  if (state.thread_index() == 0) {
    delete g_shared_head;
    g_shared_head = nullptr;
  }
}

BENCHMARK(BM_HeadAppendScrape)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HeadCreateSeries)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HeadAppendParallel)->Arg(10000)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace promethium::tsdb
