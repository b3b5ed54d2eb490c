// /api/v1/query and /api/v1/query_range end to end: ApiHandler with a real
// PromQL Engine over an in-memory Queryable, and the JSON for each value type.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "promql/engine/engine.h"
#include "tsdb/api/storage.h"
#include "web/api_handler.h"
#include "web/form_values.h"
#include "web/testing_storage.h"
#include "web/value_json.h"

namespace promethium::web {
namespace {

TEST(ValueJsonTest, EachValueType) {
  auto render = [](const promql::Value& v) {
    JsonWriter w;
    WriteQueryData(&w, v, nullptr);
    return w.Take();
  };
  EXPECT_EQ(render(promql::Scalar{1435781451781, 1.5}), R"({"resultType":"scalar","result":[1435781451.781,"1.5"]})");
  EXPECT_EQ(render(promql::String{1000, "a\"<b>"}), R"({"resultType":"string","result":[1,"a\"\u003cb\u003e"]})");
  promql::Vector vec = {{Labels{{"__name__", "up"}, {"job", "x&y"}}, 1500, std::nan(""), nullptr},
                        {Labels{}, 2000, std::numeric_limits<double>::infinity(), nullptr}};
  EXPECT_EQ(render(vec),
            R"({"resultType":"vector","result":[{"metric":{"__name__":"up","job":"x\u0026y"},"value":[1.500,"NaN"]},)"
            R"({"metric":{},"value":[2,"+Inf"]}]})");
  EXPECT_EQ(render(promql::Vector{}), R"({"resultType":"vector","result":[]})");
  promql::Matrix matrix = {{Labels{{"a", "b"}}, {{1000, -std::numeric_limits<double>::infinity()}, {2001, 1e-9}}, {}},
                           {Labels{{"a", "c"}}, {}, {}}};
  EXPECT_EQ(render(matrix),
            R"({"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1,"-Inf"],[2.001,"1e-09"]]},)"
            R"({"metric":{"a":"c"}}]})");
  promql::QueryStats stats;
  stats.total_queryable_samples = 7;
  stats.peak_samples = 3;
  JsonWriter w;
  WriteQueryData(&w, promql::Scalar{0, 1}, &stats);
  EXPECT_NE(w.str().find(R"("samples":{"totalQueryableSamples":7,"peakSamples":3})"), std::string::npos) << w.str();
}

// Prometheus's json_codec_test.go case for a histogram point, and the same
// histogram as a vector element.
TEST(ValueJsonTest, NativeHistograms) {
  auto h = std::make_shared<FloatHistogram>();
  h->schema = 2;
  h->zero_threshold = 0.001;
  h->zero_count = 12;
  h->count = 10;
  h->sum = 20;
  h->positive_spans = {{3, 2}, {1, 3}};
  h->negative_spans = {{2, 2}};
  h->positive_buckets = {1, 2, 2, 1, 1};
  h->negative_buckets = {2, 1};
  const std::string want_h =
      R"({"count":"10","sum":"20","buckets":[[1,"-1.6817928305074288","-1.414213562373095","1"],)"
      R"([1,"-1.414213562373095","-1.189207115002721","2"],[3,"-0.001","0.001","12"],)"
      R"([0,"1.414213562373095","1.6817928305074288","1"],[0,"1.6817928305074288","2","2"],)"
      R"([0,"2.378414230005442","2.82842712474619","2"],[0,"2.82842712474619","3.3635856610148576","1"],)"
      R"([0,"3.3635856610148576","4","1"]]})";
  auto render = [](const promql::Value& v) {
    JsonWriter w;
    WriteResultValue(&w, v);
    return w.Take();
  };
  promql::Matrix matrix(1);
  matrix[0].metric = Labels{{"__name__", "foo"}};
  matrix[0].histograms.push_back({1000, h});
  EXPECT_EQ(render(matrix), R"([{"metric":{"__name__":"foo"},"histograms":[[1,)" + want_h + "]]}]");

  promql::Vector vec(1);
  vec[0].metric = Labels{{"__name__", "foo"}};
  vec[0].t = 1500;
  vec[0].h = h;
  EXPECT_EQ(render(vec), R"([{"metric":{"__name__":"foo"},"histogram":[1.500,)" + want_h + "]}]");

  // Custom buckets: the first bucket is [-Inf, upper] (rule 3), the others
  // (lower, upper]; empty buckets are left out; no buckets, no key.
  auto nhcb = std::make_shared<FloatHistogram>();
  nhcb->schema = kCustomBucketsSchema;
  nhcb->custom_values = {0.5, 1};
  nhcb->count = 5;
  nhcb->sum = 2.5;
  nhcb->positive_spans = {{0, 3}};
  nhcb->positive_buckets = {2, 0, 3};
  vec[0].h = nhcb;
  EXPECT_EQ(render(vec), R"([{"metric":{"__name__":"foo"},"histogram":[1.500,{"count":"5","sum":"2.5","buckets":)"
                         R"([[3,"-Inf","0.5","2"],[0,"1","+Inf","3"]]}]}])");
  vec[0].h = std::make_shared<FloatHistogram>();
  EXPECT_EQ(render(vec), R"([{"metric":{"__name__":"foo"},"histogram":[1.500,{"count":"0","sum":"0"}]}])");
}

