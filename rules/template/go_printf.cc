// fmt.Sprintf with Go's verbs, flags and error notations (see go_format.h).
#include <fmt/format.h>

#include <cmath>

#include "rules/template/go_format.h"

namespace promethium::rules::tmpl {
namespace {

struct Spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  bool wid_present = false, prec_present = false;
  int wid = 0, prec = 0;
};

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

void Pad(std::string* out, const Spec& f, std::string_view s, bool zero_ok = true) {
  size_t n = RuneCount(s);
  size_t width = f.wid_present && f.wid > 0 ? static_cast<size_t>(f.wid) : 0;
  if (n >= width) {
    out->append(s);
    return;
  }
  std::string pad(width - n, f.zero && zero_ok && !f.minus ? '0' : ' ');
  if (f.minus) {
    out->append(s);
    out->append(pad);
  } else {
    out->append(pad);
    out->append(s);
  }
}

std::string Truncate(std::string_view s, const Spec& f) {
  if (!f.prec_present) return std::string(s);
  size_t runes = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (runes == static_cast<size_t>(f.prec)) return std::string(s.substr(0, i));
      ++runes;
    }
  }
  return std::string(s);
}

std::string QuoteRune(int64_t r) {
  if (r == '\'') return "'\\''";
  if (r == '"') return "'\"'";
  std::string s;
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
  AppendUtf8(&s, static_cast<uint32_t>(r));
  std::string q = GoQuote(s);
  q.front() = '\'';
  q.back() = '\'';
  return q;
}

class Printer {
 public:
  explicit Printer(std::string* out) : out_(out) {}

  Status PrintArg(const Value& v, char verb, const Spec& f, bool top) {
    if (verb == 'T') {
      Pad(out_, f, v.TypeName());
      return Status::OK();
    }
    switch (v.kind()) {
      case Kind::kInvalid:
        if (verb == 'v') {
          Pad(out_, f, "<nil>");
          return Status::OK();
        }
        *out_ += fmt::format("%!{}(<nil>)", verb);
        return Status::OK();
      case Kind::kBool:
        if (verb != 't' && verb != 'v') return BadVerb(v, verb, f);
        Pad(out_, f, v.b() ? "true" : "false");
        return Status::OK();
      case Kind::kInt: return Integer(v, verb, f);
      case Kind::kFloat: return Float(v, verb, f);
      case Kind::kString:
      case Kind::kHtml: return String(v, verb, f);
      case Kind::kTime:
      case Kind::kDuration:
        if (verb != 'v' && verb != 's' && verb != 'q')
          return Status::Unsupported(fmt::format("%{} of {}", verb, v.TypeName()));
        return String(Value::String(*FormatValue(v)), verb, f);
      case Kind::kStringMap:
      case Kind::kAnyMap: return Map(v, verb, f);
      case Kind::kSample: {
        if (v.sample() == nullptr || !top) return Status::Unsupported("printing a pointer value with printf");
        *out_ += "&{";
        PROMETHIUM_RETURN_IF_ERROR(Map(Value::Map(std::make_shared<const StringMap>(v.sample()->labels)), verb, f));
        out_->push_back(' ');
        PROMETHIUM_RETURN_IF_ERROR(PrintArg(Value::Float(v.sample()->value), verb, f, false));
        out_->push_back('}');
        return Status::OK();
      }
      default: break;
    }
    PROMETHIUM_ASSIGN_OR_RETURN(std::string s, FormatValue(v, top));
    if (verb != 'v') return Status::Unsupported(fmt::format("%{} of {}", verb, v.TypeName()));
    Pad(out_, f, s);
    return Status::OK();
  }

 private:
  Status BadVerb(const Value& v, char verb, const Spec& f) {
    *out_ += fmt::format("%!{}({}=", verb, v.TypeName());
    PROMETHIUM_RETURN_IF_ERROR(PrintArg(v, 'v', f, true));
    out_->push_back(')');
    return Status::OK();
  }

