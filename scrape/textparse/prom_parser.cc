// Why a hand-written scanner rather than a lexer generator or RE2: the
// scrape path parses every byte of every target every interval, and the
// goal is >= 1 GB/s per core (issue 6; BM_PromParserNodeExporter and
// BM_PromParserRealNodeExporter in bench/parser_bench.cc). A single forward
// pass over the body touches each byte once and allocates nothing. Tokens
// are found with the 16-byte scanners of scan.h; the hot routines keep the
// read position in a local variable (a member would be reloaded and stored
// on every byte, since a char read may alias it); plain decimal values take
// an exact fast path (FastDecimal).
#include "scrape/textparse/prom_parser.h"
#include "scrape/textparse/error_excerpt.h"

#include "scrape/textparse/scan.h"
#include "scrape/textparse/utf8.h"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace promethium::scrape::textparse {
namespace {

// Classes of a token's first byte; the rest of a token is found with the
// scanners of scan.h.
enum CharClass : uint8_t {
  kNameStart = 1,  // [a-zA-Z_]
  kColon = 2,      // ':' (metric names only)
};

constexpr std::array<uint8_t, 256> BuildClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t v = 0;
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (alpha) v |= kNameStart;
    if (c == ':') v |= kColon;
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}
constexpr std::array<uint8_t, 256> kClasses = BuildClasses();

inline uint8_t ClassOf(char c) { return kClasses[static_cast<unsigned char>(c)]; }
inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Prometheus's value.NormalNaN: the NaN every parsed "NaN" becomes, so that
// an exposition can never forge a stale marker.
constexpr uint64_t kNormalNaNBits = 0x7ff8000000000001ULL;

bool EqualsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

inline size_t SkipBlanksAt(const char* b, size_t p, size_t n) {
  while (p < n && IsBlank(b[p])) ++p;
  return p;
}

// Exact fast path for [+-]digits[.digits][(e|E)[+-]digits]: with at most 19
// significant digits w <= 2^53 and a decimal exponent e in [-22, 22], both w
// and 10^|e| are exact doubles, so one IEEE multiply or divide gives the
// correctly rounded result, the same double as std::from_chars and Go's
// strconv.ParseFloat (Clinger's fast path). Returns false, leaving the
// input to the general path, for anything else (including syntax errors).
// Why: std::from_chars plus the syntax pre-check was a fifth of
// BM_PromParserNodeExporter, whose values are mostly like "125000.001000".
bool FastDecimal(std::string_view s, double* out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char* p = s.data();
  const char* const end = p + s.size();
  bool negative = false;
  if (p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
  auto is_digit = [](char c) { return static_cast<unsigned char>(c - '0') < 10; };
  uint64_t w = 0;  // may wrap for > 19 digits; rejected below
  const char* digits = p;
  while (p < end && is_digit(*p)) w = w * 10 + static_cast<uint64_t>(*p++ - '0');
  int64_t count = p - digits;
  int64_t frac = 0;
  if (p < end && *p == '.') {
    const char* f = ++p;
    while (p < end && is_digit(*p)) w = w * 10 + static_cast<uint64_t>(*p++ - '0');
    frac = p - f;
  }
  count += frac;
  if (count == 0 || count > 19) return false;
  int64_t exp = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool exp_negative = false;
    if (p < end && (*p == '+' || *p == '-')) exp_negative = *p++ == '-';
    const char* e = p;
    while (p < end && p - e < 4 && is_digit(*p)) exp = exp * 10 + (*p++ - '0');
    if (p == e) return false;
    if (exp_negative) exp = -exp;
  }
  if (p != end) return false;
  exp -= frac;
  if (w > (uint64_t{1} << 53) || exp < -22 || exp > 22) return false;
  double v = static_cast<double>(w);
  v = exp < 0 ? v / kPow10[-exp] : v * kPow10[exp];
  *out = negative ? -v : v;
  return true;
}

}  // namespace

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
    case MetricType::kSummary: return "summary";
    case MetricType::kGaugeHistogram: return "gaugehistogram";
    case MetricType::kInfo: return "info";
    case MetricType::kStateset: return "stateset";
    case MetricType::kUnknown: break;
  }
  return "untyped";
}

