#include "promql/parser/pretty.h"

#include <string_view>

#include "promql/parser/functions.h"

namespace promethium::promql {

namespace {

std::string Indent(int level) { return std::string(static_cast<size_t>(level) * 2, ' '); }

std::string Pretty(const Expr& e, int level, size_t max);

// The aggregation's "sum by (job) " prefix: its one-line form minus the
// parenthesised operands (the printer writes exactly that suffix).
std::string AggregatePrefix(const AggregateExpr& a, const std::string& full) {
  std::string operands = "(";
  if (a.param) operands += ToString(*a.param) + ", ";
  operands += ToString(*a.expr) + ")";
  return full.substr(0, full.size() - operands.size());
}

// The binary operation's "op bool on (x)" middle part: the one-line form is
// lhs + " " + middle + " " + rhs.
std::string BinaryMiddle(const BinaryExpr& b, const std::string& full) {
  size_t lhs = ToString(*b.lhs).size();
  size_t rhs = ToString(*b.rhs).size();
  return full.substr(lhs + 1, full.size() - lhs - rhs - 2);
}

std::string PrettyAggregate(const AggregateExpr& a, const std::string& full, int level, size_t max) {
  std::string out = Indent(level) + AggregatePrefix(a, full) + "(\n";
  if (a.param) out += Pretty(*a.param, level + 1, max) + ",\n";
  out += Pretty(*a.expr, level + 1, max) + "\n" + Indent(level) + ")";
  return out;
}

std::string PrettyCall(const Call& c, int level, size_t max) {
  std::string out = Indent(level) + std::string(c.func->name) + "(\n";
  for (size_t i = 0; i < c.args.size(); ++i) {
    out += Pretty(*c.args[i], level + 1, max);
    out += i + 1 < c.args.size() ? ",\n" : "\n";
  }
  return out + Indent(level) + ")";
}

std::string Pretty(const Expr& e, int level, size_t max) {
  std::string full = ToString(e);
  bool split = full.size() > max;
  switch (e.kind()) {
    case NodeKind::kAggregate:
      return split ? PrettyAggregate(e.As<AggregateExpr>(), full, level, max) : Indent(level) + full;
    case NodeKind::kBinary: {
      if (!split) return Indent(level) + full;
      const auto& b = e.As<BinaryExpr>();
      return Pretty(*b.lhs, level + 1, max) + "\n" + Indent(level) + BinaryMiddle(b, full) + "\n" +
             Pretty(*b.rhs, level + 1, max);
    }
    case NodeKind::kCall: return split ? PrettyCall(e.As<Call>(), level, max) : Indent(level) + full;
    case NodeKind::kParen:
      if (!split) return Indent(level) + full;
      return Indent(level) + "(\n" + Pretty(*e.As<ParenExpr>().expr, level + 1, max) + "\n" + Indent(level) + ")";
    case NodeKind::kSubquery: {
      // As Prometheus: no indentation when it fits, the operand's own
      // indentation when split.
      if (!split) return full;
      const auto& sq = e.As<SubqueryExpr>();
      std::string suffix = full.substr(ToString(*sq.expr).size());
      return Pretty(*sq.expr, level, max) + suffix;
    }
    case NodeKind::kUnary: {
      const auto& u = e.As<UnaryExpr>();
      std::string child = Pretty(*u.expr, level, max);
      size_t first = child.find_first_not_of(" \t\n");
      size_t last = child.find_last_not_of(" \t\n");
      child = first == std::string::npos ? "" : child.substr(first, last - first + 1);
      return Indent(level) + (u.negate ? "-" : "+") + child;
    }
    case NodeKind::kNumberLiteral:
    case NodeKind::kStringLiteral:
    case NodeKind::kVectorSelector:
    case NodeKind::kMatrixSelector: return Indent(level) + full;
  }
  return full;
}

}  // namespace

std::string PrettyPrint(const Expr& expr, size_t max_line_chars) { return Pretty(expr, 0, max_line_chars); }

}  // namespace promethium::promql
