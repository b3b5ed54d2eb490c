// Internal: the recursive-descent PromQL parser behind parser.h.
//
// Prometheus uses a yacc grammar; this is a hand-written equivalent that
// produces the same trees and the same first error message. Operator
// precedence is handled by precedence climbing; offset, @ and [..] are
// postfix operators binding tighter than any binary operator; unary +/-
// binds like '*' (so -a^b is -(a^b)).
//
// The parser keeps only the first error, as Prometheus reports only the
// first one. A Parser object parses one input once and is single-threaded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "promql/parser/ast.h"
#include "promql/parser/lexer.h"
#include "promql/parser/parser.h"

namespace promethium::promql {

// Nesting limits that keep recursion (parsing, checking, printing and
// destruction) far from the stack's end on hostile input.
// Prometheus has no such limits; real queries stay far below them.
inline constexpr int kMaxParseNesting = 256;
inline constexpr int kMaxAstDepth = 1000;

// Formats a parse error as Prometheus does: "<line>:<col>: parse error: <msg>".
Status ParseError(std::string_view input, int pos, std::string_view msg);

// Prometheus's model.ParseDuration, in milliseconds (bounded like Go's
// time.Duration). Messages as in Prometheus ("unknown unit ...").
Result<int64_t> ParseModelDuration(std::string_view text);

// Prometheus's parser.number(): integers (with 0x/0o/0b/leading-0 octal
// prefixes and '_' separators) or floats, Inf and NaN.
Result<double> ParseNumberLiteral(std::string_view text);

// checkAST: Prometheus's type checks, run on a syntactically valid tree.
// Also normalises vector matching (set operators become many-to-many, and
// non vector/vector operations lose their matching). Returns the first
// error, already formatted with its position.
Status CheckAst(std::string_view input, Expr& root);

class Parser {
 public:
  Parser(std::string_view input, const ParseOptions& opts);

  Result<ExprPtr> ParseExpression();
  Result<Matchers> ParseSelectorOnly();

 private:
  // Token stream.
  const Token& Peek(size_t ahead = 0) const;
  const Token& Consume();
  bool PeekIs(TokenType t, size_t ahead = 0) const { return Peek(ahead).type == t; }
  static int End(const Token& t) { return t.pos + static_cast<int>(t.text.size()); }

  // Errors: only the first one is kept. Both return nullptr-friendly false.
  bool Fail(int pos, std::string_view msg);
  // "unexpected <tok>[ in <context>][, expected <expected>]"; for a lexer
  // error token, its own message.
  bool Unexpected(const Token& tok, std::string_view context = "", std::string_view expected = "");
  bool failed() const { return error_.has_value(); }

  // Expressions (parser.cc).
  ExprPtr ParseBinary(int min_prec);
  ExprPtr ParseUnary();
  ExprPtr ParsePrimary();
  ExprPtr ParseParen();
  ExprPtr ParseNumberOrDuration();
  ExprPtr ParseStringLiteral();
  // Records the depth of a node built on children of depth `child_depth`;
  // fails past kMaxAstDepth.
  bool SetDepth(int child_depth, int pos);

  // Selectors and postfix modifiers (parser_selectors.cc).
  std::unique_ptr<VectorSelector> ParseVectorSelector();
  bool ParseLabelMatchers(Matchers* out, int* end);
  bool ParseLabelMatcher(Matchers* out);
  ExprPtr ParsePostfix(ExprPtr e);
  ExprPtr ParseRangeOrSubquery(ExprPtr e);
  bool ParseOffset(Expr& e);
  bool ParseAt(Expr& e);
  // A (signed) number or duration literal, durations in seconds; `pos`
  // gets its start. Returns false without an error when the next tokens
  // are not one.
  bool ParseSignedNumber(double* value, int* pos, int* end);
  // As ParseSignedNumber, also failing for values time.Duration cannot hold.
  bool ParseSignedDurationLiteral(double* seconds, int* pos, int* end);
  bool ParseBracketDuration(std::string_view context, std::string_view expected, int64_t* ms);

  // Calls and aggregations (parser_calls.cc).
  ExprPtr ParseFunctionCall();
  ExprPtr ParseAggregate();
  bool ParseCallArgs(std::vector<ExprPtr>* args, int* end, int* max_depth);
  bool ParseGroupingLabels(std::vector<std::string>* labels, int* end);
  bool ParseBinModifiers(BinaryExpr* bin, int lhs_start);
  static bool IsMetricNameToken(TokenType t);
  static bool IsGroupingLabelToken(TokenType t);

  std::string_view input_;
  ParseOptions opts_;
  std::vector<Token> tokens_;
  size_t next_ = 0;
  std::optional<Status> error_;
  int nesting_ = 0;     // current recursion depth of ParseBinary
  int last_depth_ = 0;  // AST depth of the expression just parsed
};

}  // namespace promethium::promql
