// OpenMetricsParser: a zero-copy parser for the OpenMetrics 1.0 text format
// (media type application/openmetrics-text), with the semantics of
// Prometheus's textparse.OpenMetricsParser.
//
// It exposes the same entry interface as PromParser (Entry, Series(),
// MetricName(), Labels(), Value(), HasTimestamp(), Timestamp(), MetaName(),
// Type(), Help()) so the scrape append path is written once for both (see
// scrape_append.cc), plus what OpenMetrics adds: `# UNIT` entries (Unit())
// and at most one exemplar per sample (HasExemplar(), ExemplarLabels(),
// ExemplarValue(), ExemplarTimestamp()).
//
// The syntax is stricter than the Prometheus text format, as Prometheus's
// lexer is: exactly one space between tokens, no tabs, no blank lines, no
// spaces inside a label set, no comments other than # HELP/# TYPE/# UNIT,
// and the body must end with the line `# EOF` (optionally followed by one
// newline) with nothing after it. A trailing comma in a label set is
// allowed. Timestamps are float SECONDS (e.g. 1520879607.789) and are
// converted to int64 milliseconds (truncated toward zero, as Go's int64()).
// `_created` series of counters, histograms and summaries are returned as
// ordinary series by default, as Prometheus 3.x does unless created
// timestamp ingestion is enabled (Options::skip_created_series).
// Quoted (UTF-8) metric and label names fail with "unsupported: ...".
//
// Every error is InvalidArgument with the message
//   openmetrics format parsing error in line <n>: <what is wrong>
// where <what is wrong> uses Prometheus's wording where it has one
// ("data does not end with # EOF", "unexpected data after # EOF",
// "expected label name", "expected comma or brace close", ...).
//
// Ownership: the parser borrows `body`, which must outlive it and every
// view it returns. Views are valid until the next call to Next(). No heap
// allocation happens per sample once the label vectors have grown.
// Thread-safety: none; one parser per scrape.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scrape/textparse/prom_parser.h"
#include "tsdb/base/result.h"

namespace promethium::scrape::textparse {

class OpenMetricsParser {
 public:
  struct Options {
    // Drop `<name>_created` series of counter/histogram/summary families
    // (Prometheus does so only with created-timestamp zero ingestion on).
    bool skip_created_series = false;
  };

  explicit OpenMetricsParser(std::string_view body) : OpenMetricsParser(body, Options()) {}
  OpenMetricsParser(std::string_view body, Options options);
  OpenMetricsParser(const OpenMetricsParser&) = delete;
  OpenMetricsParser& operator=(const OpenMetricsParser&) = delete;

  // Advances to the next entry; Entry::kEof after the `# EOF` line. A body
  // without it fails. After an error the parser must not be used further.
  Result<Entry> Next();

  // Valid after Next() returned kSeries (see PromParser).
  std::string_view Series() const { return series_; }
  std::string_view MetricName() const { return metric_name_; }
  const std::vector<LabelView>& Labels() const { return labels_; }
  double Value() const { return value_; }
  bool HasTimestamp() const { return has_timestamp_; }
  int64_t Timestamp() const { return timestamp_ms_; }  // milliseconds

  // The exemplar of the current sample, if the line carried one.
  bool HasExemplar() const { return has_exemplar_; }
  const std::vector<LabelView>& ExemplarLabels() const { return exemplar_labels_; }
  double ExemplarValue() const { return exemplar_value_; }
  bool ExemplarHasTimestamp() const { return exemplar_has_timestamp_; }
  int64_t ExemplarTimestamp() const { return exemplar_timestamp_ms_; }  // milliseconds

  // Valid after kHelp / kType / kUnit: the metric family named on the line.
  std::string_view MetaName() const { return meta_name_; }
  // Valid after kHelp: the help text with \\, \" and \n unescaped.
  std::string Help() const;
  // Valid after kHelp: the help text as written (escapes not resolved).
  std::string_view HelpRaw() const { return meta_text_; }
  // Valid after kType; also the type of the family being read.
  MetricType Type() const { return type_; }
  // Valid after kUnit.
  std::string_view Unit() const { return meta_text_; }
  // OpenMetrics has no free comments; never valid.
  std::string_view Comment() const { return {}; }

  // 1-based line number of the current entry.
  int line() const { return line_; }

  // Same escapes as the text format: \\, \" and \n.
  static void UnescapeLabelValue(std::string_view value, std::string* out) {
    PromParser::UnescapeLabelValue(value, out);
  }

 private:
  Status Error(std::string_view what) const;
  Status ErrorGot(std::string_view expected) const;
  Result<Entry> ParseMeta();
  Result<Entry> FinishMeta(std::string_view keyword);
  // The sample routines return false after storing their error in error_;
  // FailGot reports the token at `at` (see ErrorGot).
  bool Fail(Status status);
  bool FailGot(std::string_view expected, size_t at);
  bool ParseSeries();
  bool ParseLabels(std::vector<LabelView>* out, size_t* pos);
  bool ParseLabelValue(LabelView* label, size_t* pos);
  bool ParseSeriesEnd(size_t pos);
  bool ParseExemplar(size_t* pos);
  bool ParseFloatToken(std::string_view after, size_t* pos, double* out);
  bool ParseTimestampToken(std::string_view what, size_t* pos, int64_t* out_ms);
  bool IsSkippedCreatedSeries() const;

  std::string_view body_;
  Options options_;
  size_t pos_ = 0;
  int line_ = 0;

  std::string_view series_;
  std::string_view metric_name_;
  std::vector<LabelView> labels_;
  double value_ = 0;
  int64_t timestamp_ms_ = 0;
  bool has_timestamp_ = false;

  bool has_exemplar_ = false;
  std::vector<LabelView> exemplar_labels_;
  double exemplar_value_ = 0;
  int64_t exemplar_timestamp_ms_ = 0;
  bool exemplar_has_timestamp_ = false;

  std::string_view meta_name_;
  std::string_view meta_text_;
  MetricType type_ = MetricType::kUnknown;
  Status error_;
};

}  // namespace promethium::scrape::textparse
