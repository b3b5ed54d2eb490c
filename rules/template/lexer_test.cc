#include "rules/template/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace promethium::rules::tmpl {
namespace {

using T = TokenType;

std::vector<T> Types(std::string_view in) {
  std::vector<T> out;
  for (const auto& t : Lex(in)) out.push_back(t.type);
  return out;
}

std::string Texts(std::string_view in) {
  std::string out;
  for (const auto& t : Lex(in)) {
    if (t.type == T::kText) out += "[" + t.val + "]";
  }
  return out;
}

TEST(LexerTest, TextAndAction) {
  EXPECT_EQ(Types("a{{ .X }}b"), (std::vector<T>{T::kText, T::kLeftDelim, T::kSpace, T::kField, T::kSpace,
                                                 T::kRightDelim, T::kText, T::kEOF}));
}

TEST(LexerTest, Declarations) {
  EXPECT_EQ(Types("{{$x := 1}}{{$x = 2}}"),
            (std::vector<T>{T::kLeftDelim, T::kVariable, T::kSpace, T::kDeclare, T::kSpace, T::kNumber, T::kRightDelim,
                            T::kLeftDelim, T::kVariable, T::kSpace, T::kAssign, T::kSpace, T::kNumber, T::kRightDelim,
                            T::kEOF}));
}

TEST(LexerTest, KeywordsAndLiterals) {
  auto toks = Lex("{{if true}}{{else}}{{end}}{{range}}{{with}}{{nil}}{{\"s\"}}{{`r`}}{{'c'}}{{break}}");
  std::vector<T> want{T::kLeftDelim, T::kIf,         T::kSpace,     T::kBool,         T::kRightDelim, T::kLeftDelim,
                      T::kElse,      T::kRightDelim, T::kLeftDelim, T::kEnd,          T::kRightDelim, T::kLeftDelim,
                      T::kRange,     T::kRightDelim, T::kLeftDelim, T::kWith,         T::kRightDelim, T::kLeftDelim,
                      T::kNil,       T::kRightDelim, T::kLeftDelim, T::kString,       T::kRightDelim, T::kLeftDelim,
                      T::kRawString, T::kRightDelim, T::kLeftDelim, T::kCharConstant, T::kRightDelim, T::kLeftDelim,
                      T::kBreak,     T::kRightDelim, T::kEOF};
  std::vector<T> got;
  for (const auto& t : toks) got.push_back(t.type);
  EXPECT_EQ(got, want);
}

TEST(LexerTest, TrimMarkers) {
  EXPECT_EQ(Texts("a  {{- 1 -}}  b"), "[a][b]");
  EXPECT_EQ(Texts("a \n {{- 1 }} \n b"), "[a][ \n b]");
  EXPECT_EQ(Texts("a {{-1}} b"), "[a ][ b]");  // "-1" is a number, not a trim marker
  EXPECT_EQ(Texts("a {{- /* c */ -}} b"), "[a][b]");
  EXPECT_EQ(Texts("a {{/* c */}} b"), "[a ][ b]");
}

TEST(LexerTest, NewlinesInsideActions) {
  EXPECT_EQ(Types("{{\n1\n}}"),
            (std::vector<T>{T::kLeftDelim, T::kSpace, T::kNumber, T::kSpace, T::kRightDelim, T::kEOF}));
}

TEST(LexerTest, Numbers) {
  for (std::string n : {"1", "-1", "+2", "1.5", "1e6", "0x1F", "0o17", "0b101", "1_000", ".5", "0x1p4"}) {
    auto toks = Lex("{{" + n + "}}");
    ASSERT_EQ(toks[1].type, T::kNumber) << n;
    EXPECT_EQ(toks[1].val, n);
  }
  EXPECT_EQ(Lex("{{1+2i}}")[1].type, T::kComplex);
}

TEST(LexerTest, Errors) {
  auto last = [](std::string_view in) { return Lex(in).back(); };
  EXPECT_EQ(last("{{ 1").val, "unclosed action");
  EXPECT_EQ(last("{{ \"abc }}").val, "unterminated quoted string");
  EXPECT_EQ(last("{{ `abc }}").val, "unterminated raw quoted string");
  EXPECT_EQ(last("{{ /* x }}").type, T::kEOF);  // not a comment: "/" and "*" are chars
  EXPECT_EQ(last("{{/* x }}").val, "unclosed comment");
  EXPECT_EQ(last("{{/* x */ 1}}").val, "comment ends before closing delimiter");
  EXPECT_EQ(last("{{ (1 }}").val, "unclosed left paren");
  EXPECT_EQ(last("{{ 1) }}").val, "unexpected right paren U+0029 ')'");
  EXPECT_EQ(last("{{ 3x }}").val, "bad number syntax: \"3x\"");
  EXPECT_EQ(last("{{ .a# }}").val, "bad character U+0023 '#'");
  EXPECT_EQ(last("{{ : }}").val, "expected :=");
  EXPECT_EQ(last("{{ 1 }}").type, T::kEOF);
}

TEST(LexerTest, TokenString) {
  EXPECT_EQ(TokenString({T::kEOF, 0, ""}), "EOF");
  EXPECT_EQ(TokenString({T::kEnd, 0, "end"}), "<end>");
  EXPECT_EQ(TokenString({T::kString, 0, "\"x\""}), "\"\\\"x\\\"\"");
  EXPECT_EQ(TokenString({T::kText, 0, "abcdefghijklmn"}), "\"abcdefghij\"...");
}

}  // namespace
}  // namespace promethium::rules::tmpl
