// Why a hand-written scanner rather than a lexer generator or RE2: the
// scrape path parses every byte of every target every interval, and the
// goal is ~1 GB/s per core. A single forward pass over the body with
// table-driven character classes touches each byte once, allocates nothing,
// and lets the common cases (plain integer values, label values without
// escapes or non-ASCII bytes) take short fast paths.
#include "scrape/textparse/prom_parser.h"
#include "scrape/textparse/error_excerpt.h"

#include "scrape/textparse/utf8.h"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace promethium::scrape::textparse {
namespace {

enum CharClass : uint8_t {
  kNameStart = 1,   // [a-zA-Z_]
  kNameChar = 2,    // [a-zA-Z0-9_]
  kColon = 4,       // ':' (metric names only)
  kValueStop = 8,   // ends a value token: space, tab, \r, \n, '{'
  kLValueStop = 16  // needs attention inside a label value: '"', '\\', '\n', >= 0x80
};

constexpr std::array<uint8_t, 256> BuildClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t v = 0;
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (alpha) v |= kNameStart | kNameChar;
    if (digit) v |= kNameChar;
    if (c == ':') v |= kColon;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '{') v |= kValueStop;
    if (c == '"' || c == '\\' || c == '\n' || c >= 0x80) v |= kLValueStop;
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

// Skips 8 bytes at a time while none of them is '"', '\\', '\n' or
// non-ASCII (SWAR: the classic "has zero byte" test on XOR-ed words), so
// long label values cost about one compare per word.
inline size_t SkipPlainValueBytes(std::string_view s, size_t pos) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto has_byte = [](uint64_t w, uint8_t b) {
    uint64_t x = w ^ (kOnes * b);
    return (x - kOnes) & ~x & kHigh;
  };
  while (pos + 8 <= s.size()) {
    uint64_t w;
    std::memcpy(&w, s.data() + pos, 8);
    if ((w & kHigh) | has_byte(w, '"') | has_byte(w, '\\') | has_byte(w, '\n')) break;
    pos += 8;
  }
  return pos;
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
  size_t i = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    i = 1;
  }
  std::string_view rest = s.substr(i);
  if (rest.empty()) return false;
  // Fast path: up to 15 decimal digits convert to double exactly.
  if (rest.size() <= 15) {
    uint64_t n = 0;
    size_t k = 0;
    for (; k < rest.size() && rest[k] >= '0' && rest[k] <= '9'; ++k) n = n * 10 + static_cast<uint64_t>(rest[k] - '0');
    if (k == rest.size()) {
      *out = negative ? -static_cast<double>(n) : static_cast<double>(n);
      return true;
    }
  }
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

void PromParser::SkipBlanks() {
  while (pos_ < body_.size() && IsBlank(body_[pos_])) ++pos_;
}

Result<Entry> PromParser::Next() {
  for (;;) {
    if (pos_ >= body_.size()) return Entry::kEof;
    line_start_ = pos_;
    ++line_;
    SkipBlanks();
    if (pos_ >= body_.size()) return Entry::kEof;
    char c = body_[pos_];
    if (c == '\n') {
      ++pos_;
      continue;
    }
    if (c == '\r' && pos_ + 1 < body_.size() && body_[pos_ + 1] == '\n') {
      pos_ += 2;
      continue;
    }
    if (c == '#') return ParseComment();
    return ParseSeries();
  }
}

// Consumes the rest of the line (tolerating a trailing blank run and CRLF)
// or fails with "<expected after ...>, got ...".
Status PromParser::ExpectLineEnd(std::string_view expected) {
  SkipBlanks();
  if (pos_ >= body_.size()) return Status::OK();
  if (body_[pos_] == '\n') {
    ++pos_;
    return Status::OK();
  }
  if (body_[pos_] == '\r' && pos_ + 1 < body_.size() && body_[pos_ + 1] == '\n') {
    pos_ += 2;
    return Status::OK();
  }
  return ErrorGot(expected, pos_);
}

Result<Entry> PromParser::ParseComment() {
  size_t hash = pos_++;
  size_t eol = body_.find('\n', pos_);
  if (eol == std::string_view::npos) eol = body_.size();
  size_t text_end = (eol > hash && body_[eol - 1] == '\r') ? eol - 1 : eol;
  auto as_comment = [&]() -> Result<Entry> {
    comment_ = body_.substr(hash, text_end - hash);
    pos_ = eol < body_.size() ? eol + 1 : eol;
    return Entry::kComment;
  };
  if (pos_ >= body_.size() || !IsBlank(body_[pos_])) return as_comment();
  SkipBlanks();
  std::string_view rest = body_.substr(pos_, text_end - pos_);
  bool help = rest.starts_with("HELP");
  bool type = rest.starts_with("TYPE");
  if ((!help && !type) || rest.size() < 5 || !IsBlank(rest[4])) return as_comment();
  std::string_view keyword = help ? "HELP" : "TYPE";
  pos_ += 4;
  SkipBlanks();
  size_t name_start = pos_;
  if (pos_ < text_end && body_[pos_] == '"') return Status::Unsupported("quoted metric names in HELP/TYPE lines");
  if (pos_ >= text_end || !(ClassOf(body_[pos_]) & (kNameStart | kColon))) {
    return ErrorGot(fmt::format("expected metric name after {}", keyword), pos_);
  }
  while (pos_ < text_end && (ClassOf(body_[pos_]) & (kNameChar | kColon))) ++pos_;
  meta_name_ = body_.substr(name_start, pos_ - name_start);
  // As Prometheus: the text is the rest of the line minus its first byte
  // (normally the separating blank).
  std::string_view text = pos_ + 1 < text_end ? body_.substr(pos_ + 1, text_end - pos_ - 1) : std::string_view();
  pos_ = eol < body_.size() ? eol + 1 : eol;
  if (help) {
    if (!ValidUtf8(text)) return Error(fmt::format("help text {} is not a valid utf8 string", ErrorExcerpt(text)));
    help_raw_ = text;
    return Entry::kHelp;
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
    return Error(fmt::format("invalid metric type {}", ErrorExcerpt(text)));
  }
  return Entry::kType;
}

