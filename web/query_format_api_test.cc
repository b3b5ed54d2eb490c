// /api/v1/format_query and /api/v1/parse_query through ApiHandler::Handle
// (PrettyPrint's own cases are in promql/parser/pretty_test.cc).
#include <gtest/gtest.h>

#include "web/api_handler.h"

namespace promethium::web {
namespace {

HttpResponse Get(std::string target) {
  HttpRequest req;
  req.target = std::move(target);
  return ApiHandler(ApiDeps{}).Handle(req);
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