  Status Map(const Value& v, char verb, const Spec& f) {
    *out_ += "map[";
    bool first = true;
    auto entry = [&](const std::string& k, const Value& val) -> Status {
      if (!first) out_->push_back(' ');
      first = false;
      PROMETHIUM_RETURN_IF_ERROR(PrintArg(Value::String(k), verb, f, false));
      out_->push_back(':');
      return PrintArg(val, verb, f, false);
    };
    if (v.kind() == Kind::kStringMap) {
      for (const auto& [k, val] : v.map()) PROMETHIUM_RETURN_IF_ERROR(entry(k, Value::String(val)));
    } else {
      for (const auto& [k, val] : v.any_map()) PROMETHIUM_RETURN_IF_ERROR(entry(k, val));
    }
    out_->push_back(']');
    return Status::OK();
  }

  Status String(const Value& v, char verb, const Spec& f) {
    switch (verb) {
      case 'v':
      case 's': Pad(out_, f, Truncate(v.s(), f)); return Status::OK();
      case 'q':
        if (f.sharp || f.plus) return Status::Unsupported("%q with '#' or '+' flags");
        Pad(out_, f, GoQuote(Truncate(v.s(), f)));
        return Status::OK();
      case 'x':
      case 'X': {
        if (f.sharp || f.space) return Status::Unsupported("%x of strings with '#' or ' ' flags");
        std::string_view s = v.s();
        if (f.prec_present && static_cast<size_t>(f.prec) < s.size()) s = s.substr(0, f.prec);
        std::string hex;
        for (unsigned char c : s) hex += verb == 'x' ? fmt::format("{:02x}", c) : fmt::format("{:02X}", c);
        Pad(out_, f, hex);
        return Status::OK();
      }
      default: return BadVerb(v, verb, f);
    }
  }

  Status Integer(const Value& v, char verb, const Spec& f) {
    int64_t i = v.i();
    switch (verb) {
      case 'v':
      case 'd': return Digits(i, 10, verb, f);
      case 'b': return Digits(i, 2, verb, f);
      case 'o':
      case 'O': return Digits(i, 8, verb, f);
      case 'x':
      case 'X': return Digits(i, 16, verb, f);
      case 'c': {
        std::string s;
        AppendUtf8(&s, i < 0 || i > 0x10FFFF || (i >= 0xD800 && i <= 0xDFFF) ? 0xFFFD : static_cast<uint32_t>(i));
        Pad(out_, f, s);
        return Status::OK();
      }
      case 'q': Pad(out_, f, QuoteRune(i)); return Status::OK();
      case 'U': {
        if (f.sharp) return Status::Unsupported("%#U");
        Pad(out_, f, i < 0 ? fmt::format("U+{:X}", static_cast<uint64_t>(i)) : fmt::format("U+{:04X}", i));
        return Status::OK();
      }
      default: return BadVerb(v, verb, f);
    }
  }

  Status Digits(int64_t i, int base, char verb, const Spec& f) {
    bool negative = i < 0;
    uint64_t u = negative ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
    int prec = 0;
    if (f.prec_present) {
      prec = f.prec;
      if (prec == 0 && u == 0) {
        Spec g = f;
        g.zero = false;
        Pad(out_, g, "");
        return Status::OK();
      }
    } else if (f.zero && f.wid_present) {
      prec = f.wid;
      if (negative || f.plus || f.space) --prec;
    }
    const char* digits = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string s;
    do {
      s.insert(s.begin(), digits[u % base]);
      u /= base;
    } while (u > 0);
    while (static_cast<int>(s.size()) < prec) s.insert(s.begin(), '0');
    if (f.sharp) {
      if (base == 2) s = "0b" + s;
      if (base == 8 && s[0] != '0') s = "0" + s;
      if (base == 16) s = (verb == 'X' ? "0X" : "0x") + s;
    }
    if (verb == 'O') s = "0o" + s;
    if (negative) {
      s = "-" + s;
    } else if (f.plus) {
      s = "+" + s;
    } else if (f.space) {
      s = " " + s;
    }
    Pad(out_, f, s, false);
    return Status::OK();
  }

