// /api/v1/format_query and /api/v1/parse_query through ApiHandler::Handle,
// and PrettyPrint against Prometheus's own prettier test cases.
#include <gtest/gtest.h>

#include "promql/parser/parser.h"
#include "web/api_handler.h"
#include "web/promql_pretty.h"

namespace promethium::web {
namespace {

HttpResponse Get(std::string target) {
  HttpRequest req;
  req.target = std::move(target);
  return ApiHandler(ApiDeps{}).Handle(req);
}

std::string Pretty10(std::string_view query) {
  Result<promql::ExprPtr> expr = promql::ParseExpr(query);
  EXPECT_TRUE(expr.ok()) << expr.status().message();
  return expr.ok() ? PrettyPrint(**expr, 10) : "";
}

TEST(FormatQueryTest, ShortQueriesPrintOnOneLine) {
  HttpResponse r = Get("/api/v1/format_query?query=sum%20by(job)(rate(foo%7Ba%3D%22b%22%7D%5B5m%5D))");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"json({"status":"success","data":"sum by (job) (rate(foo{a=\"b\"}[5m]))"})json");
}

TEST(FormatQueryTest, PostFormWorksAndErrorsAreBadData) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/format_query";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "query=foo%2Bbar";
  HttpResponse r = ApiHandler(ApiDeps{}).Handle(req);
  EXPECT_EQ(r.body, R"({"status":"success","data":"foo + bar"})");

  r = Get("/api/v1/format_query?query=sum(");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error)"),
            std::string::npos)
      << r.body;
}

TEST(FormatQueryTest, LongQueriesSplitAsPrometheus) {
  // Prometheus's prettier_test.go cases (printed with 10 columns).
  EXPECT_EQ(Pretty10("sum(foo)"), "sum(foo)");
  EXPECT_EQ(Pretty10(R"(sum without(job,foo) (task:errors:rate10s{job="s"}))"),
            "sum without (job, foo) (\n  task:errors:rate10s{job=\"s\"}\n)");
  EXPECT_EQ(Pretty10(R"(topk(10, ask:errors:rate10s{job="s"}))"), "topk(\n  10,\n  ask:errors:rate10s{job=\"s\"}\n)");
  EXPECT_EQ(Pretty10("a == bool 1"), "  a\n== bool\n  1");
  EXPECT_EQ(Pretty10("foo_1 + foo_2 + foo_3"), "    foo_1\n  +\n    foo_2\n+\n  foo_3");
  EXPECT_EQ(Pretty10("foo_1 + ignoring(foo) foo_2 + ignoring(job) group_left foo_3 + on(instance) group_right foo_4"),
            "      foo_1\n    + ignoring (foo)\n      foo_2\n  + ignoring (job) group_left ()\n    foo_3\n"
            "+ on (instance) group_right ()\n  foo_4");
  EXPECT_EQ(Pretty10("histogram_quantile(0.9, rate(foo[1m]))"),
            "histogram_quantile(\n  0.9,\n  rate(\n    foo[1m]\n  )\n)");
  EXPECT_EQ(
      Pretty10("max_over_time(rate(demo_api_request_duration_seconds_count[1m])[1m:] @ start() offset 1m)"),
      "max_over_time(\n  rate(\n    demo_api_request_duration_seconds_count[1m]\n  )[1m:] @ start() offset 1m\n)");
  EXPECT_EQ(Pretty10("((foo_long))"), "(\n  (foo_long)\n)");
  EXPECT_EQ(Pretty10("-sum(foo_long_metric)"), "-sum(\n  foo_long_metric\n)");
}

TEST(ParseQueryTest, VectorSelectorAst) {
  HttpResponse r = Get("/api/v1/parse_query?query=up%7Bjob%3D%22x%22%7D%20offset%205m");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"success","data":{"anchored":false,"matchers":[{"name":"job","type":"=","value":"x"},)"
                    R"({"name":"__name__","type":"=","value":"up"}],"name":"up","offset":300000,"smoothed":false,)"
                    R"("startOrEnd":null,"timestamp":null,"type":"vectorSelector"}})");
}

TEST(ParseQueryTest, AggregationCallAndBinaryAst) {
  HttpResponse r = Get("/api/v1/parse_query?query=sum%20by(job)(rate(x%5B1m%5D%20%40%20end()))%20%3E%20bool%200.5");
  EXPECT_EQ(r.status, 200);
  std::string want =
      R"({"status":"success","data":{"bool":true,"lhs":{"expr":{"args":[{"anchored":false,)"
      R"("matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"range":60000,)"
      R"("smoothed":false,"startOrEnd":"end","timestamp":null,"type":"matrixSelector"}],)"
      R"("func":{"argTypes":["matrix"],"name":"rate","returnType":"vector","variadic":0},"type":"call"},)"
      R"("grouping":["job"],"op":"sum","param":null,"type":"aggregation","without":false},)"
      R"("matching":null,"op":"\u003e","rhs":{"type":"numberLiteral","val":"0.5"},"type":"binaryExpr"}})";
  EXPECT_EQ(r.body, want);
}

TEST(ParseQueryTest, MatchingSubqueryUnaryParenAndStringAst) {
  HttpResponse r = Get("/api/v1/parse_query?query=a%20%2B%20on(i)%20group_left(k)%20b");
  EXPECT_NE(r.body.find(R"("matching":{"card":"many-to-one","include":["k"],"labels":["i"],"on":true})"),
            std::string::npos)
      << r.body;
  r = Get("/api/v1/parse_query?query=-max_over_time((x)%5B5m%3A1m%5D%20%40%20100)");
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":{"expr":{"args":[{"expr":{"expr":{"anchored":false,"matchers":[{)"
      R"("name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"smoothed":false,"startOrEnd":null,)"
      R"("timestamp":null,"type":"vectorSelector"},"type":"parenExpr"},"offset":0,"range":300000,)"
      R"("startOrEnd":null,"step":60000,"timestamp":100000,"type":"subquery"}],"func":{"argTypes":["matrix"],)"
      R"("name":"max_over_time","returnType":"vector","variadic":0},"type":"call"},"op":"-","type":"unaryExpr"}})");
  r = Get("/api/v1/parse_query?query=%22a%5Cnb%22");
  EXPECT_EQ(r.body, R"({"status":"success","data":{"type":"stringLiteral","val":"a\nb"}})");
  r = Get("/api/v1/parse_query?query=1e100");
  EXPECT_EQ(r.body, R"({"status":"success","data":{"type":"numberLiteral","val":")" + std::string("1") +
                        std::string(100, '0') + R"("}})");
}

}  // namespace
}  // namespace promethium::web
