// FloatHistogram: a native histogram with float bucket counts, as
// Prometheus's model/histogram.FloatHistogram. PromQL computes on it (rate
// and sum produce fractional counts), float-histogram chunks store it, and
// the API prints it. The bucket layout is Histogram's (histogram.h), but the
// bucket counts are absolute, not deltas.
//
// Thread-safety: a plain value; copy to share between threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tsdb/base/result.h"
#include "tsdb/base/status.h"
#include "tsdb/histogram/histogram.h"

namespace promethium {

// What Add/Sub/KahanAdd report besides the result.
struct HistogramOpResult {
  // One operand said counter reset, the other not-counter-reset; the result's
  // hint became kUnknown (PromQL warns "conflicting counter resets").
  bool counter_reset_collision = false;
  // Custom bounds differed and were reconciled to their intersection
  // (PromQL adds the info annotation about mismatched custom buckets).
  bool nhcb_bounds_reconciled = false;
};

struct FloatHistogram {
  CounterResetHint counter_reset_hint = CounterResetHint::kUnknown;
  int32_t schema = 0;
  double zero_threshold = 0;
  double zero_count = 0;
  double count = 0;
  double sum = 0;
  std::vector<HistogramSpan> positive_spans, negative_spans;
  std::vector<double> positive_buckets, negative_buckets;  // absolute counts
  std::vector<double> custom_values;                       // only with kCustomBucketsSchema

  // As Histogram::Validate, for float counts.
  Status Validate() const;
  bool Equals(const FloatHistogram& other) const;
  std::string ToString() const;  // Prometheus's String()

  // The operations PromQL needs, with Prometheus's (3.x) semantics. Add and
  // Sub reduce both operands to the lower of the two schemas and widen the
  // zero buckets to a common threshold first; they fail when one histogram
  // has custom buckets and the other not ("cannot apply this operation on
  // histograms with a mix of exponential and custom bucket schemas"). Two
  // custom-bucket histograms with different custom_values are reconciled to
  // the intersection of their bounds (see the HistogramOpResult overloads).
  // Neither compacts: call Compact(0) after, as PromQL does. Sub keeps the
  // counter-reset rules of Add; PromQL's `-` then sets kGauge itself.
  Status Add(const FloatHistogram& other);
  Status Sub(const FloatHistogram& other);
  void Mul(double factor);  // scales count, sum, zero and all buckets
  void Div(double divisor);
  // Drops empty buckets at span edges and runs of more than
  // max_empty_buckets empty buckets, and joins spans at most
  // max_empty_buckets apart (Prometheus's Compact; 0 gives the canonical
  // layout PromQL results and test comparisons use).
  void Compact(int max_empty_buckets);
  // The histogram in a lower (coarser) exponential schema. Asserts the
  // preconditions of ReduceResolutionChecked; does nothing if they fail.
  void ReduceResolution(int32_t target_schema);
  // Whether `previous` -> *this is a counter reset (Prometheus's DetectReset).
  bool DetectReset(const FloatHistogram& previous) const;

  // ---- Added by the model implementation (the layout above is unchanged).
  bool UsesCustomBuckets() const { return IsCustomBucketsSchema(schema); }
  // The {{...}} notation of PromQL test scripts and promtool rule tests
  // (Prometheus's TestExpression), e.g. "{{schema:1 count:3 sum:5
  // buckets:[1 2]}}": compacted to one span per side, zero fields omitted.
  std::string TestExpression() const;
  // Add/Sub that also report what PromQL turns into annotations; `result`
  // may be null. Mul/Div by a negative number make the result a gauge
  // (counter_reset_hint kGauge), as Prometheus's Mul/Div do; Div by 0 drops
  // all buckets (count, sum and zero count become +-Inf or NaN).
  Status Add(const FloatHistogram& other, HistogramOpResult* result);
  Status Sub(const FloatHistogram& other, HistogramOpResult* result);
  // Kahan-compensated Add (Prometheus's KahanAdd, used by sum/avg and
  // sum_over_time/avg_over_time): *compensation holds the running error
  // terms in this histogram's layout; start it with NewCompensation() on
  // the first operand's copy (Prometheus creates it inside the first
  // KahanAdd; the results are the same), pass it to every KahanAdd, and
  // finish with Add(*compensation) then Compact(0).
  Status KahanAdd(const FloatHistogram& other, FloatHistogram* compensation, HistogramOpResult* result);
  FloatHistogram NewCompensation() const;
  // Errors: custom buckets, target >= schema, malformed spans.
  Status ReduceResolutionChecked(int32_t target_schema);
  // A copy in the lower-or-equal exponential schema target_schema (fails for
  // custom buckets or a higher target).
  Result<FloatHistogram> CopyToSchema(int32_t target_schema) const;
  // PromQL's trim operators (Prometheus's TrimBuckets): with is_upper_trim
  // (`h </ rhs`) keeps the observations below rhs, otherwise (`h >/ rhs`)
  // those above. A bucket containing rhs keeps the interpolated part (log
  // scale for exponential buckets, linear for custom and zero buckets);
  // buckets with an infinite bound are kept or dropped whole, except an NHCB
  // first bucket with a positive bound, taken to start at 0. If anything was
  // trimmed, count and sum are re-estimated from bucket midpoints and the
  // histogram is compacted.
  void TrimBuckets(double rhs, bool is_upper_trim);
  // Whether any count, the sum or a custom bound is +-Inf (Prometheus's
  // HasOverflow; avg falls back to incremental mean then).
  bool HasOverflow() const;
  // What the zero bucket would count if zero_threshold were raised to
  // `larger_threshold` (>= zero_threshold), merging the buckets it covers;
  // *adjusted_threshold is larger_threshold moved up to the bound of a
  // populated bucket it would cut (Prometheus's zeroCountForLargerThreshold).
  double ZeroCountForLargerThreshold(double larger_threshold, double* adjusted_threshold) const;
  // Widens this histogram's zero bucket to cover other's and vice versa
  // (Prometheus's reconcileZeroBuckets); returns the zero count other would
  // have with the common threshold. `compensation` (may be null) follows.
  double ReconcileZeroBuckets(const FloatHistogram& other, FloatHistogram* compensation);
};

}  // namespace promethium
