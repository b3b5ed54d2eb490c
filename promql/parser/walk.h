// The one traversal of the PromQL AST: Children, Inspect and the helpers
// built on them (ExtractSelectors), after Prometheus's promql/parser/ast.go
// (Children, Inspect) and ExtractSelectors.
//
// Code that needs to visit every node of a tree (selector extraction, time
// ranges, rewriting @ modifiers in tests) uses Inspect instead of its own
// switch over NodeKind; only Children() below knows which fields of which
// node kind hold subexpressions. Renderers that print each kind differently
// (printer, prettifier, AST JSON) and the engine's per-kind evaluation
// dispatch are not traversals and keep their own switches.
//
// Recursion depth is bounded by the parser's AST depth limit.
// Thread-safety: pure functions; the const forms may run on a shared tree
// from any number of threads, the mutable form needs exclusive access.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "promql/parser/ast.h"
#include "tsdb/api/matcher.h"

namespace promethium::promql {

// The direct children of a node in Prometheus's order: an aggregation's
// expression before its parameter, a binary's left before its right side,
// a call's arguments in order, a matrix selector's vector selector.
// Literals and vector selectors have none.
std::vector<const Expr*> Children(const Expr& node);

// What an Inspect callback asks for next.
enum class Visit {
  kContinue,      // descend into this node's children
  kSkipChildren,  // go on with the next sibling
  kStop,          // end the whole walk
};

// The ancestors of the node being visited, root first; empty for the root.
using AstPath = std::span<const Expr* const>;
using InspectFn = std::function<Visit(const Expr& node, AstPath path)>;
using InspectMutableFn = std::function<Visit(Expr& node, AstPath path)>;

// Visits `root` and its descendants in pre-order (a node before its
// children, children in Children() order). Returns false if the callback
// stopped the walk.
bool Inspect(const Expr& root, const InspectFn& fn);
// The same walk over a tree the caller may change in place (the callback
// may edit fields of the node it gets, not replace its children).
bool Inspect(Expr& root, const InspectMutableFn& fn);

// The matchers of every vector selector in `expr`, those inside matrix
// selectors and subqueries included, in walk order (Prometheus's
// parser.ExtractSelectors).
std::vector<Matchers> ExtractSelectors(const Expr& expr);

}  // namespace promethium::promql
