// /-/reload and /-/quit, as Prometheus's web.go: behind
// --web.enable-lifecycle (403 "Lifecycle API is not enabled." otherwise),
// POST or PUT only (GET gets 405 "Only POST or PUT requests allowed").
#include <string>

#include "web/api_endpoints.h"

namespace promethium::web {

namespace {

HttpResponse Text(int status, std::string body) {
  HttpResponse resp;
  resp.status = status;
  resp.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  resp.body = std::move(body);
  return resp;
}

}  // namespace

HttpResponse ServeLifecycle(const ApiDeps& deps, const HttpRequest& req, std::string_view path) {
  if (req.method == "GET") return Text(405, "Only POST or PUT requests allowed");
  if (req.method != "POST" && req.method != "PUT") {
    HttpResponse resp = Text(405, "Method Not Allowed\n");
    resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return resp;
  }
  if (!deps.enable_lifecycle) return Text(403, "Lifecycle API is not enabled.");
  if (path == "/-/reload") {
    if (!deps.reload) return Text(500, "failed to reload config: unsupported: reload is not wired in\n");
    Status s = deps.reload();
    if (!s.ok()) {
      HttpResponse resp = Text(500, "failed to reload config: " + s.message() + "\n");
      resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
      return resp;
    }
    return Text(200, "");
  }
  if (!deps.quit) return Text(500, "unsupported: quit is not wired in\n");
  return Text(200, deps.quit() ? "Requesting termination... Goodbye!" : "Termination already in progress.");
}

}  // namespace promethium::web
