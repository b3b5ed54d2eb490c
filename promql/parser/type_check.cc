// CheckAst: Prometheus's checkAST, the type checks run after a successful
// parse. Errors and their positions follow Prometheus; only the first is
// kept, in Prometheus's traversal order.
#include <fmt/format.h>

#include "promql/parser/functions.h"
#include "promql/parser/parser_impl.h"
#include "promql/parser/quoting.h"
#include "tsdb/api/labels.h"

namespace promethium::promql {
namespace {

// Prometheus's ValueType.String(), used by one message ("got matrix").
std::string_view RawTypeName(ExprType t) {
  switch (t) {
    case ExprType::kScalar: return "scalar";
    case ExprType::kVector: return "vector";
    case ExprType::kMatrix: return "matrix";
    case ExprType::kString: return "string";
    default: return "none";
  }
}

bool IsSpaceChar(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class Checker {
 public:
  explicit Checker(std::string_view input) : input_(input) {}

  ExprType Check(Expr& e);
  const Status& status() const { return status_; }

 private:
  // The recursive functions keep their frames small (deep trees must not
  // exhaust the stack); message formatting lives in out-of-line helpers.
  [[gnu::noinline]] void Fail(int pos, std::string_view msg) {
    if (status_.ok()) status_ = ParseError(input_, pos, msg);
  }
  [[gnu::noinline]] void FailType(int pos, ExprType want, std::string_view context, ExprType got) {
    Fail(pos, fmt::format("expected type {} in {}, got {}", ExprTypeName(want), context, ExprTypeName(got)));
  }
  [[gnu::noinline]] void FailUnary(int pos, ExprType got) {
    Fail(pos, fmt::format("unary expression only allowed on expressions of type scalar or instant vector, got {}",
                          GoQuote(ExprTypeName(got))));
  }
  [[gnu::noinline]] void FailSubquery(int pos, ExprType got) {
    Fail(pos, fmt::format("subquery is only allowed on instant vector, got {} instead", RawTypeName(got)));
  }
  void ExpectType(Expr& e, ExprType want, std::string_view context) {
    ExprType t = Check(e);
    if (t != want) FailType(e.pos.start, want, context, t);
  }
  // Start of the operator text between the two operands.
  int OperatorPos(const BinaryExpr& b) const {
    int p = b.lhs->pos.end;
    while (p < static_cast<int>(input_.size()) && IsSpaceChar(input_[p])) p++;
    return p;
  }
  // Returns the expression's type, derived from its operands' checked
  // types so that checking stays linear in the tree size.
  ExprType CheckBinary(BinaryExpr& b);
  [[gnu::noinline]] void ValidateBinary(BinaryExpr& b, ExprType lt, ExprType rt);
  [[gnu::noinline]] void CheckCall(Call& c);
  [[gnu::noinline]] void CheckVectorSelector(const VectorSelector& vs);

  std::string_view input_;
  Status status_;
};

ExprType Checker::Check(Expr& e) {
  switch (e.kind()) {
    case NodeKind::kAggregate: {
      auto& agg = e.As<AggregateExpr>();
      ExpectType(*agg.expr, ExprType::kVector, "aggregation expression");
      if (agg.param) {
        ExprType want = agg.op == AggregateOp::kCountValues ? ExprType::kString : ExprType::kScalar;
        ExpectType(*agg.param, want, "aggregation parameter");
      }
      break;
    }
    case NodeKind::kBinary: return CheckBinary(e.As<BinaryExpr>());
    case NodeKind::kCall: CheckCall(e.As<Call>()); break;
    case NodeKind::kParen: return Check(*e.As<ParenExpr>().expr);
    case NodeKind::kUnary: {
      ExprType t = Check(*e.As<UnaryExpr>().expr);
      if (t != ExprType::kScalar && t != ExprType::kVector) FailUnary(e.pos.start, t);
      return t;
    }
    case NodeKind::kSubquery: {
      ExprType t = Check(*e.As<SubqueryExpr>().expr);
      if (t != ExprType::kVector) FailSubquery(e.pos.start, t);
      break;
    }
    case NodeKind::kMatrixSelector: CheckVectorSelector(*e.As<MatrixSelector>().vector_selector); break;
    case NodeKind::kVectorSelector: CheckVectorSelector(e.As<VectorSelector>()); break;
    case NodeKind::kNumberLiteral:
    case NodeKind::kStringLiteral: break;
  }
  return e.type();  // not recursive for the remaining kinds
}

ExprType Checker::CheckBinary(BinaryExpr& b) {
  const ExprType lt = Check(*b.lhs);
  const ExprType rt = Check(*b.rhs);
  ValidateBinary(b, lt, rt);
  return lt == ExprType::kScalar && rt == ExprType::kScalar ? ExprType::kScalar : ExprType::kVector;
}

void Checker::ValidateBinary(BinaryExpr& b, ExprType lt, ExprType rt) {
  if (b.return_bool && !IsComparisonOp(b.op)) {
    Fail(OperatorPos(b), "bool modifier can only be used on comparison operators");
  }
  if (IsComparisonOp(b.op) && !b.return_bool && lt == ExprType::kScalar && rt == ExprType::kScalar) {
    Fail(OperatorPos(b), "comparisons between scalars must use BOOL modifier");
  }
  VectorMatching& vm = *b.matching;
  if (IsSetOp(b.op) && vm.card == Cardinality::kOneToOne) vm.card = Cardinality::kManyToMany;
  if (vm.on) {
    for (const auto& l1 : vm.matching_labels) {
      for (const auto& l2 : vm.include) {
        if (l1 == l2)
          Fail(OperatorPos(b), fmt::format("label {} must not occur in ON and GROUP clause at once", GoQuote(l1)));
      }
    }
  }
  if (lt != ExprType::kScalar && lt != ExprType::kVector) {
    Fail(b.lhs->pos.start, "binary expression must contain only scalar and instant vector types");
  }
  if (rt != ExprType::kScalar && rt != ExprType::kVector) {
    Fail(b.rhs->pos.start, "binary expression must contain only scalar and instant vector types");
  }
  if (lt != ExprType::kVector || rt != ExprType::kVector) {
    if (!vm.matching_labels.empty()) Fail(b.pos.start, "vector matching only allowed between instant vectors");
    b.matching.reset();
  } else if (IsSetOp(b.op)) {
    if (vm.card == Cardinality::kOneToMany || vm.card == Cardinality::kManyToOne) {
      Fail(b.pos.start, fmt::format("no grouping allowed for {} operation", GoQuote(BinaryOpString(b.op))));
    }
    if (vm.card != Cardinality::kManyToMany) Fail(b.pos.start, "set operations must always be many-to-many");
  }
  if ((lt == ExprType::kScalar || rt == ExprType::kScalar) && IsSetOp(b.op)) {
    Fail(b.pos.start,
         fmt::format("set operator {} not allowed in binary scalar expression", GoQuote(BinaryOpString(b.op))));
  }
}

void Checker::CheckCall(Call& c) {
  const FunctionInfo& f = *c.func;
  const auto nargs = static_cast<int>(f.arg_types.size());
  const auto got = static_cast<int>(c.args.size());
  const std::string name = GoQuote(f.name);
  if (f.variadic == 0) {
    if (nargs != got) Fail(c.pos.start, fmt::format("expected {} argument(s) in call to {}, got {}", nargs, name, got));
  } else {
    const int min = nargs - 1;
    if (min > got) {
      Fail(c.pos.start, fmt::format("expected at least {} argument(s) in call to {}, got {}", min, name, got));
    } else if (f.variadic > 0 && min + f.variadic < got) {
      Fail(c.pos.start,
           fmt::format("expected at most {} argument(s) in call to {}, got {}", min + f.variadic, name, got));
    }
  }
  if (f.name == "info" && got > 1) {
    Expr& sel = *c.args[1];
    if (sel.type() != ExprType::kVector) {
      Fail(c.pos.start,
           fmt::format("expected type instant vector in call to function {}, got {}", name, ExprTypeName(sel.type())));
    }
    if (sel.kind() != NodeKind::kVectorSelector) {
      Fail(sel.pos.start, "expected label selectors only");
    } else if (!sel.As<VectorSelector>().name.empty()) {
      Fail(sel.pos.start, "expected label selectors only, got vector selector instead");
    }
  }
  for (int i = 0; i < got; i++) {
    int ti = i;
    if (i >= nargs) {
      if (f.variadic == 0) break;
      ti = nargs - 1;
    }
    // info()'s second argument may select only empty-matching labels.
    const bool info_selector = f.name == "info" && i == 1 && c.args[i]->kind() == NodeKind::kVectorSelector;
    ExprType t = info_selector ? c.args[i]->type() : Check(*c.args[i]);
    if (t != f.arg_types[ti]) {
      Fail(c.args[i]->pos.start, fmt::format("expected type {} in call to function {}, got {}",
                                             ExprTypeName(f.arg_types[ti]), name, ExprTypeName(t)));
    }
  }
}

void Checker::CheckVectorSelector(const VectorSelector& vs) {
  if (!vs.name.empty()) {
    // The last matcher is the one for the name given outside the braces.
    for (size_t i = 0; i + 1 < vs.matchers.size(); i++) {
      if (vs.matchers[i].name() == kMetricName) {
        Fail(vs.pos.start, fmt::format("metric name must not be set twice: {} or {}", GoQuote(vs.name),
                                       GoQuote(vs.matchers[i].value())));
      }
    }
    return;
  }
  for (const auto& m : vs.matchers) {
    if (!m.MatchesEmpty()) return;
  }
  Fail(vs.pos.start, "vector selector must contain at least one non-empty matcher");
}

}  // namespace

Status CheckAst(std::string_view input, Expr& root) {
  Checker checker(input);
  checker.Check(root);
  return checker.status();
}

}  // namespace promethium::promql
