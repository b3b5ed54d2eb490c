// Children, Inspect (order, ancestor paths, skipping, stopping, in-place
// edits) and ExtractSelectors, with the cases of Prometheus's
// TestExtractSelectors among them.
#include "promql/parser/walk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "promql/parser/parser.h"

namespace promethium::promql {
namespace {

ExprPtr Parse(std::string_view query) {
  Result<ExprPtr> expr = ParseExpr(query);
  EXPECT_TRUE(expr.ok()) << query << ": " << expr.status().message();
  return expr.ok() ? std::move(expr).value() : nullptr;
}

// The printed form of every node Inspect visits, in visiting order.
std::vector<std::string> VisitOrder(const Expr& root) {
  std::vector<std::string> out;
  Inspect(root, [&](const Expr& node, AstPath) {
    out.push_back(ToString(node));
    return Visit::kContinue;
  });
  return out;
}

// One selector's matchers as sorted `name<op>"value"` strings.
std::vector<std::string> MatcherStrings(const Matchers& ms) {
  std::vector<std::string> out;
  for (const Matcher& m : ms) out.push_back(m.name() + "=" + m.value());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::vector<std::string>> Selectors(std::string_view query) {
  ExprPtr expr = Parse(query);
  std::vector<std::vector<std::string>> out;
  if (expr == nullptr) return out;
  for (const Matchers& ms : ExtractSelectors(*expr)) out.push_back(MatcherStrings(ms));
  return out;
}

TEST(WalkTest, ChildrenFollowPrometheusOrder) {
  ExprPtr agg = Parse("topk(3, foo)");
  ASSERT_NE(agg, nullptr);
  std::vector<const Expr*> kids = Children(*agg);
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(ToString(*kids[0]), "foo");  // the expression before the parameter
  EXPECT_EQ(ToString(*kids[1]), "3");

  ExprPtr bin = Parse("a - b");
  ASSERT_NE(bin, nullptr);
  kids = Children(*bin);
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(ToString(*kids[0]), "a");
  EXPECT_EQ(ToString(*kids[1]), "b");

  ExprPtr matrix = Parse("foo[5m]");
  ASSERT_NE(matrix, nullptr);
  kids = Children(*matrix);
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_EQ(kids[0]->kind(), NodeKind::kVectorSelector);

  for (std::string_view leaf : {"1", "\"s\"", "foo"}) {
    ExprPtr e = Parse(leaf);
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(Children(*e).empty()) << leaf;
  }
  ExprPtr sum = Parse("sum(foo)");  // no parameter: one child, no null
  ASSERT_NE(sum, nullptr);
  EXPECT_EQ(Children(*sum).size(), 1u);
}

TEST(WalkTest, InspectVisitsInPreOrder) {
  ExprPtr e = Parse("sum by (job) (rate(foo[5m])) / -(bar)");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(VisitOrder(*e), (std::vector<std::string>{
                                "sum by (job) (rate(foo[5m])) / -(bar)",
                                "sum by (job) (rate(foo[5m]))",
                                "rate(foo[5m])",
                                "foo[5m]",
                                "foo",
                                "-(bar)",
                                "(bar)",
                                "bar",
                            }));
}

TEST(WalkTest, InspectPassesAncestorsRootFirst) {
  ExprPtr e = Parse("max_over_time(rate(foo[1m])[5m:1m])");
  ASSERT_NE(e, nullptr);
  std::vector<NodeKind> path_of_foo;
  int visited_root_with_empty_path = 0;
  Inspect(*e, [&](const Expr& node, AstPath path) {
    if (&node == e.get() && path.empty()) ++visited_root_with_empty_path;
    if (node.kind() == NodeKind::kVectorSelector) {
      for (const Expr* a : path) path_of_foo.push_back(a->kind());
    }
    return Visit::kContinue;
  });
  EXPECT_EQ(visited_root_with_empty_path, 1);
  EXPECT_EQ(path_of_foo,
            (std::vector<NodeKind>{NodeKind::kCall, NodeKind::kSubquery, NodeKind::kCall, NodeKind::kMatrixSelector}));
}

TEST(WalkTest, InspectSkipsChildrenAndStops) {
  ExprPtr e = Parse("a + sum(b) + c");
  ASSERT_NE(e, nullptr);
  std::vector<std::string> seen;
  EXPECT_TRUE(Inspect(*e, [&](const Expr& node, AstPath) {
    seen.push_back(ToString(node));
    return node.kind() == NodeKind::kAggregate ? Visit::kSkipChildren : Visit::kContinue;
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"a + sum(b) + c", "a + sum(b)", "a", "sum(b)", "c"}));

  seen.clear();
  EXPECT_FALSE(Inspect(*e, [&](const Expr& node, AstPath) {
    seen.push_back(ToString(node));
    return node.kind() == NodeKind::kVectorSelector ? Visit::kStop : Visit::kContinue;
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"a + sum(b) + c", "a + sum(b)", "a"}));
}

TEST(WalkTest, MutableInspectEditsNodesInPlace) {
  ExprPtr e = Parse("rate(foo[5m]) + bar offset 1m");
  ASSERT_NE(e, nullptr);
  Inspect(*e, [](Expr& node, AstPath) {
    if (node.kind() == NodeKind::kVectorSelector) node.As<VectorSelector>().offset_ms += 60'000;
    return Visit::kContinue;
  });
  EXPECT_EQ(ToString(*e), "rate(foo[5m] offset 1m) + bar offset 2m");
}

TEST(ExtractSelectorsTest, PrometheusCases) {
  using Sel = std::vector<std::vector<std::string>>;
  EXPECT_EQ(Selectors("foo"), (Sel{{"__name__=foo"}}));
  EXPECT_EQ(Selectors(R"(foo{bar="baz"})"), (Sel{{"__name__=foo", "bar=baz"}}));
  EXPECT_EQ(Selectors(R"(foo{bar="baz"} / flip{flop="flap"})"),
            (Sel{{"__name__=foo", "bar=baz"}, {"__name__=flip", "flop=flap"}}));
  EXPECT_EQ(Selectors(R"(rate(foo[5m]))"), (Sel{{"__name__=foo"}}));
  EXPECT_EQ(Selectors(R"(vector(1))"), Sel{});
  EXPECT_EQ(Selectors(R"(1 + 2)"), Sel{});
  EXPECT_EQ(Selectors(R"("str")"), Sel{});
}

TEST(ExtractSelectorsTest, FindsSelectorsEverywhere) {
  using Sel = std::vector<std::vector<std::string>>;
  // Subqueries, parentheses, unary minus, aggregation parameters (after the
  // aggregated expression) and every call argument.
  EXPECT_EQ(
      Selectors("topk(scalar(k), -(v)) + max_over_time((s)[5m:1m]) + label_replace(l, \"a\", \"b\", \"c\", \"d\")"),
      (Sel{{"__name__=v"}, {"__name__=k"}, {"__name__=s"}, {"__name__=l"}}));
}

}  // namespace
}  // namespace promethium::promql
