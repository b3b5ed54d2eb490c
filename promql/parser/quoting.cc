#include "promql/parser/quoting.h"

#include <fmt/format.h>

#include <cctype>

namespace promethium::promql {
namespace {

// A rough unicode.IsPrint: ASCII graphic characters and space, and every
// valid non-ASCII code point except C1 controls and a few invisible ones.
bool IsPrintable(int r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7f;
  if (r < 0xA0) return false;
  if (r == 0xAD || r == 0xFEFF || (r >= 0x2028 && r <= 0x2029)) return false;
  if (r >= 0xD800 && r < 0xE000) return false;
  return r <= 0x10FFFF;
}

// Appends the escaped form of one rune, as Go's quoting does; `quote` is
// the delimiter that must be escaped.
void AppendEscapedRune(std::string* out, int r, char quote) {
  if (r == quote || r == '\\') {
    out->push_back('\\');
    out->push_back(static_cast<char>(r));
    return;
  }
  if (IsPrintable(r)) {
    AppendRune(out, static_cast<uint32_t>(r));
    return;
  }
  switch (r) {
    case '\a': *out += "\\a"; return;
    case '\b': *out += "\\b"; return;
    case '\f': *out += "\\f"; return;
    case '\n': *out += "\\n"; return;
    case '\r': *out += "\\r"; return;
    case '\t': *out += "\\t"; return;
    case '\v': *out += "\\v"; return;
  }
  if (r < ' ' || r == 0x7f) {
    *out += fmt::format("\\x{:02x}", r);
  } else if (r < 0x10000) {
    *out += fmt::format("\\u{:04x}", r);
  } else {
    *out += fmt::format("\\U{:08x}", r);
  }
}

int Unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status SyntaxError() { return Status::InvalidArgument("invalid syntax"); }

// Resolves one escape sequence at the start of `s` (just past the
// backslash) into `out`; advances `s`.
Status UnescapeOne(std::string_view* s, char quote, std::string* out) {
  if (s->empty()) return SyntaxError();
  char c = (*s)[0];
  s->remove_prefix(1);
  switch (c) {
    case 'a': out->push_back('\a'); return Status::OK();
    case 'b': out->push_back('\b'); return Status::OK();
    case 'f': out->push_back('\f'); return Status::OK();
    case 'n': out->push_back('\n'); return Status::OK();
    case 'r': out->push_back('\r'); return Status::OK();
    case 't': out->push_back('\t'); return Status::OK();
    case 'v': out->push_back('\v'); return Status::OK();
    case '\\': out->push_back('\\'); return Status::OK();
    case 'x':
    case 'u':
    case 'U': {
      size_t n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
      if (s->size() < n) return SyntaxError();
      uint32_t v = 0;
      for (size_t j = 0; j < n; j++) {
        int x = Unhex((*s)[j]);
        if (x < 0) return SyntaxError();
        v = v << 4 | static_cast<uint32_t>(x);
      }
      s->remove_prefix(n);
      if (c == 'x') {
        out->push_back(static_cast<char>(v));  // a raw byte, as in Go
        return Status::OK();
      }
      if (v > 0x10FFFF) return SyntaxError();
      AppendRune(out, v);
      return Status::OK();
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      if (s->size() < 2) return SyntaxError();
      uint32_t v = static_cast<uint32_t>(c - '0');
      for (size_t j = 0; j < 2; j++) {
        uint32_t x = static_cast<uint32_t>((*s)[j] - '0');
        if (x > 7) return SyntaxError();
        v = (v << 3) | x;
      }
      s->remove_prefix(2);
      if (v > 255) return SyntaxError();
      out->push_back(static_cast<char>(v));
      return Status::OK();
    }
    default:
      if (c == quote) {
        out->push_back(c);
        return Status::OK();
      }
      return SyntaxError();
  }
}

}  // namespace

std::pair<int, size_t> DecodeRune(std::string_view s) {
  if (s.empty()) return {kRuneError, 0};
  auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return {b0, 1};
  size_t need;
  uint32_t r, min;
  if ((b0 & 0xE0) == 0xC0) {
    need = 2, r = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    need = 3, r = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    need = 4, r = b0 & 0x07, min = 0x10000;
  } else {
    return {kRuneError, 1};
  }
  if (s.size() < need) return {kRuneError, 1};
  for (size_t i = 1; i < need; i++) {
    auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return {kRuneError, 1};
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r < 0xE000)) return {kRuneError, 1};
  return {static_cast<int>(r), need};
}

void AppendRune(std::string* out, uint32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r < 0xE000)) r = kRuneError;
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  while (!s.empty()) {
    auto [r, w] = DecodeRune(s);
    if (r == kRuneError && w == 1) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[0]));
    } else {
      AppendEscapedRune(&out, r, '"');
    }
    s.remove_prefix(w);
  }
  out += '"';
  return out;
}

std::string QuoteRune(int r) {
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r < 0xE000)) r = kRuneError;
  std::string out = "'";
  AppendEscapedRune(&out, r, '\'');
  out += '\'';
  return out;
}

std::string FormatRuneU(int r) {
  std::string out = fmt::format("U+{:04X}", static_cast<uint32_t>(r));
  if (IsPrintable(r)) {
    out += " '";
    AppendRune(&out, static_cast<uint32_t>(r));
    out += "'";
  }
  return out;
}

std::string TruncatedQuote(std::string_view s, size_t max_runes) {
  if (s.size() <= max_runes) return GoQuote(s);
  size_t bytes = 0;
  for (size_t runes = 0; runes < max_runes && bytes < s.size(); runes++) bytes += DecodeRune(s.substr(bytes)).second;
  return GoQuote(s.substr(0, bytes)) + "...";
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<std::string> Unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != s.back()) return SyntaxError();
  const char quote = s.front();
  s = s.substr(1, s.size() - 2);
  if (quote == '`') {
    if (s.find('`') != std::string_view::npos) return SyntaxError();
    return std::string(s);
  }
  if (quote != '"' && quote != '\'') return SyntaxError();
  if (s.find('\n') != std::string_view::npos) return SyntaxError();
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    char c = s[0];
    if (c == quote) return SyntaxError();
    s.remove_prefix(1);
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    PROMETHIUM_RETURN_IF_ERROR(UnescapeOne(&s, quote, &out));
  }
  return out;
}

}  // namespace promethium::promql
