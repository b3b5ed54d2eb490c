#include "promql/parser/walk.h"

namespace promethium::promql {

namespace {

// Calls fn(child) for each direct child in Prometheus's order, stopping
// early when fn returns false; returns false then. The only place that
// knows which fields of which node kind hold subexpressions; it allocates
// nothing, so walking stays cheap enough to run once per query.
template <typename Fn>
bool ForEachChild(const Expr& node, Fn&& fn) {
  auto visit = [&](const Expr* child) { return child == nullptr || fn(*child); };
  switch (node.kind()) {
    case NodeKind::kNumberLiteral:
    case NodeKind::kStringLiteral:
    case NodeKind::kVectorSelector: return true;
    case NodeKind::kMatrixSelector: return visit(node.As<MatrixSelector>().vector_selector.get());
    case NodeKind::kSubquery: return visit(node.As<SubqueryExpr>().expr.get());
    case NodeKind::kParen: return visit(node.As<ParenExpr>().expr.get());
    case NodeKind::kUnary: return visit(node.As<UnaryExpr>().expr.get());
    case NodeKind::kBinary: return visit(node.As<BinaryExpr>().lhs.get()) && visit(node.As<BinaryExpr>().rhs.get());
    case NodeKind::kAggregate:
      // An aggregation without parameter has a null slot (as can a
      // half-built tree): null children are skipped.
      return visit(node.As<AggregateExpr>().expr.get()) && visit(node.As<AggregateExpr>().param.get());
    case NodeKind::kCall:
      for (const ExprPtr& arg : node.As<Call>().args) {
        if (!visit(arg.get())) return false;
      }
      return true;
  }
  return true;
}

// Pre-order walk; `path` holds the ancestors of `node` and is restored
// before returning. Returns false once the callback said kStop.
bool InspectNode(const Expr& node, std::vector<const Expr*>& path, const InspectFn& fn) {
  Visit next = fn(node, AstPath(path));
  if (next == Visit::kStop) return false;
  if (next == Visit::kSkipChildren) return true;
  path.push_back(&node);
  bool go_on = ForEachChild(node, [&](const Expr& child) { return InspectNode(child, path, fn); });
  path.pop_back();
  return go_on;
}

}  // namespace

std::vector<const Expr*> Children(const Expr& node) {
  std::vector<const Expr*> out;
  ForEachChild(node, [&](const Expr& child) {
    out.push_back(&child);
    return true;
  });
  return out;
}

bool Inspect(const Expr& root, const InspectFn& fn) {
  std::vector<const Expr*> path;
  path.reserve(16);  // deeper trees grow it
  return InspectNode(root, path, fn);
}

bool Inspect(Expr& root, const InspectMutableFn& fn) {
  // The caller owns `root` mutably, so every node below it is mutable too:
  // casting the const view of the walk back is well-defined.
  return Inspect(static_cast<const Expr&>(root),
                 [&](const Expr& node, AstPath path) { return fn(const_cast<Expr&>(node), path); });
}

std::vector<Matchers> ExtractSelectors(const Expr& expr) {
  std::vector<Matchers> out;
  Inspect(expr, [&](const Expr& node, AstPath) {
    if (node.kind() == NodeKind::kVectorSelector) out.push_back(node.As<VectorSelector>().matchers);
    return Visit::kContinue;
  });
  return out;
}

}  // namespace promethium::promql
