// Vector selectors, label matchers and the postfix modifiers: ranges,
// subqueries, offset and @.
#include <fmt/format.h>

#include <cmath>

#include "promql/parser/parser_impl.h"
#include "promql/parser/quoting.h"
#include "tsdb/api/labels.h"

namespace promethium::promql {
namespace {

bool IsMatchOp(TokenType t) {
  return t == TokenType::kAssign || t == TokenType::kNeq || t == TokenType::kEqlRegex || t == TokenType::kNeqRegex;
}

MatchType ToMatchType(TokenType t) {
  switch (t) {
    case TokenType::kNeq: return MatchType::kNotEqual;
    case TokenType::kEqlRegex: return MatchType::kRegexMatch;
    case TokenType::kNeqRegex: return MatchType::kRegexNoMatch;
    default: return MatchType::kEqual;
  }
}

bool IsNumberToken(TokenType t) { return t == TokenType::kNumber || t == TokenType::kDuration; }
bool IsSignToken(TokenType t) { return t == TokenType::kAdd || t == TokenType::kSub; }
bool IsArithmeticToken(TokenType t) {
  switch (t) {
    case TokenType::kAdd:
    case TokenType::kSub:
    case TokenType::kMul:
    case TokenType::kDiv:
    case TokenType::kMod:
    case TokenType::kPow: return true;
    default: return false;
  }
}

// Whether `val` seconds overflow Go's time.Duration. NaN counts as out of
// range too (Prometheus would silently produce a garbage duration).
bool DurationOutOfRange(double val) {
  return std::isnan(val) || val > 9223372036.854775807 || val < -9223372036.854775808;
}

// Go's "%f" for the @ modifier's bounds error.
std::string GoFloatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{:.6f}", v);
}

constexpr std::string_view kDurationExprDisabled = "experimental duration expression is not enabled";

// The fields an offset or @ modifier sets, wherever they live.
struct ModifierTarget {
  int64_t* offset_ms = nullptr;
  AtModifier* at = nullptr;
  int64_t* at_timestamp_ms = nullptr;
  int* end = nullptr;
};

// The vector selector / matrix selector / subquery an offset or @ applies
// to; returns false for other expressions.
bool FindModifierTarget(Expr& e, ModifierTarget* t) {
  switch (e.kind()) {
    case NodeKind::kVectorSelector: {
      auto& vs = e.As<VectorSelector>();
      *t = {&vs.offset_ms, &vs.at, &vs.at_timestamp_ms, &vs.pos.end};
      return true;
    }
    case NodeKind::kMatrixSelector: {
      auto& ms = e.As<MatrixSelector>();
      VectorSelector& vs = *ms.vector_selector;
      *t = {&vs.offset_ms, &vs.at, &vs.at_timestamp_ms, &ms.pos.end};
      return true;
    }
    case NodeKind::kSubquery: {
      auto& sq = e.As<SubqueryExpr>();
      *t = {&sq.offset_ms, &sq.at, &sq.at_timestamp_ms, &sq.pos.end};
      return true;
    }
    default: return false;
  }
}

}  // namespace

bool Parser::IsMetricNameToken(TokenType t) {
  switch (t) {
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier:
    case TokenType::kAggregator:
    case TokenType::kBy:
    case TokenType::kWithout:
    case TokenType::kOffset:
    case TokenType::kLand:
    case TokenType::kLor:
    case TokenType::kLunless:
    case TokenType::kStart:
    case TokenType::kEnd: return true;
    default: return false;
  }
}

std::unique_ptr<VectorSelector> Parser::ParseVectorSelector() {
  auto vs = std::make_unique<VectorSelector>();
  vs->pos.start = Peek().pos;
  if (!PeekIs(TokenType::kLeftBrace)) {
    const Token& name = Consume();
    vs->name = std::string(name.text);
    vs->pos.end = End(name);
  }
  if (PeekIs(TokenType::kLeftBrace) && !ParseLabelMatchers(&vs->matchers, &vs->pos.end)) return nullptr;
  if (!vs->name.empty()) {
    auto m = Matcher::Make(MatchType::kEqual, std::string(kMetricName), vs->name);
    if (!m.ok()) {
      Fail(vs->pos.start, m.status().message());
      return nullptr;
    }
    vs->matchers.push_back(std::move(*m));
  }
  last_depth_ = 1;
  return vs;
}

bool Parser::ParseLabelMatchers(Matchers* out, int* end) {
  Consume();  // '{'
  if (PeekIs(TokenType::kRightBrace)) {
    *end = End(Consume());
    return true;
  }
  for (;;) {
    if (!ParseLabelMatcher(out)) return false;
    const Token& tok = Peek();
    if (tok.type == TokenType::kComma) {
      Consume();
      if (PeekIs(TokenType::kRightBrace)) {
        *end = End(Consume());
        return true;
      }
      continue;
    }
    if (tok.type == TokenType::kRightBrace) {
      *end = End(Consume());
      return true;
    }
    return Unexpected(tok, "label matching", "\",\" or \"}\"");
  }
}

