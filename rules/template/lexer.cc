#include "rules/template/lexer.h"

#include <fmt/format.h>

#include "rules/template/go_format.h"

namespace promethium::rules::tmpl {
namespace {

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";
constexpr std::string_view kLeftComment = "/*";
constexpr std::string_view kRightComment = "*/";
constexpr std::string_view kSpaceChars = " \t\r\n";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsAlphaNumeric(unsigned char c) {
  // Non-ASCII bytes are treated as letters (Go accepts Unicode letters).
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}
bool HasLeftTrimMarker(std::string_view s) { return s.size() >= 2 && s[0] == '-' && IsSpace(s[1]); }
bool HasRightTrimMarker(std::string_view s) { return s.size() >= 2 && IsSpace(s[0]) && s[1] == '-'; }

TokenType Keyword(std::string_view w, bool* found) {
  *found = true;
  if (w == "block") return TokenType::kBlock;
  if (w == "break") return TokenType::kBreak;
  if (w == "continue") return TokenType::kContinue;
  if (w == "define") return TokenType::kDefine;
  if (w == "else") return TokenType::kElse;
  if (w == "end") return TokenType::kEnd;
  if (w == "if") return TokenType::kIf;
  if (w == "range") return TokenType::kRange;
  if (w == "nil") return TokenType::kNil;
  if (w == "template") return TokenType::kTemplate;
  if (w == "with") return TokenType::kWith;
  *found = false;
  return TokenType::kIdentifier;
}

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Token> Run() {
    bool inside = false;  // each state returns whether the next is "inside an action"
    while (!done_) inside = inside ? LexInsideAction() : LexText();
    return std::move(out_);
  }

 private:
  int Peek() const { return pos_ < in_.size() ? static_cast<unsigned char>(in_[pos_]) : -1; }
  std::string_view Rest() const { return in_.substr(pos_); }
  void Emit(TokenType t) {
    out_.push_back({t, start_, std::string(in_.substr(start_, pos_ - start_))});
    start_ = pos_;
  }
  bool Error(std::string msg) {
    out_.push_back({TokenType::kError, start_, std::move(msg)});
    done_ = true;
    return false;
  }
  // Returns (at a right delimiter, with a trim marker).
  std::pair<bool, bool> AtRightDelim() const {
    std::string_view r = Rest();
    if (HasRightTrimMarker(r) && r.substr(2).starts_with(kRightDelim)) return {true, true};
    return {r.starts_with(kRightDelim), false};
  }

  // Returns true when the next state is "inside action".
  bool LexText() {
    size_t x = in_.find(kLeftDelim, pos_);
    if (x == std::string_view::npos) {
      pos_ = in_.size();
      if (pos_ > start_) Emit(TokenType::kText);
      Emit(TokenType::kEOF);
      done_ = true;
      return false;
    }
    pos_ = x;
    size_t trim = 0;
    if (HasLeftTrimMarker(in_.substr(x + kLeftDelim.size()))) {
      std::string_view t = in_.substr(start_, x - start_);
      size_t keep = t.find_last_not_of(kSpaceChars);
      trim = keep == std::string_view::npos ? t.size() : t.size() - keep - 1;
    }
    pos_ -= trim;
    if (pos_ > start_) Emit(TokenType::kText);
    pos_ = x;
    start_ = pos_;
    return LexLeftDelim();
  }

  bool LexLeftDelim() {
    pos_ += kLeftDelim.size();
    size_t after = HasLeftTrimMarker(Rest()) ? 2 : 0;
    if (in_.substr(pos_ + after).starts_with(kLeftComment)) {
      pos_ += after;
      start_ = pos_;
      return LexComment();
    }
    Emit(TokenType::kLeftDelim);
    pos_ += after;
    start_ = pos_;
    paren_depth_ = 0;
    return true;
  }

  bool LexComment() {
    pos_ += kLeftComment.size();
    size_t i = in_.find(kRightComment, pos_);
    if (i == std::string_view::npos) return Error("unclosed comment");
    pos_ = i + kRightComment.size();
    auto [delim, trim] = AtRightDelim();
    if (!delim) return Error("comment ends before closing delimiter");
    if (trim) pos_ += 2;
    pos_ += kRightDelim.size();
    if (trim) SkipLeadingSpace();
    start_ = pos_;
    return false;
  }

  void SkipLeadingSpace() {
    while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
  }

  bool LexRightDelim(bool trim) {
    if (trim) {
      pos_ += 2;
      start_ = pos_;
    }
    pos_ += kRightDelim.size();
    Emit(TokenType::kRightDelim);
    if (trim) {
      SkipLeadingSpace();
      start_ = pos_;
    }
    return false;
  }

  bool LexInsideAction() {
    auto [delim, trim] = AtRightDelim();
    if (delim) {
      if (paren_depth_ == 0) return LexRightDelim(trim);
      return Error("unclosed left paren");
    }
    int r = Peek();
    if (r < 0) return Error("unclosed action");
    ++pos_;
    if (IsSpace(static_cast<char>(r))) return LexSpace();
    switch (r) {
      case ':':
        if (Peek() != '=') return Error("expected :=");
        ++pos_;
        Emit(TokenType::kDeclare);
        return true;
      case '|': Emit(TokenType::kPipe); return true;
      case '=': Emit(TokenType::kAssign); return true;
      case '"': return LexQuote();
      case '`': return LexRawQuote();
      case '$': return LexFieldOrVariable(TokenType::kVariable);
      case '\'': return LexChar();
      case '(':
        Emit(TokenType::kLeftParen);
        ++paren_depth_;
        return true;
      case ')':
        Emit(TokenType::kRightParen);
        if (--paren_depth_ < 0) return Error("unexpected right paren U+0029 ')'");
        return true;
      default: break;
    }
    if (r == '.') {
      if (pos_ < in_.size() && (in_[pos_] < '0' || in_[pos_] > '9')) return LexFieldOrVariable(TokenType::kField);
    }
    if (r == '.' || r == '+' || r == '-' || (r >= '0' && r <= '9')) {
      --pos_;
      return LexNumber();
    }
    if (IsAlphaNumeric(r)) {
      --pos_;
      return LexIdentifier();
    }
    if (r < 0x7f && r >= 0x20) {
      Emit(TokenType::kChar);
      return true;
    }
    return Error(fmt::format("unrecognized character in action: {}", GoRuneDescription(in_, pos_ - 1)));
  }