bool ParsePromFloat(std::string_view s, double* out) {
  if (FastDecimal(s, out)) return true;
  size_t i = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    i = 1;
  }
  std::string_view rest = s.substr(i);
  if (rest.empty()) return false;
  if (EqualsIgnoreCase(rest, "inf") || EqualsIgnoreCase(rest, "infinity")) {
    *out = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (EqualsIgnoreCase(rest, "nan")) {
    if (i != 0) return false;  // Go accepts no sign on NaN
    *out = std::bit_cast<double>(kNormalNaNBits);
    return true;
  }
  // Only decimal syntax is left; from_chars would also take "nan(...)".
  for (char c : rest) {
    bool ok = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
    if (!ok) return false;
  }
  if (rest[0] == '+' || rest[0] == '-') return false;
  double v = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v, std::chars_format::general);
  if (ptr != rest.data() + rest.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    // Go fails on overflow but rounds underflow to zero/denormal; strtod
    // tells the two apart.
    std::string copy(rest);
    v = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(v)) return false;
  } else if (ec != std::errc()) {
    return false;
  }
  *out = negative ? -v : v;
  return true;
}

PromParser::PromParser(std::string_view body) : body_(body) { labels_.reserve(16); }

Status PromParser::Error(std::string_view what) const {
  return Status::InvalidArgument(fmt::format("text format parsing error in line {}: {}", line_, what));
}

Status PromParser::ErrorGot(std::string_view expected, size_t at) const {
  if (at >= body_.size()) return Error(fmt::format("{}, got end of input", expected));
  char c = body_[at];
  if (c == '\n' || (c == '\r' && at + 1 < body_.size() && body_[at + 1] == '\n')) {
    return Error(fmt::format("{}, got end of line", expected));
  }
  size_t end = at + 1;
  while (end < body_.size() && !IsBlank(body_[end]) && body_[end] != '\n' && body_[end] != '\r') ++end;
  return Error(fmt::format("{}, got {}", expected, ErrorExcerpt(body_.substr(at, end - at))));
}

// The parse routines below return false after storing the error in error_:
// an OK Status (a code and an empty std::string) built and destroyed at each
// of the ~7 calls per sample line was measurable in BM_PromParserNodeExporter.
bool PromParser::Fail(Status status) {
  error_ = std::move(status);
  return false;
}

Result<Entry> PromParser::Next() {
  const char* const b = body_.data();
  const size_t n = body_.size();
  size_t p = pos_;
  for (;;) {
    if (p >= n) break;
    line_start_ = p;
    ++line_;
    p = SkipBlanksAt(b, p, n);
    if (p >= n) break;
    char c = b[p];
    if (c == '\n') {
      ++p;
      continue;
    }
    if (c == '\r' && p + 1 < n && b[p + 1] == '\n') {
      p += 2;
      continue;
    }
    pos_ = p;
    if (c == '#') {
      Entry entry;
      if (!ParseComment(&entry)) return std::move(error_);
      return entry;
    }
    if (!ParseSeries()) return std::move(error_);
    return Entry::kSeries;
  }
  pos_ = p;
  return Entry::kEof;
}

// Consumes the rest of the line from `p` (tolerating a trailing blank run
// and CRLF) or fails with "<expected after ...>, got ...".
bool PromParser::ExpectLineEnd(size_t p, std::string_view expected) {
  const char* const b = body_.data();
  const size_t n = body_.size();
  p = SkipBlanksAt(b, p, n);
  if (p >= n) {
    pos_ = p;
    return true;
  }
  if (b[p] == '\n') {
    pos_ = p + 1;
    return true;
  }
  if (b[p] == '\r' && p + 1 < n && b[p + 1] == '\n') {
    pos_ = p + 2;
    return true;
  }
  return Fail(ErrorGot(expected, p));
}

