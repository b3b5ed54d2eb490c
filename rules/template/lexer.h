// The template lexer: template text -> tokens, as Go's text/template/parse
// lexer (Go 1.19, which Prometheus 2.42 is built with).
//
// Text outside "{{ }}" becomes kText tokens; "{{- " and " -}}" trim the
// adjacent whitespace (space, tab, CR, LF) of the neighbouring text; comments
// "{{/* ... */}}" are dropped. Inside an action, newlines are spaces. Lexing
// stops at the first error, which becomes a kError token carrying Go's
// message ("unclosed action", "unterminated quoted string", ...).
//
// Ownership: tokens own copies of their text. Thread-safety: Lex() is a pure
// function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace promethium::rules::tmpl {

enum class TokenType {
  kError,
  kBool,
  kChar,  // a printable ASCII character not otherwise meaningful (e.g. ',')
  kCharConstant,
  kComplex,
  kAssign,   // '='
  kDeclare,  // ':='
  kEOF,
  kField,       // .Name
  kIdentifier,  // name (a function)
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,
  kRightDelim,
  kRightParen,
  kSpace,
  kString,
  kText,
  kVariable,  // $ or $name
  // Keywords.
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Token {
  TokenType type = TokenType::kEOF;
  size_t pos = 0;  // byte offset in the input
  std::string val;
};

// Go's item.String(): "EOF", the error text, "<keyword>", or the quoted value.
std::string TokenString(const Token& t);

// Lexes the whole input. The last token is kEOF or kError.
std::vector<Token> Lex(std::string_view input);

}  // namespace promethium::rules::tmpl
