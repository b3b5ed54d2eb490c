// promqltest script parsing (see script.h).
#include "tests/promqltest/script.h"

#include <re2/re2.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "tsdb/api/sample.h"
#include "tsdb/base/duration.h"

namespace promethium::promqltest {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Reads a quoted string ("..", '..' or `..`) at s[*pos]; Go escapes.
bool ReadQuoted(std::string_view s, size_t* pos, std::string* out) {
  char q = s[*pos];
  size_t i = *pos + 1;
  out->clear();
  while (i < s.size() && s[i] != q) {
    char c = s[i];
    if (c == '\\' && q != '`' && i + 1 < s.size()) {
      char e = s[++i];
      switch (e) {
        case 'n': *out += '\n'; break;
        case 't': *out += '\t'; break;
        case 'r': *out += '\r'; break;
        case 'a': *out += '\a'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'v': *out += '\v'; break;
        case 'x':
          if (i + 2 < s.size()) {
            *out += static_cast<char>(std::strtol(std::string(s.substr(i + 1, 2)).c_str(), nullptr, 16));
            i += 2;
          }
          break;
        case 'u':
        case 'U': {
          size_t n = e == 'u' ? 4 : 8;
          if (i + n >= s.size()) return false;
          uint32_t cp = static_cast<uint32_t>(std::strtoul(std::string(s.substr(i + 1, n)).c_str(), nullptr, 16));
          i += n;
          if (cp < 0x80) {
            *out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            *out += static_cast<char>(0xC0 | (cp >> 6));
            *out += static_cast<char>(0x80 | (cp & 0x3F));
          } else if (cp < 0x10000) {
            *out += static_cast<char>(0xE0 | (cp >> 12));
            *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            *out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            *out += static_cast<char>(0xF0 | (cp >> 18));
            *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            *out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: *out += e;
      }
      ++i;
      continue;
    }
    *out += c;
    ++i;
  }
  if (i >= s.size()) return false;
  *pos = i + 1;
  return true;
}

bool IsNameChar(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

void SkipSpace(std::string_view s, size_t* pos) {
  while (*pos < s.size() && std::isspace(static_cast<unsigned char>(s[*pos]))) ++(*pos);
}

// Parses `name{a="b", ...}` at the start of s; *pos is left after it.
Result<Labels> ParseMetric(std::string_view s, size_t* pos) {
  std::vector<Label> labels;
  size_t i = *pos;
  if (i < s.size() && IsNameChar(s[i], true)) {
    size_t j = i;
    while (j < s.size() && IsNameChar(s[j], j == i)) ++j;
    labels.push_back({std::string(kMetricName), std::string(s.substr(i, j - i))});
    i = j;
  }
  if (i < s.size() && s[i] == '{') {
    ++i;
    while (true) {
      SkipSpace(s, &i);
      if (i >= s.size()) return Status::InvalidArgument("unterminated label set");
      if (s[i] == '}') {
        ++i;
        break;
      }
      std::string name;
      if (s[i] == '"' || s[i] == '\'' || s[i] == '`') {
        if (!ReadQuoted(s, &i, &name)) return Status::InvalidArgument("bad quoted label name");
      } else {
        size_t j = i;
        while (j < s.size() && IsNameChar(s[j], j == i)) ++j;
        if (j == i) return Status::InvalidArgument(fmt::format("unexpected character {:?} in label set", s[i]));
        name = std::string(s.substr(i, j - i));
        i = j;
      }
      SkipSpace(s, &i);
      if (i < s.size() && s[i] == '=') {
        ++i;
        SkipSpace(s, &i);
        std::string value;
        if (i >= s.size() || !ReadQuoted(s, &i, &value)) return Status::InvalidArgument("bad label value");
        labels.push_back({name, value});
      } else {
        labels.push_back({std::string(kMetricName), name});  // a quoted metric name
      }
      SkipSpace(s, &i);
      if (i < s.size() && s[i] == ',') ++i;
    }
  }
  *pos = i;
  return Labels::FromVector(std::move(labels));
}

// Expands one token of a value sequence into `out`.
Status ExpandToken(std::string_view tok, std::vector<SequenceValue>* out) {
  if (tok == "_") {
    out->push_back({0, true, false});
    return Status::OK();
  }
  if (tok.starts_with("_x")) {
    int n = std::atoi(std::string(tok.substr(2)).c_str());
    for (int i = 0; i < n; ++i) out->push_back({0, true, false});
    return Status::OK();
  }
  if (tok == "stale") {
    out->push_back({StaleNaN(), false, false});
    return Status::OK();
  }
  // [base][(+|-)delta]x<count> or a plain number.
  std::string_view body = tok;
  int count = -1;
  size_t x = tok.rfind('x');
  if (x != std::string_view::npos && x + 1 < tok.size()) {
    bool digits = true;
    for (char c : tok.substr(x + 1)) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (digits) {
      count = std::atoi(std::string(tok.substr(x + 1)).c_str());
      body = tok.substr(0, x);
    }
  }
  double base = 0, delta = 0;
  if (count < 0) {
    if (!ParseNumber(body, &base)) return Status::InvalidArgument(fmt::format("bad value {:?}", tok));
    out->push_back({base, false, false});
    return Status::OK();
  }
  size_t split = std::string_view::npos;
  for (size_t i = 1; i < body.size(); ++i) {
    if ((body[i] == '+' || body[i] == '-') && body[i - 1] != 'e' && body[i - 1] != 'E') {
      split = i;
      break;
    }
  }
  if (split == std::string_view::npos) {
    if (!ParseNumber(body, &base)) return Status::InvalidArgument(fmt::format("bad value {:?}", tok));
  } else {
    if (!ParseNumber(body.substr(0, split), &base) || !ParseNumber(body.substr(split), &delta)) {
      return Status::InvalidArgument(fmt::format("bad value {:?}", tok));
    }
  }
  for (int i = 0; i <= count; ++i) out->push_back({base + delta * i, false, false});
  return Status::OK();
}

}  // namespace

bool ParseNumber(std::string_view s, double* out) {
  s = Trim(s);
  if (s.empty()) return false;
  std::string str(s);
  std::string lower;
  for (char c : str) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view l = lower;
  bool neg = false;
  if (l[0] == '+' || l[0] == '-') {
    neg = l[0] == '-';
    l.remove_prefix(1);
  }
  if (l == "inf" || l == "infinity") {
    *out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (l == "nan") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  char* end = nullptr;
  if (l.starts_with("0x") || l.starts_with("0o") || l.starts_with("0b")) {
    int base = l[1] == 'x' ? 16 : l[1] == 'o' ? 8 : 2;
    std::string digits(l.substr(2));
    long long v = std::strtoll(digits.c_str(), &end, base);
    if (end != digits.c_str() + digits.size() || digits.empty()) {
      if (base != 16) return false;
      *out = std::strtod(str.c_str(), &end);
      return end == str.c_str() + str.size();
    }
    *out = neg ? -static_cast<double>(v) : static_cast<double>(v);
    return true;
  }
  for (char c : l) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == '+' || c == '-' || c == '_')) {
      return false;
    }
  }
  std::string clean;
  for (char c : str) {
    if (c != '_') clean += c;
  }
  *out = std::strtod(clean.c_str(), &end);
  return end == clean.c_str() + clean.size();
}

Result<SeriesDesc> ParseSeriesDesc(std::string_view line) {
  SeriesDesc d;
  size_t pos = 0;
  line = Trim(line);
  PROMETHIUM_ASSIGN_OR_RETURN(d.metric, ParseMetric(line, &pos));
  while (true) {
    SkipSpace(line, &pos);
    if (pos >= line.size()) break;
    if (line.substr(pos).starts_with("{{")) {
      size_t close = line.find("}}", pos);
      if (close == std::string_view::npos) return Status::InvalidArgument("unterminated histogram");
      pos = close + 2;
      // Skip any expansion suffix (+{{...}}xN, xN).
      while (pos < line.size() && !std::isspace(static_cast<unsigned char>(line[pos]))) {
        if (line.substr(pos).starts_with("{{")) {
          size_t c2 = line.find("}}", pos);
          pos = c2 == std::string_view::npos ? line.size() : c2 + 2;
        } else {
          ++pos;
        }
      }
      d.values.push_back({0, false, true});
      continue;
    }
    size_t end = pos;
    while (end < line.size() && !std::isspace(static_cast<unsigned char>(line[end]))) ++end;
    PROMETHIUM_RETURN_IF_ERROR(ExpandToken(line.substr(pos, end - pos), &d.values));
    pos = end;
  }
  return d;
}

namespace {

int64_t ParseTime(std::string_view s, bool* ok) {
  s = Trim(s);
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  auto d = ParseDuration(s);
  *ok = d.ok();
  if (!d.ok()) return 0;
  return neg ? -*d : *d;
}

bool Unquote(std::string_view s, std::string* out) {
  s = Trim(s);
  if (s.size() < 2 || (s[0] != '"' && s[0] != '`' && s[0] != '\'') || s.back() != s[0]) return false;
  size_t pos = 0;
  return ReadQuoted(s, &pos, out) && pos == s.size();
}

Status ParseEvalBody(const std::vector<std::string>& lines, size_t* i, EvalCmd* cmd) {
  static const re2::RE2 kExpect(R"(expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?)");
  static const re2::RE2 kExpectRange(R"(expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+))");
  while (*i + 1 < lines.size()) {
    const std::string& def = lines[*i + 1];
    if (def.empty()) break;
    ++*i;
    std::string_view d = def;
    if (cmd->fail && d.starts_with("expected_fail_message")) {
      cmd->expected_fail_message = std::string(Trim(d.substr(21)));
      break;
    }
    if (cmd->fail && d.starts_with("expected_fail_regexp")) {
      cmd->expected_fail_regexp = std::string(Trim(d.substr(20)));
      break;
    }
    std::string a, b, c;
    if (d.starts_with("expect range vector")) {
      if (!re2::RE2::FullMatch(def, kExpectRange, &a, &b, &c))
        return Status::InvalidArgument("bad expect range vector");
      bool ok1, ok2, ok3;
      cmd->rv_start_ms = ParseTime(a, &ok1);
      cmd->rv_end_ms = ParseTime(b, &ok2);
      cmd->rv_step_ms = ParseTime(c, &ok3);
      if (!ok1 || !ok2 || !ok3) return Status::InvalidArgument("bad expect range vector times");
      cmd->expect_range_vector = true;
      continue;
    }
    if (d.starts_with("expect string")) {
      std::string s;
      if (!Unquote(d.substr(13), &s)) return Status::InvalidArgument("expected string literal not valid");
      cmd->expected_string = s;
      continue;
    }
    if (d.substr(0, d.find(' ')) == "expect") {
      std::string mode, kind, text;
      if (!re2::RE2::FullMatch(def, kExpect, &mode, &kind, &text)) {
        return Status::InvalidArgument("invalid expect statement");
      }
      ExpectCmd e;
      e.type = mode == "ordered"   ? ExpectType::kOrdered
               : mode == "fail"    ? ExpectType::kFail
               : mode == "warn"    ? ExpectType::kWarn
               : mode == "no_warn" ? ExpectType::kNoWarn
               : mode == "info"    ? ExpectType::kInfo
                                   : ExpectType::kNoInfo;
      if (kind == "msg") e.message = std::string(Trim(text));
      if (kind == "regex") e.regex = std::string(Trim(text));
      if (e.type == ExpectType::kFail) cmd->fail = true;
      if (e.type == ExpectType::kOrdered) cmd->ordered = true;
      cmd->expects.push_back(std::move(e));
      continue;
    }
    double f;
    if (ParseNumber(d, &f)) {
      cmd->expect_scalar = true;
      cmd->scalar_value = f;
      break;
    }
    auto sd = ParseSeriesDesc(d);
    if (!sd.ok()) return sd.status();
    for (const auto& v : sd->values) cmd->has_histogram_expectation |= v.histogram;
    cmd->expected.push_back(std::move(sd).value());
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<Command>> ParseScript(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view l = Trim(text.substr(start, nl - start));
    if (l.starts_with("#")) l = {};
    lines.emplace_back(l);
    start = nl + 1;
  }
  static const re2::RE2 kLoad(R"(load(?:_(with_nhcb))?\s+(.+?))");
  static const re2::RE2 kInstant(R"(eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+))");
  static const re2::RE2 kRange(R"(eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+))");
  std::vector<Command> cmds;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.empty()) continue;
    auto err = [&](std::string_view what) { return Status::InvalidArgument(fmt::format("line {}: {}", i + 1, what)); };
    std::string word = l.substr(0, l.find_first_of(" \t"));
    for (auto& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    Command cmd;
    if (word == "clear") {
      cmd.kind = Command::Kind::kClear;
    } else if (word.starts_with("load")) {
      std::string nhcb, interval;
      if (!re2::RE2::FullMatch(l, kLoad, &nhcb, &interval)) return err("invalid load command");
      auto d = ParseDuration(interval);
      if (!d.ok()) return err("invalid load interval");
      cmd.kind = Command::Kind::kLoad;
      cmd.load.line = static_cast<int>(i + 1);
      cmd.load.interval_ms = *d;
      cmd.load.with_nhcb = nhcb == "with_nhcb";
      while (i + 1 < lines.size() && !lines[i + 1].empty()) {
        ++i;
        auto sd = ParseSeriesDesc(lines[i]);
        if (!sd.ok()) return err(sd.status().message());
        cmd.load.series.push_back(std::move(sd).value());
      }
    } else if (word.starts_with("eval")) {
      cmd.kind = Command::Kind::kEval;
      EvalCmd& e = cmd.eval;
      e.line = static_cast<int>(i + 1);
      std::string mod, a, b, c, expr;
      bool ok = true;
      if (re2::RE2::FullMatch(l, kInstant, &mod, &a, &expr)) {
        e.start_ms = e.end_ms = ParseTime(a, &ok);
      } else if (re2::RE2::FullMatch(l, kRange, &mod, &a, &b, &c, &expr)) {
        bool ok2, ok3;
        e.is_range = true;
        e.start_ms = ParseTime(a, &ok);
        e.end_ms = ParseTime(b, &ok2);
        e.step_ms = ParseTime(c, &ok3);
        ok = ok && ok2 && ok3;
      } else {
        return err("invalid evaluation command");
      }
      if (!ok) return err("invalid eval times");
      e.expr = expr;
      e.fail = mod == "fail";
      e.warn = mod == "warn";
      e.info = mod == "info";
      e.ordered = mod == "ordered";
      Status st = ParseEvalBody(lines, &i, &e);
      if (!st.ok()) return err(st.message());
    } else {
      return err("invalid command " + l);
    }
    cmds.push_back(std::move(cmd));
  }
  return cmds;
}

}  // namespace promethium::promqltest
