// Range-function windows: one series' samples in (ref - range, ref] at one
// step, as the range-vector functions see them (functions_range.cc for the
// float functions and the dispatch, functions_range_histogram.cc for the
// functions over native histograms).
//
// Internal to the engine. Ownership: a Window borrows the series' loaded
// samples and the query context for one call. Thread-safety: one query.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "promql/engine/evaluator.h"

namespace promethium::promql {

struct Window {
  std::span<const Sample> pts;  // float samples (never empty for float functions)
  int64_t ts = 0;               // step time
  int64_t range_start = 0;      // exclusive
  int64_t range_end = 0;        // inclusive
  int64_t range_ms = 0;
  std::span<const double> scalars;            // the other (scalar) arguments
  std::span<const HistogramPoint> hpts = {};  // histogram samples, disjoint in time from pts
  // For annotations: the query, the series' metric name and the position of
  // the range argument (Prometheus reports args[0]'s position).
  QueryContext* ctx = nullptr;
  std::string_view metric_name = {};
  PositionRange pos = {};
};

// A window function's output: nothing, a float or a histogram.
struct WindowValue {
  std::optional<double> f;
  HistogramPtr h;
  bool empty() const { return !f && !h; }
};

// A function over windows that contain histograms (possibly mixed with
// floats); it reports Prometheus's annotations itself.
using HistogramWindowFn = Result<WindowValue> (*)(const Window&);

// The histogram-aware implementations (functions_range_histogram.cc).
Result<WindowValue> HistRate(const Window& w);
Result<WindowValue> HistIncrease(const Window& w);
Result<WindowValue> HistDelta(const Window& w);
Result<WindowValue> HistIrate(const Window& w);
Result<WindowValue> HistIdelta(const Window& w);
Result<WindowValue> HistSumOverTime(const Window& w);
Result<WindowValue> HistAvgOverTime(const Window& w);
Result<WindowValue> HistCountOverTime(const Window& w);
Result<WindowValue> HistLastOverTime(const Window& w);
Result<WindowValue> HistFirstOverTime(const Window& w);
Result<WindowValue> HistPresentOverTime(const Window& w);
Result<WindowValue> HistTsOfLastOverTime(const Window& w);
Result<WindowValue> HistTsOfFirstOverTime(const Window& w);
Result<WindowValue> HistChanges(const Window& w);
Result<WindowValue> HistResets(const Window& w);

// Adds b to *a (a copy-on-write of a shared histogram); false when their
// schemas are incompatible (exponential vs custom buckets, or different
// custom bounds).
bool AddHistogram(FloatHistogram* a, const FloatHistogram& b);

}  // namespace promethium::promql