bool PromParser::ParseComment(Entry* entry) {
  const char* const b = body_.data();
  const size_t n = body_.size();
  const size_t hash = pos_;
  size_t p = hash + 1;
  size_t eol = body_.find('\n', p);
  if (eol == std::string_view::npos) eol = n;
  const size_t text_end = (eol > hash && b[eol - 1] == '\r') ? eol - 1 : eol;
  const size_t next_line = eol < n ? eol + 1 : eol;
  if (p >= n || !IsBlank(b[p])) return AsComment(hash, text_end, next_line, entry);
  p = SkipBlanksAt(b, p, n);
  std::string_view rest = body_.substr(p, text_end - p);
  bool help = rest.starts_with("HELP");
  bool type = rest.starts_with("TYPE");
  if ((!help && !type) || rest.size() < 5 || !IsBlank(rest[4])) return AsComment(hash, text_end, next_line, entry);
  std::string_view keyword = help ? "HELP" : "TYPE";
  p = SkipBlanksAt(b, p + 4, n);
  size_t name_start = p;
  if (p < text_end && b[p] == '"') return Fail(Status::Unsupported("quoted metric names in HELP/TYPE lines"));
  if (p >= text_end || !(ClassOf(b[p]) & (kNameStart | kColon))) {
    return Fail(ErrorGot(fmt::format("expected metric name after {}", keyword), p));
  }
  p = scan::SkipNameChars(b, p + 1, text_end, /*colon=*/true);
  meta_name_ = std::string_view(b + name_start, p - name_start);
  // As Prometheus: the text is the rest of the line minus its first byte
  // (normally the separating blank).
  std::string_view text = p + 1 < text_end ? std::string_view(b + p + 1, text_end - p - 1) : std::string_view();
  pos_ = next_line;
  if (help) {
    if (!ValidUtf8(text)) {
      return Fail(Error(fmt::format("help text {} is not a valid utf8 string", ErrorExcerpt(text))));
    }
    help_raw_ = text;
    *entry = Entry::kHelp;
    return true;
  }
  if (text == "counter") {
    type_ = MetricType::kCounter;
  } else if (text == "gauge") {
    type_ = MetricType::kGauge;
  } else if (text == "histogram") {
    type_ = MetricType::kHistogram;
  } else if (text == "summary") {
    type_ = MetricType::kSummary;
  } else if (text == "untyped") {
    type_ = MetricType::kUnknown;
  } else {
    return Fail(Error(fmt::format("invalid metric type {}", ErrorExcerpt(text))));
  }
  *entry = Entry::kType;
  return true;
}

bool PromParser::AsComment(size_t hash, size_t text_end, size_t next_line, Entry* entry) {
  comment_ = body_.substr(hash, text_end - hash);
  pos_ = next_line;
  *entry = Entry::kComment;
  return true;
}

bool PromParser::ParseSeries() {
  labels_.clear();
  has_timestamp_ = false;
  const char* const b = body_.data();
  const size_t n = body_.size();
  const size_t start = pos_;
  char c = b[start];
  if (c == '{') {
    size_t p = SkipBlanksAt(b, start + 1, n);
    if (p < n && b[p] == '"') return Fail(Status::Unsupported("quoted (UTF-8) metric names"));
    return Fail(Error("metric name not set"));
  }
  if (!(ClassOf(c) & (kNameStart | kColon))) return Fail(ErrorGot("expected a valid start token", start));
  size_t p = scan::SkipNameChars(b, start + 1, n, /*colon=*/true);
  // Both views from a local: copying metric_name_ into series_ right after
  // storing it was a store-forwarding stall (BM_PromParserNodeExporter).
  const std::string_view name(b + start, p - start);
  metric_name_ = name;
  series_ = name;
  p = SkipBlanksAt(b, p, n);
  if (p < n && b[p] == '{') {
    ++p;
    if (!ParseLabels(&p)) return false;
    series_ = std::string_view(b + start, p - start);
  }
  return ParseValueAndTimestamp(p);
}

// Parses label pairs after '{' up to and including '}', advancing *pos. As
// Prometheus, the comma between pairs is optional and a trailing comma is
// allowed.
bool PromParser::ParseLabels(size_t* pos) {
  const char* const b = body_.data();
  const size_t n = body_.size();
  size_t p = *pos;
  for (;;) {
    p = SkipBlanksAt(b, p, n);
    if (p >= n) return Fail(ErrorGot("expected label name or '}'", p));
    char c = b[p];
    if (c == '}') {
      *pos = p + 1;
      return true;
    }
    if (c == '"') return Fail(Status::Unsupported("quoted (UTF-8) label names"));
    if (!(ClassOf(c) & kNameStart)) return Fail(ErrorGot("expected label name", p));
    size_t name_start = p;
    p = scan::SkipNameChars(b, p + 1, n, /*colon=*/false);
    // Built in place rather than assembled on the stack and copied: perf
    // annotate showed that copy as a store-forwarding hot spot in
    // BM_PromParserNodeExporter. After an error the half-built entry does
    // not matter (labels_ is reset by the next series).
    LabelView& label = labels_.emplace_back();
    label.name = std::string_view(b + name_start, p - name_start);
    p = SkipBlanksAt(b, p, n);
    if (p >= n || b[p] != '=') return Fail(ErrorGot("expected equal", p));
    p = SkipBlanksAt(b, p + 1, n);
    if (p >= n || b[p] != '"') return Fail(ErrorGot("expected label value", p));
    ++p;
    // The common value (no escape, no non-ASCII byte) inline, saving a call
    // per label (BM_PromParserNodeExporter); the rest, and the errors, in
    // ParseLabelValue, which scans again from the start.
    const size_t q = scan::FindLabelValueStop(b, p, n);
    if (q < n && b[q] == '"') {
      label.value = std::string_view(b + p, q - p);
      p = q + 1;
    } else if (!ParseLabelValue(&label, &p)) {
      return false;
    }
    if (label.name == "__name__") return Fail(Error("duplicate label name \"__name__\" (the metric name)"));
    for (size_t i = 0; i + 1 < labels_.size(); ++i) {
      if (labels_[i].name == label.name) return Fail(Error(fmt::format("duplicate label name \"{}\"", label.name)));
    }
    p = SkipBlanksAt(b, p, n);
    if (p < n && b[p] == ',') ++p;
  }
}

