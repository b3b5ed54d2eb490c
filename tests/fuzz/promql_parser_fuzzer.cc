// Fuzz target: the PromQL parser (promql/parser). Each input is parsed as an
// expression with every feature flag on, then printed (ToString and
// PrettyPrint); the printed form must parse again, as the API's
// /format_query and rule files rely on. The input is also tried
// as a series selector (match[]) and as a duration literal.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promql/parser/parser.h"
#include "promql/parser/pretty.h"

namespace {

// Aborts (a finding) with both texts when the printed form does not parse.
void CheckRoundTrip(std::string_view input, const promethium::promql::ParseOptions& opts) {
  auto first = promethium::promql::ParseExpr(input, opts);
  if (!first.ok()) return;
  std::string printed = promethium::promql::ToString(**first);
  std::string pretty = promethium::promql::PrettyPrint(**first);
  auto second = promethium::promql::ParseExpr(printed, opts);
  if (!second.ok()) {
    std::fprintf(stderr, "printed form does not parse\ninput:   %.*s\nprinted: %s\nerror:   %s\n",
                 static_cast<int>(input.size()), input.data(), printed.c_str(), second.status().message().c_str());
    std::abort();
  }
  // The printed form need not be a fixed point: as in Prometheus, `inf ^ x`
  // prints as `+Inf ^ x`, which parses as unary plus over `Inf ^ x` and
  // prints as `++Inf ^ x` (docs/FUZZING.md, "Observations"). Same value.
  (void)promethium::promql::ToString(**second);
  (void)pretty;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // long inputs only slow the search down
  std::string_view input(reinterpret_cast<const char*>(data), size);
  promethium::promql::ParseOptions all;
  all.enable_experimental_functions = true;
  all.enable_limit_aggregations = true;
  CheckRoundTrip(input, all);
  (void)promethium::promql::ParseExpr(input);  // default flags: other error paths
  (void)promethium::promql::ParseMetricSelector(input);
  (void)promethium::promql::ParsePromQLDuration(input);
  return 0;
}
