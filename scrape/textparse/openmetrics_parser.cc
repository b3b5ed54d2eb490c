// A single forward pass over the body, as PromParser; the grammar is
// Prometheus's OpenMetrics lexer (openmetricslex.l) written out as a
// recursive-descent scanner. Because the format is line-strict, each
// routine either consumes exactly the bytes the grammar allows or fails.
// The sample path uses PromParser's speed-ups, for the same reasons
// (BM_OpenMetricsParserNodeExporter, BM_OpenMetricsParserRealNodeExporter in
// bench/parser_bench.cc): the 16-byte scanners of scan.h, the exact decimal
// fast path inside ParsePromFloat, labels built in place in the vector, and
// routines that return bool with the error kept in error_ rather than an OK
// Status per call.
#include "scrape/textparse/openmetrics_parser.h"
#include "scrape/textparse/error_excerpt.h"

#include <fmt/format.h>

#include <cmath>

#include "scrape/textparse/scan.h"
#include "scrape/textparse/utf8.h"

namespace promethium::scrape::textparse {
namespace {

inline bool IsLabelStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
inline bool IsLabelChar(char c) { return IsLabelStart(c) || (c >= '0' && c <= '9'); }
inline bool IsMetricStart(char c) { return IsLabelStart(c) || c == ':'; }
inline bool IsMetricChar(char c) { return IsLabelChar(c) || c == ':'; }

bool TypeHasCreatedSeries(MetricType t) {
  return t == MetricType::kCounter || t == MetricType::kHistogram || t == MetricType::kSummary;
}

bool ParseMetricType(std::string_view text, MetricType* out) {
  struct Name {
    std::string_view text;
    MetricType type;
  };
  static constexpr Name kNames[] = {
      {"counter", MetricType::kCounter},     {"gauge", MetricType::kGauge},
      {"histogram", MetricType::kHistogram}, {"gaugehistogram", MetricType::kGaugeHistogram},
      {"summary", MetricType::kSummary},     {"info", MetricType::kInfo},
      {"stateset", MetricType::kStateset},   {"unknown", MetricType::kUnknown},
  };
  for (const Name& n : kNames) {
    if (n.text == text) {
      *out = n.type;
      return true;
    }
  }
  return false;
}

}  // namespace

OpenMetricsParser::OpenMetricsParser(std::string_view body, Options options) : body_(body), options_(options) {
  labels_.reserve(16);
  exemplar_labels_.reserve(4);
}

Status OpenMetricsParser::Error(std::string_view what) const {
  return Status::InvalidArgument(fmt::format("openmetrics format parsing error in line {}: {}", line_, what));
}

// "<expected>, got <the token at pos_>" (or end of line / end of input).
Status OpenMetricsParser::ErrorGot(std::string_view expected) const {
  if (pos_ >= body_.size()) return Error(fmt::format("{}, got end of input", expected));
  if (body_[pos_] == '\n') return Error(fmt::format("{}, got end of line", expected));
  size_t end = pos_ + 1;
  while (end < body_.size() && body_[end] != ' ' && body_[end] != '\n') ++end;
  return Error(fmt::format("{}, got {}", expected, ErrorExcerpt(body_.substr(pos_, end - pos_))));
}

Result<Entry> OpenMetricsParser::Next() {
  for (;;) {
    if (pos_ >= body_.size()) {
      ++line_;
      return Error("data does not end with # EOF");
    }
    ++line_;
    char c = body_[pos_];
    if (c == '#') return ParseMeta();
    if (c == '{') {
      if (pos_ + 1 < body_.size() && body_[pos_ + 1] == '"') {
        return Status::Unsupported("quoted (UTF-8) metric names");
      }
      ++pos_;
      return Error("metric name not set");
    }
    if (!IsMetricStart(c)) return ErrorGot("expected a valid start token");
    if (!ParseSeries()) return std::move(error_);
    if (options_.skip_created_series && IsSkippedCreatedSeries()) continue;
    return Entry::kSeries;
  }
}

bool OpenMetricsParser::IsSkippedCreatedSeries() const {
  return TypeHasCreatedSeries(type_) && metric_name_.ends_with("_created");
}

// A line starting with '#': `# HELP`, `# TYPE`, `# UNIT` or `# EOF`.
Result<Entry> OpenMetricsParser::ParseMeta() {
  std::string_view rest = body_.substr(pos_);
  if (rest.starts_with("# EOF")) {
    pos_ += 5;
    if (pos_ < body_.size() && body_[pos_] == '\n') ++pos_;
    if (pos_ != body_.size()) return Error("unexpected data after # EOF");
    return Entry::kEof;
  }
  std::string_view keyword;
  for (std::string_view k : {"HELP", "TYPE", "UNIT"}) {
    if (rest.size() > 6 && rest.substr(2, 4) == k && rest[0] == '#' && rest[1] == ' ' && rest[6] == ' ') keyword = k;
  }
  if (keyword.empty()) return ErrorGot("expected a valid start token");
  pos_ += 7;
  if (pos_ < body_.size() && body_[pos_] == '"') {
    return Status::Unsupported("quoted metric names in " + std::string(keyword) + " lines");
  }
  size_t name_start = pos_;
  if (pos_ < body_.size() && IsMetricStart(body_[pos_])) {
    while (pos_ < body_.size() && IsMetricChar(body_[pos_])) ++pos_;
  }
  if (pos_ == name_start) return ErrorGot(fmt::format("expected metric name after {}", keyword));
  meta_name_ = body_.substr(name_start, pos_ - name_start);
  return FinishMeta(keyword);
}

// After the family name: " <text>\n" (the text may be empty).
Result<Entry> OpenMetricsParser::FinishMeta(std::string_view keyword) {
  size_t eol = body_.find('\n', pos_);
  if (pos_ >= body_.size() || body_[pos_] != ' ' || eol == std::string_view::npos) {
    return Error(fmt::format("expected text in {}", keyword));
  }
  meta_text_ = body_.substr(pos_ + 1, eol - pos_ - 1);
  pos_ = eol + 1;
  if (keyword == "HELP") {
    if (!ValidUtf8(meta_text_)) {
      return Error(fmt::format("help text {} is not a valid utf8 string", ErrorExcerpt(meta_text_)));
    }
    return Entry::kHelp;
  }
  if (keyword == "TYPE") {
    if (!ParseMetricType(meta_text_, &type_))
      return Error(fmt::format("invalid metric type {}", ErrorExcerpt(meta_text_)));
    return Entry::kType;
  }
  // UNIT: a non-empty unit must be a `_`-separated suffix of the name.
  if (!meta_text_.empty()) {
    std::string_view m = meta_name_;
    bool suffix = m.size() > meta_text_.size() && m.ends_with(meta_text_) && m[m.size() - meta_text_.size() - 1] == '_';
    if (!suffix)
      return Error(fmt::format("unit {} not a suffix of metric {}", ErrorExcerpt(meta_text_), ErrorExcerpt(m)));
  }
  return Entry::kUnit;
}

bool OpenMetricsParser::Fail(Status status) {
  error_ = std::move(status);
  return false;
}

bool OpenMetricsParser::FailGot(std::string_view expected, size_t at) {
  pos_ = at;
  return Fail(ErrorGot(expected));
}

bool OpenMetricsParser::ParseSeries() {
  labels_.clear();
  has_timestamp_ = false;
  has_exemplar_ = false;
  exemplar_has_timestamp_ = false;
  const char* const b = body_.data();
  const size_t n = body_.size();
  const size_t start = pos_;
  size_t p = scan::SkipNameChars(b, start, n, /*colon=*/true);
  const std::string_view name(b + start, p - start);
  metric_name_ = name;
  if (p < n && b[p] == '{') {
    ++p;
    if (!ParseLabels(&labels_, &p)) return false;
  }
  series_ = std::string_view(b + start, p - start);
  return ParseSeriesEnd(p);
}

// Label pairs after '{' up to and including '}': name="value" separated by
// single commas, no spaces, one trailing comma allowed.
bool OpenMetricsParser::ParseLabels(std::vector<LabelView>* out, size_t* pos) {
  const char* const b = body_.data();
  const size_t n = body_.size();
  size_t p = *pos;
  for (;;) {
    if (p < n && b[p] == '}') {
      *pos = p + 1;
      return true;
    }
    if (p < n && b[p] == '"') return Fail(Status::Unsupported("quoted (UTF-8) label names"));
    if (p >= n || !IsLabelStart(b[p])) return FailGot("expected label name", p);
    size_t name_start = p;
    p = scan::SkipNameChars(b, p + 1, n, /*colon=*/false);
    LabelView& label = out->emplace_back();  // in place, as PromParser
    label.name = std::string_view(b + name_start, p - name_start);
    if (p >= n || b[p] != '=') return FailGot("expected equal", p);
    ++p;
    if (p >= n || b[p] != '"') return FailGot("expected label value", p);
    ++p;
    // The common value inline, as PromParser; the rest in ParseLabelValue.
    const size_t q = scan::FindLabelValueStop(b, p, n);
    if (q < n && b[q] == '"') {
      label.value = std::string_view(b + p, q - p);
      p = q + 1;
    } else if (!ParseLabelValue(&label, &p)) {
      return false;
    }
    if (out == &labels_ && label.name == "__name__") {
      return Fail(Error("duplicate label name \"__name__\" (the metric name)"));
    }
    for (size_t i = 0; i + 1 < out->size(); ++i) {
      if ((*out)[i].name == label.name) return Fail(Error(fmt::format("duplicate label name \"{}\"", label.name)));
    }
    if (p < n && b[p] == ',') {
      ++p;
    } else if (p >= n || b[p] != '}') {
      return FailGot("expected comma or brace close", p);
    }
  }
}

// Scans a quoted value; *pos is just past the opening quote and ends past
// the closing one. A backslash escapes any byte but a newline; a raw
// newline ends the value in error.
bool OpenMetricsParser::ParseLabelValue(LabelView* label, size_t* pos) {
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
      if (p + 1 >= n || b[p + 1] == '\n') {
        return Fail(Error(fmt::format("unterminated quoted value for label \"{}\"", label->name)));
      }
      label->escaped = true;
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

// A float token introduced by exactly one space: " <token>".
bool OpenMetricsParser::ParseFloatToken(std::string_view after, size_t* pos, double* out) {
  const char* const b = body_.data();
  const size_t n = body_.size();
  size_t p = *pos;
  if (p >= n || b[p] != ' ' || p + 1 >= n || b[p + 1] == ' ' || b[p + 1] == '\n') {
    return FailGot(fmt::format("expected value after {}", after), p);
  }
  const size_t start = p + 1;
  p = scan::FindSpaceOrNewline(b, start, n);
  *pos = p;
  const std::string_view text(b + start, p - start);
  if (!ParsePromFloat(text, out))
    return Fail(Error(fmt::format("expected float as value, got {}", ErrorExcerpt(text))));
  return true;
}

// " <seconds>", a float, converted to milliseconds.
bool OpenMetricsParser::ParseTimestampToken(std::string_view what, size_t* pos, int64_t* out_ms) {
  const char* const b = body_.data();
  const size_t start = *pos + 1;  // past the space
  const size_t p = scan::FindSpaceOrNewline(b, start, body_.size());
  *pos = p;
  const std::string_view text(b + start, p - start);
  double seconds;
  if (text.empty() || !ParsePromFloat(text, &seconds)) {
    return Fail(Error(fmt::format("expected float as {}, got {}", what, ErrorExcerpt(text))));
  }
  if (std::isnan(seconds) || std::isinf(seconds)) {
    return Fail(Error(fmt::format("invalid {} {}", what, ErrorExcerpt(text))));
  }
  double ms = seconds * 1000.0;
  // Beyond int64 milliseconds (about 292 million years) Go's int64() is
  // undefined; refuse instead.
  if (!(ms > -9.2e18 && ms < 9.2e18)) return Fail(Error(fmt::format("{} out of range: {}", what, ErrorExcerpt(text))));
  *out_ms = static_cast<int64_t>(ms);
  return true;
}

// After the name and labels (at `p`): " value[ timestamp][ # {exemplar}
// v[ ts]]\n".
bool OpenMetricsParser::ParseSeriesEnd(size_t p) {
  const char* const b = body_.data();
  const size_t n = body_.size();
  if (!ParseFloatToken("metric", &p, &value_)) return false;
  auto at_exemplar = [&] { return body_.substr(p, 4) == " # {"; };
  if (p < n && b[p] == ' ' && !at_exemplar()) {
    if (!ParseTimestampToken("timestamp", &p, &timestamp_ms_)) return false;
    has_timestamp_ = true;
    if (p < n && b[p] != '\n' && !at_exemplar()) return FailGot("expected next entry after timestamp", p);
  }
  if (p < n && at_exemplar() && !ParseExemplar(&p)) return false;
  pos_ = p;
  if (p >= n) return Fail(Error("data does not end with # EOF"));
  if (b[p] != '\n') return FailGot("expected timestamp or new record", p);
  pos_ = p + 1;
  return true;
}

// " # {labels} value[ timestamp]", stopping before the newline.
bool OpenMetricsParser::ParseExemplar(size_t* pos) {
  size_t p = *pos + 4;  // " # {"
  exemplar_labels_.clear();
  if (!ParseLabels(&exemplar_labels_, &p)) return false;
  if (!ParseFloatToken("exemplar labels", &p, &exemplar_value_)) return false;
  has_exemplar_ = true;
  if (p < body_.size() && body_[p] == ' ') {
    if (!ParseTimestampToken("exemplar timestamp", &p, &exemplar_timestamp_ms_)) return false;
    exemplar_has_timestamp_ = true;
    if (p < body_.size() && body_[p] != '\n') return FailGot("expected next entry after exemplar timestamp", p);
  }
  *pos = p;
  return true;
}

std::string OpenMetricsParser::Help() const {
  std::string out;
  PromParser::UnescapeLabelValue(meta_text_, &out);
  return out;
}

}  // namespace promethium::scrape::textparse
