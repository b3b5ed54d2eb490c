#include "web/api_handler.h"

#include <gtest/gtest.h>

#include "tsdb/base/logging.h"
#include "tsdb/base/metrics.h"
#include "web/api_result.h"
#include "web/testing_storage.h"

namespace promethium::web {
namespace {

HttpRequest Get(std::string target) {
  HttpRequest req;
  req.method = "GET";
  req.target = std::move(target);
  return req;
}

HttpRequest PostForm(std::string target, std::string body) {
  HttpRequest req;
  req.method = "POST";
  req.target = std::move(target);
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = std::move(body);
  return req;
}

std::vector<MemoryQueryable::Data> TestSeries() {
  return {
      {Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "a:1"}}, {{1000, 1}, {2000, 1}}},
      {Labels{{"__name__", "up"}, {"job", "db"}, {"instance", "b:2"}}, {{1000, 0}}},
      {Labels{{"__name__", "http_requests_total"}, {"job", "api"}, {"path", "/<x>"}}, {{5000, 3}}},
  };
}

class ApiHandlerTest : public ::testing::Test {
 protected:
  ApiHandlerTest() : storage_(TestSeries()) {
    deps_.storage = &storage_;
    deps_.metrics = &registry_;
    deps_.ready = [this] { return ready_; };
    deps_.config_yaml = [] { return std::string("global:\n  scrape_interval: 15s\n"); };
    deps_.flags = {{"storage.tsdb.path", "data/"}, {"config.file", "prometheus.yml"}};
  }
  HttpResponse Do(const HttpRequest& req) { return ApiHandler(deps_).Handle(req); }

  MemoryQueryable storage_;
  MetricsRegistry registry_;
  ApiDeps deps_;
  bool ready_ = true;
};

TEST_F(ApiHandlerTest, HealthyAndReady) {
  HttpResponse r = Do(Get("/-/healthy"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Prometheus Server is Healthy.\n");
  r = Do(Get("/-/ready"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Prometheus Server is Ready.\n");
  HttpRequest head = Get("/-/healthy");
  head.method = "HEAD";
  r = Do(head);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  ready_ = false;
  r = Do(Get("/-/ready"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "Service Unavailable");
  EXPECT_EQ(Do(Get("/-/healthy")).status, 200);
  // The API is gated on readiness too, as in Prometheus.
  r = Do(Get("/api/v1/labels"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "Service Unavailable");
}

TEST_F(ApiHandlerTest, UnknownPathsAre404AndWrongMethods405) {
  HttpResponse r = Do(Get("/nope"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "404 page not found\n");
  EXPECT_EQ(Do(Get("/api/v1/nope")).status, 404);
  EXPECT_EQ(Do(Get("/api/v1/label/job")).status, 404);
  HttpRequest del = Get("/api/v1/query");
  del.method = "DELETE";
  r = Do(del);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, "Method Not Allowed\n");
  EXPECT_EQ(r.Header("Allow"), "GET, POST, OPTIONS");
  EXPECT_EQ(Do(PostForm("/api/v1/status/buildinfo", "")).status, 405);
  HttpRequest post_health = PostForm("/-/healthy", "");
  EXPECT_EQ(Do(post_health).status, 405);
  HttpRequest options = Get("/api/v1/query");
  options.method = "OPTIONS";
  options.headers = {{"Origin", "http://grafana:3000"}};
  r = Do(options);
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "*");  // the default --web.cors.origin=".*"
}

TEST_F(ApiHandlerTest, UnimplementedPrometheusEndpointsFailLoudly) {
  HttpResponse r = Do(Get("/api/v1/status/walreplay"));
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"unsupported","error":"unsupported: /api/v1/status/walreplay"})");
}

TEST(ApiResultTest, EnvelopeAndAnnotationCaps) {
  ApiResult ok = ApiResult::Data("[]");
  for (int i = 0; i < 12; ++i) ok.warnings.push_back(std::string("w").append(std::to_string(i)));
  ok.infos = {"i0"};
  HttpResponse r = RenderApiResult(ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"success","data":[],"warnings":["w0","w1","w2","w3","w4","w5","w6","w7","w8","w9",)"
                    R"("2 more warning annotations omitted"],"infos":["i0"]})");
  ApiResult err = ApiResult::Error(ApiErrorType::kExecution, "boom");
  err.warnings = {"dropped on errors"};
  r = RenderApiResult(err);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"execution","error":"boom"})");
  EXPECT_EQ(RenderApiResult(ApiResult::Error(ApiErrorType::kTimeout, "t")).status, 503);
  EXPECT_EQ(RenderApiResult(ApiResult::Error(ApiErrorType::kInternal, "i")).status, 500);
  EXPECT_EQ(RenderApiResult(ApiResult::Error(ApiErrorType::kCanceled, "c")).status, 499);
}

TEST(ApiHandlerLoggingTest, RequestsAreLoggedAtDebugLevel) {
  LogLevel saved = GetLogLevel();
  HttpRequest req;
  req.target = "/api/v1/status/buildinfo?secret=s3cr3t";
  req.remote = "127.0.0.1:5555";
  SetLogLevel(LogLevel::kDebug);
  ::testing::internal::CaptureStderr();
  ApiHandler(ApiDeps{}).Handle(req);
  std::string debug_log = ::testing::internal::GetCapturedStderr();
  SetLogLevel(LogLevel::kInfo);
  ::testing::internal::CaptureStderr();
  ApiHandler(ApiDeps{}).Handle(req);
  std::string info_log = ::testing::internal::GetCapturedStderr();
  SetLogLevel(saved);
  EXPECT_NE(debug_log.find("level=debug component=web"), std::string::npos) << debug_log;
  EXPECT_NE(debug_log.find("method=GET path=/api/v1/status/buildinfo code=200"), std::string::npos) << debug_log;
  EXPECT_NE(debug_log.find("remote=127.0.0.1:5555"), std::string::npos) << debug_log;
  EXPECT_EQ(debug_log.find("s3cr3t"), std::string::npos) << debug_log;  // query strings are not logged
  EXPECT_EQ(info_log, "");
}

TEST(ApiResultTest, NoContentIs204WithoutBody) {
  HttpResponse r = RenderApiResult(ApiResult::NoContent());
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.Header("Content-Type"), "");
}