// One of: name op "value", "name" op "value", or "metric name" alone.
bool Parser::ParseLabelMatcher(Matchers* out) {
  const Token& label = Peek();
  std::string name;
  if (label.type == TokenType::kIdentifier) {
    name = std::string(label.text);
  } else if (label.type == TokenType::kString) {
    auto unquoted = Unquote(label.text);
    if (!unquoted.ok()) return Fail(label.pos, "error unquoting string " + GoQuote(label.text));
    name = std::move(*unquoted);
  } else {
    return Unexpected(label, "label matching", "identifier or \"}\"");
  }
  Consume();
  const Token& op = Peek();
  if (!IsMatchOp(op.type)) {
    if (label.type == TokenType::kString) {
      // A quoted metric name: {"my.metric"}.
      auto m = Matcher::Make(MatchType::kEqual, std::string(kMetricName), name);
      if (!m.ok()) return Fail(label.pos, m.status().message());
      out->push_back(std::move(*m));
      return true;
    }
    return Unexpected(op, "label matching", "label matching operator");
  }
  Consume();
  const Token& value = Peek();
  if (value.type != TokenType::kString) return Unexpected(value, "label matching", "string");
  Consume();
  auto unquoted = Unquote(value.text);
  if (!unquoted.ok()) return Fail(value.pos, "error unquoting string " + GoQuote(value.text));
  auto m = Matcher::Make(ToMatchType(op.type), std::move(name), std::move(*unquoted));
  if (!m.ok()) return Fail(label.pos, m.status().message());
  out->push_back(std::move(*m));
  return true;
}

ExprPtr Parser::ParsePostfix(ExprPtr e) {
  while (e) {
    switch (Peek().type) {
      case TokenType::kLeftBracket: e = ParseRangeOrSubquery(std::move(e)); break;
      case TokenType::kOffset:
        if (!ParseOffset(*e)) return nullptr;
        break;
      case TokenType::kAt:
        if (!ParseAt(*e)) return nullptr;
        break;
      case TokenType::kIdentifier:
        // Prometheus's experimental extended range selectors, which we do
        // not implement; fail as Prometheus does with the feature disabled.
        if (EqualsIgnoreCase(Peek().text, "anchored") || EqualsIgnoreCase(Peek().text, "smoothed")) {
          Fail(e->pos.start, fmt::format("{} modifier is experimental and not enabled", ToLowerAscii(Peek().text)));
          return nullptr;
        }
        return e;
      default: return e;
    }
  }
  return nullptr;
}

bool Parser::ParseSignedNumber(double* value, int* pos, int* end) {
  const size_t sign = IsSignToken(Peek().type) ? 1 : 0;
  if (!IsNumberToken(Peek(sign).type)) return false;
  const bool negate = sign == 1 && PeekIs(TokenType::kSub);
  *pos = Peek().pos;
  if (sign) Consume();
  const Token& lit = Consume();
  *end = End(lit);
  if (lit.type == TokenType::kDuration) {
    auto ms = ParseModelDuration(lit.text);
    if (!ms.ok()) return Fail(lit.pos, ms.status().message());
    *value = static_cast<double>(*ms) / 1000.0;
  } else {
    auto v = ParseNumberLiteral(lit.text);
    if (!v.ok()) return Fail(lit.pos, v.status().message());
    *value = *v;
  }
  if (negate) *value = -*value;
  return true;
}

bool Parser::ParseSignedDurationLiteral(double* seconds, int* pos, int* end) {
  if (!ParseSignedNumber(seconds, pos, end)) return false;
  if (DurationOutOfRange(*seconds)) return Fail(*pos, "duration out of range");
  return true;
}

// A positive duration inside [..]; duration arithmetic is Prometheus's
// experimental promql-duration-expr feature, which we do not enable.
bool Parser::ParseBracketDuration(std::string_view context, std::string_view expected, int64_t* ms) {
  if (PeekIs(TokenType::kLeftParen)) return Fail(Peek(1).pos, kDurationExprDisabled);
  double seconds = 0;
  int pos = 0, end = 0;
  if (!ParseSignedDurationLiteral(&seconds, &pos, &end)) {
    if (failed()) return false;
    return Unexpected(Peek(), context, expected);
  }
  if (IsArithmeticToken(Peek().type)) return Fail(pos, kDurationExprDisabled);
  if (seconds <= 0) return Fail(pos, "duration must be greater than 0");
  *ms = std::llround(seconds * 1000);
  return true;
}

