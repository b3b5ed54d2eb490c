#include "rules/template/go_format.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "rules/template/node.h"

namespace promethium::rules::tmpl {
namespace {

// A decimal digit string: value = 0.d * 10^dp (Go's decimalSlice).
struct Digits {
  std::string d;
  int dp = 0;
};

Digits FromScientific(std::string_view sci) {
  Digits out;
  size_t e = sci.find('e');
  for (char c : sci.substr(0, e)) {
    if (c != '.') out.d.push_back(c);
  }
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  while (!out.d.empty() && out.d.back() == '0') out.d.pop_back();
  out.dp = out.d.empty() ? 0 : exp + 1;
  return out;
}

// Shortest round-trip digits (prec < 0) or `prec` significant digits.
Digits DigitsOf(double abs, int prec) {
  char buf[64];
  std::to_chars_result r = prec < 0
                               ? std::to_chars(buf, buf + sizeof(buf), abs, std::chars_format::scientific)
                               : std::to_chars(buf, buf + sizeof(buf), abs, std::chars_format::scientific, prec - 1);
  return FromScientific(std::string_view(buf, r.ptr - buf));
}

void AppendE(std::string* out, const Digits& d, int prec, char e) {
  out->push_back(d.d.empty() ? '0' : d.d[0]);
  if (prec > 0) {
    out->push_back('.');
    for (int i = 1; i <= prec; ++i) out->push_back(i < static_cast<int>(d.d.size()) ? d.d[i] : '0');
  }
  int exp = d.d.empty() ? 0 : d.dp - 1;
  out->push_back(e);
  out->push_back(exp < 0 ? '-' : '+');
  if (exp < 0) exp = -exp;
  if (exp < 10) out->push_back('0');
  *out += std::to_string(exp);
}

void AppendF(std::string* out, const Digits& d, int prec) {
  int nd = static_cast<int>(d.d.size());
  if (d.dp > 0) {
    for (int i = 0; i < d.dp; ++i) out->push_back(i < nd ? d.d[i] : '0');
  } else {
    out->push_back('0');
  }
  if (prec > 0) {
    out->push_back('.');
    for (int i = 1; i <= prec; ++i) {
      int j = d.dp + i - 1;
      out->push_back(j >= 0 && j < nd ? d.d[j] : '0');
    }
  }
}

std::string FormatG(double abs, int prec, char e) {
  bool shortest = prec < 0;
  if (prec == 0) prec = 1;
  Digits d = DigitsOf(abs, shortest ? -1 : prec);
  int nd = static_cast<int>(d.d.size());
  if (shortest) prec = nd == 0 ? 1 : nd;
  int eprec = prec;
  if (eprec > nd && nd >= d.dp) eprec = nd;
  if (shortest) eprec = 6;
  int exp = d.dp - 1;
  std::string out;
  if (exp < -4 || exp >= eprec) {
    if (prec > nd) prec = nd;
    AppendE(&out, d, prec - 1, e);
    return out;
  }
  if (prec > d.dp) prec = nd;
  AppendF(&out, d, std::max(prec - d.dp, 0));
  return out;
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one UTF-8 rune at s[*i]; invalid bytes decode as 0xFFFD width 1.
uint32_t DecodeRune(std::string_view s, size_t* i, bool* ok) {
  auto c = static_cast<unsigned char>(s[*i]);
  *ok = true;
  if (c < 0x80) {
    ++*i;
    return c;
  }
  int n = c >= 0xF0 && c < 0xF8 ? 3 : c >= 0xE0 && c < 0xF0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : -1;
  if (n < 0 || *i + n >= s.size()) {
    *ok = false;
    ++*i;
    return 0xFFFD;
  }
  uint32_t r = c & (0x3F >> n);
  for (int k = 1; k <= n; ++k) {
    auto cc = static_cast<unsigned char>(s[*i + k]);
    if ((cc & 0xC0) != 0x80) {
      *ok = false;
      ++*i;
      return 0xFFFD;
    }
    r = (r << 6) | (cc & 0x3F);
  }
  static const uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (r < kMin[n] || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
    *ok = false;
    ++*i;
    return 0xFFFD;
  }
  *i += n + 1;
  return r;
}

bool IsPrintRune(uint32_t r) {
  if (r < 0x20 || r == 0x7F) return false;
  if (r >= 0x80 && r < 0xA0) return false;
  if (r == 0xAD) return false;
  return true;
}

}  // namespace

void AppendUtf8(std::string* out, uint32_t r) {
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

std::string FormatGoFloat(double v, char fmt, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  bool neg = std::signbit(v);
  double abs = std::fabs(v);
  std::string out = neg ? "-" : "";
  char buf[512];
  switch (fmt) {
    case 'e':
    case 'E': {
      auto r = prec < 0 ? std::to_chars(buf, buf + sizeof(buf), abs, std::chars_format::scientific)
                        : std::to_chars(buf, buf + sizeof(buf), abs, std::chars_format::scientific, prec);
      std::string s(buf, r.ptr);
      if (fmt == 'E') {
        for (char& c : s) c = c == 'e' ? 'E' : c;
      }
      return out + s;
    }
    case 'f': {
      auto r = prec < 0 ? std::to_chars(buf, buf + sizeof(buf), abs, std::chars_format::fixed)
                        : std::to_chars(buf, buf + sizeof(buf), abs, std::chars_format::fixed, prec);
      if (r.ec != std::errc()) return out + fmt::format("{:.{}f}", abs, prec);
      return out + std::string(buf, r.ptr);
    }
    default: return out + FormatG(abs, prec, fmt == 'G' ? 'E' : 'e');
  }
}

Result<double> ParseGoFloat(std::string_view s) {
  auto syntax = [&] {
    return Status::InvalidArgument(fmt::format("strconv.ParseFloat: parsing {}: invalid syntax", GoQuote(s)));
  };
  std::string t;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) t.push_back(s[i++]);
  std::string rest;
  for (char c : s.substr(i)) rest.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (rest == "inf" || rest == "infinity" || rest == "nan") {
    if (rest == "nan" && !t.empty()) return syntax();
    return rest == "nan" ? NAN : (t == "-" ? -INFINITY : INFINITY);
  }
  bool hex = rest.size() > 1 && rest[0] == '0' && rest[1] == 'x';
  size_t j = hex ? 2 : 0;
  bool digits = false, dot = false, exp = false;
  for (; j < rest.size(); ++j) {
    char c = rest[j];
    if (c == '_') continue;
    bool is_digit = hex ? HexVal(c) >= 0 : (c >= '0' && c <= '9');
    if (is_digit) {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else if ((hex ? c == 'p' : c == 'e') && digits) {
      exp = true;
      ++j;
      if (j < rest.size() && (rest[j] == '+' || rest[j] == '-')) ++j;
      if (j >= rest.size()) return syntax();
      for (; j < rest.size(); ++j) {
        if ((rest[j] < '0' || rest[j] > '9') && rest[j] != '_') return syntax();
      }
      break;
    } else {
      return syntax();
    }
  }
  if (!digits || (hex && !exp)) return syntax();
  for (char c : rest) {
    if (c != '_') t.push_back(c);
  }
  errno = 0;
  double v = std::strtod(t.c_str(), nullptr);
  if (errno == ERANGE && std::isinf(v)) {
    return Status::InvalidArgument(fmt::format("strconv.ParseFloat: parsing {}: value out of range", GoQuote(s)));
  }
  return v;
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    bool ok = true;
    uint32_t r = DecodeRune(s, &i, &ok);
    if (!ok) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[start]));
      continue;
    }
    if (r == '"' || r == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(r));
      continue;
    }
    if (IsPrintRune(r)) {
      out.append(s.substr(start, i - start));
      continue;
    }
    switch (r) {
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (r < ' ' || r == 0x7F) {
          out += fmt::format("\\x{:02x}", r);
        } else if (r < 0x10000) {
          out += fmt::format("\\u{:04x}", r);
        } else {
          out += fmt::format("\\U{:08x}", r);
        }
    }
  }
  out.push_back('"');
  return out;
}

