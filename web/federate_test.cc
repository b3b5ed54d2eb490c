// Tests for /federate, after Prometheus's web/federate_test.go scenarios.
//
// Expected bodies are the text exposition format 0.0.4 as our own scraper's
// parser (scrape/textparse/prom_parser) reads it: "# TYPE <name> untyped",
// then `name{l="v",...} <value> <timestamp ms>` lines with escaped values.
// web must not link scrape, so that is checked by eye, not by a parse here.
#include "web/federate.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <fmt/format.h>

#include "promql/engine/engine.h"
#include "promql/parser/parser.h"
#include "tsdb/base/metrics.h"
#include "web/api_handler.h"
#include "web/testing_storage.h"

namespace promethium::web {
namespace {

constexpr int64_t kMinute = 60'000;

int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HttpRequest Get(std::string target) {
  HttpRequest req;
  req.target = std::move(target);
  return req;
}

// Series relative to `base` (the test's "now"); Handle() reads the wall
// clock, so the base is taken when the fixture is built, and every sample
// sits well inside (or well outside) the 5m lookback.
std::vector<MemoryQueryable::Data> FederationSeries(int64_t base) {
  return {
      {Labels{{"__name__", "test_metric1"}, {"foo", "bar"}, {"instance", "i"}},
       {{base - 2 * kMinute, 9000}, {base - 1000, 10000}}},
      {Labels{{"__name__", "test_metric1"}, {"foo", "boo"}, {"instance", "i"}}, {{base - 1000, 1}}},
      {Labels{{"__name__", "test_metric2"}, {"foo", "boo"}, {"instance", "i"}}, {{base - 1000, 1}}},
      {Labels{{"__name__", "test_metric_without_labels"}}, {{base - 1000, 1001}}},
      {Labels{{"__name__", "test_metric_stale"}}, {{base - 2000, 1}, {base - 1000, StaleNaN()}}},
      {Labels{{"__name__", "test_metric_old"}}, {{base - 2 * kMinute, 981}}},
      {Labels{{"__name__", "test_metric_too_old"}}, {{base - 6 * kMinute, 5}}},
      {Labels{{"__name__", "test_metric_future"}}, {{base - 1000, 7}, {base + 10 * kMinute, 8}}},
  };
}

class FederateTest : public ::testing::Test {
 protected:
  FederateTest() : base_(WallNowMs()), storage_(FederationSeries(base_)) {
    deps_.storage = &storage_;
    deps_.metrics = &registry_;
    deps_.ready = [this] { return ready_; };
  }

  HttpResponse Do(const std::string& target) { return ApiHandler(deps_).Handle(Get(target)); }
  // The timestamp of the samples written at base - 1000.
  std::string T1() const { return std::to_string(base_ - 1000); }
  std::string TOld() const { return std::to_string(base_ - 2 * kMinute); }

  int64_t base_;
  MemoryQueryable storage_;
  MetricsRegistry registry_;
  ApiDeps deps_;
  bool ready_ = true;
};

TEST_F(FederateTest, OneSelector) {
  HttpResponse r = Do("/federate?match[]=test_metric1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, fmt::format("# TYPE test_metric1 untyped\n"
                                "test_metric1{{foo=\"bar\",instance=\"i\"}} 10000 {0}\n"
                                "test_metric1{{foo=\"boo\",instance=\"i\"}} 1 {0}\n",
                                T1()));
}

TEST_F(FederateTest, SeriesWithoutLabelsGetEmptyInstance) {
  HttpResponse r = Do("/federate?match[]=test_metric_without_labels");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, fmt::format("# TYPE test_metric_without_labels untyped\n"
                                "test_metric_without_labels{{instance=\"\"}} 1001 {}\n",
                                T1()));
}

TEST_F(FederateTest, SeveralSelectorsAreMergedWithoutDuplicates) {
  std::string expected = fmt::format(
      "# TYPE test_metric1 untyped\n"
      "test_metric1{{foo=\"bar\",instance=\"i\"}} 10000 {0}\n"
      "test_metric1{{foo=\"boo\",instance=\"i\"}} 1 {0}\n"
      "# TYPE test_metric2 untyped\n"
      "test_metric2{{foo=\"boo\",instance=\"i\"}} 1 {0}\n",
      T1());
  HttpResponse r = Do("/federate?match[]=test_metric1&match[]=test_metric2");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, expected);
  // {foo='boo'} selects test_metric1{foo="boo"} a second time.
  r = Do("/federate?match[]=test_metric1&match[]={foo='boo'}");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, expected);
}