  Status Float(const Value& v, char verb, const Spec& f) {
    char conv = verb;
    int prec = -1;
    switch (verb) {
      case 'v': conv = 'g'; break;
      case 'g':
      case 'G': break;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
        prec = 6;
        conv = verb == 'F' ? 'f' : verb;
        break;
      case 'b':
      case 'x':
      case 'X': return Status::Unsupported(fmt::format("%{} of float64", verb));
      default: return BadVerb(v, verb, f);
    }
    if (f.sharp) return Status::Unsupported("'#' flag on a float verb");
    if (f.prec_present) prec = f.prec;
    std::string num = FormatGoFloat(v.f(), conv, prec);
    if (num[0] != '-' && num[0] != '+') num = "+" + num;
    if (f.space && num[0] == '+' && !f.plus) num[0] = ' ';
    if (num[1] == 'I' || num[1] == 'N') {
      if (num[1] == 'N' && !f.space && !f.plus) num = num.substr(1);
      Pad(out_, f, num, false);
      return Status::OK();
    }
    if (f.plus || num[0] != '+') {
      if (f.zero && !f.minus && f.wid_present && f.wid > static_cast<int>(num.size())) {
        out_->push_back(num[0]);
        out_->append(f.wid - num.size(), '0');
        out_->append(num.substr(1));
        return Status::OK();
      }
      Pad(out_, f, num);
      return Status::OK();
    }
    Pad(out_, f, std::string_view(num).substr(1));
    return Status::OK();
  }

  std::string* out_;
};

// Parses the flags, width and precision after a '%' at *i.
Status ParseSpec(std::string_view format, size_t* pos, Spec* spec) {
  size_t& i = *pos;
  Spec& f = *spec;
  for (; i < format.size(); ++i) {
    char c = format[i];
    if (c == '#')
      f.sharp = true;
    else if (c == '0')
      f.zero = !f.minus;
    else if (c == '+')
      f.plus = true;
    else if (c == '-')
      f.minus = true, f.zero = false;
    else if (c == ' ')
      f.space = true;
    else
      break;
  }
  if (i < format.size() && (format[i] == '[' || format[i] == '*')) {
    return Status::Unsupported("printf argument indexes and '*' widths");
  }
  while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
    f.wid_present = true;
    f.wid = std::min(f.wid * 10 + (format[i++] - '0'), 1000000);
  }
  if (i < format.size() && format[i] == '.') {
    ++i;
    if (i < format.size() && (format[i] == '*' || format[i] == '[')) {
      return Status::Unsupported("printf argument indexes and '*' precisions");
    }
    f.prec_present = true;
    while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
      f.prec = std::min(f.prec * 10 + (format[i++] - '0'), 1000000);
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::string> Sprintf(std::string_view format, const std::vector<Value>& args) {
  std::string out;
  Printer p(&out);
  size_t arg = 0;
  size_t i = 0;
  while (i < format.size()) {
    size_t pct = format.find('%', i);
    if (pct == std::string_view::npos) pct = format.size();
    out.append(format.substr(i, pct - i));
    i = pct;
    if (i >= format.size()) break;
    ++i;  // '%'
    Spec f;
    PROMETHIUM_RETURN_IF_ERROR(ParseSpec(format, &i, &f));
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    auto verb = static_cast<unsigned char>(format[i]);
    if (verb >= 0x80) return Status::Unsupported("non-ASCII printf verb");
    ++i;
    if (verb == '%') {
      out.push_back('%');
      continue;
    }
    if (arg >= args.size()) {
      out += fmt::format("%!{}(MISSING)", static_cast<char>(verb));
      continue;
    }
    if (verb == 'v') {
      Kind k = args[arg].kind();
      if (f.sharp) return Status::Unsupported("%#v");
      if (f.plus && (k == Kind::kSample || k == Kind::kData)) return Status::Unsupported("%+v of a struct");
      f.plus = false;  // %+v means field names, not a sign
    }
    if (verb == 'p') return Status::Unsupported("%p");
    PROMETHIUM_RETURN_IF_ERROR(p.PrintArg(args[arg++], static_cast<char>(verb), f, true));
  }
  if (arg < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = arg; k < args.size(); ++k) {
      if (k > arg) out += ", ";
      if (!args[k].valid()) {
        out += "<nil>";
        continue;
      }
      out += args[k].TypeName() + "=";
      PROMETHIUM_RETURN_IF_ERROR(p.PrintArg(args[k], 'v', Spec{}, true));
    }
    out += ")";
  }
  return out;
}

}  // namespace promethium::rules::tmpl