class QueryApiTest : public ::testing::Test {
 protected:
  QueryApiTest()
      : storage_({
            {Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "a:1"}}, {{1000, 1}, {2000, 1}, {3000, 0}}},
            {Labels{{"__name__", "up"}, {"job", "db"}, {"instance", "b:2"}}, {{1000, 0}}},
        }),
        engine_(promql::EngineOptions{}) {
    deps_.storage = &storage_;
    deps_.engine = &engine_;
  }
  HttpResponse Do(std::string target, const std::atomic<bool>* canceled = nullptr) {
    HttpRequest req;
    req.target = std::move(target);
    return ApiHandler(deps_).Handle(req, canceled);
  }

  MemoryQueryable storage_;
  promql::Engine engine_;
  ApiDeps deps_;
};

TEST_F(QueryApiTest, InstantVector) {
  HttpResponse r = Do("/api/v1/query?query=up%7Bjob%3D%22api%22%7D&time=2.5");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"vector","result":[)"
                    R"({"metric":{"__name__":"up","instance":"a:1","job":"api"},"value":[2.500,"1"]}]}})");
}

TEST_F(QueryApiTest, InstantQueryTimeAsRfc3339) {
  HttpResponse r = Do("/api/v1/query?query=up{job=\"api\"}&time=1970-01-01T00:00:03Z");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("value":[3,"0"])"), std::string::npos) << r.body;
}

TEST_F(QueryApiTest, PostFormQuery) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/query?query=ignored_since_body_wins";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "query=sum(up)&time=2";
  HttpResponse r = ApiHandler(deps_).Handle(req);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[2,"1"]}]}})");
}

TEST_F(QueryApiTest, HugeFormBodyIs413WithoutParsing) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/query";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "query=sum(up)&pad=" + std::string(kMaxFormBodyBytes, 'x');
  HttpResponse r = ApiHandler(deps_).Handle(req);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "http: POST too large\n");
  req.body.resize(kMaxFormBodyBytes);  // at the bound it is parsed
  r = ApiHandler(deps_).Handle(req);
  EXPECT_EQ(r.status, 200) << r.body.substr(0, 200);
}

TEST_F(QueryApiTest, RangeQueryMatrix) {
  HttpResponse r = Do("/api/v1/query_range?query=up{job=\"api\"}&start=1&end=3&step=1s");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"resultType":"matrix","result":[)"
            R"({"metric":{"__name__":"up","instance":"a:1","job":"api"},"values":[[1,"1"],[2,"1"],[3,"0"]]}]}})");
  r = Do("/api/v1/query_range?query=up{job=\"api\"}&start=1&end=3&step=2");
  EXPECT_NE(r.body.find(R"("values":[[1,"1"],[3,"0"]])"), std::string::npos) << r.body;
}

TEST_F(QueryApiTest, ScalarAndStringResults) {
  HttpResponse r = Do("/api/v1/query?query=1%2B1&time=10.5");
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"scalar","result":[10.500,"2"]}})");
  r = Do("/api/v1/query?query=0/0&time=1");
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}})");
  r = Do("/api/v1/query?query=-1/0&time=1");
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"scalar","result":[1,"-Inf"]}})");
  r = Do("/api/v1/query?query=%22a%3Cb%22&time=1");
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"string","result":[1,"a\u003cb"]}})");
}

TEST_F(QueryApiTest, LimitTruncatesWithWarning) {
  HttpResponse r = Do("/api/v1/query?query=up&time=2&limit=1");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("warnings":["results truncated due to limit"])"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("\"job\":\"db\"") == std::string::npos, r.body.find("\"job\":\"api\"") != std::string::npos);
}

TEST_F(QueryApiTest, ParseErrorsAreInvalidQueryParameter) {
  HttpResponse r = Do("/api/v1/query?query=up%7B&time=1");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.find(R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:)"), 0u)
      << r.body;
  r = Do("/api/v1/query?time=1");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"(invalid parameter \"query\": )"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("no expression found in input"), std::string::npos) << r.body;
  r = Do("/api/v1/query_range?query=%22s%22&start=1&end=2&step=1");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("for range query, must be Scalar or instant Vector"), std::string::npos) << r.body;
}

TEST_F(QueryApiTest, StatsParameter) {
  HttpResponse r = Do("/api/v1/query?query=up&time=2&stats=true");
  EXPECT_NE(r.body.find(R"("stats":{"timings":{)"), std::string::npos) << r.body;
  r = Do("/api/v1/query?query=1&time=2&stats=yes");
  EXPECT_NE(r.body.find(R"("warnings":["value \"yes\" for parameter \"stats\" is deprecated)"), std::string::npos)
      << r.body;
}