TEST_F(FederateTest, EverythingSortedByNameStaleAndOldOmitted) {
  HttpResponse r = Do("/federate?match[]={__name__=~'.%2b'}");  // %2b is '+'
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, fmt::format("# TYPE test_metric1 untyped\n"
                                "test_metric1{{foo=\"bar\",instance=\"i\"}} 10000 {0}\n"
                                "test_metric1{{foo=\"boo\",instance=\"i\"}} 1 {0}\n"
                                "# TYPE test_metric2 untyped\n"
                                "test_metric2{{foo=\"boo\",instance=\"i\"}} 1 {0}\n"
                                "# TYPE test_metric_future untyped\n"
                                "test_metric_future{{instance=\"\"}} 7 {0}\n"
                                "# TYPE test_metric_old untyped\n"
                                "test_metric_old{{instance=\"\"}} 981 {1}\n"
                                "# TYPE test_metric_without_labels untyped\n"
                                "test_metric_without_labels{{instance=\"\"}} 1001 {0}\n",
                                T1(), TOld()));
}

TEST_F(FederateTest, StaleMarkerEndsTheSeries) {
  HttpResponse r = Do("/federate?match[]=test_metric_stale");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
}

TEST_F(FederateTest, LookbackWindow) {
  // 2m ago is inside the default 5m lookback, 6m ago is not.
  EXPECT_EQ(Do("/federate?match[]=test_metric_old").body,
            fmt::format("# TYPE test_metric_old untyped\ntest_metric_old{{instance=\"\"}} 981 {}\n", TOld()));
  EXPECT_EQ(Do("/federate?match[]=test_metric_too_old").body, "");
  // Samples after "now" are not federated: the newest one before it is.
  EXPECT_EQ(Do("/federate?match[]=test_metric_future").body,
            fmt::format("# TYPE test_metric_future untyped\ntest_metric_future{{instance=\"\"}} 7 {}\n", T1()));
}

TEST_F(FederateTest, LookbackComesFromTheEngine) {
  promql::EngineOptions eopts;
  eopts.lookback_delta_ms = kMinute;
  promql::Engine engine(eopts);
  deps_.engine = &engine;
  EXPECT_EQ(FederateOptionsFromDeps(deps_).lookback_delta_ms, kMinute);
  EXPECT_EQ(Do("/federate?match[]=test_metric_old").body, "");  // 2m ago: outside 1m
  EXPECT_NE(Do("/federate?match[]=test_metric1").body, "");
}

TEST_F(FederateTest, ExternalLabelsAddedWhenAbsent) {
  deps_.external_labels = [] { return Labels{{"foo", "baz"}, {"zone", "ie"}}; };
  HttpResponse r = Do("/federate?match[]=test_metric1&match[]=test_metric_old");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, fmt::format("# TYPE test_metric1 untyped\n"
                                "test_metric1{{foo=\"bar\",instance=\"i\",zone=\"ie\"}} 10000 {0}\n"
                                "test_metric1{{foo=\"boo\",instance=\"i\",zone=\"ie\"}} 1 {0}\n"
                                "# TYPE test_metric_old untyped\n"
                                "test_metric_old{{foo=\"baz\",instance=\"\",zone=\"ie\"}} 981 {1}\n",
                                T1(), TOld()));
}

TEST_F(FederateTest, InstanceAsExternalLabel) {
  deps_.external_labels = [] { return Labels{{"instance", "baz"}}; };
  HttpResponse r = Do("/federate?match[]=test_metric2&match[]=test_metric_old");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, fmt::format("# TYPE test_metric2 untyped\n"
                                "test_metric2{{foo=\"boo\",instance=\"i\"}} 1 {0}\n"
                                "# TYPE test_metric_old untyped\n"
                                "test_metric_old{{instance=\"baz\"}} 981 {1}\n",
                                T1(), TOld()));
}

