// /api/v1/admin/tsdb/*: behind --web.enable-admin-api. Disabled, they answer
// as Prometheus does (503, errorType "unavailable", "admin APIs disabled").
// Enabled, each action parses its parameters as Prometheus's
// web/api/v1/api.go (deleteSeries, cleanTombstones, snapshot) and calls its
// ApiDeps callback; a null callback (no storage support wired in) fails
// loudly with 501 "unsupported: ...".
//
// Unlike Prometheus, which deletes match[] set by set, every selector is
// parsed before the one delete_series call, so a bad selector deletes nothing.
#include <string>
#include <vector>

#include "promql/parser/parser.h"
#include "tsdb/api/sample.h"
#include "web/api_endpoints.h"
#include "web/api_params.h"
#include "web/json_writer.h"

namespace promethium::web {

namespace {

ApiResult AdminDisabled() { return ApiResult::Error(ApiErrorType::kUnavailable, "admin APIs disabled"); }

ApiResult NotWired(std::string_view action, std::string_view why) {
  return ApiResult::Error(ApiErrorType::kUnsupported,
                          "unsupported: /api/v1/admin/tsdb/" + std::string(action) + ": " + std::string(why));
}

// Go's strconv.ParseBool.
Result<bool> ParseGoBool(std::string_view s) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (s == t) return true;
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (s == f) return false;
  }
  return Status::InvalidArgument("strconv.ParseBool: parsing " + QuoteLabelValue(s) + ": invalid syntax");
}

}  // namespace

ApiResult ServeAdminDeleteSeries(const ApiDeps& deps, const ApiCall& call) {
  if (!deps.enable_admin_api) return AdminDisabled();
  if (!call.form.parse_error().empty()) {
    return ApiResult::Error(ApiErrorType::kBadData, "error parsing form values: " + call.form.parse_error());
  }
  std::vector<std::string> selectors = call.form.GetAll("match[]");
  if (selectors.empty()) return ApiResult::Error(ApiErrorType::kBadData, "no match[] parameter provided");
  ApiResult error;
  int64_t start = kMinTime, end = kMaxTime;
  if (!ParseTimeParam(call, "start", &start, &error)) return error;
  if (!ParseTimeParam(call, "end", &end, &error)) return error;
  std::vector<Matchers> matcher_sets;
  for (const std::string& selector : selectors) {
    Result<Matchers> matchers = promql::ParseMetricSelector(selector);
    if (!matchers.ok()) return ApiResult::InvalidParam("match[]", matchers.status().message());
    matcher_sets.push_back(std::move(matchers).value());
  }
  if (!deps.delete_series) return NotWired("delete_series", "the TSDB has no tombstones yet");
  Status s = deps.delete_series(matcher_sets, start, end);
  if (!s.ok()) return ApiResult::Error(ApiErrorType::kInternal, s.message());
  return ApiResult::NoContent();
}

ApiResult ServeAdminCleanTombstones(const ApiDeps& deps) {
  if (!deps.enable_admin_api) return AdminDisabled();
  if (!deps.clean_tombstones) return NotWired("clean_tombstones", "the TSDB has no tombstones yet");
  Status s = deps.clean_tombstones();
  if (!s.ok()) return ApiResult::Error(ApiErrorType::kInternal, s.message());
  return ApiResult::NoContent();
}

ApiResult ServeAdminSnapshot(const ApiDeps& deps, const ApiCall& call) {
  if (!deps.enable_admin_api) return AdminDisabled();
  bool skip_head = false;
  std::string skip_head_text = call.form.Get("skip_head");
  if (!skip_head_text.empty()) {
    Result<bool> parsed = ParseGoBool(skip_head_text);
    if (!parsed.ok())
      return ApiResult::InvalidParam("skip_head", "unable to parse boolean: " + parsed.status().message());
    skip_head = *parsed;
  }
  if (!deps.snapshot) return NotWired("snapshot", "the TSDB has no persistent blocks to snapshot yet");
  Result<std::string> name = deps.snapshot(skip_head);
  if (!name.ok()) return ApiResult::Error(ApiErrorType::kInternal, "create snapshot: " + name.status().message());
  JsonWriter w;
  w.BeginObject();
  w.Key("name");
  w.String(*name);
  w.EndObject();
  return ApiResult::Data(w.Take());
}

}  // namespace promethium::web
