// ApiHandler: answers every HTTP request Promethium serves: the Prometheus
// HTTP API under /api/v1 (including the remote write receiver at
// /api/v1/write and the remote read server at /api/v1/read), /metrics, /federate (web/federate.h), the /-/healthy and
// /-/ready probes and the /-/reload and /-/quit lifecycle endpoints.
//
// Every endpoint is served below deps.route_prefix (--web.route-prefix):
// with a prefix "/prom", "/prom/api/v1/query" is the query endpoint, "/"
// redirects (302) to "/prom", "/prom" to "/prom/", and other paths get 404.
// CORS headers follow deps.cors_origin (Prometheus's httputil.SetCORS).
//
// It is transport-free: it maps an HttpRequest to an HttpResponse, so tests
// call Handle() directly and http_server.cc is only plumbing. Routing,
// status codes, error types and texts follow Prometheus 3.x (web/web.go,
// web/api/v1/api.go); unknown paths get 404, wrong methods 405.
//
// Self-metrics (when deps.metrics is set): prometheus_http_requests_total
// {handler,code} and prometheus_http_request_duration_seconds{handler}, with
// handler the route pattern (e.g. "/api/v1/label/:name/values").
//
// Ownership: borrows everything in ApiDeps (see api_deps.h).
// Thread-safety: Handle() may be called from many threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tsdb/api/matcher.h"
#include "web/api_deps.h"
#include "web/http_types.h"

namespace promethium::web {

class ApiHandler {
 public:
  explicit ApiHandler(ApiDeps deps);

  // Answers one request. `canceled`, when given, is polled by running
  // queries; the server sets it when the client goes away.
  HttpResponse Handle(const HttpRequest& req, const std::atomic<bool>* canceled = nullptr) const;

  // True for endpoints that may run long (PromQL, label and series lookups):
  // the server runs them on its query thread pool, not on an I/O thread.
  // `target` is the request target without the route prefix.
  static bool IsSlowEndpoint(std::string_view target);
  // As IsSlowEndpoint, for a full request target under this handler's route
  // prefix.
  bool IsSlow(std::string_view target) const;

 private:
  struct Route;
  HttpResponse Dispatch(const HttpRequest& req, std::string_view path, const std::atomic<bool>* canceled,
                        std::string* handler_label) const;
  void Observe(std::string_view handler, int code, double seconds) const;
  void AddCorsHeaders(const HttpRequest& req, HttpResponse* resp) const;

  ApiDeps deps_;
  bool cors_allow_all_ = false;          // --web.cors.origin is ".*"
  std::optional<Matcher> cors_matcher_;  // otherwise; absent if it does not compile
  std::chrono::system_clock::time_point start_time_;
  std::shared_ptr<const RemoteReadHandler> remote_read_;  // holds the concurrency gate
};

}  // namespace promethium::web
