// Iterators over the buckets of a Histogram or FloatHistogram, yielding
// Bucket<T> values with bounds (Prometheus's BucketIterator family):
//  - PositiveBuckets / NegativeBuckets: one side, starting next to the zero
//    bucket and moving away from it (negative buckets go downwards);
//  - PositiveBucketsReverse / NegativeBucketsReverse: one side, moving
//    towards the zero bucket;
//  - AllBuckets: negative, zero (if populated) and positive buckets in
//    ascending order; AllBucketsReverse: the same, descending. Both clamp a
//    bucket overlapping the zero bucket to the zero threshold;
//  - CumulativeBuckets (Histogram without negative buckets): the zero bucket
//    then every positive bucket including unpopulated gaps, with cumulative
//    counts and lower bound -Inf.
// Usage: `for (auto it = PositiveBuckets(h); it.Next();) use(it.At());`
//
// Ownership: an iterator points into the histogram it was made from, which
// must outlive it and not change meanwhile. Thread-safety: none (a cursor).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "tsdb/histogram/bucket_bounds.h"
#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram.h"

namespace promethium {

// The bucket with `index` on one side, its bounds per Prometheus: exponential
// buckets are (lower, upper] on the positive and [lower, upper) on the
// negative side; custom buckets are (lower, upper], the first [-Inf, upper].
template <typename T>
Bucket<T> MakeBucket(int32_t index, T count, int32_t schema, bool positive, const std::vector<double>& custom_values) {
  Bucket<T> b;
  b.count = count;
  b.index = index;
  if (positive) {
    b.upper = BucketBound(index, schema, custom_values);
    b.lower = BucketBound(index - 1, schema, custom_values);
  } else {
    b.lower = -BucketBound(index, schema, custom_values);
    b.upper = -BucketBound(index - 1, schema, custom_values);
  }
  if (IsCustomBucketsSchema(schema)) {
    b.lower_inclusive = index == 0;
    b.upper_inclusive = true;
  } else {
    b.lower_inclusive = b.lower < 0;
    b.upper_inclusive = b.upper > 0;
  }
  return b;
}

// Forward iteration over one side. `Stored` is the element type of the
// bucket vector; with `delta` the stored values are deltas (Histogram).
template <typename T, typename Stored>
class SideBucketIterator {
 public:
  SideBucketIterator(const std::vector<HistogramSpan>& spans, const std::vector<Stored>& buckets, int32_t schema,
                     bool positive, const std::vector<double>& custom_values, bool delta)
      : spans_(&spans),
        buckets_(&buckets),
        custom_values_(&custom_values),
        schema_(schema),
        positive_(positive),
        delta_(delta) {}

  bool Next() {
    if (span_idx_ >= spans_->size()) return false;
    if (!started_) {
      // The first span's offset is absolute, the others relative.
      started_ = true;
      index_ = (*spans_)[0].offset;
    } else {
      ++index_;
    }
    while (in_span_ >= (*spans_)[span_idx_].length) {
      // Also skips pathological zero-length spans.
      in_span_ = 0;
      if (++span_idx_ >= spans_->size()) return false;
      index_ += (*spans_)[span_idx_].offset;
    }
    if (bucket_idx_ >= buckets_->size()) return false;  // only an invalid histogram has too few buckets
    const Stored v = (*buckets_)[bucket_idx_++];
    count_ = delta_ ? count_ + v : v;
    ++in_span_;
    return true;
  }

  Bucket<T> At() const { return MakeBucket<T>(index_, static_cast<T>(count_), schema_, positive_, *custom_values_); }
  int32_t index() const { return index_; }
  Stored raw_count() const { return count_; }