namespace {

// The escape after a backslash (c is the escape letter, *i just past it).
bool UnquoteEscape(std::string_view s, size_t* i, char c, char quote, std::string* out, int64_t* rune) {
  auto hex = [&](int n) -> int64_t {
    if (*i + n > s.size()) return -1;
    int64_t v = 0;
    for (int k = 0; k < n; ++k) {
      int h = HexVal(s[*i + k]);
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    *i += n;
    return v;
  };
  int64_t v = 0;
  switch (c) {
    case 'a': v = '\a'; break;
    case 'b': v = '\b'; break;
    case 'f': v = '\f'; break;
    case 'n': v = '\n'; break;
    case 'r': v = '\r'; break;
    case 't': v = '\t'; break;
    case 'v': v = '\v'; break;
    case '\\': v = '\\'; break;
    case '\'':
    case '"':
      if (c != quote) return false;
      v = c;
      break;
    case 'x':
      if ((v = hex(2)) < 0) return false;
      out->push_back(static_cast<char>(v));
      *rune = v;
      return true;
    case 'u':
    case 'U':
      if ((v = hex(c == 'u' ? 4 : 8)) < 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
      AppendUtf8(out, static_cast<uint32_t>(v));
      *rune = v;
      return true;
    default:
      if (c < '0' || c > '7' || *i + 2 > s.size()) return false;
      v = c - '0';
      for (int k = 0; k < 2; ++k) {
        char o = s[(*i)++];
        if (o < '0' || o > '7') return false;
        v = v * 8 + (o - '0');
      }
      if (v > 255) return false;
      out->push_back(static_cast<char>(v));
      *rune = v;
      return true;
  }
  out->push_back(static_cast<char>(v));
  *rune = v;
  return true;
}

// One escape or rune of a quoted literal body; returns false on bad syntax.
bool UnquoteOne(std::string_view s, size_t* i, char quote, std::string* out, int64_t* rune) {
  char c = s[*i];
  if (c != '\\') {
    if (c == quote) return false;
    bool ok = true;
    size_t start = *i;
    uint32_t r = DecodeRune(s, i, &ok);
    out->append(s.substr(start, *i - start));
    *rune = r;
    return true;
  }
  if (++*i >= s.size()) return false;
  c = s[(*i)++];
  return UnquoteEscape(s, i, c, quote, out, rune);
}

}  // namespace

Result<std::string> GoUnquote(std::string_view q) {
  if (q.size() >= 2 && q.front() == '`' && q.back() == '`') {
    std::string out;
    for (char c : q.substr(1, q.size() - 2)) {
      if (c != '\r') out.push_back(c);
    }
    return out;
  }
  if (q.size() < 2 || q.front() != '"' || q.back() != '"') return Status::InvalidArgument("invalid syntax");
  std::string_view body = q.substr(1, q.size() - 2);
  std::string out;
  size_t i = 0;
  int64_t r = 0;
  while (i < body.size()) {
    if (!UnquoteOne(body, &i, '"', &out, &r)) return Status::InvalidArgument("invalid syntax");
  }
  return out;
}

Result<int64_t> GoUnquoteChar(std::string_view q) {
  std::string out;
  int64_t r = 0;
  size_t i = 1;
  if (q.size() < 3 || !UnquoteOne(q, &i, '\'', &out, &r) || i != q.size() - 1) {
    return Status::InvalidArgument(fmt::format("malformed character constant: {}", q));
  }
  return r;
}

std::string GoRuneDescription(std::string_view text, size_t pos) {
  if (pos >= text.size()) return "U+FFFFFFFFFFFFFFFF";  // Go's %#U of eof (-1)
  bool ok = true;
  size_t i = pos;
  uint32_t r = DecodeRune(text, &i, &ok);
  std::string out = fmt::format("U+{:04X}", r);
  if (IsPrintRune(r)) out += " '" + std::string(text.substr(pos, i - pos)) + "'";
  return out;
}

namespace {

bool ParseGoInt(std::string_view text, bool allow_sign, uint64_t* mag, bool* neg) {
  *neg = false;
  size_t i = 0;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    if (!allow_sign) return false;
    *neg = text[0] == '-';
    ++i;
  }
  int base = 10;
  std::string_view rest = text.substr(i);
  if (rest.size() > 1 && rest[0] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(rest[1])));
    if (p == 'x')
      base = 16, rest.remove_prefix(2);
    else if (p == 'o')
      base = 8, rest.remove_prefix(2);
    else if (p == 'b')
      base = 2, rest.remove_prefix(2);
    else
      base = 8, rest.remove_prefix(1);
  }
  if (rest.empty()) return false;
  unsigned __int128 v = 0;
  for (char c : rest) {
    if (c == '_') continue;
    int d = HexVal(c);
    if (d < 0 || d >= base) return false;
    v = v * base + d;
    if (v > UINT64_MAX) return false;
  }
  *mag = static_cast<uint64_t>(v);
  return true;
}

}  // namespace

