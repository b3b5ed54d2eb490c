// The expression core of the parser: entry points, the token stream,
// binary/unary precedence and primary expressions.
#include "promql/parser/parser.h"

#include <fmt/format.h>

#include <algorithm>

#include "promql/parser/parser_impl.h"
#include "promql/parser/quoting.h"

namespace promethium::promql {
namespace {

// Binding power of binary operators, lowest first; -1 for other tokens.
int BinaryPrecedence(TokenType t) {
  switch (t) {
    case TokenType::kLor: return 1;
    case TokenType::kLand:
    case TokenType::kLunless: return 2;
    case TokenType::kEqlc:
    case TokenType::kNeq:
    case TokenType::kLte:
    case TokenType::kLss:
    case TokenType::kGte:
    case TokenType::kGtr:
    case TokenType::kTrimUpper:
    case TokenType::kTrimLower: return 3;
    case TokenType::kAdd:
    case TokenType::kSub: return 4;
    case TokenType::kMul:
    case TokenType::kDiv:
    case TokenType::kMod:
    case TokenType::kAtan2: return 5;
    case TokenType::kPow: return 6;
    default: return -1;
  }
}
constexpr int kPowPrecedence = 6;

BinaryOp ToBinaryOp(TokenType t) {
  switch (t) {
    case TokenType::kAdd: return BinaryOp::kAdd;
    case TokenType::kSub: return BinaryOp::kSub;
    case TokenType::kMul: return BinaryOp::kMul;
    case TokenType::kDiv: return BinaryOp::kDiv;
    case TokenType::kMod: return BinaryOp::kMod;
    case TokenType::kPow: return BinaryOp::kPow;
    case TokenType::kAtan2: return BinaryOp::kAtan2;
    case TokenType::kEqlc: return BinaryOp::kEql;
    case TokenType::kNeq: return BinaryOp::kNeq;
    case TokenType::kGtr: return BinaryOp::kGtr;
    case TokenType::kLss: return BinaryOp::kLss;
    case TokenType::kGte: return BinaryOp::kGte;
    case TokenType::kLte: return BinaryOp::kLte;
    case TokenType::kLand: return BinaryOp::kAnd;
    case TokenType::kLor: return BinaryOp::kOr;
    case TokenType::kTrimUpper: return BinaryOp::kTrimUpper;
    case TokenType::kTrimLower: return BinaryOp::kTrimLower;
    default: return BinaryOp::kUnless;
  }
}

}  // namespace

Status ParseError(std::string_view input, int pos, std::string_view msg) {
  std::string where;
  if (input.empty()) {
    where = "unknown position";
  } else if (pos < 0 || static_cast<size_t>(pos) > input.size()) {
    where = "invalid position";
  } else {
    int line = 1, last_break = -1;
    for (int i = 0; i < pos; i++) {
      if (input[i] == '\n') {
        line++;
        last_break = i;
      }
    }
    where = fmt::format("{}:{}", line, pos - last_break);
  }
  return Status::InvalidArgument(fmt::format("{}: parse error: {}", where, msg));
}

Parser::Parser(std::string_view input, const ParseOptions& opts)
    : input_(input), opts_(opts), tokens_(Tokenize(input)) {}

const Token& Parser::Peek(size_t ahead) const { return tokens_[std::min(next_ + ahead, tokens_.size() - 1)]; }

const Token& Parser::Consume() {
  const Token& t = tokens_[next_];
  if (next_ + 1 < tokens_.size()) next_++;
  return t;
}

bool Parser::Fail(int pos, std::string_view msg) {
  if (!error_) error_ = ParseError(input_, pos, msg);
  return false;
}

bool Parser::Unexpected(const Token& tok, std::string_view context, std::string_view expected) {
  if (tok.type == TokenType::kError) return Fail(tok.pos, tok.error);
  std::string msg = "unexpected " + DescribeToken(tok);
  if (!context.empty()) msg += fmt::format(" in {}", context);
  if (!expected.empty()) msg += fmt::format(", expected {}", expected);
  return Fail(tok.pos, std::move(msg));
}

bool Parser::SetDepth(int child_depth, int pos) {
  last_depth_ = child_depth + 1;
  if (last_depth_ > kMaxAstDepth) return Fail(pos, fmt::format("expression nests too deeply (limit {})", kMaxAstDepth));
  return true;
}

Result<ExprPtr> Parser::ParseExpression() {
  if (PeekIs(TokenType::kEOF)) return ParseError(input_, 0, "no expression found in input");
  ExprPtr e = ParseBinary(0);
  if (e && !PeekIs(TokenType::kEOF)) Unexpected(Peek());
  if (error_) return *error_;
  PROMETHIUM_RETURN_IF_ERROR(CheckAst(input_, *e));
  return e;
}

Result<Matchers> Parser::ParseSelectorOnly() {
  std::unique_ptr<VectorSelector> vs;
  if (IsMetricNameToken(Peek().type) || PeekIs(TokenType::kLeftBrace)) {
    vs = ParseVectorSelector();
  } else {
    Unexpected(Peek());
  }
  if (vs && !PeekIs(TokenType::kEOF)) Unexpected(Peek());
  if (error_) return *error_;
  bool non_empty =
      std::any_of(vs->matchers.begin(), vs->matchers.end(), [](const Matcher& m) { return !m.MatchesEmpty(); });
  // Prometheus's API checks this after parsing, with this message.
  if (!non_empty) return Status::InvalidArgument("match[] must contain at least one non-empty matcher");
  return std::move(vs->matchers);
}

ExprPtr Parser::ParseBinary(int min_prec) {
  if (++nesting_ > kMaxParseNesting) {
    Fail(Peek().pos, fmt::format("expression nests too deeply (limit {})", kMaxParseNesting));
    return nullptr;
  }
  ExprPtr lhs = ParseUnary();
  while (lhs) {
    int lhs_depth = last_depth_;
    const Token& op = Peek();
    int prec = BinaryPrecedence(op.type);
    if (prec < 0 || prec < min_prec) break;
    Consume();
    auto bin = std::make_unique<BinaryExpr>();
    bin->op = ToBinaryOp(op.type);
    if (!ParseBinModifiers(bin.get(), lhs->pos.start)) return nullptr;
    // '^' is right-associative, everything else left-associative.
    ExprPtr rhs = ParseBinary(op.type == TokenType::kPow ? prec : prec + 1);
    if (!rhs) return nullptr;
    bin->pos = {lhs->pos.start, rhs->pos.end};
    bin->lhs = std::move(lhs);
    bin->rhs = std::move(rhs);
    if (!SetDepth(std::max(lhs_depth, last_depth_), op.pos)) return nullptr;
    lhs = std::move(bin);
  }
  --nesting_;
  return failed() ? nullptr : std::move(lhs);
}

// Unary +/- binds like '*': its operand extends over '^' and the postfix
// modifiers only. A sign directly on a number literal is folded into it.
ExprPtr Parser::ParseUnary() {
  if (!PeekIs(TokenType::kAdd) && !PeekIs(TokenType::kSub)) return ParsePostfix(ParsePrimary());
  const Token& op = Consume();
  const bool negate = op.type == TokenType::kSub;
  ExprPtr operand = ParseBinary(kPowPrecedence);
  if (!operand) return nullptr;
  if (operand->kind() == NodeKind::kNumberLiteral) {
    auto& num = operand->As<NumberLiteral>();
    if (negate) num.value = -num.value;
    num.pos.start = op.pos;
    return operand;
  }
  auto unary = std::make_unique<UnaryExpr>();
  unary->negate = negate;
  unary->pos = {op.pos, operand->pos.end};
  unary->expr = std::move(operand);
  if (!SetDepth(last_depth_, op.pos)) return nullptr;
  return unary;
}

ExprPtr Parser::ParsePrimary() {
  const Token& tok = Peek();
  switch (tok.type) {
    case TokenType::kNumber:
    case TokenType::kDuration: return ParseNumberOrDuration();
    case TokenType::kString: return ParseStringLiteral();
    case TokenType::kLeftParen: return ParseParen();
    case TokenType::kLeftBrace: return ParseVectorSelector();
    case TokenType::kIdentifier:
    case TokenType::kStart:
    case TokenType::kEnd:
      if (PeekIs(TokenType::kLeftParen, 1)) return ParseFunctionCall();
      return ParseVectorSelector();
    case TokenType::kAggregator:
      if (PeekIs(TokenType::kLeftParen, 1) || PeekIs(TokenType::kBy, 1) || PeekIs(TokenType::kWithout, 1)) {
        return ParseAggregate();
      }
      return ParseVectorSelector();
    default:
      if (IsMetricNameToken(tok.type)) return ParseVectorSelector();
      Unexpected(tok);
      return nullptr;
  }
}

ExprPtr Parser::ParseParen() {
  const Token& open = Consume();
  ExprPtr inner = ParseBinary(0);
  if (!inner) return nullptr;
  if (!PeekIs(TokenType::kRightParen)) {
    Unexpected(Peek());
    return nullptr;
  }
  const Token& close = Consume();
  auto paren = std::make_unique<ParenExpr>();
  paren->pos = {open.pos, End(close)};
  paren->expr = std::move(inner);
  if (!SetDepth(last_depth_, open.pos)) return nullptr;
  return paren;
}

ExprPtr Parser::ParseNumberOrDuration() {
  const Token& tok = Consume();
  auto num = std::make_unique<NumberLiteral>();
  num->pos = {tok.pos, End(tok)};
  if (tok.type == TokenType::kDuration) {
    auto ms = ParseModelDuration(tok.text);
    if (!ms.ok()) {
      Fail(tok.pos, ms.status().message());
      return nullptr;
    }
    num->value = static_cast<double>(*ms) / 1000.0;
    num->duration = true;
  } else {
    auto v = ParseNumberLiteral(tok.text);
    if (!v.ok()) {
      Fail(tok.pos, v.status().message());
      return nullptr;
    }
    num->value = *v;
  }
  last_depth_ = 1;
  return num;
}

ExprPtr Parser::ParseStringLiteral() {
  const Token& tok = Consume();
  auto str = std::make_unique<StringLiteral>();
  str->pos = {tok.pos, End(tok)};
  auto value = Unquote(tok.text);
  if (!value.ok()) {
    Fail(tok.pos, fmt::format("error unquoting string {}: {}", GoQuote(tok.text), value.status().message()));
    return nullptr;
  }
  str->value = std::move(*value);
  last_depth_ = 1;
  return str;
}

Result<ExprPtr> ParseExpr(std::string_view input, const ParseOptions& opts) {
  Parser parser(input, opts);
  return parser.ParseExpression();
}

Result<Matchers> ParseMetricSelector(std::string_view input) {
  Parser parser(input, ParseOptions{});
  return parser.ParseSelectorOnly();
}

Result<int64_t> ParsePromQLDuration(std::string_view input) { return ParseModelDuration(input); }

}  // namespace promethium::promql
