// The PromQL lexer: query text -> tokens, as Prometheus's promql/parser/lex.go.
//
// The lexer is context sensitive the way Prometheus's is: inside braces every
// word is an identifier (keywords are not recognised), right after '[' it
// reads a duration, and it tracks parenthesis and bracket nesting so that it
// can report "unclosed left parenthesis" and friends with Prometheus's exact
// wording and positions. Lexing stops at the first error, which becomes a
// kError token carrying the message.
//
// Tokens point into the input (string_view): the caller keeps the input alive
// while it uses them.
// Thread-safety: a Lexer is single-threaded; Tokenize() is reentrant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace promethium::promql {

enum class TokenType {
  kEOF,
  kError,
  kComment,
  kIdentifier,        // foo, also every word inside braces
  kMetricIdentifier,  // foo:bar
  kNumber,            // 1, 1.5e3, 0x1f, Inf, NaN
  kDuration,          // 5m, 1h30m
  kString,            // "a", 'a' or `a`, quotes included in `text`
  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kLeftBracket,
  kRightBracket,
  kComma,
  kAssign,  // '=' (a matcher inside braces; an error elsewhere)
  kColon,
  // Operators.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEqlc,  // ==
  kNeq,   // !=
  kLte,
  kLss,
  kGte,
  kGtr,
  kTrimUpper,  // </
  kTrimLower,  // >/
  kEqlRegex,   // =~
  kNeqRegex,   // !~
  kAt,
  kLand,
  kLor,
  kLunless,
  kAtan2,
  // Aggregation operators (sum, avg, topk, ...): the operator is in `text`.
  kAggregator,
  // Keywords.
  kBool,
  kBy,
  kGroupLeft,
  kGroupRight,
  kIgnoring,
  kOffset,
  kOn,
  kWithout,
  // The @ modifier's start() and end().
  kStart,
  kEnd,
};

struct Token {
  TokenType type = TokenType::kEOF;
  int pos = 0;            // byte offset of the token's first character
  std::string_view text;  // the token's text (for kError: empty)
  std::string error;      // kError only: the message
};

bool IsOperatorToken(TokenType t);
bool IsKeywordToken(TokenType t);

// Prometheus's Item.desc(): how an unexpected token is named in errors, e.g.
// `end of input`, `<op:+>`, `<aggr:sum>`, `<by>`, `identifier "foo"`, `","`.
std::string DescribeToken(const Token& tok);

// Lexes the whole input. The result always ends with exactly one kEOF or
// kError token. Comments are dropped.
std::vector<Token> Tokenize(std::string_view input);

}  // namespace promethium::promql