TEST(ApiHandlerRoutingTest, SlowEndpointsRunOnTheQueryPool) {
  EXPECT_TRUE(ApiHandler::IsSlowEndpoint("/api/v1/query?query=up"));
  EXPECT_TRUE(ApiHandler::IsSlowEndpoint("/api/v1/query_range"));
  EXPECT_TRUE(ApiHandler::IsSlowEndpoint("/api/v1/series?match[]=up"));
  EXPECT_TRUE(ApiHandler::IsSlowEndpoint("/api/v1/label/job/values"));
  EXPECT_FALSE(ApiHandler::IsSlowEndpoint("/metrics"));
  EXPECT_FALSE(ApiHandler::IsSlowEndpoint("/-/healthy"));
  EXPECT_FALSE(ApiHandler::IsSlowEndpoint("/api/v1/status/buildinfo"));
}

TEST_F(ApiHandlerTest, MultipartBodiesAreRejectedLoudly) {
  HttpRequest req = PostForm("/api/v1/query", "--x\r\n");
  req.headers = {{"Content-Type", "multipart/form-data; boundary=x"}};
  HttpResponse r = Do(req);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("unsupported: multipart request bodies"), std::string::npos) << r.body;
}

TEST_F(ApiHandlerTest, MetricsEndpointAndSelfMetrics) {
  ApiHandler handler(deps_);
  handler.Handle(Get("/-/healthy"));
  handler.Handle(Get("/api/v1/label/job/values"));
  handler.Handle(Get("/nope"));
  HttpResponse r = handler.Handle(Get("/metrics"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("prometheus_http_requests_total{code=\"200\",handler=\"/-/healthy\"} 1"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("prometheus_http_requests_total{code=\"200\",handler=\"/api/v1/label/:name/values\"} 1"),
            std::string::npos);
  EXPECT_NE(r.body.find("prometheus_http_requests_total{code=\"404\",handler=\"other\"} 1"), std::string::npos);
  EXPECT_NE(r.body.find("prometheus_http_request_duration_seconds_count{handler=\"/-/healthy\"} 1"), std::string::npos);
}

TEST_F(ApiHandlerTest, LabelNamesAndValues) {
  HttpResponse r = Do(Get("/api/v1/labels"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.body, R"({"status":"success","data":["__name__","instance","job","path"]})");
  r = Do(Get("/api/v1/labels?match[]=up"));
  EXPECT_EQ(r.body, R"({"status":"success","data":["__name__","instance","job"]})");
  r = Do(Get("/api/v1/label/job/values"));
  EXPECT_EQ(r.body, R"({"status":"success","data":["api","db"]})");
  r = Do(Get("/api/v1/label/__name__/values?match[]=%7Bjob%3D%22api%22%7D"));
  EXPECT_EQ(r.body, R"({"status":"success","data":["http_requests_total","up"]})");
  // Several selectors: union, sorted, deduplicated.
  r = Do(Get("/api/v1/label/job/values?match[]=up{job=\"db\"}&match[]=http_requests_total"));
  EXPECT_EQ(r.body, R"({"status":"success","data":["api","db"]})");
  r = Do(Get("/api/v1/label/job/values?limit=1"));
  EXPECT_EQ(r.body, R"({"status":"success","data":["api"],"warnings":["results truncated due to limit"]})");
  r = Do(Get("/api/v1/label/path/values"));
  EXPECT_EQ(r.body, R"({"status":"success","data":["/\u003cx\u003e"]})");
  // Time range excludes every sample.
  r = Do(Get("/api/v1/label/job/values?start=10&end=20"));
  EXPECT_EQ(r.body, R"({"status":"success","data":[]})");
  // UTF-8 escaped label names in the path.
  r = Do(Get("/api/v1/label/U__jo_62_/values"));
  EXPECT_EQ(r.body, R"({"status":"success","data":["api","db"]})");
}

TEST_F(ApiHandlerTest, MetadataParameterErrors) {
  HttpResponse r = Do(Get("/api/v1/labels?start=abc"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(
      r.body,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": invalid time value for 'start': cannot parse \"abc\" to a valid timestamp"})");
  r = Do(Get("/api/v1/label/job/values?limit=x"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(
      r.body,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"limit\": strconv.Atoi: parsing \"x\": invalid syntax"})");
  r = Do(Get("/api/v1/labels?match[]=%7Bjob%3D~%22.*%22%7D"));
  EXPECT_EQ(r.status, 400);
  r = Do(Get("/api/v1/label/%ff/values"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.find(R"({"status":"error","errorType":"bad_data","error":"invalid label name: )"), 0u) << r.body;
}

TEST_F(ApiHandlerTest, Series) {
  HttpResponse r = Do(Get("/api/v1/series"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
  r = Do(PostForm("/api/v1/series", "match[]=up"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":[{"__name__":"up","instance":"a:1","job":"api"},{"__name__":"up","instance":"b:2","job":"db"}]})");
  r = Do(Get("/api/v1/series?match[]=up&match[]=up{job=\"api\"}&limit=1"));
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":[{"__name__":"up","instance":"a:1","job":"api"}],"warnings":["results truncated due to limit"]})");
  r = Do(Get("/api/v1/series?match[]=up&start=1.5&end=1.9"));
  EXPECT_EQ(r.body, R"({"status":"success","data":[]})");
  r = Do(Get("/api/v1/series?match[]=up{"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.find(R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"match[]\": )"), 0u)
      << r.body;
}

TEST_F(ApiHandlerTest, StatusEndpoints) {
  HttpResponse r = Do(Get("/api/v1/status/buildinfo"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("version":"3.0.0")"), std::string::npos);
  r = Do(Get("/api/v1/status/config"));
  EXPECT_EQ(r.body, R"({"status":"success","data":{"yaml":"global:\n  scrape_interval: 15s\n"}})");
  r = Do(Get("/api/v1/status/flags"));
  EXPECT_EQ(r.body, R"({"status":"success","data":{"config.file":"prometheus.yml","storage.tsdb.path":"data/"}})");
  r = Do(Get("/api/v1/status/runtimeinfo"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("reloadConfigSuccess":true)"), std::string::npos);
  EXPECT_EQ(Do(Get("/api/v1/rules")).body, R"({"status":"success","data":{"groups":[]}})");
  EXPECT_EQ(Do(Get("/api/v1/alerts")).body, R"({"status":"success","data":{"alerts":[]}})");
  // No target_metadata callback: no metadata, as a Prometheus without targets.
  EXPECT_EQ(Do(Get("/api/v1/metadata")).body, R"({"status":"success","data":{}})");
  EXPECT_EQ(Do(Get("/api/v1/targets/metadata")).body, R"({"status":"success","data":[]})");
}

TEST_F(ApiHandlerTest, Targets) {
  deps_.targets = [] {
    TargetInfo t;
    t.scrape_pool = "node";
    t.scrape_url = "http://localhost:9100/metrics";
    t.health = "up";
    t.labels = Labels{{"job", "node"}, {"instance", "localhost:9100"}};
    t.discovered_labels = Labels{{"__address__", "localhost:9100"}};
    t.last_scrape_ms = 1435781451781;
    t.last_scrape_duration_seconds = 0.0125;
    t.interval_ms = 15000;
    t.timeout_ms = 10000;
    TargetInfo never;
    never.scrape_pool = "db";
    never.scrape_url = "http://db:9187/metrics";
    never.last_error = "connection refused";
    never.interval_ms = 60000;
    never.timeout_ms = 10000;
    return std::vector<TargetInfo>{t, never};
  };
  HttpResponse r = Do(Get("/api/v1/targets"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":{"activeTargets":[)"
      R"({"discoveredLabels":{},"labels":{},"scrapePool":"db","scrapeUrl":"http://db:9187/metrics","globalUrl":"http://db:9187/metrics","lastError":"connection refused","lastScrape":"0001-01-01T00:00:00Z","lastScrapeDuration":0,"health":"unknown","scrapeInterval":"1m","scrapeTimeout":"10s"},)"
      R"({"discoveredLabels":{"__address__":"localhost:9100"},"labels":{"instance":"localhost:9100","job":"node"},"scrapePool":"node","scrapeUrl":"http://localhost:9100/metrics","globalUrl":"http://localhost:9100/metrics","lastError":"","lastScrape":"2015-07-01T20:10:51.781Z","lastScrapeDuration":0.0125,"health":"up","scrapeInterval":"15s","scrapeTimeout":"10s"}],)"
      R"("droppedTargets":[],"droppedTargetCounts":{}}})");
  r = Do(Get("/api/v1/targets?scrapePool=node&state=active"));
  EXPECT_NE(r.body.find(R"("scrapePool":"node")"), std::string::npos);
  EXPECT_EQ(r.body.find(R"("scrapePool":"db")"), std::string::npos);
  r = Do(Get("/api/v1/targets?state=dropped"));
  EXPECT_EQ(r.body, R"({"status":"success","data":{"activeTargets":[],"droppedTargets":[],"droppedTargetCounts":{}}})");
}

TEST_F(ApiHandlerTest, DroppedTargets) {
  deps_.dropped_targets = [] {
    TargetInfo a;
    a.scrape_pool = "node";
    a.discovered_labels = Labels{{"__address__", "a:9100"}, {"job", "node"}};
    TargetInfo b;
    b.scrape_pool = "node";
    b.discovered_labels = Labels{{"__address__", "b:9100"}, {"job", "node"}};
    TargetInfo c;
    c.scrape_pool = "db";
    c.discovered_labels = Labels{{"__address__", "c:9187"}};
    return std::vector<TargetInfo>{a, b, c};
  };
  HttpResponse r = Do(Get("/api/v1/targets?state=dropped&scrapePool=node"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"success","data":{"activeTargets":[],"droppedTargets":[)"
                    R"({"discoveredLabels":{"__address__":"a:9100","job":"node"},"scrapePool":"node"},)"
                    R"({"discoveredLabels":{"__address__":"b:9100","job":"node"},"scrapePool":"node"}],)"
                    R"("droppedTargetCounts":{"db":1,"node":2}}})");
  r = Do(Get("/api/v1/targets?state=active"));
  EXPECT_NE(r.body.find(R"("droppedTargets":[],"droppedTargetCounts":null)"), std::string::npos) << r.body;
}

TEST_F(ApiHandlerTest, QueryParameterErrorsNeedNoEngine) {
  struct Case {
    std::string target;
    std::string error;
  };
  std::vector<Case> cases = {
      {"/api/v1/query?query=up&time=abc",
       R"(invalid parameter \"time\": invalid time value for 'time': cannot parse \"abc\" to a valid timestamp)"},
      {"/api/v1/query?query=up&timeout=zz",
       R"(invalid parameter \"timeout\": cannot parse \"zz\" to a valid duration)"},
      {"/api/v1/query?query=up&lookback_delta=zz",
       R"(error parsing lookback delta duration: cannot parse \"zz\" to a valid duration)"},
      {"/api/v1/query?query=up&limit=-2", R"(invalid parameter \"limit\": limit must be non-negative)"},
      {"/api/v1/query_range?query=up&start=x&end=2&step=1",
       R"(invalid parameter \"start\": cannot parse \"x\" to a valid timestamp)"},
      {"/api/v1/query_range?query=up&start=1&end=&step=1",
       R"(invalid parameter \"end\": cannot parse \"\" to a valid timestamp)"},
      {"/api/v1/query_range?query=up&start=10&end=2&step=1",
       R"(invalid parameter \"end\": end timestamp must not be before start time)"},
      {"/api/v1/query_range?query=up&start=1&end=2&step=0",
       R"(invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer)"},
      {"/api/v1/query_range?query=up&start=1&end=2&step=-1m",
       R"(invalid parameter \"step\": cannot parse \"-1m\" to a valid duration)"},
      {"/api/v1/query_range?query=up&start=0&end=11001&step=1",
       R"(exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX))"},
      {"/api/v1/query_range?query=up&start=2015-07-01T20:00:00Z&end=2015-07-01T21:00:00Z&step=abc",
       R"(invalid parameter \"step\": cannot parse \"abc\" to a valid duration)"},
  };
  for (const Case& c : cases) {
    HttpResponse r = Do(Get(c.target));
    EXPECT_EQ(r.status, 400) << c.target;
    EXPECT_EQ(r.body, R"({"status":"error","errorType":"bad_data","error":")" + c.error + "\"}") << c.target;
  }
  // Exactly 11,000 steps is still accepted (then fails only for the engine).
  HttpResponse r = Do(Get("/api/v1/query_range?query=up&start=0&end=11000&step=1"));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(
      r.body,
      R"({"status":"error","errorType":"unavailable","error":"unsupported: no query engine or storage configured"})");
}

}  // namespace
}  // namespace promethium::web
