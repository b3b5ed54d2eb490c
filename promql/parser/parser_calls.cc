// Function calls, aggregations, grouping label lists and the modifiers of
// binary operators (bool, on/ignoring, group_left/group_right).
#include <fmt/format.h>

#include <algorithm>

#include "promql/parser/functions.h"
#include "promql/parser/parser_impl.h"
#include "promql/parser/quoting.h"

namespace promethium::promql {
namespace {

struct AggregateEntry {
  std::string_view name;
  AggregateOp op;
};

constexpr AggregateEntry kAggregates[] = {
    {"sum", AggregateOp::kSum},           {"avg", AggregateOp::kAvg},
    {"count", AggregateOp::kCount},       {"min", AggregateOp::kMin},
    {"max", AggregateOp::kMax},           {"group", AggregateOp::kGroup},
    {"stddev", AggregateOp::kStddev},     {"stdvar", AggregateOp::kStdvar},
    {"topk", AggregateOp::kTopk},         {"bottomk", AggregateOp::kBottomk},
    {"quantile", AggregateOp::kQuantile}, {"count_values", AggregateOp::kCountValues},
    {"limitk", AggregateOp::kLimitK},     {"limit_ratio", AggregateOp::kLimitRatio},
};

AggregateOp LookupAggregate(std::string_view text) {
  const std::string lower = ToLowerAscii(text);
  for (const auto& a : kAggregates) {
    if (a.name == lower) return a.op;
  }
  return AggregateOp::kSum;  // unreachable: the lexer only emits the names above
}

bool TakesParam(AggregateOp op) {
  return op == AggregateOp::kTopk || op == AggregateOp::kBottomk || op == AggregateOp::kQuantile ||
         op == AggregateOp::kCountValues || op == AggregateOp::kLimitK || op == AggregateOp::kLimitRatio;
}

bool IsValidUtf8(std::string_view s) {
  while (!s.empty()) {
    auto [r, w] = DecodeRune(s);
    if (r == kRuneError && w == 1) return false;
    s.remove_prefix(w);
  }
  return true;
}

}  // namespace

bool Parser::IsGroupingLabelToken(TokenType t) {
  if (IsMetricNameToken(t) || IsKeywordToken(t)) return true;
  return t == TokenType::kAtan2 || t == TokenType::kString;
}

bool Parser::ParseCallArgs(std::vector<ExprPtr>* args, int* end, int* max_depth) {
  Consume();  // '('
  *max_depth = 0;
  if (PeekIs(TokenType::kRightParen)) {
    *end = End(Consume());
    return true;
  }
  for (;;) {
    ExprPtr arg = ParseBinary(0);
    if (!arg) return false;
    *max_depth = std::max(*max_depth, last_depth_);
    args->push_back(std::move(arg));
    const Token& tok = Peek();
    if (tok.type == TokenType::kComma) {
      Consume();
      if (PeekIs(TokenType::kRightParen)) return Fail(tok.pos, "trailing commas not allowed in function call args");
      continue;
    }
    if (tok.type == TokenType::kRightParen) {
      *end = End(Consume());
      return true;
    }
    return Unexpected(tok);
  }
}

ExprPtr Parser::ParseFunctionCall() {
  const Token& name = Consume();
  auto call = std::make_unique<Call>();
  int end = 0, depth = 0;
  if (!ParseCallArgs(&call->args, &end, &depth)) return nullptr;
  call->func = LookupFunction(name.text);
  if (!call->func) {
    Fail(name.pos, "unknown function with name " + GoQuote(name.text));
    return nullptr;
  }
  if (call->func->experimental && !opts_.enable_experimental_functions) {
    Fail(name.pos, fmt::format("function {} is not enabled", GoQuote(name.text)));
    return nullptr;
  }
  call->pos = {name.pos, end};
  if (!SetDepth(depth, name.pos)) return nullptr;
  return call;
}

ExprPtr Parser::ParseAggregate() {
  const Token& op_tok = Consume();
  auto agg = std::make_unique<AggregateExpr>();
  agg->op = LookupAggregate(op_tok.text);
  int end = 0, depth = 0;
  bool grouped = false;
  if (PeekIs(TokenType::kBy) || PeekIs(TokenType::kWithout)) {
    agg->without = Consume().type == TokenType::kWithout;
    if (!ParseGroupingLabels(&agg->grouping, &end)) return nullptr;
    grouped = true;
    if (!PeekIs(TokenType::kLeftParen)) {
      Unexpected(Peek(), "aggregation");
      return nullptr;
    }
  }
  std::vector<ExprPtr> args;
  if (!ParseCallArgs(&args, &end, &depth)) return nullptr;
  if (!grouped && (PeekIs(TokenType::kBy) || PeekIs(TokenType::kWithout))) {
    agg->without = Consume().type == TokenType::kWithout;
    if (!ParseGroupingLabels(&agg->grouping, &end)) return nullptr;
  }
  agg->pos = {op_tok.pos, end};
  if (args.empty()) {
    Fail(op_tok.pos, "no arguments for aggregate expression provided");
    return nullptr;
  }
  size_t want = 1;
  if (TakesParam(agg->op)) {
    const bool limit = agg->op == AggregateOp::kLimitK || agg->op == AggregateOp::kLimitRatio;
    if (limit && !opts_.enable_limit_aggregations && !opts_.enable_experimental_functions) {
      Fail(op_tok.pos, fmt::format("{}() is experimental and must be enabled with "
                                   "--enable-feature=promql-experimental-functions",
                                   AggregateOpString(agg->op)));
      return nullptr;
    }
    want = 2;
  }
  if (args.size() != want) {
    Fail(op_tok.pos, fmt::format("wrong number of arguments for aggregate expression provided, expected {}, got {}",
                                 want, args.size()));
    return nullptr;
  }
  if (want == 2) agg->param = std::move(args[0]);
  agg->expr = std::move(args[want - 1]);
  if (!SetDepth(depth, op_tok.pos)) return nullptr;
  return agg;
}

bool Parser::ParseGroupingLabels(std::vector<std::string>* labels, int* end) {
  if (!PeekIs(TokenType::kLeftParen)) return Unexpected(Peek(), "grouping opts", "\"(\"");
  Consume();
  labels->clear();
  if (PeekIs(TokenType::kRightParen)) {
    *end = End(Consume());
    return true;
  }
  for (;;) {
    const Token& tok = Peek();
    if (!IsGroupingLabelToken(tok.type)) return Unexpected(tok, "grouping opts", "label");
    Consume();
    std::string label(tok.text);
    if (tok.type == TokenType::kString) {
      auto unquoted = Unquote(tok.text);
      if (!unquoted.ok()) return Fail(tok.pos, "error unquoting string " + GoQuote(tok.text));
      label = std::move(*unquoted);
    }
    if (label.empty() || !IsValidUtf8(label)) {
      return Fail(tok.pos + (tok.type == TokenType::kString ? 1 : 0),
                  "invalid label name for grouping: " + GoQuote(label));
    }
    labels->push_back(std::move(label));
    const Token& next = Peek();
    if (next.type == TokenType::kComma) {
      Consume();
      if (PeekIs(TokenType::kRightParen)) {
        *end = End(Consume());
        return true;
      }
      continue;
    }
    if (next.type == TokenType::kRightParen) {
      *end = End(Consume());
      return true;
    }
    return Unexpected(next, "grouping opts", "\",\" or \")\"");
  }
}

// [bool] [on|ignoring (labels) [group_left|group_right [(labels)]]]
bool Parser::ParseBinModifiers(BinaryExpr* bin, int lhs_start) {
  VectorMatching matching;
  if (PeekIs(TokenType::kBool)) {
    Consume();
    bin->return_bool = true;
  }
  if (PeekIs(TokenType::kOn) || PeekIs(TokenType::kIgnoring)) {
    matching.on = Consume().type == TokenType::kOn;
    int end = 0;
    if (!ParseGroupingLabels(&matching.matching_labels, &end)) return false;
    if (PeekIs(TokenType::kGroupLeft) || PeekIs(TokenType::kGroupRight)) {
      matching.card = Consume().type == TokenType::kGroupLeft ? Cardinality::kManyToOne : Cardinality::kOneToMany;
      if (PeekIs(TokenType::kLeftParen) && !ParseGroupingLabels(&matching.include, &end)) return false;
    }
  }
  // fill(), fill_left(), fill_right(): Prometheus's experimental binop fill
  // modifiers, not implemented; fail as Prometheus does when disabled.
  const Token& next = Peek();
  if (next.type == TokenType::kIdentifier && PeekIs(TokenType::kLeftParen, 1) &&
      (EqualsIgnoreCase(next.text, "fill") || EqualsIgnoreCase(next.text, "fill_left") ||
       EqualsIgnoreCase(next.text, "fill_right"))) {
    return Fail(lhs_start, "binop fill modifiers are experimental and not enabled");
  }
  bin->matching = std::move(matching);
  return true;
}

}  // namespace promethium::promql
