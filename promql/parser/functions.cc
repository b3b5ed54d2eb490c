// The function table, as Prometheus 3.x's parser.Functions. Functions
// Prometheus marks experimental need ParseOptions::enable_experimental_functions.
// Also the functions Prometheus's main branch is developing (start, end,
// range, step, min_of, max_of, histogram_quantiles, start_timestamp), all
// experimental, since the shared conformance tests use them.
#include "promql/parser/functions.h"

#include <algorithm>

namespace promethium::promql {

namespace {

std::vector<FunctionInfo> NumberFunctions(std::vector<FunctionInfo> table) {
  for (size_t i = 0; i < table.size(); ++i) table[i].id = static_cast<int>(i);
  return table;
}

}  // namespace

const std::vector<FunctionInfo>& AllFunctions() {
  // Sorted by name; LookupFunction binary-searches it.
  static const std::vector<FunctionInfo> kFunctions = NumberFunctions({
      {"abs", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"absent", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"absent_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"acos", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"acosh", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"asin", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"asinh", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"atan", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"atanh", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"avg_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"ceil", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"changes", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"clamp", {ExprType::kVector, ExprType::kScalar, ExprType::kScalar}, 0, ExprType::kVector, false},
      {"clamp_max", {ExprType::kVector, ExprType::kScalar}, 0, ExprType::kVector, false},
      {"clamp_min", {ExprType::kVector, ExprType::kScalar}, 0, ExprType::kVector, false},
      {"cos", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"cosh", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"count_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"day_of_month", {ExprType::kVector}, 1, ExprType::kVector, false},
      {"day_of_week", {ExprType::kVector}, 1, ExprType::kVector, false},
      {"day_of_year", {ExprType::kVector}, 1, ExprType::kVector, false},
      {"days_in_month", {ExprType::kVector}, 1, ExprType::kVector, false},
      {"deg", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"delta", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"deriv", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"double_exponential_smoothing",
       {ExprType::kMatrix, ExprType::kScalar, ExprType::kScalar},
       0,
       ExprType::kVector,
       true},
      {"end", {}, 0, ExprType::kScalar, true},
      {"exp", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"first_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"floor", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"histogram_avg", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"histogram_count", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"histogram_fraction", {ExprType::kScalar, ExprType::kScalar, ExprType::kVector}, 0, ExprType::kVector, false},
      {"histogram_quantile", {ExprType::kScalar, ExprType::kVector}, 0, ExprType::kVector, false},
      {"histogram_quantiles",
       {ExprType::kVector, ExprType::kString, ExprType::kScalar, ExprType::kScalar},
       9,
       ExprType::kVector,
       true},
      {"histogram_stddev", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"histogram_stdvar", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"histogram_sum", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"hour", {ExprType::kVector}, 1, ExprType::kVector, false},
      {"idelta", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"increase", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"info", {ExprType::kVector, ExprType::kVector}, 1, ExprType::kVector, true},
      {"irate", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"label_join",
       {ExprType::kVector, ExprType::kString, ExprType::kString, ExprType::kString},
       -1,
       ExprType::kVector,
       false},
      {"label_replace",
       {ExprType::kVector, ExprType::kString, ExprType::kString, ExprType::kString, ExprType::kString},
       0,
       ExprType::kVector,
       false},
      {"last_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"ln", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"log10", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"log2", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"mad_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, true},
      {"max_of", {ExprType::kScalar, ExprType::kScalar}, 0, ExprType::kScalar, true},
      {"max_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"min_of", {ExprType::kScalar, ExprType::kScalar}, 0, ExprType::kScalar, true},
      {"min_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"minute", {ExprType::kVector}, 1, ExprType::kVector, false},
      {"month", {ExprType::kVector}, 1, ExprType::kVector, false},
      {"pi", {}, 0, ExprType::kScalar, false},
      {"predict_linear", {ExprType::kMatrix, ExprType::kScalar}, 0, ExprType::kVector, false},
      {"present_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"quantile_over_time", {ExprType::kScalar, ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"rad", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"range", {}, 0, ExprType::kScalar, true},
      {"rate", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"resets", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"round", {ExprType::kVector, ExprType::kScalar}, 1, ExprType::kVector, false},
      {"scalar", {ExprType::kVector}, 0, ExprType::kScalar, false},
      {"sgn", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"sin", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"sinh", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"sort", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"sort_by_label", {ExprType::kVector, ExprType::kString}, -1, ExprType::kVector, true},
      {"sort_by_label_desc", {ExprType::kVector, ExprType::kString}, -1, ExprType::kVector, true},
      {"sort_desc", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"sqrt", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"start", {}, 0, ExprType::kScalar, true},
      {"start_timestamp", {ExprType::kVector}, 0, ExprType::kVector, true},
      {"stddev_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"stdvar_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"step", {}, 0, ExprType::kScalar, true},
      {"sum_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, false},
      {"tan", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"tanh", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"time", {}, 0, ExprType::kScalar, false},
      {"timestamp", {ExprType::kVector}, 0, ExprType::kVector, false},
      {"ts_of_first_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, true},
      {"ts_of_last_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, true},
      {"ts_of_max_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, true},
      {"ts_of_min_over_time", {ExprType::kMatrix}, 0, ExprType::kVector, true},
      {"vector", {ExprType::kScalar}, 0, ExprType::kVector, false},
      {"year", {ExprType::kVector}, 1, ExprType::kVector, false},
  });
  return kFunctions;
}

const FunctionInfo* LookupFunction(std::string_view name) {
  const auto& all = AllFunctions();
  auto it = std::lower_bound(all.begin(), all.end(), name,
                             [](const FunctionInfo& f, std::string_view n) { return f.name < n; });
  if (it == all.end() || it->name != name) return nullptr;
  return &*it;
}

}  // namespace promethium::promql
