// Exemplar storage: ns per stored exemplar when every series of a scrape
// carries one (the ring full, so each add also evicts), and the cost of
// selecting one series' exemplars out of a full 100k ring by matchers.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "tsdb/exemplar/circular_exemplar_storage.h"

namespace promethium::tsdb {
namespace {

std::vector<Labels> MakeSeries(int n) {
  std::vector<Labels> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    out.push_back(Labels{{"__name__", "http_request_duration_seconds_bucket"},
                         {"instance", "host-" + std::to_string(i % 100) + ":8080"},
                         {"job", "api"},
                         {"le", std::to_string(i / 100)}});
  }
  return out;
}

void BM_ExemplarAdd(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  CircularExemplarStorage storage(100000, nullptr);
  const std::vector<Labels> series = MakeSeries(n);
  const Labels trace{{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}};
  int64_t t = 0;
  for (auto _ : state) {
    t += 15000;
    for (const Labels& s : series) benchmark::DoNotOptimize(storage.Add(s, Exemplar{trace, 0.25, t}));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}
BENCHMARK(BM_ExemplarAdd)->Arg(1000)->Arg(10000);

void BM_ExemplarSelectOneSeries(benchmark::State& state) {
  CircularExemplarStorage storage(100000, nullptr);
  const std::vector<Labels> series = MakeSeries(10000);
  const Labels trace{{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}};
  for (int64_t t = 1; t <= 10; ++t) {
    for (const Labels& s : series) (void)storage.Add(s, Exemplar{trace, 0.25, t * 15000});
  }
  std::vector<Matchers> selectors = {{Matcher::Make(MatchType::kEqual, "instance", "host-7:8080").value(),
                                      Matcher::Make(MatchType::kEqual, "le", "42").value()}};
  for (auto _ : state) benchmark::DoNotOptimize(storage.SelectExemplars(0, 1000000, selectors));
}
BENCHMARK(BM_ExemplarSelectOneSeries);

}  // namespace
}  // namespace promethium::tsdb
