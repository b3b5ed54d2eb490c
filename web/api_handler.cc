#include "web/api_handler.h"

#include <array>
#include <chrono>
#include <string>

#include "tsdb/base/logging.h"
#include "tsdb/base/metrics.h"
#include "web/api_endpoints.h"
#include "web/federate.h"
#include "web/form_values.h"
#include "web/remote/write_handler.h"
#include "web/ui/ui_handler.h"
#include "web/web_urls.h"

namespace promethium::web {

namespace {

enum class Endpoint {
  kQuery,
  kQueryRange,
  kQueryExemplars,
  kLabels,
  kLabelValues,
  kSeries,
  kBuildInfo,
  kRuntimeInfo,
  kConfig,
  kFlags,
  kTargets,
  kRules,
  kAlerts,
  kAlertmanagers,
  kMetadata,
  kTargetMetadata,
  kFormatQuery,
  kParseQuery,
  kTsdbStatus,
  kAdminDeleteSeries,
  kAdminCleanTombstones,
  kAdminSnapshot,
  kRemoteWrite,  // plain-text answers, not the JSON envelope
  kRemoteRead,   // protobuf or plain-text answers
  kUnsupported,  // a Prometheus route Promethium does not implement
};

constexpr unsigned kGet = 1, kPost = 2, kPut = 4;

struct ApiRoute {
  std::string_view path;  // the route pattern, also the metrics' handler label
  unsigned methods;
  Endpoint endpoint;
};

constexpr std::array kApiRoutes = {
    ApiRoute{"/api/v1/query", kGet | kPost, Endpoint::kQuery},
    ApiRoute{"/api/v1/query_range", kGet | kPost, Endpoint::kQueryRange},
    ApiRoute{"/api/v1/query_exemplars", kGet | kPost, Endpoint::kQueryExemplars},
    ApiRoute{"/api/v1/labels", kGet | kPost, Endpoint::kLabels},
    ApiRoute{"/api/v1/label/:name/values", kGet, Endpoint::kLabelValues},
    ApiRoute{"/api/v1/series", kGet | kPost, Endpoint::kSeries},
    ApiRoute{"/api/v1/status/buildinfo", kGet, Endpoint::kBuildInfo},
    ApiRoute{"/api/v1/status/runtimeinfo", kGet, Endpoint::kRuntimeInfo},
    ApiRoute{"/api/v1/status/config", kGet, Endpoint::kConfig},
    ApiRoute{"/api/v1/status/flags", kGet, Endpoint::kFlags},
    ApiRoute{"/api/v1/targets", kGet, Endpoint::kTargets},
    ApiRoute{"/api/v1/rules", kGet, Endpoint::kRules},
    ApiRoute{"/api/v1/alerts", kGet, Endpoint::kAlerts},
    ApiRoute{"/api/v1/metadata", kGet, Endpoint::kMetadata},
    ApiRoute{"/api/v1/format_query", kGet | kPost, Endpoint::kFormatQuery},
    ApiRoute{"/api/v1/parse_query", kGet | kPost, Endpoint::kParseQuery},
    ApiRoute{"/api/v1/scrape_pools", kGet, Endpoint::kUnsupported},
    ApiRoute{"/api/v1/targets/metadata", kGet, Endpoint::kTargetMetadata},
    ApiRoute{"/api/v1/alertmanagers", kGet, Endpoint::kAlertmanagers},
    ApiRoute{"/api/v1/status/tsdb", kGet, Endpoint::kTsdbStatus},
    ApiRoute{"/api/v1/status/walreplay", kGet, Endpoint::kUnsupported},
    ApiRoute{"/api/v1/features", kGet, Endpoint::kUnsupported},
    ApiRoute{"/api/v1/notifications", kGet, Endpoint::kUnsupported},
    ApiRoute{"/api/v1/read", kPost, Endpoint::kRemoteRead},
    ApiRoute{"/api/v1/write", kPost, Endpoint::kRemoteWrite},
    ApiRoute{"/api/v1/otlp/v1/metrics", kPost, Endpoint::kUnsupported},
    ApiRoute{"/api/v1/admin/tsdb/delete_series", kPost | kPut, Endpoint::kAdminDeleteSeries},
    ApiRoute{"/api/v1/admin/tsdb/clean_tombstones", kPost | kPut, Endpoint::kAdminCleanTombstones},
    ApiRoute{"/api/v1/admin/tsdb/snapshot", kPost | kPut, Endpoint::kAdminSnapshot},
};

constexpr std::string_view kLabelValuesPrefix = "/api/v1/label/";
constexpr std::string_view kLabelValuesSuffix = "/values";

unsigned MethodBit(std::string_view method) {
  if (method == "GET") return kGet;
  if (method == "POST") return kPost;
  if (method == "PUT") return kPut;
  return 0;
}

std::string AllowHeader(unsigned methods) {
  std::string allow;
  for (auto [bit, name] : {std::pair{kGet, "GET"}, std::pair{kPost, "POST"}, std::pair{kPut, "PUT"}}) {
    if (methods & bit) allow += std::string(allow.empty() ? "" : ", ") + name;
  }
  return allow + ", OPTIONS";
}

// The endpoints Prometheus's API wraps with wrapAgent (web/api/v1/api.go).
bool UnavailableInAgentMode(Endpoint e) {
  switch (e) {
    case Endpoint::kQuery:
    case Endpoint::kQueryRange:
    case Endpoint::kQueryExemplars:
    case Endpoint::kLabels:
    case Endpoint::kLabelValues:
    case Endpoint::kSeries:
    case Endpoint::kAlertmanagers:
    case Endpoint::kTsdbStatus:
    case Endpoint::kAlerts:
    case Endpoint::kRules:
    case Endpoint::kAdminDeleteSeries:
    case Endpoint::kAdminCleanTombstones:
    case Endpoint::kAdminSnapshot: return true;
    default: return false;
  }
}

// Finds the route for a decoded path; *label_name receives :name.
const ApiRoute* FindApiRoute(std::string_view path, std::string* label_name) {
  if (path.size() > kLabelValuesPrefix.size() + kLabelValuesSuffix.size() && path.starts_with(kLabelValuesPrefix) &&
      path.ends_with(kLabelValuesSuffix)) {
    std::string_view name =
        path.substr(kLabelValuesPrefix.size(), path.size() - kLabelValuesPrefix.size() - kLabelValuesSuffix.size());
    if (name.find('/') == std::string_view::npos) {
      *label_name = std::string(name);
      for (const ApiRoute& route : kApiRoutes) {
        if (route.endpoint == Endpoint::kLabelValues) return &route;
      }
    }
  }
  for (const ApiRoute& route : kApiRoutes) {
    if (route.path == path) return &route;
  }
  return nullptr;
}

HttpResponse TextResponse(int status, std::string body) {
  HttpResponse resp;
  resp.status = status;
  resp.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  resp.body = std::move(body);
  return resp;
}

// Go's http.Error: the text plus a newline, and nosniff.
HttpResponse GoHttpError(int status, std::string_view text) {
  HttpResponse resp = TextResponse(status, std::string(text) + "\n");
  resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return resp;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Go's http.Redirect: Location plus, for GET and HEAD, a tiny HTML body.
HttpResponse Redirect(const HttpRequest& req, int status, std::string location, std::string_view status_text) {
  HttpResponse resp;
  resp.status = status;
  resp.headers.emplace_back("Location", location);
  if (req.method == "GET" || req.method == "HEAD") {
    resp.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
    resp.body = "<a href=\"" + location + "\">" + std::string(status_text) + "</a>.\n\n";
  }
  return resp;
}

// The request's query string with its '?', or "".
std::string QuerySuffix(std::string_view target) {
  std::string_view query = SplitTarget(target).second;
  std::string suffix;
  if (!query.empty()) suffix.append("?").append(query);
  return suffix;
}

// Answers requests outside the route prefix as Prometheus's router does:
// "/" redirects to the prefix, the bare prefix gets its trailing slash
// (httprouter's RedirectTrailingSlash) and anything else is not found.
HttpResponse AnswerOutsidePrefix(const HttpRequest& req, const PrefixMatch& match, std::string_view prefix) {
  if (match.kind == PrefixMatch::Kind::kRedirectToPrefix) {
    if (req.method != "GET") return GoHttpError(405, "Method Not Allowed");
    return Redirect(req, 302, std::string(prefix), "Found");
  }
  if (match.kind == PrefixMatch::Kind::kAddTrailingSlash) {
    std::string location = std::string(prefix) + "/" + QuerySuffix(req.target);
    if (req.method == "GET") return Redirect(req, 301, location, "Moved Permanently");
    return Redirect(req, 308, location, "Permanent Redirect");
  }
  return GoHttpError(404, "404 page not found");
}

ApiResult RunEndpoint(const ApiDeps& deps, Endpoint endpoint, const ApiCall& call, std::string label_name,
                      std::chrono::system_clock::time_point start_time, std::string_view path) {
  switch (endpoint) {
    case Endpoint::kQuery: return ServeQuery(deps, call);
    case Endpoint::kQueryRange: return ServeQueryRange(deps, call);
    case Endpoint::kQueryExemplars: return ServeQueryExemplars(deps, call);
    case Endpoint::kLabels: return ServeLabelNames(deps, call);
    case Endpoint::kLabelValues: return ServeLabelValues(deps, call, std::move(label_name));
    case Endpoint::kSeries: return ServeSeries(deps, call);
    case Endpoint::kBuildInfo: return ServeBuildInfo();
    case Endpoint::kRuntimeInfo: return ServeRuntimeInfo(start_time, call.now_ms);
    case Endpoint::kConfig: return ServeConfig(deps);
    case Endpoint::kFlags: return ServeFlags(deps);
    case Endpoint::kTargets: return ServeTargets(deps, call);
    case Endpoint::kRules: return ServeRules(deps, call);
    case Endpoint::kAlerts: return ServeAlerts(deps);
    case Endpoint::kAlertmanagers: return ServeAlertmanagers(deps);
    case Endpoint::kMetadata: return ServeMetadata(deps, call);
    case Endpoint::kTargetMetadata: return ServeTargetMetadata(deps, call);
    case Endpoint::kFormatQuery: return ServeFormatQuery(call);
    case Endpoint::kParseQuery: return ServeParseQuery(call);
    case Endpoint::kTsdbStatus: return ServeTsdbStatus(deps, call);
    case Endpoint::kAdminDeleteSeries: return ServeAdminDeleteSeries(deps, call);
    case Endpoint::kAdminCleanTombstones: return ServeAdminCleanTombstones(deps);
    case Endpoint::kAdminSnapshot: return ServeAdminSnapshot(deps, call);
    case Endpoint::kRemoteWrite:
    case Endpoint::kRemoteRead:
    case Endpoint::kUnsupported: break;
  }
  return ApiResult::Error(ApiErrorType::kUnsupported, "unsupported: " + std::string(path));
}

}  // namespace

ApiHandler::ApiHandler(ApiDeps deps) : deps_(std::move(deps)), start_time_(std::chrono::system_clock::now()) {
  cors_allow_all_ = deps_.cors_origin == ".*";
  if (!cors_allow_all_) {
    Result<Matcher> matcher = Matcher::Make(MatchType::kRegexMatch, "origin", deps_.cors_origin);
    if (matcher.ok()) {
      cors_matcher_ = std::move(*matcher);
    } else {
      // The server validates the flag at startup (CheckCorsOrigin); here a
      // bad regex allows no origin rather than every origin.
      LogError("web", "could not compile CORS regex string \"{}\": {}", deps_.cors_origin, matcher.status().message());
    }
  }
  if (deps_.route_prefix.empty()) deps_.route_prefix.push_back('/');
  remote_read_ =
      std::make_shared<const RemoteReadHandler>(deps_.storage, deps_.external_labels, deps_.remote_read, deps_.metrics);
}

bool ApiHandler::IsSlow(std::string_view target) const {
  Result<std::string> path = PercentDecode(SplitTarget(target).first, /*plus_as_space=*/false);
  if (!path.ok()) return false;
  PrefixMatch match = MatchRoutePrefix(deps_.route_prefix, *path);
  return match.kind == PrefixMatch::Kind::kInside && IsSlowEndpoint(match.path);
}

bool ApiHandler::IsSlowEndpoint(std::string_view target) {
  std::string_view path = SplitTarget(target).first;
  std::string label_name;
  if (path == "/federate") return true;
  const ApiRoute* route = FindApiRoute(path, &label_name);
  if (route == nullptr) return false;
  switch (route->endpoint) {
    case Endpoint::kQuery:
    case Endpoint::kQueryRange:
    case Endpoint::kQueryExemplars:
    case Endpoint::kLabels:
    case Endpoint::kLabelValues:
    case Endpoint::kSeries:
    case Endpoint::kRemoteWrite:
    case Endpoint::kRemoteRead: return true;
    default: return false;
  }
}

HttpResponse ApiHandler::Handle(const HttpRequest& req, const std::atomic<bool>* canceled) const {
  auto started = std::chrono::steady_clock::now();
  std::string handler_label = "other";
  HttpResponse resp;
  Result<std::string> path = PercentDecode(SplitTarget(req.target).first, /*plus_as_space=*/false);
  PrefixMatch match;
  if (path.ok()) match = MatchRoutePrefix(deps_.route_prefix, *path);
  if (!path.ok()) {
    resp = GoHttpError(400, "Bad Request");
  } else if (match.kind != PrefixMatch::Kind::kInside) {
    resp = AnswerOutsidePrefix(req, match, deps_.route_prefix);
  } else {
    resp = Dispatch(req, match.path, canceled, &handler_label);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  Observe(handler_label, resp.status, seconds);
  // The request log, at debug level (--log.level=debug); the query string is
  // left out: it can be long and carry secrets.
  LogDebug("web", "HTTP request method={} path={} code={} duration_seconds={:.6f} handler={} remote={}", req.method,
           SplitTarget(req.target).first, resp.status, seconds, handler_label, req.remote.empty() ? "-" : req.remote);
  return resp;
}

HttpResponse ApiHandler::Dispatch(const HttpRequest& req, std::string_view path, const std::atomic<bool>* canceled,
                                  std::string* handler_label) const {
  bool head = req.method == "HEAD";
  if (path == "/-/healthy" || path == "/-/ready") {
    *handler_label = std::string(path);
    if (req.method != "GET" && !head) return GoHttpError(405, "Method Not Allowed");
    bool ready = path == "/-/healthy" || !deps_.ready || deps_.ready();
    if (!ready) return TextResponse(503, "Service Unavailable");
    return TextResponse(200, head                   ? ""
                             : path == "/-/healthy" ? "Prometheus Server is Healthy.\n"
                                                    : "Prometheus Server is Ready.\n");
  }
  if (path == "/-/reload" || path == "/-/quit") {
    *handler_label = std::string(path);
    return ServeLifecycle(deps_, req, path);
  }
  if (path == "/metrics") {
    *handler_label = "/metrics";
    if (req.method != "GET" && !head) return GoHttpError(405, "Method Not Allowed");
    HttpResponse resp = TextResponse(200, deps_.metrics != nullptr ? deps_.metrics->RenderText() : std::string());
    resp.headers[0].second = "text/plain; version=0.0.4; charset=utf-8";
    return resp;
  }
  if (path == "/federate") {
    *handler_label = "/federate";
    return ServeFederate(deps_, req, NowMs(), canceled);
  }
  if (!path.starts_with("/api/")) {
    // The web UI's pages, redirects and assets (web/ui/ui_handler.h).
    if (std::optional<HttpResponse> ui = ServeUi(req, path, deps_.route_prefix)) {
      *handler_label = path.starts_with("/assets/") ? "/assets/*filepath" : std::string(path);
      return std::move(*ui);
    }
  }
  if (!path.starts_with("/api/v1/")) return GoHttpError(404, "404 page not found");

  std::string label_name;
  const ApiRoute* route = FindApiRoute(path, &label_name);
  if (route == nullptr) return GoHttpError(404, "404 page not found");
  *handler_label = std::string(route->path);
  HttpResponse resp;
  if (req.method == "OPTIONS") {
    resp.status = 204;  // CORS preflight, as Prometheus's options handler
  } else if ((MethodBit(req.method) & route->methods) == 0) {
    resp = GoHttpError(405, "Method Not Allowed");
    resp.headers.emplace_back("Allow", AllowHeader(route->methods));
  } else if (deps_.ready && !deps_.ready()) {
    resp = TextResponse(503, "Service Unavailable");
  } else if (deps_.agent_mode && UnavailableInAgentMode(route->endpoint)) {
    resp = RenderApiResult(ApiResult::Error(ApiErrorType::kExecution, "unavailable with Prometheus Agent"));
  } else if (route->endpoint == Endpoint::kRemoteWrite) {
    resp = ServeRemoteWrite(deps_.remote_write_appendable, req, NowMs(), deps_.remote_write_limits);
  } else if (route->endpoint == Endpoint::kRemoteRead) {
    resp = remote_read_->Serve(req);
  } else if (FindHeader(req.headers, "Content-Type").starts_with("multipart/")) {
    // Go's FormValue would parse multipart bodies; we do not, so say so.
    resp = RenderApiResult(ApiResult::Error(
        ApiErrorType::kBadData, "unsupported: multipart request bodies; use application/x-www-form-urlencoded"));
  } else if (FormBodyTooLarge(req)) {
    resp = GoHttpError(413, "http: POST too large");
  } else {
    ApiCall call{req, FormValues::FromRequest(req), canceled, NowMs()};
    resp = RenderApiResult(RunEndpoint(deps_, route->endpoint, call, std::move(label_name), start_time_, path));
  }
  AddCorsHeaders(req, &resp);
  return resp;
}

// Prometheus's httputil.SetCORS: nothing without an Origin header; "*" for
// the default ".*"; otherwise the origin itself when the regex matches it.
void ApiHandler::AddCorsHeaders(const HttpRequest& req, HttpResponse* resp) const {
  std::string_view origin = FindHeader(req.headers, "Origin");
  if (origin.empty()) return;
  resp->headers.emplace_back("Access-Control-Allow-Headers", "Accept, Authorization, Content-Type, Origin");
  resp->headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  resp->headers.emplace_back("Access-Control-Expose-Headers", "Date");
  resp->headers.emplace_back("Vary", "Origin");
  if (cors_allow_all_) {
    resp->headers.emplace_back("Access-Control-Allow-Origin", "*");
  } else if (cors_matcher_ && cors_matcher_->Matches(origin)) {
    resp->headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  }
}

void ApiHandler::Observe(std::string_view handler, int code, double seconds) const {
  if (deps_.metrics == nullptr) return;
  std::string handler_str(handler);
  deps_.metrics
      ->GetCounter("prometheus_http_requests_total", "Counter of HTTP requests.",
                   {{"code", std::to_string(code)}, {"handler", handler_str}})
      ->Inc();
  deps_.metrics
      ->GetHistogram("prometheus_http_request_duration_seconds", "Histogram of latencies for HTTP requests.",
                     {.1, .2, .4, 1, 3, 8, 20, 60, 120}, {{"handler", handler_str}})
      ->Observe(seconds);
}

}  // namespace promethium::web
