// Annotations: the warnings and infos a query collects while evaluating
// ("PromQL warning: ...", "PromQL info: ..."), deduplicated by text, each
// suffixed with the position of the expression it concerns, as Prometheus's
// util/annotations does once the query text is known ("... (1:6)").
//
// Ownership: plain value. Thread-safety: one query, one thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "promql/parser/ast.h"

namespace promethium::promql {

class Annotations {
 public:
  void SetQuery(std::string_view query) { query_ = query; }
  // `text` is the message after the "PromQL warning: " / "PromQL info: " prefix.
  void AddWarning(std::string_view text, PositionRange pos);
  void AddInfo(std::string_view text, PositionRange pos);

  // The collected texts with " (line:col)" positions appended.
  std::vector<std::string> Warnings() const { return Render(warnings_); }
  std::vector<std::string> Infos() const { return Render(infos_); }

 private:
  // Keyed by text without position; a repeated text keeps the last
  // position, as Prometheus's annotations map does.
  using Set = std::map<std::string, PositionRange>;
  std::vector<std::string> Render(const Set& set) const;
  std::string WithPosition(const std::string& msg, PositionRange pos) const;
  std::string_view query_;
  Set warnings_;
  Set infos_;
};

// Common annotation texts (Prometheus's wording).
std::string PossibleNonCounterInfo(std::string_view metric_name);
std::string InvalidQuantileWarning(double q);
std::string BadBucketLabelWarning(std::string_view metric_name, std::string_view label);
std::string HistogramQuantileForcedMonotonicityInfo(std::string_view metric_name);
std::string SortInRangeQueryWarning();
std::string InvalidRatioWarning(double q, double to);
// Native histograms.
std::string MixedFloatsHistogramsWarning(std::string_view metric_name);
std::string MixedFloatsHistogramsAggWarning();
std::string NativeHistogramNotCounterWarning(std::string_view metric_name);
std::string NativeHistogramNotGaugeWarning(std::string_view metric_name);
std::string MixedExponentialCustomHistogramsWarning(std::string_view metric_name);
std::string MixedClassicNativeHistogramsWarning(std::string_view metric_name);
std::string HistogramIgnoredInMixedRangeInfo(std::string_view metric_name);
std::string HistogramIgnoredInAggregationInfo(std::string_view aggregation);
std::string IncompatibleBucketLayoutInBinOpWarning(std::string_view op);
// operation: "addition", "subtraction" or "aggregation".
std::string HistogramCounterResetCollisionWarning(std::string_view operation);
std::string MismatchedCustomBucketsHistogramsInfo(std::string_view operation);
// "float", "histogram": the operand types of IncompatibleTypesInBinOpInfo.
std::string IncompatibleTypesInBinOpInfo(std::string_view lhs_type, std::string_view op, std::string_view rhs_type);

// Go's %g formatting of a float (shortest repr, exponent for large/small).
std::string FormatGoG(double v);
// Go's %q quoting.
std::string QuoteGoString(std::string_view s);

}  // namespace promethium::promql
