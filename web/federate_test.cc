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
#include "scrape/textparse/metrics.pb.h"
#include "tsdb/api/memory_storage.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/varint.h"
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

// Prometheus's federation, text format: exponential native histograms are
// left out (only its protobuf format carries them); custom-bucket (NHCB)
// ones become classic histograms (makeClassicHistogram, then the text
// encoder adds +Inf). The NHCB and its expected buckets are those of
// Prometheus's TestFederationWithNativeHistograms.
TEST(FederateRenderTest, HistogramsInTheTextFormat) {
  const int64_t t = 100 * kMinute;
  MemoryStorage storage;
  storage.Add(Labels{{"__name__", "test_metric"}, {"foo", "0"}}, t, 0);
  Histogram exponential;
  exponential.count = 2;
  exponential.schema = 1;
  exponential.positive_spans = {{0, 1}};
  exponential.positive_buckets = {2};
  storage.AddHistogram(Labels{{"__name__", "test_metric"}, {"foo", "4"}}, t, exponential);
  Histogram nhcb;
  nhcb.count = 6;
  nhcb.sum = 1.234;
  nhcb.schema = kCustomBucketsSchema;
  nhcb.positive_spans = {{0, 2}, {2, 1}};
  nhcb.positive_buckets = {3, -1, -1};
  nhcb.custom_values = {0.1, 0.2, 0.5, 1, 2};
  storage.AddHistogram(Labels{{"__name__", "test_metric"}, {"foo", "6"}}, t, nhcb);
  FloatHistogram gauge = nhcb.ToFloat();
  gauge.counter_reset_hint = CounterResetHint::kGauge;
  storage.AddFloatHistogram(Labels{{"__name__", "test_metric"}, {"foo", "7"}}, t, gauge);
  FloatHistogram stale = nhcb.ToFloat();
  stale.sum = StaleNaN();
  storage.AddFloatHistogram(Labels{{"__name__", "test_metric"}, {"foo", "8"}}, t, stale);
  storage.Add(Labels{{"__name__", "test_metric"}, {"foo", "9"}}, t, 9);

  std::vector<Matchers> selectors = {promql::ParseMetricSelector("test_metric").value()};
  Result<std::string> body = RenderFederation(storage, selectors, Labels(), t + kMinute, FederateOptions());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  const std::string classic_6 =
      "test_metric_bucket{foo=\"6\",instance=\"\",le=\"0.1\"} 3 6000000\n"
      "test_metric_bucket{foo=\"6\",instance=\"\",le=\"0.2\"} 5 6000000\n"
      "test_metric_bucket{foo=\"6\",instance=\"\",le=\"0.5\"} 5 6000000\n"
      "test_metric_bucket{foo=\"6\",instance=\"\",le=\"1\"} 5 6000000\n"
      "test_metric_bucket{foo=\"6\",instance=\"\",le=\"2\"} 6 6000000\n"
      "test_metric_bucket{foo=\"6\",instance=\"\",le=\"+Inf\"} 6 6000000\n"
      "test_metric_sum{foo=\"6\",instance=\"\"} 1.234 6000000\n"
      "test_metric_count{foo=\"6\",instance=\"\"} 6 6000000\n";
  std::string classic_7 = classic_6;
  for (size_t at = classic_7.find("foo=\"6\""); at != std::string::npos; at = classic_7.find("foo=\"6\"", at)) {
    classic_7[at + 5] = '7';
  }
  // A gauge histogram starts its own family (the text format calls it
  // "histogram" too); the kind changing back to floats starts another.
  EXPECT_EQ(*body,
            "# TYPE test_metric untyped\n"
            "test_metric{foo=\"0\",instance=\"\"} 0 6000000\n"
            "# TYPE test_metric histogram\n" +
                classic_6 + "# TYPE test_metric histogram\n" + classic_7 +
                "# TYPE test_metric untyped\n"
                "test_metric{foo=\"9\",instance=\"\"} 9 6000000\n");
}

