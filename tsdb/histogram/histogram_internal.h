// Per-side bucket algorithms shared by Histogram and FloatHistogram
// (Prometheus's generic.go helpers): validation of spans and custom bounds,
// compaction, resolution reduction, bucket addition, and Kahan summation.
// Internal to tsdb/histogram; other modules use the methods of the structs.
//
// A "side" is one spans vector plus its bucket vector (absolute counts here);
// an optional parallel compensation vector carries Kahan terms per bucket.
//
// Thread-safety: pure functions over their arguments.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tsdb/base/status.h"
#include "tsdb/histogram/histogram.h"

namespace promethium::histogram_internal {

// Kahan-Neumaier increment (Prometheus's kahansum.Inc): returns the new sum
// (the plain sum + inc) and the new compensation term.
std::pair<double, double> KahanInc(double inc, double sum, double c);

// Go's %f (six decimals, "+Inf"/"-Inf"/"NaN"), used in error texts.
std::string FormatGoFloatF(double v);

// Prometheus's error texts (the wrapped sentinel errors).
inline constexpr const char* kErrSpansBucketsMismatch =
    "histogram spans specify different number of buckets than provided";
inline constexpr const char* kErrSpanNegativeOffset = "histogram has a span whose offset is negative";
inline constexpr const char* kErrNegativeBucketCount = "histogram has a bucket whose observation count is negative";

// checkHistogramSpans: non-first offsets >= 0 and lengths summing to n.
Status CheckSpans(const std::vector<HistogramSpan>& spans, size_t num_buckets);
// checkHistogramCustomBounds: bounds strictly increasing, finite, not NaN,
// offsets >= 0, lengths summing to n, enough bounds for the spans.
Status CheckCustomBounds(const std::vector<double>& bounds, const std::vector<HistogramSpan>& spans,
                         size_t num_buckets);

// The bucket indices the spans describe, at most num_buckets of them.
std::vector<int32_t> BucketIndices(const std::vector<HistogramSpan>& spans, size_t num_buckets);
// One span per run of consecutive indices (indices strictly increasing).
std::vector<HistogramSpan> SpansForIndices(const std::vector<int32_t>& indices);

// Compact one side (absolute counts; T is double or int64_t): drops empty
// buckets at span edges and runs of more than max_empty empty buckets, and
// joins spans at most max_empty buckets apart. A bucket is empty when its
// count and its compensation term (if any) are 0.
template <typename T>
void CompactSide(std::vector<T>* buckets, std::vector<double>* compensation, std::vector<HistogramSpan>* spans,
                 int max_empty);

// Reduce one side from origin_schema to the lower target_schema, summing the
// buckets that merge (with Kahan when `compensation` is given). Errors as
// Prometheus's reduceResolution for malformed spans.
template <typename T>
Status ReduceSide(std::vector<HistogramSpan>* spans, std::vector<T>* buckets, std::vector<double>* compensation,
                  int32_t origin_schema, int32_t target_schema);

// Add (or with `negate`, subtract) side B to side A, both in `schema`,
// inserting buckets A lacks. Leading buckets of B whose upper bound is <=
// zero_threshold (exponential schemas) are skipped: they are already counted
// in the zero bucket. With comp_a, buckets are summed with Kahan and comp_b
// (may be null) is folded in too.
void AddSide(int32_t schema, double zero_threshold, bool negate, std::vector<HistogramSpan>* spans_a,
             std::vector<double>* buckets_a, std::vector<double>* comp_a, const std::vector<HistogramSpan>& spans_b,
             const std::vector<double>& buckets_b, const std::vector<double>* comp_b);

// Whether two span lists describe the same bucket layout once zero-length
// spans are folded into the next span (Prometheus's spansMatch; spans that
// merely touch, offset 0, are not joined).
bool SpansMatch(const std::vector<HistogramSpan>& a, const std::vector<HistogramSpan>& b);

// Delta-encoded counts to absolute ones and back.
std::vector<int64_t> DeltasToAbsolute(const std::vector<int64_t>& deltas);
std::vector<int64_t> AbsoluteToDeltas(const std::vector<int64_t>& absolute);

}  // namespace promethium::histogram_internal