ExprPtr Parser::ParseRangeOrSubquery(ExprPtr e) {
  const Token& open = Consume();
  int64_t range_ms = 0;
  if (!ParseBracketDuration("subquery or range selector", "number, duration, step(), or range()", &range_ms)) {
    return nullptr;
  }
  if (PeekIs(TokenType::kRightBracket)) {
    const Token& close = Consume();
    const char* err = nullptr;
    if (e->kind() != NodeKind::kVectorSelector) {
      err = "ranges only allowed for vector selectors";
    } else if (e->As<VectorSelector>().offset_ms != 0) {
      err = "no offset modifiers allowed before range";
    } else if (e->As<VectorSelector>().at != AtModifier::kNone) {
      err = "no @ modifiers allowed before range";
    }
    if (err) {
      Fail(open.pos, err);
      return nullptr;
    }
    auto ms = std::make_unique<MatrixSelector>();
    ms->pos = {e->pos.start, End(close)};
    ms->range_ms = range_ms;
    ms->vector_selector.reset(static_cast<VectorSelector*>(e.release()));
    if (!SetDepth(1, open.pos)) return nullptr;
    return ms;
  }
  if (!PeekIs(TokenType::kColon)) {
    Unexpected(Peek(), "subquery or range", "\":\" or \"]\"");
    return nullptr;
  }
  Consume();
  int64_t step_ms = 0;
  if (!PeekIs(TokenType::kRightBracket)) {
    if (!ParseBracketDuration("subquery selector", "number, duration, step(), range(), or \"]\"", &step_ms)) {
      return nullptr;
    }
    if (!PeekIs(TokenType::kRightBracket)) {
      Unexpected(Peek(), "subquery selector", "\"]\"");
      return nullptr;
    }
  }
  const Token& close = Consume();
  auto sq = std::make_unique<SubqueryExpr>();
  sq->pos = {e->pos.start, End(close)};
  sq->range_ms = range_ms;
  sq->step_ms = step_ms;
  sq->expr = std::move(e);
  if (!SetDepth(last_depth_, open.pos)) return nullptr;
  return sq;
}

bool Parser::ParseOffset(Expr& e) {
  Consume();  // offset
  if (PeekIs(TokenType::kLeftParen) || (IsSignToken(Peek().type) && PeekIs(TokenType::kLeftParen, 1))) {
    return Fail(Peek(1).pos, kDurationExprDisabled);
  }
  double seconds = 0;
  int pos = 0, end = 0;
  if (!ParseSignedDurationLiteral(&seconds, &pos, &end)) {
    if (failed()) return false;
    return Unexpected(Peek(), "offset", "number, duration, step(), or range()");
  }
  ModifierTarget target;
  if (!FindModifierTarget(e, &target)) {
    return Fail(
        e.pos.start,
        "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery");
  }
  if (*target.offset_ms != 0) return Fail(e.pos.start, "offset may not be set multiple times");
  *target.offset_ms = std::llround(seconds * 1000);
  *target.end = end;
  return true;
}

bool Parser::ParseAt(Expr& e) {
  Consume();  // @
  ModifierTarget target;
  AtModifier at = AtModifier::kTimestamp;
  int64_t ts_ms = 0;
  int end = 0;
  if (PeekIs(TokenType::kStart) || PeekIs(TokenType::kEnd)) {
    at = PeekIs(TokenType::kStart) ? AtModifier::kStart : AtModifier::kEnd;
    Consume();
    if (!PeekIs(TokenType::kLeftParen)) return Unexpected(Peek(), "@", "timestamp");
    Consume();
    if (!PeekIs(TokenType::kRightParen)) return Unexpected(Peek(), "@", "timestamp");
    end = End(Consume());
  } else {
    double seconds = 0;
    int pos = 0;
    if (!ParseSignedNumber(&seconds, &pos, &end)) {
      if (failed()) return false;
      return Unexpected(Peek(IsSignToken(Peek().type) ? 1 : 0), "@", "timestamp");
    }
    const double ms = std::round(seconds * 1000);
    if (!std::isfinite(seconds) || ms >= 9223372036854775807.0 || ms <= -9223372036854775808.0) {
      return Fail(e.pos.start, "timestamp out of bounds for @ modifier: " + GoFloatF(seconds));
    }
    ts_ms = static_cast<int64_t>(ms);
  }
  if (!FindModifierTarget(e, &target)) {
    return Fail(e.pos.start,
                "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery");
  }
  if (*target.at != AtModifier::kNone) return Fail(e.pos.start, "@ <timestamp> may not be set multiple times");
  *target.at = at;
  *target.at_timestamp_ms = ts_ms;
  *target.end = end;
  return true;
}

}  // namespace promethium::promql
