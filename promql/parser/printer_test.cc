// Printer tests on hand-built trees (forms the parser cannot produce on its
// own, such as sorting of matchers and modifier order).
#include <gtest/gtest.h>

#include "promql/parser/functions.h"
#include "promql/parser/parser.h"

namespace promethium::promql {
namespace {

Matcher M(MatchType t, std::string name, std::string value) {
  return std::move(Matcher::Make(t, std::move(name), std::move(value))).value();
}

TEST(PrinterTest, VectorSelectorSortsMatchersAndHidesTheName) {
  VectorSelector vs;
  vs.name = "foobar";
  vs.matchers = {M(MatchType::kEqual, "b", "y"), M(MatchType::kRegexMatch, "a", "x|z"),
                 M(MatchType::kEqual, "__name__", "foobar")};
  EXPECT_EQ(ToString(vs), "foobar{a=~\"x|z\",b=\"y\"}");

  VectorSelector only_name;
  only_name.matchers = {M(MatchType::kEqual, "__name__", "foobar")};
  EXPECT_EQ(ToString(only_name), "{__name__=\"foobar\"}");

  VectorSelector empty_name;
  empty_name.matchers = {M(MatchType::kEqual, "__name__", ""), M(MatchType::kEqual, "a", "x")};
  EXPECT_EQ(ToString(empty_name), "{__name__=\"\",a=\"x\"}");

  VectorSelector utf8;
  utf8.matchers = {M(MatchType::kEqual, "a.b", "c\n\"d\""), M(MatchType::kEqual, "", "e")};
  EXPECT_EQ(ToString(utf8), "{\"\"=\"e\",\"a.b\"=\"c\\n\\\"d\\\"\"}");
}

TEST(PrinterTest, ModifiersAndDurations) {
  auto ms = std::make_unique<MatrixSelector>();
  ms->vector_selector = std::make_unique<VectorSelector>();
  ms->vector_selector->name.assign(1, 'a');
  ms->vector_selector->matchers = {M(MatchType::kEqual, "__name__", "a")};
  ms->vector_selector->offset_ms = -90000;
  ms->vector_selector->at = AtModifier::kTimestamp;
  ms->vector_selector->at_timestamp_ms = 1234;
  ms->range_ms = 8LL * 24 * 3600 * 1000 + 1;
  EXPECT_EQ(ToString(*ms), "a[1w1d1ms] @ 1.234 offset -1m30s");

  SubqueryExpr sq;
  sq.expr = std::move(ms);
  sq.range_ms = 366LL * 24 * 3600 * 1000;
  sq.at = AtModifier::kStart;
  EXPECT_EQ(ToString(sq), "a[1w1d1ms] @ 1.234 offset -1m30s[1y1d:] @ start()");
}

TEST(PrinterTest, NumbersAndStrings) {
  NumberLiteral n;
  n.value = 1e21;
  EXPECT_EQ(ToString(n), "1000000000000000000000");
  n.value = 0.000001;
  EXPECT_EQ(ToString(n), "0.000001");
  n.value = -300;
  n.duration = true;
  EXPECT_EQ(ToString(n), "-5m");
  StringLiteral s;
  s.value = "tab\there \xe2\x82\xac \x01";
  EXPECT_EQ(ToString(s), "\"tab\\there \xe2\x82\xac \\x01\"");
}

TEST(PrinterTest, PrometheusPrinterCases) {
  const std::pair<const char*, const char*> cases[] = {
      {"sum by() (task:errors:rate10s{job=\"s\"})", "sum(task:errors:rate10s{job=\"s\"})"},
      {"sum by(code) (task:errors:rate10s{job=\"s\"})", "sum by (code) (task:errors:rate10s{job=\"s\"})"},
      {"sum without() (task:errors:rate10s{job=\"s\"})", "sum without () (task:errors:rate10s{job=\"s\"})"},
      {"topk(5, task:errors:rate10s{job=\"s\"})", "topk(5, task:errors:rate10s{job=\"s\"})"},
      {"a - on(b) group_left c", "a - on (b) group_left () c"},
      {"a - ignoring() group_left c", "a - ignoring () group_left () c"},
      {"up > bool 0", "up > bool 0"},
      {"a[1h:5m] offset 1m", "a[1h:5m] offset 1m"},
      {"a @ 10", "a @ 10.000"},
      {"{\"_0\"=\"1\"}", "{_0=\"1\"}"},
      {"{``=\"0\"}", "{\"\"=\"0\"}"},
      {"1048576", "1048576"},
      {"predict_linear(foo[1h], 3000)", "predict_linear(foo[1h], 3000)"},
      {"sum by(\"\xc3\xbc\") (foo)", "sum by (\"\xc3\xbc\") (foo)"},
      {"foo / on(\"\xc3\xa4\") group_left(\"\xc3\xb6\") bar", "foo / on (\"\xc3\xa4\") group_left (\"\xc3\xb6\") bar"},
  };
  for (const auto& [in, out] : cases) {
    auto e = ParseExpr(in);
    ASSERT_TRUE(e.ok()) << in << ": " << e.status().message();
    EXPECT_EQ(ToString(**e), out) << in;
  }
}

}  // namespace
}  // namespace promethium::promql
