// --web.external-url / --web.route-prefix (ComputeWebUrls, MatchRoutePrefix
// and ApiHandler's routing under a prefix) and --web.cors.origin, without
// sockets.
#include <gtest/gtest.h>

#include "tsdb/base/metrics.h"
#include "web/api_handler.h"
#include "web/web_urls.h"

namespace promethium::web {
namespace {

HttpRequest Req(std::string method, std::string target) {
  HttpRequest req;
  req.method = std::move(method);
  req.target = std::move(target);
  return req;
}

TEST(WebUrlsTest, DefaultExternalUrlUsesHostnameAndListenPort) {
  Result<WebUrls> urls = ComputeWebUrls("", "", "0.0.0.0:9090", "box");
  ASSERT_TRUE(urls.ok()) << urls.status().ToString();
  EXPECT_EQ(urls->external_url, "http://box:9090");
  EXPECT_EQ(urls->external_path, "");
  EXPECT_EQ(urls->route_prefix, "/");
}

TEST(WebUrlsTest, RoutePrefixDefaultsToExternalPath) {
  Result<WebUrls> urls = ComputeWebUrls("https://proxy.example/prom/", "", ":9090", "box");
  ASSERT_TRUE(urls.ok());
  EXPECT_EQ(urls->external_url, "https://proxy.example/prom");
  EXPECT_EQ(urls->external_path, "/prom");
  EXPECT_EQ(urls->route_prefix, "/prom");
  // Nested paths and query strings are kept.
  urls = ComputeWebUrls("http://h:1/a/b//?x=1", "", ":9090", "box");
  ASSERT_TRUE(urls.ok());
  EXPECT_EQ(urls->external_url, "http://h:1/a/b?x=1");
  EXPECT_EQ(urls->route_prefix, "/a/b");
}

TEST(WebUrlsTest, ExplicitRoutePrefixWinsAndIsNormalised) {
  Result<WebUrls> urls = ComputeWebUrls("http://h:9090/ext", "inner/", ":9090", "box");
  ASSERT_TRUE(urls.ok());
  EXPECT_EQ(urls->external_path, "/ext");
  EXPECT_EQ(urls->route_prefix, "/inner");
  urls = ComputeWebUrls("http://h:9090/ext", "/", ":9090", "box");
  ASSERT_TRUE(urls.ok());
  EXPECT_EQ(urls->route_prefix, "/");
}

TEST(WebUrlsTest, BadValuesAreRejected) {
  Result<WebUrls> urls = ComputeWebUrls("\"http://h/\"", "", ":9090", "box");
  ASSERT_FALSE(urls.ok());
  EXPECT_EQ(urls.status().message(), "parse external URL \"\"http://h/\"\": URL must not begin or end with quotes");
  EXPECT_FALSE(ComputeWebUrls("http://h/a%zz", "", ":9090", "box").ok());
  EXPECT_FALSE(ComputeWebUrls("http://h/a b", "", ":9090", "box").ok());
  EXPECT_FALSE(ComputeWebUrls("", "", "9090", "box").ok());  // no port to derive the URL from
}

TEST(WebUrlsTest, MatchRoutePrefix) {
  using Kind = PrefixMatch::Kind;
  PrefixMatch m = MatchRoutePrefix("/", "/api/v1/query");
  EXPECT_EQ(m.kind, Kind::kInside);
  EXPECT_EQ(m.path, "/api/v1/query");
  m = MatchRoutePrefix("/prom", "/prom/api/v1/query");
  EXPECT_EQ(m.kind, Kind::kInside);
  EXPECT_EQ(m.path, "/api/v1/query");
  EXPECT_EQ(MatchRoutePrefix("/prom", "/prom/").path, "/");
  EXPECT_EQ(MatchRoutePrefix("/prom", "/").kind, Kind::kRedirectToPrefix);
  EXPECT_EQ(MatchRoutePrefix("/prom", "/prom").kind, Kind::kAddTrailingSlash);
  EXPECT_EQ(MatchRoutePrefix("/prom", "/prometheus/api/v1/query").kind, Kind::kOutside);
  EXPECT_EQ(MatchRoutePrefix("/prom", "/api/v1/query").kind, Kind::kOutside);
}

TEST(WebUrlsTest, CheckCorsOrigin) {
  EXPECT_TRUE(CheckCorsOrigin(".*").ok());
  EXPECT_TRUE(CheckCorsOrigin("https?://(foo|bar)\\.example").ok());
  Status s = CheckCorsOrigin("(");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.message().starts_with("could not compile CORS regex string \"(\"")) << s.message();
}

class RoutePrefixTest : public ::testing::Test {
 protected:
  RoutePrefixTest() {
    deps_.metrics = &registry_;
    deps_.route_prefix = "/prom";
    deps_.external_url = "http://proxy/prom";
  }
  HttpResponse Do(const HttpRequest& req) { return ApiHandler(deps_).Handle(req); }

