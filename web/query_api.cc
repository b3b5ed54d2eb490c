// /api/v1/query, /api/v1/query_range and /api/v1/query_exemplars, with the
// parameter rules and error texts of Prometheus's web/api/v1/api.go.
#include <algorithm>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "promql/engine/engine.h"
#include "promql/parser/parser.h"
#include "promql/parser/walk.h"
#include "tsdb/api/labels.h"
#include "tsdb/api/storage.h"
#include "web/api_endpoints.h"
#include "web/api_params.h"
#include "web/json_writer.h"
#include "web/value_json.h"

namespace promethium::web {

namespace {

// The query_exemplars answer: [{"seriesLabels":{..},"exemplars":[{"labels":
// {..},"value":"1.5","timestamp":1600000000.123}]}], as Prometheus.
std::string ExemplarsJson(const std::vector<ExemplarSeries>& result) {
  JsonWriter w;
  w.BeginArray();
  for (const ExemplarSeries& s : result) {
    w.BeginObject();
    w.Key("seriesLabels");
    w.LabelsObject(s.series_labels);
    w.Key("exemplars");
    w.BeginArray();
    for (const Exemplar& e : s.exemplars) {
      w.BeginObject();
      w.Key("labels");
      w.LabelsObject(e.labels);
      w.Key("value");
      w.SampleValue(e.value);
      w.Key("timestamp");
      w.Timestamp(e.ts);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  return w.Take();
}

constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr int64_t kMaxPointsPerSeries = 11'000;

ApiErrorType ToApiErrorType(promql::QueryErrorType type) {
  switch (type) {
    case promql::QueryErrorType::kNone: return ApiErrorType::kNone;
    case promql::QueryErrorType::kBadData: return ApiErrorType::kBadData;
    case promql::QueryErrorType::kExecution: return ApiErrorType::kExecution;
    case promql::QueryErrorType::kTimeout: return ApiErrorType::kTimeout;
    case promql::QueryErrorType::kCanceled: return ApiErrorType::kCanceled;
    case promql::QueryErrorType::kInternal: return ApiErrorType::kInternal;
  }
  return ApiErrorType::kInternal;
}

// Milliseconds for a nanosecond duration, rounding sub-millisecond positive
// values up so that a tiny timeout still means "a timeout".
int64_t NanosToMillisCeil(int64_t ns) { return ns <= 0 ? 0 : (ns + kNanosPerMilli - 1) / kNanosPerMilli; }

// The options shared by query and query_range: timeout and lookback_delta.
// On error, fills *error and returns false.
bool ParseQueryOptions(const ApiCall& call, promql::QueryOptions* opts, ApiResult* error) {
  opts->canceled = call.canceled;
  std::string timeout = call.form.Get("timeout");
  if (!timeout.empty()) {
    Result<int64_t> ns = ParseApiDuration(timeout);
    if (!ns.ok()) {
      *error = ApiResult::InvalidParam("timeout", ns.status().message());
      return false;
    }
    // A zero or negative timeout means "already expired" in Go; 1ms is the
    // smallest deadline the engine can express.
    opts->timeout = std::chrono::milliseconds(std::max<int64_t>(1, NanosToMillisCeil(*ns)));
  }
  std::string lookback = call.form.Get("lookback_delta");
  if (!lookback.empty()) {
    Result<int64_t> ns = ParseApiDuration(lookback);
    if (!ns.ok()) {
      *error =
          ApiResult::Error(ApiErrorType::kBadData, "error parsing lookback delta duration: " + ns.status().message());
      return false;
    }
    opts->lookback_delta_ms = *ns / kNanosPerMilli;
  }
  return true;
}

// Truncates vectors and matrices to `limit` elements (0: no limit).
bool TruncateToLimit(promql::Value* value, int64_t limit) {
  if (limit <= 0) return false;
  auto truncate = [limit](auto& list) {
    if (static_cast<int64_t>(list.size()) <= limit) return false;
    list.resize(static_cast<size_t>(limit));
    return true;
  };
  if (auto* vec = std::get_if<promql::Vector>(value)) return truncate(*vec);
  if (auto* matrix = std::get_if<promql::Matrix>(value)) return truncate(*matrix);
  return false;
}

ApiResult RenderQueryResult(promql::QueryResult result, const ApiCall& call, int64_t limit) {
  if (!result.ok()) {
    ApiErrorType type = ToApiErrorType(result.error_type);
    // Prometheus reports errors found while preparing the query (parsing,
    // type checks) as an invalid "query" parameter.
    if (type == ApiErrorType::kBadData) return ApiResult::InvalidParam("query", result.error);
    return ApiResult::Error(type, result.error);
  }
  std::vector<std::string> warnings = std::move(result.warnings);
  if (TruncateToLimit(&result.value, limit)) warnings.emplace_back("results truncated due to limit");
  std::string stats = call.form.Get("stats");
  if (!stats.empty() && stats != "true" && stats != "all") {
    warnings.push_back("value " + QuoteLabelValue(stats) +
                       " for parameter \"stats\" is deprecated and will be rejected in the next major release, use "
                       "\"true\" or \"all\"");
  }
  JsonWriter w;
  WriteQueryData(&w, result.value, stats.empty() ? nullptr : &result.stats);
  ApiResult out = ApiResult::Data(w.Take());
  out.warnings = std::move(warnings);
  out.infos = std::move(result.infos);
  return out;
}

ApiResult NoEngine(const ApiDeps& deps) {
  if (deps.engine == nullptr || deps.storage == nullptr) {
    return ApiResult::Error(ApiErrorType::kUnavailable, "unsupported: no query engine or storage configured");
  }
  return {};
}

}  // namespace

bool ParseTimeParam(const ApiCall& call, const char* name, int64_t* out, ApiResult* error) {
  std::string value = call.form.Get(name);
  if (value.empty()) return true;
  Result<int64_t> parsed = ParseApiTime(value);
  if (!parsed.ok()) {
    *error = ApiResult::InvalidParam(
        name, "invalid time value for '" + std::string(name) + "': " + parsed.status().message());
    return false;
  }
  *out = *parsed;
  return true;
}

ApiResult ServeQuery(const ApiDeps& deps, const ApiCall& call) {
  Result<int64_t> limit = ParseLimitParam(call.form.Get("limit"));
  if (!limit.ok()) return ApiResult::InvalidParam("limit", limit.status().message());
  int64_t ts = call.now_ms;
  std::string time_param = call.form.Get("time");
  if (!time_param.empty()) {
    Result<int64_t> parsed = ParseApiTime(time_param);
    if (!parsed.ok()) {
      return ApiResult::InvalidParam("time", "invalid time value for 'time': " + parsed.status().message());
    }
    ts = *parsed;
  }
  promql::QueryOptions opts;
  ApiResult error;
  if (!ParseQueryOptions(call, &opts, &error)) return error;
  if (ApiResult missing = NoEngine(deps); !missing.ok()) return missing;
  promql::QueryResult result = deps.engine->InstantQuery(*QueryStorage(deps), call.form.Get("query"), ts, opts);
  return RenderQueryResult(std::move(result), call, *limit);
}

ApiResult ServeQueryRange(const ApiDeps& deps, const ApiCall& call) {
  Result<int64_t> limit = ParseLimitParam(call.form.Get("limit"));
  if (!limit.ok()) return ApiResult::InvalidParam("limit", limit.status().message());
  Result<int64_t> start = ParseApiTime(call.form.Get("start"));
  if (!start.ok()) return ApiResult::InvalidParam("start", start.status().message());
  Result<int64_t> end = ParseApiTime(call.form.Get("end"));
  if (!end.ok()) return ApiResult::InvalidParam("end", end.status().message());
  if (*end < *start) return ApiResult::InvalidParam("end", "end timestamp must not be before start time");
  Result<int64_t> step_ns = ParseApiDuration(call.form.Get("step"));
  if (!step_ns.ok()) return ApiResult::InvalidParam("step", step_ns.status().message());
  if (*step_ns <= 0) {
    return ApiResult::InvalidParam(
        "step", "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  // Prometheus divides nanosecond durations; (end-start) fits easily.
  __int128 range_ns = static_cast<__int128>(*end - *start) * kNanosPerMilli;
  if (range_ns / *step_ns > kMaxPointsPerSeries) {
    return ApiResult::Error(ApiErrorType::kBadData,
                            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
                            "resolution (?step=XX)");
  }
  if (*step_ns < kNanosPerMilli) {
    return ApiResult::Error(ApiErrorType::kBadData, "unsupported: query resolution step below 1ms");
  }
  promql::QueryOptions opts;
  ApiResult error;
  if (!ParseQueryOptions(call, &opts, &error)) return error;
  if (ApiResult missing = NoEngine(deps); !missing.ok()) return missing;
  promql::QueryResult result = deps.engine->RangeQuery(*QueryStorage(deps), call.form.Get("query"), *start, *end,
                                                       *step_ns / kNanosPerMilli, opts);
  return RenderQueryResult(std::move(result), call, *limit);
}

ApiResult ServeQueryExemplars(const ApiDeps& deps, const ApiCall& call) {
  int64_t start = kMinTime, end = kMaxTime;
  ApiResult error;
  if (!ParseTimeParam(call, "start", &start, &error)) return error;
  if (!ParseTimeParam(call, "end", &end, &error)) return error;
  if (end < start) {
    return ApiResult::Error(ApiErrorType::kBadData, "end timestamp must not be before start timestamp");
  }
  Result<promql::ExprPtr> expr = promql::ParseExpr(call.form.Get("query"));
  if (!expr.ok()) return ApiResult::Error(ApiErrorType::kBadData, expr.status().message());
  std::vector<Matchers> selectors = promql::ExtractSelectors(**expr);
  // Without selectors there is nothing to look up: Prometheus answers 204.
  if (selectors.empty()) return ApiResult::NoContent();
  if (deps.exemplars == nullptr) return ApiResult::Data("[]");
  Result<std::vector<ExemplarSeries>> result = deps.exemplars->SelectExemplars(start, end, selectors);
  if (!result.ok()) return ApiResult::Error(ApiErrorType::kInternal, result.status().message());
  return ApiResult::Data(ExemplarsJson(*result));
}

}  // namespace promethium::web