bool ParseGoNumber(std::string_view text, NumberNode* n) {
  uint64_t mag = 0;
  bool neg = false;
  if (ParseGoInt(text, false, &mag, &neg)) {
    n->is_uint = true;
    n->uint_value = mag;
  }
  if (ParseGoInt(text, true, &mag, &neg) && (neg ? mag <= (1ULL << 63) : mag < (1ULL << 63))) {
    n->is_int = true;
    n->int_value = neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
    if (n->int_value == 0) n->is_uint = true, n->uint_value = 0;
  }
  if (n->is_int) {
    n->is_float = true;
    n->float_value = static_cast<double>(n->int_value);
  } else if (n->is_uint) {
    n->is_float = true;
    n->float_value = static_cast<double>(n->uint_value);
  } else {
    auto f = ParseGoFloat(text);
    if (f.ok()) {
      if (text.find_first_of(".eEpP") == std::string_view::npos) return false;  // integer overflow
      n->is_float = true;
      n->float_value = *f;
      double fv = *f;
      if (!n->is_int && fv == std::trunc(fv) && std::fabs(fv) < 9.2e18) {
        n->is_int = true;
        n->int_value = static_cast<int64_t>(fv);
      }
      if (!n->is_uint && fv >= 0 && fv == std::trunc(fv) && fv < 1.8e19) {
        n->is_uint = true;
        n->uint_value = static_cast<uint64_t>(fv);
      }
    }
  }
  return n->is_int || n->is_uint || n->is_float;
}

