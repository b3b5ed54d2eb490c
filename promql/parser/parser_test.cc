// Parser tests: tables of valid expressions with their canonical printed
// form, invalid ones with Prometheus's exact error, tree-shape checks for
// precedence and modifiers, the option flags, ParseMetricSelector,
// ParsePromQLDuration and robustness against hostile input.
#include "promql/parser/parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "promql/parser/functions.h"

namespace promethium::promql {
namespace {

ParseOptions AllEnabled() {
  ParseOptions opts;
  opts.enable_experimental_functions = true;
  opts.enable_limit_aggregations = true;
  return opts;
}

ExprPtr MustParse(std::string_view in, const ParseOptions& opts = {}) {
  auto e = ParseExpr(in, opts);
  EXPECT_TRUE(e.ok()) << in << " -> " << e.status().message();
  if (!e.ok()) return nullptr;
  return std::move(e).value();
}

struct PrintCase {
  const char* in;
  const char* out;
};

// Inputs and their canonical form, as Prometheus's String() prints them.
const PrintCase kValid[] = {
    {"1", "1"},
    {"-1", "-1"},
    {"+1", "1"},
    {"0x1F", "31"},
    {"0755", "493"},
    {"1_000", "1000"},
    {"1e3", "1000"},
    {".5", "0.5"},
    {"Inf", "+Inf"},
    {"-inf", "-Inf"},
    {"NaN", "NaN"},
    {"5m", "5m"},
    {"-90s", "-1m30s"},
    {"1 + 2 * 3", "1 + 2 * 3"},
    {"(1 + 2) * 3", "(1 + 2) * 3"},
    {"-2 ^ 2", "-2 ^ 2"},
    {"2 ^ 3 ^ 2", "2 ^ 3 ^ 2"},
    {"1 == bool 2", "1 == bool 2"},
    {"a atan2 b", "a atan2 b"},
    {"a and b or c unless d", "a and b or c unless d"},
    {"foo", "foo"},
    {"foo:bar:baz", "foo:bar:baz"},
    {"foo{}", "foo"},
    {"foo{a=\"b\"}", "foo{a=\"b\"}"},
    {"foo{b='x', a=~\"y.*\"}", "foo{a=~\"y.*\",b=\"x\"}"},
    {"foo{a!=\"b\",c!~\"d\",}", "foo{a!=\"b\",c!~\"d\"}"},
    {"{__name__=\"foo\"}", "{__name__=\"foo\"}"},
    {"{\"my.metric\", \"a.b\"=\"c\"}", "{\"a.b\"=\"c\",__name__=\"my.metric\"}"},
    {"foo{a=`raw\\n`}", "foo{a=\"raw\\\\n\"}"},
    {"foo{a=\"\\x41\\u00e4\\101\"}",
     "foo{a=\"A\xc3\xa4"
     "A\"}"},
    {"sum", "sum"},
    {"by{a=\"b\"}", "by{a=\"b\"}"},
    {"foo[5m]", "foo[5m]"},
    {"foo[90s]", "foo[1m30s]"},
    {"foo[300]", "foo[5m]"},
    {"foo[1h:5m]", "foo[1h:5m]"},
    {"foo[1h:]", "foo[1h:]"},
    {"rate(foo[5m])[30m:1m]", "rate(foo[5m])[30m:1m]"},
    {"foo offset 5m", "foo offset 5m"},
    {"foo offset -5m", "foo offset -5m"},
    {"foo[5m] offset 1h", "foo[5m] offset 1h"},
    {"foo @ 100", "foo @ 100.000"},
    {"foo @ 1.5", "foo @ 1.500"},
    {"foo @ -10", "foo @ -10.000"},
    {"foo @ start()", "foo @ start()"},
    {"foo[5m] @ end()", "foo[5m] @ end()"},
    {"foo offset 5m @ 100", "foo @ 100.000 offset 5m"},
    {"foo @ 100 offset 5m", "foo @ 100.000 offset 5m"},
    {"foo[1h:5m] @ 100 offset 10m", "foo[1h:5m] @ 100.000 offset 10m"},
    {"sum(foo)", "sum(foo)"},
    {"sum by (job) (foo)", "sum by (job) (foo)"},
    {"sum(foo) by (job, instance)", "sum by (job, instance) (foo)"},
    {"sum without (job) (foo)", "sum without (job) (foo)"},
    {"sum without () (foo)", "sum without () (foo)"},
    {"sum by () (foo)", "sum(foo)"},
    {"SUM BY (group) (foo)", "sum by (group) (foo)"},
    {"sum by (job,) (foo)", "sum by (job) (foo)"},
    {"sum by (\"a.b\") (foo)", "sum by (\"a.b\") (foo)"},
    {"sum by (on, by, offset, sum) (foo)", "sum by (on, by, offset, sum) (foo)"},
    {"topk(3, foo)", "topk(3, foo)"},
    {"count_values(\"v\", foo)", "count_values(\"v\", foo)"},
    {"quantile(0.9, foo)", "quantile(0.9, foo)"},
    {"limitk(2, foo)", "limitk(2, foo)"},
    {"limit_ratio(0.5, foo)", "limit_ratio(0.5, foo)"},
    {"sum by (job) (rate(foo{a=\"b\"}[5m] offset 1m))", "sum by (job) (rate(foo{a=\"b\"}[5m] offset 1m))"},
    {"a + on (x) group_left (y) b", "a + on (x) group_left (y) b"},
    {"a + on(x) group_left b", "a + on (x) group_left () b"},
    {"a * ignoring(x) group_right(y, z) b", "a * ignoring (x) group_right (y, z) b"},
    {"a - ignoring() b", "a - b"},
    {"a - on() b", "a - on () b"},
    {"a > bool on(x) b", "a > bool on (x) b"},
    {"a and on(x) b", "a and on (x) b"},
    {"a </ 2", "a </ 2"},
    {"a >/ on(x) b", "a >/ on (x) b"},
    {"time()", "time()"},
    {"pi()", "pi()"},
    {"round(foo)", "round(foo)"},
    {"round(foo, 5)", "round(foo, 5)"},
    {"label_join(foo, \"a\", \",\", \"b\", \"c\", \"d\")", "label_join(foo, \"a\", \",\", \"b\", \"c\", \"d\")"},
    {"label_replace(foo, \"a\", \"$1\", \"b\", \"(.*)\")", "label_replace(foo, \"a\", \"$1\", \"b\", \"(.*)\")"},
    {"histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))",
     "histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))"},
    {"\"a\\tb\"", "\"a\\tb\""},
    {"'single'", "\"single\""},
    {"-foo", "-foo"},
    {"+foo", "+foo"},
    {"- -foo", "--foo"},
    {"-(1)", "-(1)"},
    {"foo # a comment\n + bar", "foo + bar"},
    {"time() - 5m", "time() - 5m"},
    {"foo and bool_metric", "foo and bool_metric"},
    {"absent(nonexistent{job=\"myjob\"})", "absent(nonexistent{job=\"myjob\"})"},
    {"vector(1) or on() vector(2)", "vector(1) or on () vector(2)"},
};

TEST(ParserTest, ValidExpressionsPrintCanonically) {
  for (const auto& c : kValid) {
    ExprPtr e = MustParse(c.in, AllEnabled());
    if (!e) continue;
    std::string printed = ToString(*e);
    EXPECT_EQ(printed, c.out) << "input: " << c.in;
    ExprPtr again = MustParse(printed, AllEnabled());
    if (again) {
      EXPECT_EQ(ToString(*again), printed) << "round trip of " << c.in;
    }
  }
}

struct ErrorCase {
  const char* in;
  const char* error;
};

// Errors not covered by the upstream tables, with Prometheus's wording.
const ErrorCase kInvalid[] = {
    {"", "unknown position: parse error: no expression found in input"},
    {"   ", "1:1: parse error: no expression found in input"},
    {"foo{", "1:5: parse error: unexpected end of input inside braces"},
    {"foo[5m", "1:7: parse error: unclosed left bracket"},
    {"foo]", "1:4: parse error: unexpected right bracket ']'"},
    {"foo[5m][5m]", "1:8: parse error: ranges only allowed for vector selectors"},
    {"foo[5m:1m:]", "1:10: parse error: unexpected colon ':'"},
    {"foo[5m", "1:7: parse error: unclosed left bracket"},
    {"foo @ 1 @ 2", "1:1: parse error: @ <timestamp> may not be set multiple times"},
    {"foo @ start", "1:12: parse error: unexpected end of input in @, expected timestamp"},
    {"foo @ bar", "1:7: parse error: unexpected identifier \"bar\" in @, expected timestamp"},
    {"foo offset bar",
     "1:12: parse error: unexpected identifier \"bar\" in offset, expected number, duration, step(), or range()"},
    {"foo offset 1y1y", "1:12: parse error: bad number or duration syntax: \"1y1\""},
    {"foo offset 1m1h", "1:12: parse error: not a valid duration string: \"1m1h\""},
    {"foo[1000y]", "1:5: parse error: duration out of range"},
    {"foo[NaN]", "1:5: parse error: unexpected character in duration expression: 'N'"},
    {"foo offset NaN", "1:12: parse error: duration out of range"},
    {"foo offset -Inf", "1:12: parse error: duration out of range"},
    {"foo[5m:0s]", "1:8: parse error: duration must be greater than 0"},
    {"foo[5m 1m]", "1:8: parse error: unexpected duration \"1m\" in subquery or range, expected \":\" or \"]\""},
    {"foo[5m:1m 1m]", "1:11: parse error: unexpected duration \"1m\" in subquery selector, expected \"]\""},
    {"foo[5m:foo]", "1:8: parse error: unexpected character: 'f', expected ':'"},
    {"foo[5m+1m]", "1:5: parse error: experimental duration expression is not enabled"},
    {"sum by (a) foo", "1:12: parse error: unexpected identifier \"foo\" in aggregation"},
    {"sum by ((a)) (foo)", "1:9: parse error: unexpected \"(\" in grouping opts, expected label"},
    {"sum by (a b) (foo)", "1:11: parse error: unexpected identifier \"b\" in grouping opts, expected \",\" or \")\""},
    {"sum by (\"\") (foo)", "1:10: parse error: invalid label name for grouping: \"\""},
    {"foo(1)", "1:1: parse error: unknown function with name \"foo\""},
    {"rate(foo[5m] 1)", "1:14: parse error: unexpected number \"1\""},
    {"rate(foo[5m]", "1:13: parse error: unclosed left parenthesis"},
    {"double_exponential_smoothing(foo[5m], 0.5, 0.5)",
     "1:1: parse error: function \"double_exponential_smoothing\" is not enabled"},
    {"limitk(2, foo)",
     "1:1: parse error: limitk() is experimental and must be enabled with "
     "--enable-feature=promql-experimental-functions"},
    {"rate(foo)", "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector"},
    {"label_join(foo)", "1:1: parse error: expected at least 3 argument(s) in call to \"label_join\", got 1"},
    {"round(foo, 1, 2)", "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3"},
    {"foo[5m] + 1", "1:1: parse error: binary expression must contain only scalar and instant vector types"},
    {"1 + \"a\"", "1:5: parse error: binary expression must contain only scalar and instant vector types"},
    {"foo + on(a) 1", "1:1: parse error: vector matching only allowed between instant vectors"},
    {"quantile(\"a\", foo)", "1:10: parse error: expected type scalar in aggregation parameter, got string"},
    {"sum(foo[5m])", "1:5: parse error: expected type instant vector in aggregation expression, got range vector"},
    {"foo offset 5m offset 1m", "1:1: parse error: offset may not be set multiple times"},
    {"(foo) offset 5m",
     "1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a "
     "subquery"},
    {"foo @ 1e30", "1:1: parse error: timestamp out of bounds for @ modifier: 1000000000000000019884624838656.000000"},
    {"foo\n  + * bar", "2:5: parse error: unexpected <op:*>"},
    {"foo{a=\"\\q\"}", "1:7: parse error: unknown escape sequence U+0071 'q'"},
    {"'it\\\"s'", "1:1: parse error: unknown escape sequence U+0022 '\"'"},
    {"\"abcdefghijkl\" \"x\"", "1:16: parse error: unexpected string \"\\\"x\\\"\""},
    {"foo \"abcdefghijkl\"", "1:5: parse error: unexpected string \"\\\"abcdefghi\"..."},
    {"foo bool", "1:5: parse error: unexpected <bool>"},
    {"rate(foo[5m] anchored)", "1:6: parse error: anchored modifier is experimental and not enabled"},
    {"foo Smoothed", "1:1: parse error: smoothed modifier is experimental and not enabled"},
    {"a + fill(0) b", "1:1: parse error: binop fill modifiers are experimental and not enabled"},
    {"x / on(a) group_left fill_left(1) b", "1:1: parse error: binop fill modifiers are experimental and not enabled"},
    {"foo + sum()", "1:7: parse error: no arguments for aggregate expression provided"},
    {"sum(a, b)", "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 2"},
};

TEST(ParserTest, InvalidExpressionsFailWithPrometheusMessages) {
  for (const auto& c : kInvalid) {
    auto e = ParseExpr(c.in);
    ASSERT_FALSE(e.ok()) << c.in;
    EXPECT_EQ(e.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(e.status().message(), c.error) << "input: " << c.in;
  }
}

TEST(ParserTest, BadRegexIsAParseError) {
  auto e = ParseExpr("foo{a=~\"(\"}");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message().rfind("1:5: parse error: error parsing regexp: ", 0), 0u) << e.status().message();
}

TEST(ParserTest, UnaryMinusBindsLooserThanPow) {
  ExprPtr e = MustParse("-2^2");
  ASSERT_EQ(e->kind(), NodeKind::kUnary);
  const auto& u = e->As<UnaryExpr>();
  EXPECT_TRUE(u.negate);
  ASSERT_EQ(u.expr->kind(), NodeKind::kBinary);
  EXPECT_EQ(u.expr->As<BinaryExpr>().op, BinaryOp::kPow);

  // ... but tighter than '*': (-1) * 2 with the sign folded into the literal.
  e = MustParse("-1*2");
  ASSERT_EQ(e->kind(), NodeKind::kBinary);
  const auto& lhs = e->As<BinaryExpr>().lhs;
  ASSERT_EQ(lhs->kind(), NodeKind::kNumberLiteral);
  EXPECT_EQ(lhs->As<NumberLiteral>().value, -1);
  EXPECT_EQ(lhs->pos.start, 0);
  EXPECT_EQ(lhs->pos.end, 2);
}

TEST(ParserTest, PrecedenceAndAssociativity) {
  // or < and/unless < comparison < +- < */% atan2 < ^ (right-assoc).
  ExprPtr e = MustParse("a or b and c == d + e * f ^ g ^ h");
  ASSERT_EQ(e->kind(), NodeKind::kBinary);
  const auto* b = &e->As<BinaryExpr>();
  EXPECT_EQ(b->op, BinaryOp::kOr);
  b = &b->rhs->As<BinaryExpr>();
  EXPECT_EQ(b->op, BinaryOp::kAnd);
  b = &b->rhs->As<BinaryExpr>();
  EXPECT_EQ(b->op, BinaryOp::kEql);
  b = &b->rhs->As<BinaryExpr>();
  EXPECT_EQ(b->op, BinaryOp::kAdd);
  b = &b->rhs->As<BinaryExpr>();
  EXPECT_EQ(b->op, BinaryOp::kMul);
  b = &b->rhs->As<BinaryExpr>();
  EXPECT_EQ(b->op, BinaryOp::kPow);
  EXPECT_EQ(b->lhs->As<VectorSelector>().name, "f");
  EXPECT_EQ(b->rhs->As<BinaryExpr>().op, BinaryOp::kPow);  // g ^ h on the right

  e = MustParse("a - b - c");  // left-associative
  EXPECT_EQ(e->As<BinaryExpr>().lhs->kind(), NodeKind::kBinary);
  EXPECT_EQ(e->As<BinaryExpr>().rhs->kind(), NodeKind::kVectorSelector);

  e = MustParse("a unless b and c");  // same level, left-associative
  EXPECT_EQ(e->As<BinaryExpr>().op, BinaryOp::kAnd);
}

TEST(ParserTest, VectorMatchingIsNormalised) {
  ExprPtr e = MustParse("a + on(x, y) group_left(z) b");
  const auto& b = e->As<BinaryExpr>();
  ASSERT_TRUE(b.matching.has_value());
  EXPECT_EQ(b.matching->card, Cardinality::kManyToOne);
  EXPECT_TRUE(b.matching->on);
  EXPECT_EQ(b.matching->matching_labels, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(b.matching->include, (std::vector<std::string>{"z"}));
  EXPECT_EQ(b.type(), ExprType::kVector);

  e = MustParse("a or b");
  ASSERT_TRUE(e->As<BinaryExpr>().matching.has_value());
  EXPECT_EQ(e->As<BinaryExpr>().matching->card, Cardinality::kManyToMany);

  e = MustParse("a + 1");  // scalar side: no vector matching
  EXPECT_FALSE(e->As<BinaryExpr>().matching.has_value());

  e = MustParse("1 < bool 2");
  EXPECT_TRUE(e->As<BinaryExpr>().return_bool);
  EXPECT_EQ(e->type(), ExprType::kScalar);
}

TEST(ParserTest, SelectorsCarryMatchersAndModifiers) {
  ExprPtr e = MustParse("foo{a=\"b\", c=~\"d|e\"} offset -5m @ 1.5");
  ASSERT_EQ(e->kind(), NodeKind::kVectorSelector);
  const auto& vs = e->As<VectorSelector>();
  EXPECT_EQ(vs.name, "foo");
  ASSERT_EQ(vs.matchers.size(), 3u);
  EXPECT_EQ(vs.matchers[0].name(), "a");
  EXPECT_EQ(vs.matchers[1].type(), MatchType::kRegexMatch);
  EXPECT_EQ(vs.matchers[2].name(), "__name__");  // the outside name comes last
  EXPECT_EQ(vs.matchers[2].value(), "foo");
  EXPECT_EQ(vs.offset_ms, -300000);
  EXPECT_EQ(vs.at, AtModifier::kTimestamp);
  EXPECT_EQ(vs.at_timestamp_ms, 1500);
  EXPECT_EQ(vs.pos.start, 0);
  EXPECT_EQ(vs.pos.end, 37);

  e = MustParse("rate(foo[5m] @ end() offset 1h)");
  const auto& call = e->As<Call>();
  EXPECT_EQ(call.func, LookupFunction("rate"));
  const auto& ms = call.args[0]->As<MatrixSelector>();
  EXPECT_EQ(ms.range_ms, 300000);
  EXPECT_EQ(ms.vector_selector->at, AtModifier::kEnd);
  EXPECT_EQ(ms.vector_selector->offset_ms, 3600000);
  EXPECT_EQ(ms.type(), ExprType::kMatrix);

  e = MustParse("max_over_time(sum(foo)[1h:30s] offset 2m)");
  const auto& sq = e->As<Call>().args[0]->As<SubqueryExpr>();
  EXPECT_EQ(sq.range_ms, 3600000);
  EXPECT_EQ(sq.step_ms, 30000);
  EXPECT_EQ(sq.offset_ms, 120000);
  EXPECT_EQ(sq.expr->kind(), NodeKind::kAggregate);

  e = MustParse("foo[1h:]");
  EXPECT_EQ(e->As<SubqueryExpr>().step_ms, 0);
}

TEST(ParserTest, AggregationsKeepParamsAndGrouping) {
  ExprPtr e = MustParse("topk by (job) (5, foo)");
  const auto& agg = e->As<AggregateExpr>();
  EXPECT_EQ(agg.op, AggregateOp::kTopk);
  ASSERT_NE(agg.param, nullptr);
  EXPECT_EQ(agg.param->As<NumberLiteral>().value, 5);
  EXPECT_EQ(agg.expr->As<VectorSelector>().name, "foo");
  EXPECT_EQ(agg.grouping, (std::vector<std::string>{"job"}));
  EXPECT_FALSE(agg.without);

  e = MustParse("count_values without (a) (\"value\", foo)");
  EXPECT_EQ(e->As<AggregateExpr>().param->As<StringLiteral>().value, "value");
  EXPECT_TRUE(e->As<AggregateExpr>().without);
}

TEST(ParserTest, StringLiteralsAreUnescaped) {
  ExprPtr e = MustParse("\"a\\n\\t\\\\\\\"\\x41\\u00e4\\U0001F600\\101\"");
  EXPECT_EQ(e->As<StringLiteral>().value,
            "a\n\t\\\"A\xc3\xa4\xf0\x9f\x98\x80"
            "A");
  e = MustParse("'it\\'s'");
  EXPECT_EQ(e->As<StringLiteral>().value, "it's");
  e = MustParse("`a\\nb`");
  EXPECT_EQ(e->As<StringLiteral>().value, "a\\nb");
}

TEST(ParserTest, NumbersFollowGoRules) {
  EXPECT_EQ(MustParse("0x10")->As<NumberLiteral>().value, 16);
  EXPECT_EQ(MustParse("010")->As<NumberLiteral>().value, 8);
  EXPECT_EQ(MustParse("08")->As<NumberLiteral>().value, 8);
  EXPECT_EQ(MustParse("1_000_000")->As<NumberLiteral>().value, 1e6);
  EXPECT_EQ(MustParse("1.5e-3")->As<NumberLiteral>().value, 0.0015);
  EXPECT_TRUE(std::isinf(MustParse("+Inf")->As<NumberLiteral>().value));
  EXPECT_TRUE(std::isnan(MustParse("nan")->As<NumberLiteral>().value));
  EXPECT_EQ(MustParse("99999999999999999999")->As<NumberLiteral>().value, 1e20);
  ExprPtr d = MustParse("1h30m");
  EXPECT_EQ(d->As<NumberLiteral>().value, 5400);
  EXPECT_TRUE(d->As<NumberLiteral>().duration);
}

TEST(ParserTest, ExperimentalFeaturesNeedTheirFlags) {
  EXPECT_FALSE(ParseExpr("mad_over_time(foo[5m])").ok());
  EXPECT_TRUE(ParseExpr("mad_over_time(foo[5m])", AllEnabled()).ok());
  ParseOptions limit_only;
  limit_only.enable_limit_aggregations = true;
  EXPECT_TRUE(ParseExpr("limitk(1, foo)", limit_only).ok());
  EXPECT_FALSE(ParseExpr("sort_by_label(foo, \"a\")", limit_only).ok());
  auto e = ParseExpr("info(foo, {a=\"b\"})", AllEnabled());
  EXPECT_TRUE(e.ok()) << e.status().message();
}

TEST(ParserTest, FunctionTableMatchesPrometheus) {
  const FunctionInfo* f = LookupFunction("label_join");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->variadic, -1);
  EXPECT_EQ(f->arg_types.size(), 4u);
  f = LookupFunction("histogram_quantile");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->arg_types, (std::vector<ExprType>{ExprType::kScalar, ExprType::kVector}));
  f = LookupFunction("scalar");
  EXPECT_EQ(f->return_type, ExprType::kScalar);
  f = LookupFunction("double_exponential_smoothing");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->experimental);
  EXPECT_FALSE(LookupFunction("rate")->experimental);
  EXPECT_EQ(LookupFunction("no_such_function"), nullptr);
  for (const char* name : {"abs",
                           "absent",
                           "absent_over_time",
                           "acos",
                           "acosh",
                           "asin",
                           "asinh",
                           "atan",
                           "atanh",
                           "avg_over_time",
                           "ceil",
                           "changes",
                           "clamp",
                           "clamp_max",
                           "clamp_min",
                           "cos",
                           "cosh",
                           "count_over_time",
                           "days_in_month",
                           "day_of_month",
                           "day_of_week",
                           "day_of_year",
                           "deg",
                           "delta",
                           "deriv",
                           "exp",
                           "floor",
                           "histogram_avg",
                           "histogram_count",
                           "histogram_fraction",
                           "histogram_quantile",
                           "histogram_stddev",
                           "histogram_stdvar",
                           "histogram_sum",
                           "hour",
                           "idelta",
                           "increase",
                           "irate",
                           "label_replace",
                           "label_join",
                           "last_over_time",
                           "ln",
                           "log10",
                           "log2",
                           "mad_over_time",
                           "max_over_time",
                           "min_over_time",
                           "minute",
                           "month",
                           "pi",
                           "predict_linear",
                           "present_over_time",
                           "quantile_over_time",
                           "rad",
                           "rate",
                           "resets",
                           "round",
                           "scalar",
                           "sgn",
                           "sin",
                           "sinh",
                           "sort",
                           "sort_desc",
                           "sort_by_label",
                           "sort_by_label_desc",
                           "sqrt",
                           "stddev_over_time",
                           "stdvar_over_time",
                           "sum_over_time",
                           "tan",
                           "tanh",
                           "time",
                           "timestamp",
                           "vector",
                           "year"}) {
    EXPECT_NE(LookupFunction(name), nullptr) << name;
  }
  EXPECT_GE(AllFunctions().size(), 80u);
}

