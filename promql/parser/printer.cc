// ToString: Prometheus's Expr.String(), the canonical text form of an AST.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "promql/parser/ast.h"
#include "promql/parser/functions.h"
#include "promql/parser/quoting.h"
#include "tsdb/api/labels.h"
#include "tsdb/base/duration.h"
#include "tsdb/base/metrics.h"

namespace promethium::promql {
namespace {

// Label names that are not plain identifiers are printed quoted.
std::string LabelName(std::string_view name) { return IsValidLabelName(name) ? std::string(name) : GoQuote(name); }

std::string LabelList(const std::vector<std::string>& labels) {
  std::string out;
  for (size_t i = 0; i < labels.size(); i++) {
    if (i > 0) out += ", ";
    out += LabelName(labels[i]);
  }
  return out;
}

std::string MatcherString(const Matcher& m) {
  return LabelName(m.name()) + std::string(MatchTypeString(m.type())) + GoQuote(m.value());
}

std::string OffsetString(int64_t offset_ms) {
  if (offset_ms > 0) return " offset " + FormatDuration(offset_ms);
  if (offset_ms < 0) return " offset -" + FormatDuration(-offset_ms);
  return "";
}

std::string AtString(AtModifier at, int64_t ts_ms) {
  switch (at) {
    case AtModifier::kTimestamp: return fmt::format(" @ {:.3f}", static_cast<double>(ts_ms) / 1000.0);
    case AtModifier::kStart: return " @ start()";
    case AtModifier::kEnd: return " @ end()";
    case AtModifier::kNone: break;
  }
  return "";
}

// The selector without its modifiers: name{matchers}.
std::string SelectorBody(const VectorSelector& vs) {
  std::vector<std::string> parts;
  for (const auto& m : vs.matchers) {
    if (m.name() == kMetricName && m.type() == MatchType::kEqual && m.value() == vs.name && !m.value().empty()) {
      continue;
    }
    parts.push_back(MatcherString(m));
  }
  std::sort(parts.begin(), parts.end());
  std::string out = vs.name;
  if (!parts.empty()) {
    out += '{';
    for (size_t i = 0; i < parts.size(); i++) {
      if (i > 0) out += ',';
      out += parts[i];
    }
    out += '}';
  }
  return out;
}

std::string NumberString(const NumberLiteral& n) {
  if (!n.duration) return FormatJsonFloat(n.value);
  auto ms = static_cast<int64_t>(std::llround(std::fabs(n.value) * 1000));
  std::string out = n.value < 0 ? "-" : "";
  out += FormatDuration(ms);
  return out;
}

std::string MatchingString(const BinaryExpr& b) {
  if (!b.matching) return "";
  const VectorMatching& vm = *b.matching;
  const bool grouped = vm.card == Cardinality::kManyToOne || vm.card == Cardinality::kOneToMany;
  std::string out;
  if (!vm.matching_labels.empty() || vm.on || grouped) {
    out += fmt::format(" {} ({})", vm.on ? "on" : "ignoring", LabelList(vm.matching_labels));
  }
  if (grouped) {
    out += fmt::format(" {} ({})", vm.card == Cardinality::kManyToOne ? "group_left" : "group_right",
                       LabelList(vm.include));
  }
  return out;
}

std::string AggregateString(const AggregateExpr& a) {
  std::string out(AggregateOpString(a.op));
  if (a.without) {
    out += " without (" + LabelList(a.grouping) + ") ";
  } else if (!a.grouping.empty()) {
    out += " by (" + LabelList(a.grouping) + ") ";
  }
  out += '(';
  if (a.param) out += ToString(*a.param) + ", ";
  out += ToString(*a.expr) + ")";
  return out;
}

std::string CallString(const Call& c) {
  std::string out = std::string(c.func ? c.func->name : "?") + "(";
  for (size_t i = 0; i < c.args.size(); i++) {
    if (i > 0) out += ", ";
    out += ToString(*c.args[i]);
  }
  return out + ")";
}

}  // namespace

std::string ToString(const Expr& e) {
  switch (e.kind()) {
    case NodeKind::kNumberLiteral: return NumberString(e.As<NumberLiteral>());
    case NodeKind::kStringLiteral: return GoQuote(e.As<StringLiteral>().value);
    case NodeKind::kVectorSelector: {
      const auto& vs = e.As<VectorSelector>();
      return SelectorBody(vs) + AtString(vs.at, vs.at_timestamp_ms) + OffsetString(vs.offset_ms);
    }
    case NodeKind::kMatrixSelector: {
      const auto& ms = e.As<MatrixSelector>();
      const VectorSelector& vs = *ms.vector_selector;
      return SelectorBody(vs) + "[" + FormatDuration(ms.range_ms) + "]" + AtString(vs.at, vs.at_timestamp_ms) +
             OffsetString(vs.offset_ms);
    }
    case NodeKind::kSubquery: {
      const auto& sq = e.As<SubqueryExpr>();
      return ToString(*sq.expr) + "[" + FormatDuration(sq.range_ms) + ":" +
             (sq.step_ms != 0 ? FormatDuration(sq.step_ms) : "") + "]" + AtString(sq.at, sq.at_timestamp_ms) +
             OffsetString(sq.offset_ms);
    }
    case NodeKind::kParen: {
      std::string out = "(";
      out += ToString(*e.As<ParenExpr>().expr);
      out += ')';
      return out;
    }
    case NodeKind::kUnary: {
      const auto& u = e.As<UnaryExpr>();
      std::string out = u.negate ? "-" : "+";
      out += ToString(*u.expr);
      return out;
    }
    case NodeKind::kBinary: {
      const auto& b = e.As<BinaryExpr>();
      return ToString(*b.lhs) + " " + std::string(BinaryOpString(b.op)) + (b.return_bool ? " bool" : "") +
             MatchingString(b) + " " + ToString(*b.rhs);
    }
    case NodeKind::kAggregate: return AggregateString(e.As<AggregateExpr>());
    case NodeKind::kCall: return CallString(e.As<Call>());
  }
  return "";
}

}  // namespace promethium::promql