 private:
  const std::vector<HistogramSpan>* spans_;
  const std::vector<Stored>* buckets_;
  const std::vector<double>* custom_values_;
  int32_t schema_;
  bool positive_, delta_;
  bool started_ = false;
  size_t span_idx_ = 0, bucket_idx_ = 0;
  uint32_t in_span_ = 0;
  int32_t index_ = 0;
  Stored count_ = 0;
};

// Backward iteration over one side of a FloatHistogram (absolute counts).
class ReverseSideBucketIterator {
 public:
  ReverseSideBucketIterator(const std::vector<HistogramSpan>& spans, const std::vector<double>& buckets, int32_t schema,
                            bool positive, const std::vector<double>& custom_values);
  bool Next();
  Bucket<double> At() const { return MakeBucket<double>(index_, count_, schema_, positive_, *custom_values_); }

 private:
  const std::vector<HistogramSpan>* spans_;
  const std::vector<double>* buckets_;
  const std::vector<double>* custom_values_;
  int32_t schema_;
  bool positive_;
  int64_t span_idx_, bucket_idx_, in_span_;
  int32_t index_ = 0;  // one past the next bucket's index until Next()
  double count_ = 0;
};

// All buckets of a FloatHistogram in ascending (or descending) order.
class AllBucketIterator {
 public:
  AllBucketIterator(const FloatHistogram& h, bool ascending);
  bool Next();
  Bucket<double> At() const { return current_; }

 private:
  const FloatHistogram* h_;
  bool ascending_;
  ReverseSideBucketIterator toward_zero_;              // negative (ascending) or positive (descending)
  SideBucketIterator<double, double> away_from_zero_;  // positive (ascending) or negative (descending)
  int state_ = -1;                                     // -1: first side, 0: zero bucket, 1: second side, 2: done
  Bucket<double> current_;
};

// Cumulative buckets of a Histogram without negative buckets.
class CumulativeBucketIterator {
 public:
  explicit CumulativeBucketIterator(const Histogram& h) : h_(&h) {}
  bool Next();
  Bucket<uint64_t> At() const;

 private:
  const Histogram* h_;
  int64_t span_idx_ = -1;  // -1: the zero bucket is next
  size_t bucket_idx_ = 0;
  uint32_t in_span_ = 0;
  bool initialized_ = false;
  int32_t next_index_ = 0;
  double upper_ = 0;
  int64_t count_ = 0;
  uint64_t cumulative_ = 0;
  int32_t empty_left_ = 0;
};

using FloatBucketIterator = SideBucketIterator<double, double>;
using IntBucketIterator = SideBucketIterator<uint64_t, int64_t>;

inline FloatBucketIterator PositiveBuckets(const FloatHistogram& h) {
  return {h.positive_spans, h.positive_buckets, h.schema, true, h.custom_values, false};
}
inline FloatBucketIterator NegativeBuckets(const FloatHistogram& h) {
  return {h.negative_spans, h.negative_buckets, h.schema, false, h.custom_values, false};
}
inline IntBucketIterator PositiveBuckets(const Histogram& h) {
  return {h.positive_spans, h.positive_buckets, h.schema, true, h.custom_values, true};
}
inline IntBucketIterator NegativeBuckets(const Histogram& h) {
  return {h.negative_spans, h.negative_buckets, h.schema, false, h.custom_values, true};
}
inline ReverseSideBucketIterator PositiveBucketsReverse(const FloatHistogram& h) {
  return {h.positive_spans, h.positive_buckets, h.schema, true, h.custom_values};
}
inline ReverseSideBucketIterator NegativeBucketsReverse(const FloatHistogram& h) {
  return {h.negative_spans, h.negative_buckets, h.schema, false, h.custom_values};
}
inline AllBucketIterator AllBuckets(const FloatHistogram& h) { return AllBucketIterator(h, true); }
inline AllBucketIterator AllBucketsReverse(const FloatHistogram& h) { return AllBucketIterator(h, false); }
// The zero bucket [-zero_threshold, zero_threshold] (exponential schemas only).
template <typename H>
auto ZeroBucket(const H& h) {
  Bucket<decltype(h.zero_count)> b;
  b.lower = -h.zero_threshold;
  b.upper = h.zero_threshold;
  b.lower_inclusive = b.upper_inclusive = true;
  b.count = h.zero_count;
  return b;
}

}  // namespace promethium