  MetricsRegistry registry_;
  ApiDeps deps_;
};

TEST_F(RoutePrefixTest, EveryEndpointIsServedUnderThePrefix) {
  HttpResponse r = Do(Req("GET", "/prom/api/v1/status/buildinfo"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("status":"success")"), std::string::npos);
  EXPECT_EQ(Do(Req("GET", "/prom/-/healthy")).body, "Prometheus Server is Healthy.\n");
  EXPECT_EQ(Do(Req("GET", "/prom/-/ready")).status, 200);
  r = Do(Req("GET", "/prom/metrics"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  // /federate without storage answers from the federate handler, not 404.
  EXPECT_NE(Do(Req("GET", "/prom/federate?match[]=up")).status, 404);
  EXPECT_EQ(Do(Req("GET", "/prom/api/v1/label/job/values")).status, 503);  // routed; no storage
  EXPECT_EQ(Do(Req("POST", "/prom/-/reload")).status, 403);                // routed; lifecycle disabled
}

TEST_F(RoutePrefixTest, RequestsOutsideThePrefixGet404) {
  for (const char* target : {"/api/v1/status/buildinfo", "/metrics", "/-/healthy", "/federate?match[]=up",
                             "/prometheus/api/v1/query", "/promx", "/other/prom/metrics"}) {
    HttpResponse r = Do(Req("GET", target));
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.body, "404 page not found\n") << target;
  }
}

TEST_F(RoutePrefixTest, RootRedirectsToThePrefix) {
  HttpResponse r = Do(Req("GET", "/"));
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.Header("Location"), "/prom");
  EXPECT_EQ(r.body, "<a href=\"/prom\">Found</a>.\n\n");
  EXPECT_EQ(Do(Req("POST", "/")).status, 405);
  r = Do(Req("GET", "/prom?x=1"));
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.Header("Location"), "/prom/?x=1");
  r = Do(Req("POST", "/prom"));
  EXPECT_EQ(r.status, 308);
  EXPECT_EQ(r.Header("Location"), "/prom/");
}

TEST_F(RoutePrefixTest, SlowEndpointsAreRecognisedUnderThePrefix) {
  ApiHandler handler(deps_);
  EXPECT_TRUE(handler.IsSlow("/prom/api/v1/query?query=up"));
  EXPECT_TRUE(handler.IsSlow("/prom/federate?match[]=up"));
  EXPECT_FALSE(handler.IsSlow("/api/v1/query?query=up"));  // outside the prefix: a fast 404
  EXPECT_FALSE(handler.IsSlow("/prom/metrics"));
}

TEST_F(RoutePrefixTest, PrefixSlashServesAtTheRoot) {
  deps_.route_prefix = "/";
  EXPECT_EQ(Do(Req("GET", "/-/healthy")).status, 200);
  EXPECT_EQ(Do(Req("GET", "/prom/-/healthy")).status, 404);
  EXPECT_TRUE(ApiHandler(deps_).IsSlow("/api/v1/query?query=up"));
}

HttpRequest WithOrigin(std::string method, std::string target, std::string origin) {
  HttpRequest req = Req(std::move(method), std::move(target));
  if (!origin.empty()) req.headers.emplace_back("Origin", std::move(origin));
  return req;
}

TEST(CorsTest, NoOriginNoCorsHeaders) {
  HttpResponse r = ApiHandler(ApiDeps{}).Handle(WithOrigin("GET", "/api/v1/status/buildinfo", ""));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "");
  EXPECT_EQ(r.Header("Access-Control-Allow-Methods"), "");
  EXPECT_EQ(r.Header("Vary"), "");
}

TEST(CorsTest, DefaultAllowsEveryOriginWithStar) {
  HttpResponse r = ApiHandler(ApiDeps{}).Handle(WithOrigin("GET", "/api/v1/status/buildinfo", "http://grafana"));
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(r.Header("Access-Control-Allow-Headers"), "Accept, Authorization, Content-Type, Origin");
  EXPECT_EQ(r.Header("Access-Control-Allow-Methods"), "GET, POST, OPTIONS");
  EXPECT_EQ(r.Header("Access-Control-Expose-Headers"), "Date");
  EXPECT_EQ(r.Header("Vary"), "Origin");
}

TEST(CorsTest, RegexIsFullyAnchored) {
  ApiDeps deps;
  deps.cors_origin = "https?://grafana\\.example";
  ApiHandler handler(deps);
  HttpResponse r = handler.Handle(WithOrigin("OPTIONS", "/api/v1/query", "https://grafana.example"));
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "https://grafana.example");
  // A prefix or suffix match is not a match; the other CORS headers remain.
  for (const char* origin : {"https://grafana.example.evil", "https://evil.https://grafana.example", "http://other"}) {
    r = handler.Handle(WithOrigin("GET", "/api/v1/status/buildinfo", origin));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "") << origin;
    EXPECT_EQ(r.Header("Access-Control-Allow-Methods"), "GET, POST, OPTIONS") << origin;
  }
}

TEST(CorsTest, InvalidRegexAllowsNoOrigin) {
  ApiDeps deps;
  deps.cors_origin = "(";
  HttpResponse r = ApiHandler(deps).Handle(WithOrigin("GET", "/api/v1/status/buildinfo", "("));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "");
}

}  // namespace
}  // namespace promethium::web
