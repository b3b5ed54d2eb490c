// PrettyPrint against Prometheus's own prettier test cases
// (promql/parser/prettier_test.go).
#include "promql/parser/pretty.h"

#include <gtest/gtest.h>

#include "promql/parser/parser.h"

namespace promethium::promql {
namespace {

std::string Pretty10(std::string_view query) {
  Result<ExprPtr> expr = ParseExpr(query);
  EXPECT_TRUE(expr.ok()) << expr.status().message();
  return expr.ok() ? PrettyPrint(**expr, 10) : "";
}

TEST(PrettyPrintTest, LongQueriesSplitAsPrometheus) {
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

TEST(PrettyPrintTest, ShortQueriesStayOnOneLine) {
  Result<ExprPtr> expr = ParseExpr(R"(sum by(job)(rate(foo{a="b"}[5m])))");
  ASSERT_TRUE(expr.ok());
  EXPECT_EQ(PrettyPrint(**expr), R"(sum by (job) (rate(foo{a="b"}[5m])))");
}

}  // namespace
}  // namespace promethium::promql
