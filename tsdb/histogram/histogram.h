// Histogram: a native histogram sample with integer bucket counts, as
// Prometheus's model/histogram.Histogram. This is what instrumented
// programs expose (protobuf scrape, remote write) and what integer
// histogram chunks store. PromQL computes on FloatHistogram
// (float_histogram.h); ToFloat converts.
//
// Layout, as in Prometheus:
//  - exponential schemas kMinExponentialSchema..kMaxExponentialSchema: bucket
//    index i of schema s has the upper bound 2^(i * 2^-s) (lower bound
//    exclusive, upper inclusive); positive and negative buckets, plus a zero
//    bucket [-zero_threshold, zero_threshold];
//  - the custom-bucket schema kCustomBucketsSchema (NHCB): only positive
//    buckets, whose upper bounds are custom_values (sorted, strictly
//    increasing; the last bucket's upper bound is +Inf and is not listed);
//    no zero bucket and no negative buckets.
//  - populated buckets are described by spans: each span skips `offset`
//    buckets after the previous span (the first span's offset is the index
//    of its first bucket) and covers `length` consecutive buckets;
//  - Histogram's bucket counts are delta-encoded: each is the difference to
//    the previous bucket of the same side (the first is absolute).
//
// Thread-safety: a plain value; copy to share between threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tsdb/base/status.h"

namespace promethium {

struct FloatHistogram;

// What the producer says about a counter reset at this sample (Prometheus's
// histogram.CounterResetHint; the numbers are those of its chunk headers).
enum class CounterResetHint : uint8_t {
  kUnknown = 0,          // detect it by comparing with the previous sample
  kCounterReset = 1,     // a reset happened at this sample
  kNotCounterReset = 2,  // certainly no reset
  kGauge = 3,            // a gauge histogram: never a reset
};

inline constexpr int32_t kMinExponentialSchema = -4;
inline constexpr int32_t kMaxExponentialSchema = 8;
inline constexpr int32_t kCustomBucketsSchema = -53;

inline bool IsCustomBucketsSchema(int32_t schema) { return schema == kCustomBucketsSchema; }
inline bool IsExponentialSchema(int32_t schema) {
  return schema >= kMinExponentialSchema && schema <= kMaxExponentialSchema;
}
inline bool IsValidSchema(int32_t schema) { return IsCustomBucketsSchema(schema) || IsExponentialSchema(schema); }

// A run of populated buckets (Prometheus's histogram.Span).
struct HistogramSpan {
  int32_t offset = 0;
  uint32_t length = 0;
  friend bool operator==(const HistogramSpan&, const HistogramSpan&) = default;
};

struct Histogram {
  CounterResetHint counter_reset_hint = CounterResetHint::kUnknown;
  int32_t schema = 0;
  double zero_threshold = 0;
  uint64_t zero_count = 0;
  uint64_t count = 0;  // total observations, including NaN observations
  double sum = 0;
  std::vector<HistogramSpan> positive_spans, negative_spans;
  std::vector<int64_t> positive_buckets, negative_buckets;  // delta-encoded
  std::vector<double> custom_values;                        // only with kCustomBucketsSchema

  // The same histogram with float counts (absolute, not deltas).
  FloatHistogram ToFloat() const;
  // Structural validity: a valid schema, spans that match the bucket counts,
  // no negative absolute bucket count, count >= the sum of the buckets (more
  // only with NaN observations), and for custom buckets no negative buckets,
  // no zero bucket and enough sorted custom values. Errors carry
  // Prometheus's texts (e.g. "positive side: spans need 3 buckets, have 2
  // buckets: histogram spans specify different number of buckets than
  // provided"). count must equal the bucket total unless sum is NaN (a NaN
  // observation counts but lands in no bucket), then be at least it.
  Status Validate() const;
  // Exact equality (Prometheus's Histogram.Equals): spans are compared as
  // given, NaN sums are equal when their bits are.
  bool Equals(const Histogram& other) const;
  // Prometheus's String(), e.g. "{count:3, sum:5, [-1,-0.5):1, [-0.001,0.001]:1, (1,2]:1}".
  std::string ToString() const;

  // Added by the model implementation (not part of the original layout):
  bool UsesCustomBuckets() const { return IsCustomBucketsSchema(schema); }
  // As FloatHistogram::Compact (float_histogram.h), on the delta encoding.
  void Compact(int max_empty_buckets);
  // Merges buckets into the lower exponential schema target_schema. Fails for
  // custom buckets, a target >= schema, and malformed spans.
  Status ReduceResolution(int32_t target_schema);
};

}  // namespace promethium
