// The series notation (see series_notation.h).
#include "promql/seriesnotation/series_notation.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "promql/seriesnotation/histogram_notation.h"
#include "tsdb/api/sample.h"

namespace promethium::promql::seriesnotation {

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

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

namespace {

bool IsNameChar(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

void SkipSpace(std::string_view s, size_t* pos) {
  while (*pos < s.size() && std::isspace(static_cast<unsigned char>(s[*pos]))) ++(*pos);
}

// Parses `name{a="b", ...}` at the start of s; *pos is left after it.
Result<Labels> ParseMetricAt(std::string_view s, size_t* pos) {
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

SequenceValue Omitted() {
  SequenceValue v;
  v.omitted = true;
  return v;
}

SequenceValue FloatValue(double f) {
  SequenceValue v;
  v.value = f;
  return v;
}

// Expands one token of a value sequence into `out`.
Status ExpandToken(std::string_view tok, std::vector<SequenceValue>* out) {
  if (tok == "_") {
    out->push_back(Omitted());
    return Status::OK();
  }
  if (tok.starts_with("_x")) {
    int n = std::atoi(std::string(tok.substr(2)).c_str());
    for (int i = 0; i < n; ++i) out->push_back(Omitted());
    return Status::OK();
  }
  if (tok == "stale") {
    out->push_back(FloatValue(StaleNaN()));
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
    out->push_back(FloatValue(base));
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
  for (int i = 0; i <= count; ++i) out->push_back(FloatValue(base + delta * i));
  return Status::OK();
}

}  // namespace

bool ParseNumber(std::string_view s, double* out) {
  s = TrimSpace(s);
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
  line = TrimSpace(line);
  PROMETHIUM_ASSIGN_OR_RETURN(d.metric, ParseMetricAt(line, &pos));
  while (true) {
    SkipSpace(line, &pos);
    if (pos >= line.size()) break;
    if (line.substr(pos).starts_with("{{")) {
      size_t n = HistogramTokenLength(line.substr(pos));
      if (n == 0) return Status::InvalidArgument("unterminated histogram");
      PROMETHIUM_RETURN_IF_ERROR(ExpandHistogramToken(line.substr(pos, n), &d.values));
      pos += n;
      continue;
    }
    size_t end = pos;
    while (end < line.size() && !std::isspace(static_cast<unsigned char>(line[end]))) ++end;
    PROMETHIUM_RETURN_IF_ERROR(ExpandToken(line.substr(pos, end - pos), &d.values));
    pos = end;
  }
  return d;
}

Result<Labels> ParseMetric(std::string_view text) {
  text = TrimSpace(text);
  size_t pos = 0;
  PROMETHIUM_ASSIGN_OR_RETURN(Labels ls, ParseMetricAt(text, &pos));
  if (pos != text.size()) {
    return Status::InvalidArgument(fmt::format("unexpected {:?} after the label set", text.substr(pos)));
  }
  return ls;
}

}  // namespace promethium::promql::seriesnotation