std::string GoTimeString(int64_t unix_ms) {
  int64_t secs = unix_ms / 1000, ms = unix_ms % 1000;
  if (ms < 0) ms += 1000, secs -= 1;
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) rem += 86400, days -= 1;
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  std::string out = fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", y, m, d, rem / 3600, rem / 60 % 60, rem % 60);
  if (ms != 0) {
    std::string frac = fmt::format("{:03}", ms);
    while (frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + " +0000 UTC";
}

std::string GoDurationString(int64_t ns) {
  if (ns == 0) return "0s";
  bool neg = ns < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  auto frac = [](uint64_t v, int prec, std::string* out) {
    std::string digits;
    bool print = false;
    for (int i = 0; i < prec; ++i) {
      int digit = static_cast<int>(v % 10);
      print = print || digit != 0;
      if (print) digits.insert(digits.begin(), static_cast<char>('0' + digit));
      v /= 10;
    }
    if (print) *out = "." + digits + *out;
    return v;
  };
  std::string out;
  if (u < 1000000000ULL) {
    int prec = 0;
    if (u < 1000ULL) {
      out = "ns";
    } else if (u < 1000000ULL) {
      prec = 3;
      out = "\xC2\xB5s";
    } else {
      prec = 6;
      out = "ms";
    }
    u = frac(u, prec, &out);
    out = std::to_string(u) + out;
  } else {
    out = "s";
    u = frac(u, 9, &out);
    out = std::to_string(u % 60) + out;
    u /= 60;
    if (u > 0) {
      out = std::to_string(u % 60) + "m" + out;
      u /= 60;
      if (u > 0) out = std::to_string(u) + "h" + out;
    }
  }
  return neg ? "-" + out : out;
}

Result<std::string> FormatValue(const Value& v, bool top) {
  switch (v.kind()) {
    case Kind::kInvalid: return std::string("<nil>");
    case Kind::kBool: return std::string(v.b() ? "true" : "false");
    case Kind::kInt: return std::to_string(v.i());
    case Kind::kFloat: return FormatGoFloat(v.f(), 'g', -1);
    case Kind::kString:
    case Kind::kHtml: return v.s();
    case Kind::kStringMap: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, val] : v.map()) {
        if (!first) out.push_back(' ');
        first = false;
        out += k + ":" + val;
      }
      return out + "]";
    }
    case Kind::kAnyMap: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, val] : v.any_map()) {
        if (!first) out.push_back(' ');
        first = false;
        PROMETHIUM_ASSIGN_OR_RETURN(std::string s, FormatValue(val, false));
        out += k + ":" + s;
      }
      return out + "]";
    }
    case Kind::kSample: {
      if (v.sample() == nullptr) return std::string("<nil>");
      if (!top) return Status::Unsupported("printing a pointer (*template.sample) nested in a value");
      Value labels = Value::Map(std::make_shared<const StringMap>(v.sample()->labels));
      PROMETHIUM_ASSIGN_OR_RETURN(std::string m, FormatValue(labels, false));
      return "&{" + m + " " + FormatGoFloat(v.sample()->value, 'g', -1) + "}";
    }
    case Kind::kSampleList:
      if (v.samples().empty()) return std::string("[]");
      return Status::Unsupported("printing a query result (a list of pointers); use range, first, label or value");
    case Kind::kTime: return GoTimeString(v.i());
    case Kind::kDuration: return GoDurationString(v.i());
    case Kind::kData: {
      const AlertData& d = v.data();
      PROMETHIUM_ASSIGN_OR_RETURN(std::string l, FormatValue(Value::Map(d.labels), false));
      PROMETHIUM_ASSIGN_OR_RETURN(std::string e, FormatValue(Value::Map(d.external_labels), false));
      return "{" + l + " " + e + " " + d.external_url + " " + FormatGoFloat(d.value, 'g', -1) + "}";
    }
  }
  return std::string();
}

Result<std::string> PrintValue(const Value& v) {
  if (!v.valid()) return std::string("<no value>");
  if (v.kind() == Kind::kSample && v.sample() != nullptr) {
    PROMETHIUM_ASSIGN_OR_RETURN(std::string s, FormatValue(v, true));
    return s.substr(1);  // dereferenced: "{...}" rather than "&{...}"
  }
  return FormatValue(v, true);
}

Result<std::string> Sprint(const std::vector<Value>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    bool is_string = args[i].is_string_kind();
    if (i > 0 && !is_string && !args[i - 1].is_string_kind()) out.push_back(' ');
    PROMETHIUM_ASSIGN_OR_RETURN(std::string s, FormatValue(args[i], true));
    out += s;
  }
  return out;
}

Result<std::string> Sprintln(const std::vector<Value>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out.push_back(' ');
    PROMETHIUM_ASSIGN_OR_RETURN(std::string s, FormatValue(args[i], true));
    out += s;
  }
  return out + "\n";
}

}  // namespace promethium::rules::tmpl
