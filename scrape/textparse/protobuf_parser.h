// ProtobufParser: the parser for the protobuf exposition format
// (application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
// encoding=delimited), with the output of Prometheus's
// textparse.ProtobufParser.
//
// The body is a sequence of MetricFamily messages (metrics.proto), each
// preceded by its length as a varint. The parser decodes one family at a
// time with the protobuf library and presents it through the entry
// interface of PromParser / OpenMetricsParser, so the scrape append path is
// written once for every format:
//   kHelp (every family, even with an empty help), kUnit (when the family
//   has one), kType, then per metric:
//   - counter, gauge, untyped: one kSeries (counters may carry an exemplar);
//   - summary: `<name>_count`, `<name>_sum`, then one series per quantile
//     with a `quantile` label;
//   - histogram / gauge histogram: a kHistogram entry (a native histogram,
//     integer or float counts, see CurrentHistogram) when native histograms
//     are wanted and the message is one (it has spans, a zero threshold or
//     a zero count, Prometheus's isNativeHistogram), otherwise the classic
//     series `<name>_count`, `<name>_sum` and `<name>_bucket` per bucket
//     with `le` (a `+Inf` bucket is added when the body has none). With
//     Options::keep_classic_histograms a native histogram that also has
//     classic buckets yields both. With Options::convert_classic_to_nhcb a
//     classic histogram yields a custom-bucket native histogram (schema
//     -53), instead of the classic series unless keep_classic_histograms.
// `le` and `quantile` values are written in OpenMetrics float form ("1.0",
// "+Inf"). A timestamp_ms of 0 means "no timestamp", as in Prometheus.
// Exemplars: a counter's, a classic bucket's (one per `_bucket` series),
// and for a native histogram all of its exemplars that have a timestamp
// (from the histogram's exemplar list, or else from its classic buckets).
//
// Errors (InvalidArgument, the scrape fails like any malformed body): a
// truncated length or message, a message that does not decode, an unknown
// metric type, a native histogram whose spans do not match its bucket
// counts (Prometheus's "positive side: spans require 3 buckets, have 2"),
// negative absolute bucket counts, more observations in the buckets than
// the count, classic buckets the NHCB converter refuses, a schema outside -4..8 (the protobuf
// format has no custom bounds, so schema -53 cannot be exposed in it), and
// names that are not legacy Prometheus names ("unsupported: ...", as the
// text parsers do).
//
// Ownership: borrows `body`, which must outlive the parser. Views and
// pointers it returns are valid until the next call to Next().
// Thread-safety: none; one parser per scrape.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scrape/textparse/prom_parser.h"
#include "tsdb/base/result.h"
#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram.h"

namespace promethium::scrape::textparse {

// One exemplar of the current entry, labels in exposition order.
struct ParsedExemplar {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  bool has_timestamp = false;
  int64_t timestamp_ms = 0;
};

class ProtobufParser {
 public:
  struct Options {
    // Parse native histograms (scrape_native_histograms); false: every
    // histogram is read as a classic one.
    bool parse_native_histograms = false;
    // Also yield the classic series of a histogram exposed both ways
    // (always_scrape_classic_histograms).
    bool keep_classic_histograms = false;
    // Convert classic histograms to custom-bucket native histograms
    // (convert_classic_histograms_to_nhcb), with the model's
    // ClassicHistogramConverter.
    bool convert_classic_to_nhcb = false;
  };

  ProtobufParser(std::string_view body, Options options);
  ~ProtobufParser();
  ProtobufParser(const ProtobufParser&) = delete;
  ProtobufParser& operator=(const ProtobufParser&) = delete;

  // Advances to the next entry (kHelp, kUnit, kType, kSeries, kHistogram),
  // kEof at the end of the body. After an error the parser must not be used.
  Result<Entry> Next();

  // Valid after kSeries and kHistogram. Series() is the cache key: the
  // metric name and the sorted labels, separated by 0xff bytes.
  std::string_view Series() const { return cur_->key; }
  std::string_view MetricName() const { return cur_->name; }
  const std::vector<LabelView>& Labels() const { return cur_->views; }
  double Value() const { return cur_->value; }  // kSeries only
  bool HasTimestamp() const { return cur_->timestamp_ms != 0; }
  int64_t Timestamp() const { return cur_->timestamp_ms; }
  // kHistogram only: exactly one of the two is non-null.
  const Histogram* CurrentHistogram() const { return cur_->h ? &*cur_->h : nullptr; }
  const FloatHistogram* CurrentFloatHistogram() const { return cur_->fh ? &*cur_->fh : nullptr; }
  const std::vector<ParsedExemplar>& Exemplars() const { return cur_->exemplars; }
  // The created timestamp (ms) of a counter, summary or histogram; 0: none.
  int64_t CreatedTimestamp() const { return cur_->created_ms; }

  // Valid after kHelp / kType / kUnit: the family's name.
  std::string_view MetaName() const { return family_name_; }
  std::string Help() const { return family_help_; }
  std::string_view HelpRaw() const { return family_help_; }
  MetricType Type() const { return family_type_; }
  std::string_view Unit() const { return family_unit_; }
  std::string_view Comment() const { return {}; }

  // Protobuf label values are never escaped; copies `value`.
  static void UnescapeLabelValue(std::string_view value, std::string* out) { out->append(value); }

 private:
  // One entry of the current family, owned (views point into it).
  struct Pending {
    Entry kind = Entry::kSeries;
    std::string name;  // metric name of the series (with _count/_sum/_bucket)
    std::string key;
    std::vector<std::pair<std::string, std::string>> labels;  // without __name__, sorted
    std::vector<LabelView> views;                             // set once the family is complete
    double value = 0;
    int64_t timestamp_ms = 0;
    std::optional<Histogram> h;
    std::optional<FloatHistogram> fh;
    std::vector<ParsedExemplar> exemplars;
    int64_t created_ms = 0;
  };
  class FamilyExpander;

  Status ReadFamily(bool* eof);

  std::string_view body_;
  Options options_;
  size_t pos_ = 0;
  std::string family_name_, family_help_, family_unit_;
  MetricType family_type_ = MetricType::kUnknown;
  // The entries of the current family, produced when it is decoded.
  std::vector<Pending> pending_;
  size_t next_ = 0;
  const Pending* cur_ = nullptr;
};

}  // namespace promethium::scrape::textparse
