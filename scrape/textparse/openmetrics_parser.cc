// A single forward pass over the body, as PromParser; the grammar is
// Prometheus's OpenMetrics lexer (openmetricslex.l) written out as a
// recursive-descent scanner. Because the format is line-strict, each
// routine either consumes exactly the bytes the grammar allows or fails.
#include "scrape/textparse/openmetrics_parser.h"
#include "scrape/textparse/error_excerpt.h"

#include <fmt/format.h>

#include <cmath>

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
    PROMETHIUM_RETURN_IF_ERROR(ParseSeries());
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

Status OpenMetricsParser::ParseSeries() {
  labels_.clear();
  has_timestamp_ = false;
  has_exemplar_ = false;
  exemplar_has_timestamp_ = false;
  size_t start = pos_;
  while (pos_ < body_.size() && IsMetricChar(body_[pos_])) ++pos_;
  metric_name_ = body_.substr(start, pos_ - start);
  if (pos_ < body_.size() && body_[pos_] == '{') {
    ++pos_;
    PROMETHIUM_RETURN_IF_ERROR(ParseLabels(&labels_));
  }
  series_ = body_.substr(start, pos_ - start);
  return ParseSeriesEnd();
}

// Label pairs after '{' up to and including '}': name="value" separated by
// single commas, no spaces, one trailing comma allowed.
Status OpenMetricsParser::ParseLabels(std::vector<LabelView>* out) {
  for (;;) {
    if (pos_ < body_.size() && body_[pos_] == '}') {
      ++pos_;
      return Status::OK();
    }
    if (pos_ < body_.size() && body_[pos_] == '"') return Status::Unsupported("quoted (UTF-8) label names");
    if (pos_ >= body_.size() || !IsLabelStart(body_[pos_])) return ErrorGot("expected label name");
    size_t name_start = pos_;
    while (pos_ < body_.size() && IsLabelChar(body_[pos_])) ++pos_;
    LabelView label;
    label.name = body_.substr(name_start, pos_ - name_start);
    if (pos_ >= body_.size() || body_[pos_] != '=') return ErrorGot("expected equal");
    ++pos_;
    if (pos_ >= body_.size() || body_[pos_] != '"') return ErrorGot("expected label value");
    ++pos_;
    PROMETHIUM_RETURN_IF_ERROR(ParseLabelValue(&label));
    if (out == &labels_ && label.name == "__name__") {
      return Error("duplicate label name \"__name__\" (the metric name)");
    }
    for (const LabelView& prev : *out) {
      if (prev.name == label.name) return Error(fmt::format("duplicate label name \"{}\"", label.name));
    }
    out->push_back(label);
    if (pos_ < body_.size() && body_[pos_] == ',') {
      ++pos_;
    } else if (pos_ >= body_.size() || body_[pos_] != '}') {
      return ErrorGot("expected comma or brace close");
    }
  }
}

// Scans a quoted value; pos_ is just past the opening quote. A backslash
// escapes any byte but a newline; a raw newline ends the value in error.
Status OpenMetricsParser::ParseLabelValue(LabelView* label) {
  size_t start = pos_;
  bool non_ascii = false;
  for (;;) {
    if (pos_ >= body_.size() || body_[pos_] == '\n') {
      return Error(fmt::format("unterminated quoted value for label \"{}\"", label->name));
    }
    char c = body_[pos_];
    if (c == '"') break;
    if (c == '\\') {
      if (pos_ + 1 >= body_.size() || body_[pos_ + 1] == '\n') {
        return Error(fmt::format("unterminated quoted value for label \"{}\"", label->name));
      }
      label->escaped = true;
      pos_ += 2;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) non_ascii = true;
    ++pos_;
  }
  label->value = body_.substr(start, pos_ - start);
  ++pos_;  // closing quote
  if (non_ascii && !ValidUtf8(label->value)) {
    return Error(fmt::format("invalid UTF-8 label value: {}", ErrorExcerpt(label->value)));
  }
  return Status::OK();
}

