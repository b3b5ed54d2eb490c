#include "promql/parser/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace promethium::promql {
namespace {

using T = TokenType;

struct ExpectedToken {
  TokenType type;
  int pos;
  const char* text;
};
struct UpstreamLexCase {
  const char* input;
  bool fail;
  std::vector<ExpectedToken> tokens;
};

#include "promql/parser/lexer_upstream_cases_test.inc"

// Prometheus's own lexer test table: same tokens at the same positions,
// EOF at the end of the input, or an error where Prometheus has one.
TEST(LexerTest, PrometheusLexerCases) {
  for (const auto& c : kUpstreamLex) {
    std::vector<Token> toks = Tokenize(c.input);
    if (c.fail) {
      EXPECT_EQ(toks.back().type, T::kError) << c.input;
      continue;
    }
    ASSERT_EQ(toks.back().type, T::kEOF) << c.input << ": " << toks.back().error;
    EXPECT_EQ(toks.back().pos, static_cast<int>(std::string_view(c.input).size())) << c.input;
    toks.pop_back();
    ASSERT_EQ(toks.size(), c.tokens.size()) << c.input;
    for (size_t i = 0; i < toks.size(); i++) {
      EXPECT_EQ(toks[i].type, c.tokens[i].type) << c.input << " token " << i;
      EXPECT_EQ(toks[i].pos, c.tokens[i].pos) << c.input << " token " << i;
      EXPECT_EQ(toks[i].text, c.tokens[i].text) << c.input << " token " << i;
    }
  }
}

std::vector<TokenType> Types(std::string_view in) {
  std::vector<TokenType> out;
  for (const auto& t : Tokenize(in)) out.push_back(t.type);
  return out;
}

TEST(LexerTest, OperatorsAndPunctuation) {
  EXPECT_EQ(Types("+ - * / % ^ == != <= < >= > </ >/ @ , ( )"),
            (std::vector<T>{T::kAdd, T::kSub, T::kMul, T::kDiv, T::kMod, T::kPow, T::kEqlc, T::kNeq, T::kLte, T::kLss,
                            T::kGte, T::kGtr, T::kTrimUpper, T::kTrimLower, T::kAt, T::kComma, T::kLeftParen,
                            T::kRightParen, T::kEOF}));
  EXPECT_EQ(Types("a and b or c unless d atan2 e"),
            (std::vector<T>{T::kIdentifier, T::kLand, T::kIdentifier, T::kLor, T::kIdentifier, T::kLunless,
                            T::kIdentifier, T::kAtan2, T::kIdentifier, T::kEOF}));
}

TEST(LexerTest, KeywordsAreCaseInsensitiveOutsideBraces) {
  auto toks = Tokenize("SUM By (x) bool on ignoring group_left group_right offset without start end");
  std::vector<T> want = {T::kAggregator, T::kBy,      T::kLeftParen, T::kIdentifier, T::kRightParen,
                         T::kBool,       T::kOn,      T::kIgnoring,  T::kGroupLeft,  T::kGroupRight,
                         T::kOffset,     T::kWithout, T::kStart,     T::kEnd,        T::kEOF};
  ASSERT_EQ(toks.size(), want.size());
  for (size_t i = 0; i < want.size(); i++) EXPECT_EQ(toks[i].type, want[i]) << i;
  EXPECT_EQ(toks[0].text, "SUM");
  // Inside braces every word is an identifier.
  EXPECT_EQ(Types("{by=\"x\", sum!~'y'}"),
            (std::vector<T>{T::kLeftBrace, T::kIdentifier, T::kAssign, T::kString, T::kComma, T::kIdentifier,
                            T::kNeqRegex, T::kString, T::kRightBrace, T::kEOF}));
}

TEST(LexerTest, IdentifiersNumbersDurations) {
  auto toks = Tokenize("foo:bar 0x1F 1.5e3 .5 Inf nan 1h30m 250ms foo[5m:1m]");
  std::vector<T> want = {T::kMetricIdentifier, T::kNumber,   T::kNumber,   T::kNumber,       T::kNumber,
                         T::kNumber,           T::kDuration, T::kDuration, T::kIdentifier,   T::kLeftBracket,
                         T::kDuration,         T::kColon,    T::kDuration, T::kRightBracket, T::kEOF};
  ASSERT_EQ(toks.size(), want.size());
  for (size_t i = 0; i < want.size(); i++) EXPECT_EQ(toks[i].type, want[i]) << i << " " << toks[i].text;
  EXPECT_EQ(toks[6].text, "1h30m");
  EXPECT_EQ(toks[6].pos, 30);
}

TEST(LexerTest, StringsAndComments) {
  auto toks = Tokenize("\"a\\\"b\" 'c\\'d' `e\\f` # comment\n x");
  ASSERT_EQ(toks.size(), 5u);
  EXPECT_EQ(toks[0].text, "\"a\\\"b\"");
  EXPECT_EQ(toks[1].text, "'c\\'d'");
  EXPECT_EQ(toks[2].text, "`e\\f`");
  EXPECT_EQ(toks[3].type, T::kIdentifier);
  EXPECT_EQ(toks[3].pos, 31);
}

struct LexError {
  const char* in;
  int pos;
  const char* msg;
};

TEST(LexerTest, ErrorsCarryPrometheusMessages) {
  const LexError cases[] = {
      {"\"abc", 0, "unterminated quoted string"},
      {"`abc", 0, "unterminated raw string"},
      {"\"\\z\"", 0, "unknown escape sequence U+007A 'z'"},
      {"\"\\xZZ\"", 0, "illegal character U+005A 'Z' in escape sequence"},
      {"\"\\uD800\"", 0, "escape sequence is an invalid Unicode code point"},
      {"'\\\"'", 0, "unknown escape sequence U+0022 '\"'"},
      {"a ! b", 2, "unexpected character after '!': ' '"},
      {"a =~ b", 2, "unexpected character after '=': '~'"},
      {"(", 1, "unclosed left parenthesis"},
      {")", 1, "unexpected right parenthesis ')'"},
      {"[[", 1, "unexpected character in duration expression: '['"},
      {"foo[5m[", 6, "unexpected left bracket '['"},
      {"$", 0, "unexpected character: '$'"},
      {"{a=\"b\" $}", 7, "unexpected character inside braces: '$'"},
      {"{a!b}", 2, "unexpected character after '!' inside braces: 'b'"},
      {"{{", 1, "unexpected left brace '{'"},
      {"1.2.3", 0, "bad number or duration syntax: \"1.2.\""},
      {"5mm", 0, "bad number or duration syntax: \"5mm\""},
      {"x[:", 3, "unexpected colon before duration in duration expression"},
      {"\xff", 0, "unexpected character: '\xef\xbf\xbd'"},
  };
  for (const auto& c : cases) {
    auto toks = Tokenize(c.in);
    ASSERT_EQ(toks.back().type, T::kError) << c.in;
    EXPECT_EQ(toks.back().error, c.msg) << c.in;
    EXPECT_EQ(toks.back().pos, c.pos) << c.in;
  }
}

TEST(LexerTest, DescribeTokenMatchesPrometheus) {
  auto toks = Tokenize("foo a:b 1 5m \"s\" , sum by + and \"0123456789ab\"");
  EXPECT_EQ(DescribeToken(toks[0]), "identifier \"foo\"");
  EXPECT_EQ(DescribeToken(toks[1]), "metric identifier \"a:b\"");
  EXPECT_EQ(DescribeToken(toks[2]), "number \"1\"");
  EXPECT_EQ(DescribeToken(toks[3]), "duration \"5m\"");
  EXPECT_EQ(DescribeToken(toks[4]), "string \"\\\"s\\\"\"");
  EXPECT_EQ(DescribeToken(toks[5]), "\",\"");
  EXPECT_EQ(DescribeToken(toks[6]), "<aggr:sum>");
  EXPECT_EQ(DescribeToken(toks[7]), "<by>");
  EXPECT_EQ(DescribeToken(toks[8]), "<op:+>");
  EXPECT_EQ(DescribeToken(toks[9]), "<op:and>");
  EXPECT_EQ(DescribeToken(toks[10]), "string \"\\\"012345678\"...");
  EXPECT_EQ(DescribeToken(toks[11]), "end of input");
}

}  // namespace
}  // namespace promethium::promql