TEST_F(QueryApiTest, CanceledQueryReports499) {
  std::atomic<bool> canceled{true};
  HttpResponse r = Do("/api/v1/query?query=up&time=2", &canceled);
  EXPECT_EQ(r.status, 499) << r.body;
  EXPECT_NE(r.body.find(R"("errorType":"canceled")"), std::string::npos) << r.body;
}

TEST_F(QueryApiTest, TimeoutParameterReaches503) {
  // A storage slower than the requested timeout.
  class SlowQueryable final : public Queryable {
   public:
    explicit SlowQueryable(Queryable* inner) : inner_(inner) {}
    Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return inner_->NewQuerier(mint, maxt);
    }

   private:
    Queryable* inner_;
  } slow(&storage_);
  deps_.storage = &slow;
  HttpResponse r = Do("/api/v1/query?query=up&time=2&timeout=0.01");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find(R"("errorType":"timeout")"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace promethium::web

namespace promethium::web {
namespace {

HttpResponse GetExemplars(std::string query_string) {
  HttpRequest req;
  req.target = "/api/v1/query_exemplars?" + std::move(query_string);
  return ApiHandler(ApiDeps{}).Handle(req);
}

TEST(QueryExemplarsTest, EmptyListWithPrometheusValidation) {
  HttpResponse r = GetExemplars("query=up&start=1000&end=2000");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"success","data":[]})");
  EXPECT_EQ(GetExemplars("query=rate(up%5B5m%5D)").body, R"({"status":"success","data":[]})");
  // No selector to look up: 204 without a body, as Prometheus.
  r = GetExemplars("query=1%2B1");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  r = GetExemplars("query=up&start=2000&end=1000");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            R"({"status":"error","errorType":"bad_data","error":"end timestamp must not be before start timestamp"})");
  r = GetExemplars("query=up&start=x");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": )"
                    R"(invalid time value for 'start': cannot parse \"x\" to a valid timestamp"})");
  r = GetExemplars("query=sum(");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("errorType":"bad_data")"), std::string::npos) << r.body;
  HttpRequest post;
  post.method = "POST";
  post.target = "/api/v1/query_exemplars";
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  post.body = "query=up";
  EXPECT_EQ(ApiHandler(ApiDeps{}).Handle(post).status, 200);
}

// Returns fixed exemplars filtered by time, and records the selectors.
class FakeExemplars final : public ExemplarQueryable {
 public:
  Result<std::vector<ExemplarSeries>> SelectExemplars(int64_t start, int64_t end,
                                                      const std::vector<Matchers>& selectors) const override {
    last_selectors = selectors;
    last_start = start;
    last_end = end;
    ExemplarSeries s{Labels{{"__name__", "req_total"}, {"job", "a&b"}}, {}};
    for (const Exemplar& e : stored) {
      if (e.ts >= start && e.ts <= end) s.exemplars.push_back(e);
    }
    if (s.exemplars.empty()) return std::vector<ExemplarSeries>{};
    return std::vector<ExemplarSeries>{s};
  }
  std::vector<Exemplar> stored = {{Labels{{"trace_id", "abc"}}, 1.5, 1600000000123}, {Labels{}, -2, 1600000001000}};
  mutable std::vector<Matchers> last_selectors;
  mutable int64_t last_start = 0, last_end = 0;
};

TEST(QueryExemplarsTest, PrometheusJsonShapeAndSelectors) {
  FakeExemplars exemplars;
  ApiDeps deps;
  deps.exemplars = &exemplars;
  HttpRequest req;
  req.target =
      "/api/v1/query_exemplars?query=" +
      std::string("sum(rate(req_total%7Bjob%3D%22a%22%7D%5B5m%5D))%20%2F%20other&start=1600000000&end=1600000002");
  HttpResponse r = ApiHandler(deps).Handle(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            R"({"status":"success","data":[{"seriesLabels":{"__name__":"req_total","job":"a\u0026b"},"exemplars":[)"
            R"({"labels":{"trace_id":"abc"},"value":"1.5","timestamp":1600000000.123},)"
            R"({"labels":{},"value":"-2","timestamp":1600000001}]}]})");
  EXPECT_EQ(exemplars.last_start, 1600000000000);
  EXPECT_EQ(exemplars.last_end, 1600000002000);
  ASSERT_EQ(exemplars.last_selectors.size(), 2u);
  ASSERT_EQ(exemplars.last_selectors[0].size(), 2u);  // job="a" and __name__="req_total"
  EXPECT_EQ(exemplars.last_selectors[1].size(), 1u);  // __name__="other"
  EXPECT_EQ(exemplars.last_selectors[1][0].value(), "other");

  req.target = "/api/v1/query_exemplars?query=req_total&start=1&end=2";
  EXPECT_EQ(ApiHandler(deps).Handle(req).body, R"({"status":"success","data":[]})");
}

}  // namespace
}  // namespace promethium::web
