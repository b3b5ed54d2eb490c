// web: rendering query results as Prometheus API JSON (bytes/s).
#include <benchmark/benchmark.h>

#include "promql/engine/value.h"
#include "web/value_json.h"

namespace promethium::web {
namespace {

promql::Matrix MakeMatrix(int series, int points) {
  promql::Matrix m;
  for (int s = 0; s < series; ++s) {
    promql::MatrixSeries ms;
    ms.metric = Labels{{"__name__", "http_requests_total"}, {"job", "api"}, {"instance", "host-" + std::to_string(s)}};
    for (int p = 0; p < points; ++p) ms.points.push_back({1700000000000 + p * 15000, p * 1.25 + s});
    m.push_back(std::move(ms));
  }
  return m;
}

void BM_RenderMatrix(benchmark::State& state) {
  promql::Value v = MakeMatrix(static_cast<int>(state.range(0)), 100);
  size_t bytes = 0;
  for (auto _ : state) {
    JsonWriter w;
    WriteQueryData(&w, v, nullptr);
    bytes = w.str().size();
    benchmark::DoNotOptimize(w.str().data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_RenderMatrix)->Arg(10)->Arg(1000);

}  // namespace
}  // namespace promethium::web
