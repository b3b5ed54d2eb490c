#include "promql/parser/lexer.h"

#include <fmt/format.h>

#include <cctype>
#include <string>

#include "promql/parser/quoting.h"

namespace promethium::promql {
namespace {

bool IsSpace(int r) { return r == ' ' || r == '\t' || r == '\n' || r == '\r'; }
bool IsDigit(int r) { return r >= '0' && r <= '9'; }
bool IsAlpha(int r) { return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'); }
bool IsAlphaNumeric(int r) { return IsAlpha(r) || IsDigit(r); }
bool Contains(std::string_view set, int r) {
  return r >= 0 && r < 128 && set.find(static_cast<char>(r)) != std::string_view::npos;
}

int DigitVal(int ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return 16;
}

struct KeywordEntry {
  std::string_view word;
  TokenType type;
};

// Words the lexer turns into something other than an identifier (outside
// braces). "inf" and "nan" are numbers.
constexpr KeywordEntry kKeywords[] = {
    {"and", TokenType::kLand},
    {"or", TokenType::kLor},
    {"unless", TokenType::kLunless},
    {"atan2", TokenType::kAtan2},
    {"sum", TokenType::kAggregator},
    {"avg", TokenType::kAggregator},
    {"count", TokenType::kAggregator},
    {"min", TokenType::kAggregator},
    {"max", TokenType::kAggregator},
    {"group", TokenType::kAggregator},
    {"stddev", TokenType::kAggregator},
    {"stdvar", TokenType::kAggregator},
    {"topk", TokenType::kAggregator},
    {"bottomk", TokenType::kAggregator},
    {"count_values", TokenType::kAggregator},
    {"quantile", TokenType::kAggregator},
    {"limitk", TokenType::kAggregator},
    {"limit_ratio", TokenType::kAggregator},
    {"offset", TokenType::kOffset},
    {"by", TokenType::kBy},
    {"without", TokenType::kWithout},
    {"on", TokenType::kOn},
    {"ignoring", TokenType::kIgnoring},
    {"group_left", TokenType::kGroupLeft},
    {"group_right", TokenType::kGroupRight},
    {"bool", TokenType::kBool},
    {"start", TokenType::kStart},
    {"end", TokenType::kEnd},
    {"inf", TokenType::kNumber},
    {"nan", TokenType::kNumber},
};

// A single-pass port of the state machine in Prometheus's lex.go. Each call
// of Next() produces one token; after an error or EOF it keeps returning it.
class Lexer {
 public:
  explicit Lexer(std::string_view input) : in_(input) {}

  Token Next();

 private:
  static constexpr int kEof = -1;

  int NextRune() {
    if (pos_ >= in_.size()) {
      width_ = 0;
      return kEof;
    }
    auto [r, w] = DecodeRune(in_.substr(pos_));
    width_ = w;
    pos_ += w;
    return r;
  }
  void Backup() { pos_ -= width_; }
  int Peek() {
    int r = NextRune();
    Backup();
    return r;
  }
  bool Accept(std::string_view valid) {
    if (Contains(valid, NextRune())) return true;
    Backup();
    return false;
  }
  bool Is(std::string_view valid) { return Contains(valid, Peek()); }
  void AcceptRun(std::string_view valid) {
    while (Contains(valid, NextRune())) {
    }
    Backup();
  }
  Token Emit(TokenType t) {
    Token tok{t, static_cast<int>(start_), in_.substr(start_, pos_ - start_), {}};
    start_ = pos_;
    return tok;
  }
  Token Error(std::string msg) {
    done_ = true;
    Token tok{TokenType::kError, static_cast<int>(start_), {}, std::move(msg)};
    final_ = tok;
    return tok;
  }

  Token LexStatement();
  Token LexInsideBraces();
  Token LexDurationExpr();
  Token LexOperatorOrPunct(int r, bool* handled);
  Token LexNumberOrDuration();
  Token LexString(int quote);
  Token LexRawString();
  Token LexKeywordOrIdentifier();
  Token LexIdentifier();
  // Returns an error message for a bad escape, or "" when it is fine.
  std::string LexEscape(int quote);
  bool ScanNumber();
  bool AcceptRemainingDuration();
  void SkipComment();

  std::string_view in_;
  size_t pos_ = 0;
  size_t start_ = 0;
  size_t width_ = 0;
  int paren_depth_ = 0;
  bool brace_open_ = false;
  bool bracket_open_ = false;
  bool duration_mode_ = false;  // just after '[': expecting a duration
  bool got_colon_ = false;
  bool got_duration_ = false;
  bool done_ = false;
  Token final_;
};

Token Lexer::Next() {
  if (done_) return final_;
  for (;;) {
    start_ = pos_;
    // Duration expressions know no comments, as in Prometheus.
    if (!duration_mode_ && in_.substr(pos_).starts_with('#')) {
      SkipComment();
      continue;
    }
    if (IsSpace(Peek())) {
      NextRune();
      continue;
    }
    if (brace_open_) return LexInsideBraces();
    if (duration_mode_) return LexDurationExpr();
    return LexStatement();
  }
}

void Lexer::SkipComment() {
  for (int r = NextRune(); r != '\n' && r != '\r' && r != kEof; r = NextRune()) {
  }
  Backup();
  start_ = pos_;
}

// Single-character operators and brackets shared by statements and
// duration expressions.
Token Lexer::LexOperatorOrPunct(int r, bool* handled) {
  *handled = true;
  switch (r) {
    case ',': return Emit(TokenType::kComma);
    case '*': return Emit(TokenType::kMul);
    case '/': return Emit(TokenType::kDiv);
    case '%': return Emit(TokenType::kMod);
    case '+': return Emit(TokenType::kAdd);
    case '-': return Emit(TokenType::kSub);
    case '^': return Emit(TokenType::kPow);
    case '(': paren_depth_++; return Emit(TokenType::kLeftParen);
    case ')': {
      Token tok = Emit(TokenType::kRightParen);
      if (--paren_depth_ < 0) return Error(fmt::format("unexpected right parenthesis {}", QuoteRune(r)));
      return tok;
    }
  }
  *handled = false;
  return {};
}

Token Lexer::LexStatement() {
  int r = NextRune();
  if (r == kEof) {
    if (paren_depth_ != 0) return Error("unclosed left parenthesis");
    if (bracket_open_) return Error("unclosed left bracket");
    done_ = true;
    final_ = Emit(TokenType::kEOF);
    return final_;
  }
  bool handled;
  Token tok = LexOperatorOrPunct(r, &handled);
  if (handled) return tok;
  switch (r) {
    case '=':
      if (Peek() == '=') {
        NextRune();
        return Emit(TokenType::kEqlc);
      }
      if (Peek() == '~') return Error(fmt::format("unexpected character after '=': {}", QuoteRune('~')));
      return Emit(TokenType::kAssign);
    case '!': {
      int t = NextRune();
      if (t != '=') return Error(fmt::format("unexpected character after '!': {}", QuoteRune(t)));
      return Emit(TokenType::kNeq);
    }
    case '<':
    case '>': {
      const bool less = r == '<';
      if (Peek() == '=') {
        NextRune();
        return Emit(less ? TokenType::kLte : TokenType::kGte);
      }
      if (Peek() == '/') {
        NextRune();
        return Emit(less ? TokenType::kTrimUpper : TokenType::kTrimLower);
      }
      return Emit(less ? TokenType::kLss : TokenType::kGtr);
    }
    case '"':
    case '\'': return LexString(r);
    case '`': return LexRawString();
    case '{': brace_open_ = true; return Emit(TokenType::kLeftBrace);
    case '[':
      if (bracket_open_) return Error(fmt::format("unexpected left bracket {}", QuoteRune(r)));
      got_colon_ = false;
      bracket_open_ = true;
      duration_mode_ = true;
      return Emit(TokenType::kLeftBracket);
    case ']':
      if (!bracket_open_) return Error(fmt::format("unexpected right bracket {}", QuoteRune(r)));
      bracket_open_ = false;
      return Emit(TokenType::kRightBracket);
    case '@': return Emit(TokenType::kAt);
  }
  if (IsDigit(r) || (r == '.' && IsDigit(Peek()))) {
    Backup();
    return LexNumberOrDuration();
  }
  if (IsAlpha(r) || r == ':') {
    if (!bracket_open_) {
      Backup();
      return LexKeywordOrIdentifier();
    }
    if (r == ':') {
      if (got_colon_) return Error(fmt::format("unexpected colon {}", QuoteRune(r)));
      got_colon_ = true;
      return Emit(TokenType::kColon);
    }
    return Error(fmt::format("unexpected character: {}, expected {}", QuoteRune(r), QuoteRune(':')));
  }
  return Error(fmt::format("unexpected character: {}", QuoteRune(r)));
}

Token Lexer::LexDurationExpr() {
  int r = NextRune();
  if (r == kEof) return Error("unexpected end of input in duration expression");
  if (r == ']') {
    bracket_open_ = false;
    got_colon_ = false;
    duration_mode_ = false;
    return Emit(TokenType::kRightBracket);
  }
  if (r == ':') {
    Token tok = Emit(TokenType::kColon);
    if (!got_duration_) return Error("unexpected colon before duration in duration expression");
    if (got_colon_) return Error("unexpected repeated colon in duration expression");
    got_colon_ = true;
    return tok;
  }
  bool handled;
  Token tok = LexOperatorOrPunct(r, &handled);
  if (handled) return tok;
  if (IsDigit(r) || (r == '.' && IsDigit(Peek()))) {
    Backup();
    got_duration_ = true;
    duration_mode_ = false;
    return LexNumberOrDuration();
  }
  return Error(fmt::format("unexpected character in duration expression: {}", QuoteRune(r)));
}

Token Lexer::LexInsideBraces() {
  int r = NextRune();
  if (r == kEof) return Error("unexpected end of input inside braces");
  if (IsAlpha(r)) {
    Backup();
    return LexIdentifier();
  }
  switch (r) {
    case ',': return Emit(TokenType::kComma);
    case '"':
    case '\'': return LexString(r);
    case '`': return LexRawString();
    case '=':
      if (NextRune() == '~') return Emit(TokenType::kEqlRegex);
      Backup();
      return Emit(TokenType::kAssign);
    case '!': {
      int nr = NextRune();
      if (nr == '~') return Emit(TokenType::kNeqRegex);
      if (nr == '=') return Emit(TokenType::kNeq);
      return Error(fmt::format("unexpected character after '!' inside braces: {}", QuoteRune(nr)));
    }
    case '{': return Error(fmt::format("unexpected left brace {}", QuoteRune(r)));
    case '}': brace_open_ = false; return Emit(TokenType::kRightBrace);
  }
  return Error(fmt::format("unexpected character inside braces: {}", QuoteRune(r)));
}

std::string Lexer::LexEscape(int quote) {
  int ch = NextRune();
  int n = 0;
  uint32_t base = 0, max_val = 0;
  switch (ch) {
    case 'a':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
    case '\\': return "";
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': n = 3, base = 8, max_val = 255; break;
    case 'x':
      ch = NextRune();
      n = 2, base = 16, max_val = 255;
      break;
    case 'u':
      ch = NextRune();
      n = 4, base = 16, max_val = 0x10FFFF;
      break;
    case 'U':
      ch = NextRune();
      n = 8, base = 16, max_val = 0x10FFFF;
      break;
    case kEof: return "escape sequence not terminated";
    default:
      if (ch == quote) return "";
      return fmt::format("unknown escape sequence {}", FormatRuneU(ch));
  }
  uint32_t x = 0;
  while (n > 0) {
    auto d = static_cast<uint32_t>(DigitVal(ch));
    if (d >= base) {
      if (ch == kEof) return "escape sequence not terminated";
      return fmt::format("illegal character {} in escape sequence", FormatRuneU(ch));
    }
    x = x * base + d;
    if (--n > 0) ch = NextRune();
  }
  if (x > max_val || (x >= 0xD800 && x < 0xE000)) return "escape sequence is an invalid Unicode code point";
  return "";
}

Token Lexer::LexString(int quote) {
  for (;;) {
    int r = NextRune();
    if (r == '\\') {
      std::string err = LexEscape(quote);
      if (!err.empty()) return Error(std::move(err));
      continue;
    }
    if (r == kRuneError) return Error("invalid UTF-8 rune");
    if (r == kEof || r == '\n') return Error("unterminated quoted string");
    if (r == quote) return Emit(TokenType::kString);
  }
}

Token Lexer::LexRawString() {
  for (;;) {
    int r = NextRune();
    if (r == kRuneError) return Error("invalid UTF-8 rune");
    if (r == kEof) return Error("unterminated raw string");
    if (r == '`') return Emit(TokenType::kString);
  }
}

Token Lexer::LexNumberOrDuration() {
  if (ScanNumber()) return Emit(TokenType::kNumber);
  if (AcceptRemainingDuration()) {
    Backup();
    return Emit(TokenType::kDuration);
  }
  return Error(fmt::format("bad number or duration syntax: {}", GoQuote(in_.substr(start_, pos_ - start_))));
}

bool Lexer::AcceptRemainingDuration() {
  if (!Accept("smhdwy")) return false;
  Accept("s");  // "ms"; bad units are caught when the duration is parsed.
  while (Accept("0123456789")) {
    while (Accept("0123456789")) {
    }
    if (!Accept("smhdw")) return false;
    Accept("s");
  }
  return !IsAlphaNumeric(NextRune());
}

// Scans decimal, hex and float numbers with Prometheus's rules; the text
// may still be an invalid number, which the parser then reports.
bool Lexer::ScanNumber() {
  const size_t initial = pos_;
  std::string_view digits = "0123456789";
  if (Accept("0") && Accept("xX")) {
    Accept("_");
    digits = "0123456789abcdefABCDEF";
  }
  const bool hex = digits.size() > 10;
  Accept(".");
  Accept(digits);
  bool dot_seen = false, exp_seen = false;
  const std::string all = std::string(digits) + "._eE";
  // As in Prometheus, 'e' counts as an exponent even in hex literals.
  while (Is(all)) {
    if (Is(".") && dot_seen) {
      Accept(".");
      return false;
    }
    if (Is("eE") && exp_seen) {
      Accept("eE");
      return false;
    }
    if (Accept(".")) {
      dot_seen = true;
      if (Accept("_.")) return false;
      if (hex) return false;  // fractional hex literals are not allowed
      continue;
    }
    if (Accept("eE")) {
      exp_seen = true;
      Accept("+-");
      if (Accept("._eE") || Peek() == kEof) return false;
      continue;
    }
    if (Accept("_")) {
      if (Accept("._eE") || Peek() == kEof) return false;
      continue;
    }
    AcceptRun(digits);
  }
  if (pos_ == initial) return false;
  return !IsAlphaNumeric(Peek());
}

Token Lexer::LexIdentifier() {
  while (IsAlphaNumeric(NextRune())) {
  }
  Backup();
  return Emit(TokenType::kIdentifier);
}

Token Lexer::LexKeywordOrIdentifier() {
  for (int r = NextRune(); IsAlphaNumeric(r) || r == ':'; r = NextRune()) {
  }
  Backup();
  std::string_view word = in_.substr(start_, pos_ - start_);
  std::string lower = ToLowerAscii(word);
  for (const auto& kw : kKeywords) {
    if (kw.word == lower) return Emit(kw.type);
  }
  if (word.find(':') != std::string_view::npos) return Emit(TokenType::kMetricIdentifier);
  return Emit(TokenType::kIdentifier);
}

}  // namespace

bool IsOperatorToken(TokenType t) { return t >= TokenType::kAdd && t <= TokenType::kAtan2; }
bool IsKeywordToken(TokenType t) { return t >= TokenType::kBool && t <= TokenType::kWithout; }

std::string DescribeToken(const Token& tok) {
  switch (tok.type) {
    case TokenType::kEOF: return "end of input";
    case TokenType::kError: return tok.error;
    case TokenType::kComment: return "comment";
    case TokenType::kIdentifier: return "identifier " + GoQuote(tok.text);
    case TokenType::kMetricIdentifier: return "metric identifier " + GoQuote(tok.text);
    case TokenType::kAggregator: return fmt::format("<aggr:{}>", tok.text);
    default: break;
  }
  if (IsKeywordToken(tok.type)) return fmt::format("<{}>", tok.text);
  if (IsOperatorToken(tok.type)) return fmt::format("<op:{}>", tok.text);
  // Go's "%q" of the text, cut to ten characters as "%.10q..." does.
  std::string quoted = TruncatedQuote(tok.text, 10);
  switch (tok.type) {
    case TokenType::kNumber: return "number " + quoted;
    case TokenType::kDuration: return "duration " + quoted;
    case TokenType::kString: return "string " + quoted;
    default: return quoted;
  }
}

std::vector<Token> Tokenize(std::string_view input) {
  Lexer lexer(input);
  std::vector<Token> out;
  for (;;) {
    out.push_back(lexer.Next());
    TokenType t = out.back().type;
    if (t == TokenType::kEOF || t == TokenType::kError) break;
  }
  return out;
}

}  // namespace promethium::promql