  bool LexSpace() {
    size_t n = 1;
    while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_, ++n;
    if (HasRightTrimMarker(in_.substr(pos_ - 1)) && in_.substr(pos_ + 1).starts_with(kRightDelim)) {
      --pos_;  // before the space
      if (n == 1) return LexRightDelim(true);
    }
    Emit(TokenType::kSpace);
    return true;
  }

  bool AtTerminator() const {
    int r = Peek();
    if (r < 0 || IsSpace(static_cast<char>(r))) return true;
    switch (r) {
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(': return true;
      default: break;
    }
    return r == kRightDelim[0];
  }

  bool LexIdentifier() {
    while (pos_ < in_.size() && IsAlphaNumeric(in_[pos_])) ++pos_;
    if (!AtTerminator()) return BadCharacter();
    std::string_view word = in_.substr(start_, pos_ - start_);
    bool kw = false;
    TokenType t = Keyword(word, &kw);
    if (kw) {
      Emit(t);
    } else if (word == "true" || word == "false") {
      Emit(TokenType::kBool);
    } else {
      Emit(TokenType::kIdentifier);
    }
    return true;
  }

  bool BadCharacter() { return Error(fmt::format("bad character {}", GoRuneDescription(in_, pos_))); }

  bool LexFieldOrVariable(TokenType t) {
    if (AtTerminator()) {
      Emit(t == TokenType::kVariable ? TokenType::kVariable : TokenType::kDot);
      return true;
    }
    while (pos_ < in_.size() && IsAlphaNumeric(in_[pos_])) ++pos_;
    if (!AtTerminator()) return BadCharacter();
    Emit(t);
    return true;
  }

  bool LexChar() {
    for (;;) {
      int c = Peek();
      if (c < 0 || c == '\n') return Error("unterminated character constant");
      ++pos_;
      if (c == '\\') {
        int n = Peek();
        if (n < 0 || n == '\n') return Error("unterminated character constant");
        ++pos_;
      } else if (c == '\'') {
        break;
      }
    }
    Emit(TokenType::kCharConstant);
    return true;
  }

  bool Accept(std::string_view valid) {
    if (pos_ < in_.size() && valid.find(in_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  void AcceptRun(std::string_view valid) {
    while (Accept(valid)) {
    }
  }

  bool ScanNumber() {
    Accept("+-");
    std::string_view digits = "0123456789_";
    if (Accept("0")) {
      if (Accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (Accept("oO")) {
        digits = "01234567_";
      } else if (Accept("bB")) {
        digits = "01_";
      }
    }
    AcceptRun(digits);
    if (Accept(".")) AcceptRun(digits);
    if (digits.size() == 11 && Accept("eE")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    if (digits.size() == 23 && Accept("pP")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    Accept("i");
    if (pos_ < in_.size() && IsAlphaNumeric(in_[pos_])) {
      ++pos_;
      return false;
    }
    return true;
  }

  bool LexNumber() {
    if (!ScanNumber()) return Error(fmt::format("bad number syntax: {}", GoQuote(in_.substr(start_, pos_ - start_))));
    int sign = Peek();
    if (sign == '+' || sign == '-') {
      if (!ScanNumber() || in_[pos_ - 1] != 'i') {
        return Error(fmt::format("bad number syntax: {}", GoQuote(in_.substr(start_, pos_ - start_))));
      }
      Emit(TokenType::kComplex);
    } else {
      Emit(TokenType::kNumber);
    }
    return true;
  }

  bool LexQuote() {
    for (;;) {
      int c = Peek();
      if (c < 0 || c == '\n') return Error("unterminated quoted string");
      ++pos_;
      if (c == '\\') {
        int n = Peek();
        if (n < 0 || n == '\n') return Error("unterminated quoted string");
        ++pos_;
      } else if (c == '"') {
        break;
      }
    }
    Emit(TokenType::kString);
    return true;
  }

  bool LexRawQuote() {
    size_t i = in_.find('`', pos_);
    if (i == std::string_view::npos) return Error("unterminated raw quoted string");
    pos_ = i + 1;
    Emit(TokenType::kRawString);
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t start_ = 0;
  int paren_depth_ = 0;
  bool done_ = false;
  std::vector<Token> out_;
};

}  // namespace

std::string TokenString(const Token& t) {
  switch (t.type) {
    case TokenType::kEOF: return "EOF";
    case TokenType::kError: return t.val;
    default: break;
  }
  if (t.type >= TokenType::kBlock) return "<" + t.val + ">";
  if (t.val.size() > 10) return GoQuote(t.val.substr(0, 10)) + "...";
  return GoQuote(t.val);
}

std::vector<Token> Lex(std::string_view input) { return Lexer(input).Run(); }

}  // namespace promethium::rules::tmpl
