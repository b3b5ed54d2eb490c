// PromQL parser throughput: parse (lex + parse + type check) and print of
// typical dashboard queries; time per query.
#include <benchmark/benchmark.h>

#include <string>

#include "promql/parser/parser.h"

namespace {

using promethium::promql::ParseExpr;
using promethium::promql::ToString;

const char* const kQueries[] = {
    "up",
    "rate(http_requests_total{job=\"api\",code=~\"5..\"}[5m])",
    "sum by (job, instance) (rate(http_requests_total[5m])) / on (job) group_left sum by (job) (up)",
    "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{handler!=\"/metrics\"}[5m])))",
    "max_over_time(deriv(node_memory_MemAvailable_bytes[1h:1m])[1d:5m] offset 1w) > bool 0 or vector(0)",
};

void BM_ParseExpr(benchmark::State& state) {
  const char* q = kQueries[state.range(0)];
  for (auto _ : state) {
    auto e = ParseExpr(q);
    benchmark::DoNotOptimize(e);
  }
  state.SetLabel(std::to_string(std::string(q).size()) + " bytes");
}
BENCHMARK(BM_ParseExpr)->DenseRange(0, 4);

void BM_ToString(benchmark::State& state) {
  auto e = ParseExpr(kQueries[state.range(0)]);
  for (auto _ : state) {
    std::string s = ToString(**e);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_ToString)->DenseRange(0, 4);

}  // namespace