TEST(ParserTest, CallsRecordTheFunctionIdTheEngineDispatchesOn) {
  const auto& all = AllFunctions();
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].id, static_cast<int>(i)) << all[i].name;
    EXPECT_EQ(LookupFunction(all[i].name), &all[i]) << all[i].name;
  }
  ExprPtr e = MustParse("rate(foo[5m])");
  ASSERT_EQ(e->kind(), NodeKind::kCall);
  const Call& call = e->As<Call>();
  ASSERT_NE(call.func, nullptr);
  EXPECT_EQ(call.func->id, LookupFunction("rate")->id);
  EXPECT_EQ(call.func->name, "rate");
}

TEST(ParserTest, ParseMetricSelector) {
  auto m = ParseMetricSelector("up{job=\"x\", instance=~\"a.*\"}");
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0].name(), "job");
  EXPECT_EQ((*m)[2].name(), "__name__");
  EXPECT_EQ((*m)[2].value(), "up");

  m = ParseMetricSelector("{__name__=~\"a.*\"}");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->size(), 1u);

  m = ParseMetricSelector("{\"my.metric\"}");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0].value(), "my.metric");

  EXPECT_EQ(ParseMetricSelector("{a=~\".*\"}").status().message(),
            "match[] must contain at least one non-empty matcher");
  EXPECT_EQ(ParseMetricSelector("{}").status().message(), "match[] must contain at least one non-empty matcher");
  EXPECT_EQ(ParseMetricSelector("up + 1").status().message(), "1:4: parse error: unexpected <op:+>");
  EXPECT_EQ(ParseMetricSelector("rate(x[5m])").status().message(), "1:5: parse error: unexpected \"(\"");
  EXPECT_EQ(ParseMetricSelector("up[5m]").status().message(), "1:3: parse error: unexpected \"[\"");
  EXPECT_FALSE(ParseMetricSelector("").ok());
}

