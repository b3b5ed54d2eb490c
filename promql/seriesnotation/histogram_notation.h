// The native-histogram values of the series notation, as Prometheus's
// promql/parser reads them in series descriptions:
//
//   {{schema:0 sum:5 count:4 z_bucket:1 z_bucket_w:0.001 buckets:[1 2 1]
//     offset:0 n_buckets:[1] n_offset:-1 counter_reset_hint:gauge
//     custom_values:[0.1 1]}}
//
// Every key is optional (an absent one is 0 or empty; `{{}}` is the empty
// histogram), keys are case-insensitive and may appear once each. `buckets`
// and `n_buckets` are absolute float counts of consecutive buckets starting
// at index `offset` / `n_offset` (one span). `counter_reset_hint` is
// unknown, reset, not_reset or gauge.
//
// The expanding forms are `{{..}}xN` (N+1 copies), `{{a}}+{{b}}xN` (a, a+b,
// a+2b, ... N+1 values) and `{{a}}-{{b}}xN` (subtracting).
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "promql/seriesnotation/series_notation.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"
#include "tsdb/histogram/float_histogram.h"

namespace promethium::promql::seriesnotation {

// A parsed `{{...}}` (without expansion).
struct HistogramDesc {
  FloatHistogram h;
  bool counter_reset_hint_set = false;  // the description names a hint
};

// Parses exactly one `{{...}}`.
Result<HistogramDesc> ParseHistogramDesc(std::string_view text);

// The length of the histogram token at the start of s: the `{{...}}` with
// any expansion suffix (`xN`, `+{{...}}xN`, `-{{...}}xN`). 0 when s does not
// start with `{{` or the braces are not closed.
size_t HistogramTokenLength(std::string_view s);

// Expands one histogram token (as measured by HistogramTokenLength) into
// sequence values.
Status ExpandHistogramToken(std::string_view token, std::vector<SequenceValue>* out);

// The histogram in the notation, as Prometheus's
// FloatHistogram.TestExpression (for messages): one span per side, zero
// fields left out, numbers in Go's %g.
std::string HistogramTestExpression(const FloatHistogram& h);

}  // namespace promethium::promql::seriesnotation