// Scans a quoted value; *pos is just past the opening quote and ends just
// past the closing one.
bool PromParser::ParseLabelValue(LabelView* label, size_t* pos) {
  const char* const b = body_.data();
  const size_t n = body_.size();
  const size_t start = *pos;
  size_t p = start;
  bool non_ascii = false;
  for (;;) {
    p = scan::FindLabelValueStop(b, p, n);
    if (p >= n || b[p] == '\n') {
      return Fail(Error(fmt::format("unterminated quoted value for label \"{}\"", label->name)));
    }
    char c = b[p];
    if (c == '"') break;
    if (c == '\\') {
      label->escaped = true;
      // The escaped byte never ends the value, but a newline still ends the line.
      if (p + 1 >= n || b[p + 1] == '\n') {
        return Fail(Error(fmt::format("unterminated quoted value for label \"{}\"", label->name)));
      }
      p += 2;
      continue;
    }
    non_ascii = true;
    ++p;
  }
  label->value = std::string_view(b + start, p - start);
  *pos = p + 1;  // past the closing quote
  if (non_ascii && !ValidUtf8(label->value)) {
    return Fail(Error(fmt::format("invalid UTF-8 label value: {}", ErrorExcerpt(label->value))));
  }
  return true;
}

// From just after the series text (at `p`) to the start of the next line.
bool PromParser::ParseValueAndTimestamp(size_t p) {
  const char* const b = body_.data();
  const size_t n = body_.size();
  p = SkipBlanksAt(b, p, n);
  const size_t start = p;
  p = scan::FindValueEnd(b, p, n);
  if (p == start) return Fail(ErrorGot("expected value after metric", p));
  const std::string_view text(b + start, p - start);
  // FastDecimal directly: one call less per sample for the common values.
  if (!FastDecimal(text, &value_) && !ParsePromFloat(text, &value_)) {
    return Fail(Error(fmt::format("expected float as value, got {}", ErrorExcerpt(text))));
  }
  p = SkipBlanksAt(b, p, n);
  std::string_view expected = "expected timestamp or new record";
  if (p < n && b[p] >= '0' && b[p] <= '9') {
    size_t ts_start = p;
    uint64_t ts = 0;
    bool overflow = false;
    for (; p < n && b[p] >= '0' && b[p] <= '9'; ++p) {
      ts = ts * 10 + static_cast<uint64_t>(b[p] - '0');
      if (ts > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) overflow = true;
    }
    if (overflow || p - ts_start > 19) {
      return Fail(Error(fmt::format("timestamp out of range: {}", ErrorExcerpt(body_.substr(ts_start, p - ts_start)))));
    }
    timestamp_ = static_cast<int64_t>(ts);
    has_timestamp_ = true;
    expected = "expected next entry after timestamp";
  }
  // The line end: the common case inline, the rest in ExpectLineEnd.
  if (p < n && b[p] == '\n') {
    pos_ = p + 1;
    return true;
  }
  return ExpectLineEnd(p, expected);
}

std::string PromParser::Help() const {
  std::string out;
  out.reserve(help_raw_.size());
  for (size_t i = 0; i < help_raw_.size(); ++i) {
    char c = help_raw_[i];
    if (c == '\\' && i + 1 < help_raw_.size() && (help_raw_[i + 1] == '\\' || help_raw_[i + 1] == 'n')) {
      out += help_raw_[i + 1] == 'n' ? '\n' : '\\';
      ++i;
    } else {
      out += c;
    }
  }
  return out;
}

void PromParser::UnescapeLabelValue(std::string_view value, std::string* out) {
  out->reserve(out->size() + value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\' && i + 1 < value.size()) {
      char n = value[i + 1];
      if (n == '\\' || n == '"' || n == 'n') {
        *out += n == 'n' ? '\n' : n;
        ++i;
        continue;
      }
    }
    *out += c;
  }
}

}  // namespace promethium::scrape::textparse