TEST(ParserTest, ParsePromQLDuration) {
  EXPECT_EQ(*ParsePromQLDuration("5m"), 300000);
  EXPECT_EQ(*ParsePromQLDuration("1h30m"), 5400000);
  EXPECT_EQ(*ParsePromQLDuration("1y"), 365LL * 24 * 3600 * 1000);
  EXPECT_EQ(*ParsePromQLDuration("250ms"), 250);
  EXPECT_EQ(*ParsePromQLDuration("0"), 0);
  EXPECT_EQ(ParsePromQLDuration("5x").status().message(), "unknown unit \"x\" in duration \"5x\"");
  EXPECT_EQ(ParsePromQLDuration("1m1h").status().message(), "not a valid duration string: \"1m1h\"");
  EXPECT_EQ(ParsePromQLDuration("300y").status().message(), "duration out of range");
  EXPECT_FALSE(ParsePromQLDuration("").ok());
}

TEST(ParserTest, DeepNestingFailsCleanly) {
  std::string deep(100000, '(');
  auto e = ParseExpr(deep + "1" + std::string(100000, ')'));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("nests too deeply"), std::string::npos) << e.status().message();

  std::string minus(100000, '-');
  EXPECT_FALSE(ParseExpr(minus + "foo").ok());

  // A long flat chain is fine up to the AST depth limit, then refused.
  std::string chain = "a";
  for (int i = 0; i < 900; i++) chain += " + a";
  auto flat = ParseExpr(chain);
  ASSERT_TRUE(flat.ok()) << flat.status().message();
  EXPECT_EQ(ToString(**flat), chain);
  std::string nested = std::string(200, '(') + "a" + std::string(200, ')');
  auto parens = ParseExpr(nested);
  ASSERT_TRUE(parens.ok()) << parens.status().message();
  EXPECT_EQ(ToString(**parens), nested);
  for (int i = 0; i < 10000; i++) chain += " or a";
  EXPECT_FALSE(ParseExpr(chain).ok());
}

