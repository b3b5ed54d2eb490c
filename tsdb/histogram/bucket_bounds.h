// Bucket boundaries of native histograms, as Prometheus's
// model/histogram/generic.go computes them: the bounds of exponential
// schemas (bit-exact with Prometheus, which matters because PromQL prints and
// compares them) and of custom-bucket (NHCB) schemas, the mapping of bucket
// indices to a coarser schema, and the Bucket value the bucket iterators
// (bucket_iterator.h) yield.
//
// Thread-safety: pure functions over immutable data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tsdb/histogram/histogram.h"

namespace promethium {

// Schemas Prometheus accepts on ingestion and reduces to the nearest
// supported exponential schema (Prometheus's IsKnownSchema).
inline constexpr int32_t kMinExponentialSchemaReserved = -9;
inline constexpr int32_t kMaxExponentialSchemaReserved = 52;

inline bool IsExponentialSchemaReserved(int32_t schema) {
  return schema >= kMinExponentialSchemaReserved && schema <= kMaxExponentialSchemaReserved;
}
inline bool IsKnownSchema(int32_t schema) {
  return IsCustomBucketsSchema(schema) || IsExponentialSchemaReserved(schema);
}

// Prometheus's text for an invalid schema ("histogram has an invalid schema,
// which must be between -4 and 8 for exponential buckets, or -53 for custom
// buckets, got schema 9").
std::string InvalidSchemaMessage(int32_t schema);

// Exact element-wise equality of two custom-bound lists (Prometheus's
// CustomBucketBoundsMatch).
bool CustomBucketBoundsMatch(const std::vector<double>& a, const std::vector<double>& b);

// The upper bound of bucket `index` in exponential schema `schema`
// (kMinExponentialSchema..kMaxExponentialSchema): 2^(index * 2^-schema). The
// last finite bucket's bound is DBL_MAX rather than +Inf, so that only the
// next bucket (observations of +-Inf) has the bound +Inf, as in Prometheus.
// Any other schema gives NaN.
double ExponentialBucketBound(int32_t index, int32_t schema);

// The upper bound of bucket `index` for any valid schema. For custom buckets,
// index -1 is -Inf, index custom_values.size() is +Inf, and other indices
// outside [-1, size] are a programming error (asserted).
double BucketBound(int32_t index, int32_t schema, const std::vector<double>& custom_values);

// The index in the coarser schema `target_schema` (<= origin_schema) of the
// bucket that contains bucket `index` of `origin_schema`.
inline int32_t TargetBucketIndex(int32_t index, int32_t origin_schema, int32_t target_schema) {
  return ((index - 1) >> (origin_schema - target_schema)) + 1;
}

// One bucket with its bounds and count (Prometheus's histogram.Bucket). For
// cumulative iteration `lower` is -Inf and `count` includes all buckets below.
// `index` is the bucket index in its schema (meaningless for the zero bucket).
template <typename T>
struct Bucket {
  double lower = 0, upper = 0;
  bool lower_inclusive = false, upper_inclusive = false;
  T count = 0;
  int32_t index = 0;
};

// Prometheus's Bucket.String(): "(1,2]:3", bounds printed as Go's %g and the
// count as Go's %v.
std::string BucketToString(const Bucket<double>& b);
std::string BucketToString(const Bucket<uint64_t>& b);

// The fraction (0..1) of bucket b's width at or below v, for v strictly inside
// b's finite bounds (Prometheus's Bucket.FractionBelow): linear interpolation
// when `linear` (custom buckets, zero bucket), otherwise on a log2 scale
// (exponential buckets; negative buckets are mirrored).
double BucketFractionBelow(const Bucket<double>& b, double v, bool linear);

// Go's fmt verbs for float64, which Prometheus's String() methods use: %g
// switches to exponent form from 1e+06 (and below 1e-04), %v from 1e+21.
std::string FormatGoFloatG(double v);
std::string FormatGoFloatV(double v);

}  // namespace promethium