Result<Entry> PromParser::ParseSeries() {
  labels_.clear();
  has_timestamp_ = false;
  size_t start = pos_;
  char c = body_[pos_];
  if (c == '{') {
    ++pos_;
    SkipBlanks();
    if (pos_ < body_.size() && body_[pos_] == '"') return Status::Unsupported("quoted (UTF-8) metric names");
    return Error("metric name not set");
  }
  if (!(ClassOf(c) & (kNameStart | kColon))) return ErrorGot("expected a valid start token", pos_);
  while (pos_ < body_.size() && (ClassOf(body_[pos_]) & (kNameChar | kColon))) ++pos_;
  metric_name_ = body_.substr(start, pos_ - start);
  series_ = metric_name_;
  SkipBlanks();
  if (pos_ < body_.size() && body_[pos_] == '{') {
    ++pos_;
    PROMETHIUM_RETURN_IF_ERROR(ParseLabels());
    series_ = body_.substr(start, pos_ - start);
  }
  PROMETHIUM_RETURN_IF_ERROR(ParseValueAndTimestamp());
  return Entry::kSeries;
}

// Parses label pairs after '{' up to and including '}'. As Prometheus, the
// comma between pairs is optional and a trailing comma is allowed.
Status PromParser::ParseLabels() {
  for (;;) {
    SkipBlanks();
    if (pos_ >= body_.size()) return ErrorGot("expected label name or '}'", pos_);
    char c = body_[pos_];
    if (c == '}') {
      ++pos_;
      return Status::OK();
    }
    if (c == '"') return Status::Unsupported("quoted (UTF-8) label names");
    if (!(ClassOf(c) & kNameStart)) return ErrorGot("expected label name", pos_);
    size_t name_start = pos_;
    while (pos_ < body_.size() && (ClassOf(body_[pos_]) & kNameChar)) ++pos_;
    LabelView label;
    label.name = body_.substr(name_start, pos_ - name_start);
    SkipBlanks();
    if (pos_ >= body_.size() || body_[pos_] != '=') return ErrorGot("expected equal", pos_);
    ++pos_;
    SkipBlanks();
    if (pos_ >= body_.size() || body_[pos_] != '"') return ErrorGot("expected label value", pos_);
    ++pos_;
    PROMETHIUM_RETURN_IF_ERROR(ParseLabelValue(&label));
    if (label.name == "__name__") return Error("duplicate label name \"__name__\" (the metric name)");
    for (const LabelView& prev : labels_) {
      if (prev.name == label.name) return Error(fmt::format("duplicate label name \"{}\"", label.name));
    }
    labels_.push_back(label);
    SkipBlanks();
    if (pos_ < body_.size() && body_[pos_] == ',') ++pos_;
  }
}

// Scans a quoted value; pos_ is just past the opening quote.
Status PromParser::ParseLabelValue(LabelView* label) {
  size_t start = pos_;
  bool non_ascii = false;
  for (;;) {
    pos_ = SkipPlainValueBytes(body_, pos_);
    while (pos_ < body_.size() && !(ClassOf(body_[pos_]) & kLValueStop)) ++pos_;
    if (pos_ >= body_.size() || body_[pos_] == '\n') {
      return Error(fmt::format("unterminated quoted value for label \"{}\"", label->name));
    }
    char c = body_[pos_];
    if (c == '"') break;
    if (c == '\\') {
      label->escaped = true;
      // The escaped byte never ends the value, but a newline still ends the line.
      if (pos_ + 1 >= body_.size() || body_[pos_ + 1] == '\n') {
        return Error(fmt::format("unterminated quoted value for label \"{}\"", label->name));
      }
      pos_ += 2;
      continue;
    }
    non_ascii = true;
    ++pos_;
  }
  label->value = body_.substr(start, pos_ - start);
  ++pos_;  // closing quote
  if (non_ascii && !ValidUtf8(label->value)) {
    return Error(fmt::format("invalid UTF-8 label value: {}", ErrorExcerpt(label->value)));
  }
  return Status::OK();
}

Status PromParser::ParseValueAndTimestamp() {
  SkipBlanks();
  size_t start = pos_;
  while (pos_ < body_.size() && !(ClassOf(body_[pos_]) & kValueStop)) ++pos_;
  if (pos_ == start) return ErrorGot("expected value after metric", pos_);
  std::string_view text = body_.substr(start, pos_ - start);
  if (!ParsePromFloat(text, &value_)) return Error(fmt::format("expected float as value, got {}", ErrorExcerpt(text)));
  SkipBlanks();
  if (pos_ < body_.size() && body_[pos_] >= '0' && body_[pos_] <= '9') {
    size_t ts_start = pos_;
    uint64_t ts = 0;
    bool overflow = false;
    for (; pos_ < body_.size() && body_[pos_] >= '0' && body_[pos_] <= '9'; ++pos_) {
      ts = ts * 10 + static_cast<uint64_t>(body_[pos_] - '0');
      if (ts > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) overflow = true;
    }
    if (overflow || pos_ - ts_start > 19) {
      return Error(fmt::format("timestamp out of range: {}", ErrorExcerpt(body_.substr(ts_start, pos_ - ts_start))));
    }
    timestamp_ = static_cast<int64_t>(ts);
    has_timestamp_ = true;
    return ExpectLineEnd("expected next entry after timestamp");
  }
  return ExpectLineEnd("expected timestamp or new record");
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
