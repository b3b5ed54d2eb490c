// ServeUi: serves the embedded web UI (web/ui/ui_assets.h).
//
//   /, /graph        302 to <prefix>/query (the query string is kept, so
//                    Prometheus 2.x /graph?g0.expr=... links keep working)
//   page routes      index.html, with the route prefix injected (/query,
//                    /targets, /status, /config, /tsdb-status,
//                    /service-discovery, /alerts, /rules)
//   /assets/...      the built files, gzip when the client accepts it,
//                    cached for a year (Vite names them by content hash)
//   anything else    std::nullopt: not a UI path, the caller answers (404)
//
// Only GET and HEAD; other methods on UI paths get 405.
//
// Ownership: returns values; borrows nothing after returning.
// Thread-safety: stateless; call from any thread.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "web/http_types.h"
#include "web/ui/ui_assets.h"

namespace promethium::web {

// `path` has the route prefix already stripped ("/query"); `route_prefix`
// is that prefix ("" or "/prom", a trailing slash is ignored) and is used
// for redirects and injected into index.html for the UI's API calls.
std::optional<HttpResponse> ServeUi(const HttpRequest& req, std::string_view path, std::string_view route_prefix);

// The same over a given asset table (tests).
std::optional<HttpResponse> ServeUiFrom(std::span<const UiAsset> assets, const HttpRequest& req, std::string_view path,
                                        std::string_view route_prefix);

}  // namespace promethium::web
