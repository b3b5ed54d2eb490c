// PromParser: a zero-copy parser for the Prometheus text exposition format
// 0.0.4, with the semantics of Prometheus's textparse.PromParser.
//
// It walks a scrape body entry by entry (series, # HELP, # TYPE, other
// comments; blank lines are skipped) and exposes each entry as views into
// the body: the metric name, label name/value views, the value and the
// optional timestamp. No heap allocation happens per sample once the label
// scratch vector has grown to the widest line; label values are unescaped
// only on request, and only those that contain a backslash
// (LabelView::escaped).
//
// Accepted syntax, as Prometheus's lexer: spaces and tabs between any two
// tokens; a trailing comma in a label set; values as Go's
// strconv.ParseFloat minus the post-Go-1.13 forms Prometheus refuses (hex
// floats, '_' separators), so "1e3", ".5", "+Inf", "-inf", "NaN" are fine;
// timestamps are unsigned decimal int64 milliseconds. Beyond Prometheus we
// tolerate CRLF line ends. We refuse a raw newline inside a quoted label
// value (Prometheus's lexer lets it through) so that an unterminated quote
// cannot swallow the rest of the body, duplicate label names on one line,
// and quoted (UTF-8) metric or label names ("unsupported: ...").
//
// Every error is InvalidArgument with the message
//   text format parsing error in line <n>: <what is wrong>
//
// Ownership: the parser borrows `body`, which must outlive it and every
// view it returns. Views are valid until the next call to Next().
// Thread-safety: none; one parser per scrape.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/base/result.h"

namespace promethium::scrape::textparse {

// kUnit is produced by the OpenMetrics and protobuf parsers, kHistogram (a
// native histogram sample) by the protobuf parser only.
enum class Entry { kSeries, kHelp, kType, kComment, kEof, kUnit, kHistogram };

// kGaugeHistogram, kInfo and kStateset exist in OpenMetrics only.
enum class MetricType { kUnknown, kCounter, kGauge, kHistogram, kSummary, kGaugeHistogram, kInfo, kStateset };
std::string_view MetricTypeName(MetricType type);  // "untyped" for kUnknown

struct LabelView {
  std::string_view name;
  std::string_view value;  // raw text between the quotes, still escaped
  bool escaped = false;    // value contains a backslash escape
};

class PromParser {
 public:
  explicit PromParser(std::string_view body);
  PromParser(const PromParser&) = delete;
  PromParser& operator=(const PromParser&) = delete;

  // Advances to the next entry; Entry::kEof once the body is exhausted.
  // After an error the parser must not be used further.
  Result<Entry> Next();

  // Valid after Next() returned kSeries.
  // The text of the metric name and label set, e.g. `foo{a="b"}`: the
  // scrape cache's key (two spellings of one series get two keys).
  std::string_view Series() const { return series_; }
  std::string_view MetricName() const { return metric_name_; }
  const std::vector<LabelView>& Labels() const { return labels_; }
  double Value() const { return value_; }
  bool HasTimestamp() const { return has_timestamp_; }
  int64_t Timestamp() const { return timestamp_; }

  // Valid after kHelp / kType: the metric family named on the line.
  std::string_view MetaName() const { return meta_name_; }
  // Valid after kHelp: the help text with \\ and \n unescaped.
  std::string Help() const;
  // Valid after kHelp: the help text as written (escapes not resolved).
  std::string_view HelpRaw() const { return help_raw_; }
  // Valid after kType.
  MetricType Type() const { return type_; }
  // Valid after kComment: the whole comment line, starting with '#'.
  std::string_view Comment() const { return comment_; }

  // 1-based line number of the current entry.
  int line() const { return line_; }

  // Appends `value` to *out, unescaping \\, \" and \n as Prometheus does
  // (any other backslash sequence is kept verbatim).
  static void UnescapeLabelValue(std::string_view value, std::string* out);

 private:
  Status Error(std::string_view what) const;
  Status ErrorGot(std::string_view expected, size_t at) const;
  // The parse routines return false after storing their error in error_.
  bool Fail(Status status);
  bool ParseComment(Entry* entry);
  bool AsComment(size_t hash, size_t text_end, size_t next_line, Entry* entry);
  bool ParseSeries();
  bool ParseLabels(size_t* pos);
  bool ParseLabelValue(LabelView* label, size_t* pos);
  bool ParseValueAndTimestamp(size_t pos);
  bool ExpectLineEnd(size_t pos, std::string_view expected);

  std::string_view body_;
  size_t pos_ = 0;  // next byte to read
  size_t line_start_ = 0;
  int line_ = 0;

  std::string_view series_;
  std::string_view metric_name_;
  std::vector<LabelView> labels_;
  double value_ = 0;
  int64_t timestamp_ = 0;
  bool has_timestamp_ = false;

  std::string_view meta_name_;
  std::string_view help_raw_;
  MetricType type_ = MetricType::kUnknown;
  std::string_view comment_;
  Status error_;
};

// Parses a sample value as Prometheus does (see the header comment).
// Returns false on syntax errors and on overflow to +-Inf of finite input.
bool ParsePromFloat(std::string_view text, double* out);

}  // namespace promethium::scrape::textparse