// A float token introduced by exactly one space: " <token>".
Status OpenMetricsParser::ParseFloatToken(std::string_view after, double* out) {
  if (pos_ >= body_.size() || body_[pos_] != ' ' || pos_ + 1 >= body_.size() || body_[pos_ + 1] == ' ' ||
      body_[pos_ + 1] == '\n') {
    return ErrorGot(fmt::format("expected value after {}", after));
  }
  size_t start = ++pos_;
  while (pos_ < body_.size() && body_[pos_] != ' ' && body_[pos_] != '\n') ++pos_;
  std::string_view text = body_.substr(start, pos_ - start);
  if (!ParsePromFloat(text, out)) return Error(fmt::format("expected float as value, got {}", ErrorExcerpt(text)));
  return Status::OK();
}

// " <seconds>", a float, converted to milliseconds.
Status OpenMetricsParser::ParseTimestampToken(std::string_view what, int64_t* out_ms) {
  size_t start = ++pos_;  // the space
  while (pos_ < body_.size() && body_[pos_] != ' ' && body_[pos_] != '\n') ++pos_;
  std::string_view text = body_.substr(start, pos_ - start);
  double seconds;
  if (text.empty() || !ParsePromFloat(text, &seconds)) {
    return Error(fmt::format("expected float as {}, got {}", what, ErrorExcerpt(text)));
  }
  if (std::isnan(seconds) || std::isinf(seconds)) return Error(fmt::format("invalid {} {}", what, ErrorExcerpt(text)));
  double ms = seconds * 1000.0;
  // Beyond int64 milliseconds (about 292 million years) Go's int64() is
  // undefined; refuse instead.
  if (!(ms > -9.2e18 && ms < 9.2e18)) return Error(fmt::format("{} out of range: {}", what, ErrorExcerpt(text)));
  *out_ms = static_cast<int64_t>(ms);
  return Status::OK();
}

// After the name and labels: " value[ timestamp][ # {exemplar} v[ ts]]\n".
Status OpenMetricsParser::ParseSeriesEnd() {
  PROMETHIUM_RETURN_IF_ERROR(ParseFloatToken("metric", &value_));
  auto at_exemplar = [&] { return body_.substr(pos_, 4) == " # {"; };
  if (pos_ < body_.size() && body_[pos_] == ' ' && !at_exemplar()) {
    PROMETHIUM_RETURN_IF_ERROR(ParseTimestampToken("timestamp", &timestamp_ms_));
    has_timestamp_ = true;
    if (pos_ < body_.size() && body_[pos_] != '\n' && !at_exemplar()) {
      return ErrorGot("expected next entry after timestamp");
    }
  }
  if (pos_ < body_.size() && at_exemplar()) PROMETHIUM_RETURN_IF_ERROR(ParseExemplar());
  if (pos_ >= body_.size()) return Error("data does not end with # EOF");
  if (body_[pos_] != '\n') return ErrorGot("expected timestamp or new record");
  ++pos_;
  return Status::OK();
}

// " # {labels} value[ timestamp]", stopping before the newline.
Status OpenMetricsParser::ParseExemplar() {
  pos_ += 4;  // " # {"
  exemplar_labels_.clear();
  PROMETHIUM_RETURN_IF_ERROR(ParseLabels(&exemplar_labels_));
  PROMETHIUM_RETURN_IF_ERROR(ParseFloatToken("exemplar labels", &exemplar_value_));
  has_exemplar_ = true;
  if (pos_ < body_.size() && body_[pos_] == ' ') {
    PROMETHIUM_RETURN_IF_ERROR(ParseTimestampToken("exemplar timestamp", &exemplar_timestamp_ms_));
    exemplar_has_timestamp_ = true;
    if (pos_ < body_.size() && body_[pos_] != '\n') return ErrorGot("expected next entry after exemplar timestamp");
  }
  return Status::OK();
}

std::string OpenMetricsParser::Help() const {
  std::string out;
  PromParser::UnescapeLabelValue(meta_text_, &out);
  return out;
}

}  // namespace promethium::scrape::textparse
