// The /api/v1 endpoint functions behind ApiHandler, one group per file:
// query_api.cc (query, query_range, query_exemplars), series_api.cc
// (labels, label values, series), status_api.cc (status/* and targets),
// rules_api.cc (rules, alerts), metadata_api.cc and admin_api.cc.
//
// Internal to web/; not part of the public API.
// Thread-safety: every function is reentrant; deps are read-only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "web/api_deps.h"
#include "web/api_result.h"
#include "web/form_values.h"
#include "web/http_types.h"

namespace promethium::web {

// One API call: the request, its merged parameters and cancellation flag.
struct ApiCall {
  const HttpRequest& request;
  FormValues form;
  const std::atomic<bool>* canceled = nullptr;
  int64_t now_ms = 0;  // "now" for the default query time
};

// Go's parseTimeParam for an optional time parameter (query_api.cc): when
// absent, leaves *out as is; when unparsable, sets *error to invalidParamError
// "invalid time value for '<name>': ..." and returns false.
bool ParseTimeParam(const ApiCall& call, const char* name, int64_t* out, ApiResult* error);

ApiResult ServeQuery(const ApiDeps& deps, const ApiCall& call);
ApiResult ServeQueryRange(const ApiDeps& deps, const ApiCall& call);
ApiResult ServeQueryExemplars(const ApiDeps& deps, const ApiCall& call);

ApiResult ServeLabelNames(const ApiDeps& deps, const ApiCall& call);
// `name` is the decoded path segment of /api/v1/label/<name>/values.
ApiResult ServeLabelValues(const ApiDeps& deps, const ApiCall& call, std::string name);
ApiResult ServeSeries(const ApiDeps& deps, const ApiCall& call);

ApiResult ServeBuildInfo();
ApiResult ServeRuntimeInfo(std::chrono::system_clock::time_point start_time, int64_t now_ms);
ApiResult ServeConfig(const ApiDeps& deps);
ApiResult ServeFlags(const ApiDeps& deps);
ApiResult ServeTargets(const ApiDeps& deps, const ApiCall& call);
// rules_api.cc: /api/v1/rules (type, rule_name[], rule_group[], file[],
// exclude_alerts, match[]) and /api/v1/alerts.
ApiResult ServeRules(const ApiDeps& deps, const ApiCall& call);
ApiResult ServeAlerts(const ApiDeps& deps);
// alertmanagers_api.cc: /api/v1/alertmanagers.
ApiResult ServeAlertmanagers(const ApiDeps& deps);

// metadata_api.cc: /api/v1/metadata (metric, limit, limit_per_metric) and
// /api/v1/targets/metadata (match_target, metric, limit).
ApiResult ServeMetadata(const ApiDeps& deps, const ApiCall& call);
ApiResult ServeTargetMetadata(const ApiDeps& deps, const ApiCall& call);

// status_tsdb_api.cc: /api/v1/status/tsdb (limit parameter, default 10).
ApiResult ServeTsdbStatus(const ApiDeps& deps, const ApiCall& call);

// admin_api.cc: /api/v1/admin/tsdb/delete_series, clean_tombstones and
// snapshot, behind --web.enable-admin-api.
ApiResult ServeAdminDeleteSeries(const ApiDeps& deps, const ApiCall& call);
ApiResult ServeAdminCleanTombstones(const ApiDeps& deps);
ApiResult ServeAdminSnapshot(const ApiDeps& deps, const ApiCall& call);

// lifecycle_api.cc: POST/PUT /-/reload and /-/quit (plain-text answers, as
// Prometheus's web.go). `path` is "/-/reload" or "/-/quit".
HttpResponse ServeLifecycle(const ApiDeps& deps, const HttpRequest& req, std::string_view path);

// query_format_api.cc: /api/v1/format_query and /api/v1/parse_query.
ApiResult ServeFormatQuery(const ApiCall& call);
ApiResult ServeParseQuery(const ApiCall& call);

// Formats ms since the epoch as Go's time.Time JSON (RFC 3339, UTC, trailing
// fraction zeros trimmed): "2023-11-14T22:13:20.12Z".
std::string FormatRfc3339Ms(int64_t ms);
// The same with sub_ms_ns (0..999999) nanoseconds more, as Go prints
// nanosecond times: "2023-11-14T22:13:20.123456789Z", zeros trimmed.
std::string FormatRfc3339Nano(int64_t ms, int32_t sub_ms_ns);

}  // namespace promethium::web
