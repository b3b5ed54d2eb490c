// The PromQL parser: text -> AST, with Prometheus's error messages and
// positions ("1:14: parse error: unexpected right parenthesis ')'").
//
// It covers the whole Prometheus 3.x grammar; whether an expression can be
// evaluated is the engine's business. It depends only on tsdb_api (for label
// matchers), never on the engine.
// Thread-safety: functions here are reentrant; parse from any thread.
#pragma once

#include <string_view>

#include "promql/parser/ast.h"
#include "tsdb/api/matcher.h"
#include "tsdb/base/result.h"

namespace promethium::promql {

struct ParseOptions {
  bool enable_experimental_functions = false;  // double_exponential_smoothing, ...
  bool enable_limit_aggregations = false;      // limitk, limit_ratio (promql-experimental-functions in 3.x)
};

// Parses a full expression. On error the Status is InvalidArgument and its
// message is Prometheus's: "<line>:<col>: parse error: <what>".
Result<ExprPtr> ParseExpr(std::string_view input, const ParseOptions& opts = {});

// Parses a series selector like `up{job="x"}` or `{__name__=~"a.*"}` (the
// API's match[] parameter). Fails on anything that is not a plain vector
// selector, and on selectors whose every matcher matches the empty string.
// The all-empty case fails with Prometheus's API message, "match[] must
// contain at least one non-empty matcher" (no position).
Result<Matchers> ParseMetricSelector(std::string_view input);

// Parses a PromQL duration literal ("5m", "1h30m"); same rules as in queries.
Result<int64_t> ParsePromQLDuration(std::string_view input);

}  // namespace promethium::promql