TEST(ParserTest, RandomAndTruncatedInputsNeverCrash) {
  std::mt19937 rng(42);
  const std::string alphabet = "abcxyz_:019.eE+-*/%^=!~<>(){}[],@\"'`\\# \n\toffsetbyonsumrate";
  int failures = 0;
  for (int i = 0; i < 20000; i++) {
    std::string s;
    const size_t len = rng() % 40;
    for (size_t j = 0; j < len; j++) s += alphabet[rng() % alphabet.size()];
    auto e = ParseExpr(s, AllEnabled());
    if (!e.ok()) {
      failures++;
      EXPECT_EQ(e.status().code(), Status::Code::kInvalidArgument) << s;
      EXPECT_NE(e.status().message().find("parse error: "), std::string::npos) << s;
    } else {
      // Whatever parses prints to something that parses to the same text.
      std::string printed = ToString(**e);
      auto again = ParseExpr(printed, AllEnabled());
      EXPECT_TRUE(again.ok()) << s << " printed as " << printed;
      if (again.ok()) {
        EXPECT_EQ(ToString(**again), printed) << s;
      }
    }
  }
  EXPECT_GT(failures, 1000);

  for (const auto& c : kValid) {
    std::string in = c.in;
    // Any outcome but a crash is fine.
    for (size_t n = 0; n <= in.size(); n++) ParseExpr(in.substr(0, n), AllEnabled()).IgnoreError();
  }
  // Invalid UTF-8 and NUL bytes.
  for (const std::string& s :
       {std::string("foo{a=\"\xff\"}"), std::string("\xc3"), std::string("a\0b", 3), std::string("\"\xed\xa0\x80\"")}) {
    EXPECT_FALSE(ParseExpr(s).ok());
  }
}

}  // namespace
}  // namespace promethium::promql
