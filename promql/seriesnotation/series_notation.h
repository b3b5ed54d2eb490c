// The series notation of Prometheus's PromQL test scripts and promtool's
// rule unit tests: a metric (`name{a="b"}`) followed by values in the
// expanding notation (`1+2x3` = 1 3 5 7, `5x2` = 5 5 5, `_` and `_x3` for
// missing samples, `stale` for a staleness marker, plain numbers including
// Inf, NaN and 0x.. forms).
//
// Native-histogram values (`{{schema:0 count:3 buckets:[1 2]}}` and their
// expanding forms, histogram_notation.h) are decoded into FloatHistograms;
// they come back marked `histogram`, so callers that cannot use them refuse
// them.
//
// Production code may use it (promtool-style rule unit tests load their
// input series with it); tests/promqltest parses its scripts with it.
// Thread-safety: pure functions over plain values.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/base/result.h"
#include "tsdb/histogram/float_histogram.h"

namespace promethium::promql::seriesnotation {

// One value of an expanded series description.
struct SequenceValue {
  double value = 0;
  bool omitted = false;
  bool histogram = false;                   // a {{...}} native histogram, held by `h`
  std::shared_ptr<const FloatHistogram> h;  // set exactly when `histogram`
  // The description named a counter_reset_hint (promqltest compares the
  // hint only then).
  bool counter_reset_hint_set = false;
};

struct SeriesDesc {
  Labels metric;
  std::vector<SequenceValue> values;
};

// Parses `metric{a="b"} 1+1x3 _ stale` (values may be absent).
Result<SeriesDesc> ParseSeriesDesc(std::string_view line);

// Parses a whole `name{a="b", ...}` label set (either part may be absent;
// surrounding spaces are allowed), as Prometheus's parser.ParseMetric.
Result<Labels> ParseMetric(std::string_view text);

// Parses one number as Prometheus's test parser does (ints, floats, Inf, NaN).
bool ParseNumber(std::string_view s, double* out);

// Reads a quoted string ("..", '..' or `..`) starting at s[*pos], with Go's
// escapes; on success *pos is just past the closing quote.
bool ReadQuoted(std::string_view s, size_t* pos, std::string* out);

// s without leading and trailing white space.
std::string_view TrimSpace(std::string_view s);

}  // namespace promethium::promql::seriesnotation