TEST(FederateRenderTest, EscapingAndFloatFormatting) {
  const int64_t now = 1'700'000'000'000;
  MemoryQueryable storage({
      {Labels{{"__name__", "esc"}, {"path", "a\"b\\c\nd"}}, {{now - 10, 1.5e6}}},
      {Labels{{"__name__", "esc"}, {"path", "inf"}}, {{now - 10, std::numeric_limits<double>::infinity()}}},
      {Labels{{"__name__", "esc"}, {"path", "nan"}}, {{now - 10, std::numeric_limits<double>::quiet_NaN()}}},
      {Labels{{"__name__", "esc"}, {"path", "small"}}, {{now - 10, 0.00001}}},
      {Labels{{"__name__", "my.utf8"}, {"a.b", "x"}}, {{now - 10, -2}}},
  });
  Result<Matchers> all = promql::ParseMetricSelector("{__name__=~\".+\"}");
  ASSERT_TRUE(all.ok());
  Result<std::string> body = RenderFederation(storage, {*all}, Labels(), now, FederateOptions());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body,
            "# TYPE esc untyped\n"
            "esc{instance=\"\",path=\"a\\\"b\\\\c\\nd\"} 1.5e+06 1699999999990\n"
            "esc{instance=\"\",path=\"inf\"} +Inf 1699999999990\n"
            "esc{instance=\"\",path=\"nan\"} NaN 1699999999990\n"
            "esc{instance=\"\",path=\"small\"} 1e-05 1699999999990\n"
            "# TYPE my_utf8 untyped\n"  // UTF-8 names get Prometheus's "underscores" escaping
            "my_utf8{a_b=\"x\",instance=\"\"} -2 1699999999990\n");
}

TEST(FederateRenderTest, MaxSeriesTimeoutAndCancel) {
  const int64_t now = 1'700'000'000'000;
  std::vector<MemoryQueryable::Data> data;
  for (int i = 0; i < 300; ++i) {
    data.push_back({Labels{{"__name__", "many"}, {"i", std::to_string(i)}}, {{now - 1000, 1}}});
  }
  MemoryQueryable storage(std::move(data));
  Result<Matchers> many = promql::ParseMetricSelector("many");
  ASSERT_TRUE(many.ok());

  FederateOptions opts;
  opts.max_series = 300;
  EXPECT_TRUE(RenderFederation(storage, {*many}, Labels(), now, opts).ok());
  opts.max_series = 299;
  Result<std::string> r = RenderFederation(storage, {*many}, Labels(), now, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kResourceExhausted);
  EXPECT_NE(r.status().message().find("more than 299 series"), std::string::npos) << r.status().message();

  // A deadline already in the past: no timing involved.
  opts = FederateOptions();
  opts.timeout = std::chrono::milliseconds(-1);
  r = RenderFederation(storage, {*many}, Labels(), now, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kDeadlineExceeded);

  std::atomic<bool> canceled{true};
  r = RenderFederation(storage, {*many}, Labels(), now, FederateOptions(), &canceled);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCanceled);
}

TEST_F(FederateTest, MaxSeriesErrorOverHttp) {
  promql::EngineOptions eopts;
  eopts.max_samples = 1;
  promql::Engine engine(eopts);
  deps_.engine = &engine;
  HttpResponse r = Do("/federate?match[]=test_metric1");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body, "federation matched more than 1 series (--query.max-samples); narrow the match[] selectors\n");
  EXPECT_NE(registry_.RenderText().find("prometheus_web_federation_errors_total 1"), std::string::npos);
}

TEST_F(FederateTest, Errors) {
  // No match[]: nothing to federate, as Prometheus (200, empty body).
  HttpResponse r = Do("/federate");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  r = Do("/federate?match[]=does_not_match_anything");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");

  r = Do("/federate?match[]=-not-a-valid-metric-name");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "1:1: parse error: unexpected <op:->\n");
  r = Do("/federate?match[]=not-a-valid-metric-name");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "1:4: parse error: unexpected <op:->\n");
  r = Do("/federate?match[]={foo=''}");
  EXPECT_EQ(r.status, 400);
  r = Do("/federate?match[]=%zz");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "error parsing form values: invalid URL escape \"%zz\"\n");

  HttpRequest post = Get("/federate?match[]=test_metric1");
  post.method = "POST";
  EXPECT_EQ(ApiHandler(deps_).Handle(post).status, 405);
  HttpRequest head = Get("/federate?match[]=test_metric1");
  head.method = "HEAD";
  r = ApiHandler(deps_).Handle(head);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");

  ready_ = false;
  r = Do("/federate?match[]=test_metric1");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "Service Unavailable");
  ready_ = true;
  deps_.storage = nullptr;
  EXPECT_EQ(Do("/federate?match[]=test_metric1").status, 503);
}

TEST_F(FederateTest, RoutedAsSlowAndCountedUnderItsHandler) {
  EXPECT_TRUE(ApiHandler::IsSlowEndpoint("/federate?match[]=up"));
  ASSERT_EQ(Do("/federate?match[]=test_metric1").status, 200);
  EXPECT_NE(registry_.RenderText().find("prometheus_http_requests_total{code=\"200\",handler=\"/federate\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace promethium::web
