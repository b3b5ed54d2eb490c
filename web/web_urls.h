// External URL and route prefix: how --web.external-url and
// --web.route-prefix become the URL Promethium is reachable under and the
// path prefix every endpoint is served below, as Prometheus's
// cmd/prometheus computes them, plus the per-request prefix check.
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <string>
#include <string_view>

#include "tsdb/base/result.h"

namespace promethium::web {

struct WebUrls {
  // The external URL with its path's trailing slashes removed, e.g.
  // "http://host:9090" or "https://proxy.example/prom".
  std::string external_url;
  // The decoded path of external_url ("" or "/prom").
  std::string external_path;
  // The route prefix: "/" or "/prom" (leading slash, no trailing slash).
  std::string route_prefix;
};

// external_url_flag "" means "http://<hostname>:<port of listen_address>/".
// route_prefix_flag "" means the external URL's path. Errors (InvalidArgument)
// name the bad value: `parse external URL "x": URL must not begin or end with
// quotes`.
Result<WebUrls> ComputeWebUrls(std::string_view external_url_flag, std::string_view route_prefix_flag,
                               std::string_view listen_address, std::string_view hostname);

// Where a decoded request path falls relative to the route prefix.
struct PrefixMatch {
  enum class Kind {
    kInside,            // `path` is the request path without the prefix ("/api/v1/query")
    kRedirectToPrefix,  // "/" while the prefix is not "/": 302 to the prefix
    kAddTrailingSlash,  // exactly the prefix ("/prom"): redirect to "/prom/"
    kOutside,           // anything else: 404
  };
  Kind kind = Kind::kOutside;
  std::string path;
};

// Checks that --web.cors.origin compiles as an anchored RE2 regex. Error
// (InvalidArgument), as Prometheus: `could not compile CORS regex string "x"`.
Status CheckCorsOrigin(std::string_view regex);

// route_prefix is WebUrls::route_prefix; path is the decoded request path.
PrefixMatch MatchRoutePrefix(std::string_view route_prefix, std::string_view path);

}  // namespace promethium::web