// expfmt.Negotiate's choice between the formats served.
TEST(FederateNegotiationTest, PicksTheMostPreferredServedFormat) {
  // What a Prometheus scraping native histograms sends (Prometheus's test).
  EXPECT_TRUE(AcceptsDelimitedProtobuf(
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
      "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,"
      "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
  EXPECT_TRUE(
      AcceptsDelimitedProtobuf("text/plain;version=0.0.4;q=0.5, application/vnd.google.protobuf; "
                               "proto=io.prometheus.client.MetricFamily; encoding=delimited; q=0.7"));
  EXPECT_FALSE(AcceptsDelimitedProtobuf(
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.3,"
      "text/plain;version=0.0.4;q=0.5"));
  EXPECT_FALSE(AcceptsDelimitedProtobuf(""));
  EXPECT_FALSE(AcceptsDelimitedProtobuf("application/openmetrics-text;version=1.0.0"));
  // The protobuf text encodings are not served.
  EXPECT_FALSE(
      AcceptsDelimitedProtobuf("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                               "encoding=text"));
}

// The delimited protobuf answer carries native histograms as Prometheus's
// makeNativeHistogram / makeClassicHistogram build them.
TEST(FederateRenderTest, HistogramsInTheProtobufFormat) {
  const int64_t t = 100 * kMinute;
  MemoryStorage storage;
  storage.Add(Labels{{"__name__", "test_metric"}, {"foo", "0"}}, t, 0);
  Histogram exponential;  // Prometheus's histWithoutZeroBucket
  exponential.count = 20;
  exponential.sum = 99.23;
  exponential.schema = 1;
  exponential.positive_spans = {{0, 2}, {1, 2}};
  exponential.positive_buckets = {2, 2, -2, 0};
  exponential.negative_spans = {{0, 2}, {1, 2}};
  exponential.negative_buckets = {2, 2, -2, 0};
  storage.AddHistogram(Labels{{"__name__", "test_metric"}, {"foo", "4"}}, t, exponential);
  Histogram nhcb;
  nhcb.count = 6;
  nhcb.sum = 1.234;
  nhcb.schema = kCustomBucketsSchema;
  nhcb.positive_spans = {{0, 2}, {2, 1}};
  nhcb.positive_buckets = {3, -1, -1};
  nhcb.custom_values = {0.1, 0.2, 0.5, 1, 2};
  storage.AddHistogram(Labels{{"__name__", "test_metric"}, {"foo", "6"}}, t, nhcb);

  ApiDeps deps;
  deps.storage = &storage;
  HttpRequest req;
  req.method = "GET";
  req.target = "/federate?match[]=test_metric";
  req.headers = {{"Accept",
                  "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
                  "text/plain;version=0.0.4;q=0.5"}};
  HttpResponse resp = ServeFederate(deps, req, t + kMinute);
  ASSERT_EQ(resp.status, 200) << resp.body;
  EXPECT_EQ(resp.Header("Content-Type"), kFederateProtobufContentType);

  std::vector<io::prometheus::client::MetricFamily> families;
  std::string_view body = resp.body;
  while (!body.empty()) {
    uint64_t size = 0;
    ASSERT_TRUE(GetUvarint(&body, &size));
    ASSERT_LE(size, body.size());
    ASSERT_TRUE(families.emplace_back().ParseFromArray(body.data(), static_cast<int>(size)));
    body.remove_prefix(size);
  }
  ASSERT_EQ(families.size(), 2u);  // the floats, then both (counter) histograms
  EXPECT_EQ(families[0].name(), "test_metric");
  EXPECT_EQ(families[0].type(), io::prometheus::client::UNTYPED);
  ASSERT_EQ(families[0].metric_size(), 1);
  EXPECT_EQ(families[0].metric(0).untyped().value(), 0);
  EXPECT_EQ(families[0].metric(0).timestamp_ms(), t);
  ASSERT_EQ(families[0].metric(0).label_size(), 2);
  EXPECT_EQ(families[0].metric(0).label(0).name(), "foo");
  EXPECT_EQ(families[0].metric(0).label(1).name(), "instance");
  EXPECT_EQ(families[0].metric(0).label(1).value(), "");

  EXPECT_EQ(families[1].type(), io::prometheus::client::HISTOGRAM);
  ASSERT_EQ(families[1].metric_size(), 2);
  const auto& native = families[1].metric(0).histogram();
  EXPECT_EQ(native.sample_count_float(), 20);
  EXPECT_EQ(native.sample_sum(), 99.23);
  EXPECT_EQ(native.schema(), 1);
  EXPECT_EQ(native.zero_count_float(), 0);
  ASSERT_EQ(native.positive_span_size(), 2);
  EXPECT_EQ(native.positive_span(1).offset(), 1);
  EXPECT_EQ(native.positive_span(1).length(), 2u);
  EXPECT_EQ(std::vector<double>(native.positive_count().begin(), native.positive_count().end()),
            (std::vector<double>{2, 4, 2, 2}));
  EXPECT_EQ(std::vector<double>(native.negative_count().begin(), native.negative_count().end()),
            (std::vector<double>{2, 4, 2, 2}));
  EXPECT_EQ(native.bucket_size(), 0);

  const auto& classic = families[1].metric(1).histogram();
  EXPECT_EQ(classic.sample_count_float(), 6);
  EXPECT_EQ(classic.sample_sum(), 1.234);
  ASSERT_EQ(classic.bucket_size(), 5);  // no +Inf bucket: optional in protobuf
  const double want_cumulative[] = {3, 5, 5, 5, 6};
  const double want_bounds[] = {0.1, 0.2, 0.5, 1, 2};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(classic.bucket(i).cumulative_count_float(), want_cumulative[i]);
    EXPECT_EQ(classic.bucket(i).upper_bound(), want_bounds[i]);
  }
  EXPECT_EQ(classic.positive_span_size(), 0);
}

}  // namespace
}  // namespace promethium::web
