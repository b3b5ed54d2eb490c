// The PromQL abstract syntax tree, as produced by the parser.
//
// Node kinds mirror Prometheus's promql/parser AST so that semantics and the
// printed form (String()) line up with Prometheus 3.x. The tree owns its
// children through unique_ptr. The parser knows nothing of the engine; the
// engine walks this tree read-only.
//
// Times and durations are int64 milliseconds.
// Thread-safety: an AST is immutable after parsing and may be read from any
// number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tsdb/api/matcher.h"

namespace promethium::promql {

// The type an expression evaluates to.
enum class ExprType { kNone, kScalar, kVector, kMatrix, kString };
std::string_view ExprTypeName(ExprType t);  // "scalar", "instant vector", "range vector", "string"

// Byte offsets into the query text, [start, end).
struct PositionRange {
  int start = 0;
  int end = 0;
};

enum class NodeKind {
  kNumberLiteral,
  kStringLiteral,
  kVectorSelector,
  kMatrixSelector,
  kSubquery,
  kParen,
  kUnary,
  kBinary,
  kAggregate,
  kCall,
};

class Expr {
 public:
  virtual ~Expr() = default;
  NodeKind kind() const { return kind_; }
  virtual ExprType type() const = 0;
  PositionRange pos;

  // Downcast helpers: node.As<BinaryExpr>() after checking kind().
  template <typename T>
  const T& As() const {
    return static_cast<const T&>(*this);
  }
  template <typename T>
  T& As() {
    return static_cast<T&>(*this);
  }

 protected:
  explicit Expr(NodeKind k) : kind_(k) {}

 private:
  NodeKind kind_;
};

using ExprPtr = std::unique_ptr<Expr>;

// Prints an expression in Prometheus's canonical form (parser.Expr.String()),
// e.g. `sum by (job) (rate(http_requests_total{code="200"}[5m] offset 1h))`.
std::string ToString(const Expr& e);

struct NumberLiteral final : Expr {
  NumberLiteral() : Expr(NodeKind::kNumberLiteral) {}
  ExprType type() const override { return ExprType::kScalar; }
  double value = 0;
  // Written as a duration literal ("5m"); value is then in seconds. Only
  // affects printing, as in Prometheus.
  bool duration = false;
};

struct StringLiteral final : Expr {
  StringLiteral() : Expr(NodeKind::kStringLiteral) {}
  ExprType type() const override { return ExprType::kString; }
  std::string value;  // unescaped
};

// The @ modifier: none, a fixed timestamp, or start()/end() of the query.
enum class AtModifier { kNone, kTimestamp, kStart, kEnd };

struct VectorSelector final : Expr {
  VectorSelector() : Expr(NodeKind::kVectorSelector) {}
  ExprType type() const override { return ExprType::kVector; }
  std::string name;       // metric name if given outside braces, else ""
  Matchers matchers;      // includes __name__="name" when name is set
  int64_t offset_ms = 0;  // the `offset` modifier; may be negative
  AtModifier at = AtModifier::kNone;
  int64_t at_timestamp_ms = 0;  // with AtModifier::kTimestamp
};

struct MatrixSelector final : Expr {
  MatrixSelector() : Expr(NodeKind::kMatrixSelector) {}
  ExprType type() const override { return ExprType::kMatrix; }
  std::unique_ptr<VectorSelector> vector_selector;  // carries offset and @
  int64_t range_ms = 0;
};

struct SubqueryExpr final : Expr {
  SubqueryExpr() : Expr(NodeKind::kSubquery) {}
  ExprType type() const override { return ExprType::kMatrix; }
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;  // 0: use the engine's default evaluation interval
  int64_t offset_ms = 0;
  AtModifier at = AtModifier::kNone;
  int64_t at_timestamp_ms = 0;
};

struct ParenExpr final : Expr {
  ParenExpr() : Expr(NodeKind::kParen) {}
  ExprType type() const override { return expr->type(); }
  ExprPtr expr;
};

struct UnaryExpr final : Expr {
  UnaryExpr() : Expr(NodeKind::kUnary) {}
  ExprType type() const override { return expr->type(); }
  bool negate = true;  // false for a unary plus
  ExprPtr expr;
};

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,  // arithmetic
  kEql,
  kNeq,
  kGtr,
  kLss,
  kGte,
  kLte,  // comparison
  kAnd,
  kOr,
  kUnless,  // set operators
  // Histogram trim operators (Prometheus 3.x): "</" drops observations
  // above, ">/" below a threshold. Neither comparison nor set operators.
  kTrimUpper,
  kTrimLower,
};
std::string_view BinaryOpString(BinaryOp op);  // "+", "==", "and", "atan2", ...
bool IsComparisonOp(BinaryOp op);
bool IsSetOp(BinaryOp op);

enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

// How series on the two sides of a vector/vector binary operation match.
struct VectorMatching {
  Cardinality card = Cardinality::kOneToOne;
  std::vector<std::string> matching_labels;  // on(...) or ignoring(...) list
  bool on = false;                           // true for on(), false for ignoring()
  std::vector<std::string> include;          // group_left/group_right(...) extra labels
};

struct BinaryExpr final : Expr {
  BinaryExpr() : Expr(NodeKind::kBinary) {}
  ExprType type() const override {
    return lhs->type() == ExprType::kScalar && rhs->type() == ExprType::kScalar ? ExprType::kScalar : ExprType::kVector;
  }
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  // Set whenever both sides are instant vectors (set operators get
  // Cardinality::kManyToMany), as in Prometheus.
  std::optional<VectorMatching> matching;
  bool return_bool = false;  // the `bool` modifier on comparisons
};

enum class AggregateOp {
  kSum,
  kAvg,
  kCount,
  kMin,
  kMax,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kQuantile,
  kCountValues,
  kLimitK,
  kLimitRatio,
};
std::string_view AggregateOpString(AggregateOp op);  // "sum", "count_values", ...

struct AggregateExpr final : Expr {
  AggregateExpr() : Expr(NodeKind::kAggregate) {}
  ExprType type() const override { return ExprType::kVector; }
  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;
  ExprPtr param;  // topk/bottomk/quantile/count_values/limitk/limit_ratio
  std::vector<std::string> grouping;
  bool without = false;
};

struct FunctionInfo;

struct Call final : Expr {
  Call() : Expr(NodeKind::kCall) {}
  ExprType type() const override;
  const FunctionInfo* func = nullptr;  // never null in a parsed tree
  std::vector<ExprPtr> args;
};

}  // namespace promethium::promql
