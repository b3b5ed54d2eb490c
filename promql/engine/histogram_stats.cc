#include "promql/engine/histogram_stats.h"

#include <cmath>
#include <limits>

#include "tsdb/histogram/bucket_bounds.h"
#include "tsdb/histogram/bucket_iterator.h"

namespace promethium::promql {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Kahan-Neumaier increment, as Prometheus's kahansum.Inc.
void KahanInc(double inc, double* sum, double* c) {
  volatile double t = *sum + inc;
  if (std::isinf(t)) {
    *c = 0;
  } else if (std::fabs(*sum) >= std::fabs(inc)) {
    volatile double d = *sum - t;
    *c += d + inc;
  } else {
    volatile double d = inc - t;
    *c += d + *sum;
  }
  *sum = t;
}

// Interpolates inside `bucket` at `fraction` of its count, as Prometheus.
double InterpolateQuantile(const FloatHistogram& h, const Bucket<double>& bucket, double fraction) {
  if (h.UsesCustomBuckets() || (bucket.lower <= 0 && bucket.upper >= 0)) {
    return bucket.lower + (bucket.upper - bucket.lower) * fraction;
  }
  // Exponential bounds are evenly spaced on a log scale.
  const double log_lower = std::log2(std::fabs(bucket.lower));
  const double log_upper = std::log2(std::fabs(bucket.upper));
  if (bucket.lower > 0) return std::exp2(log_lower + (log_upper - log_lower) * fraction);
  return -std::exp2(log_upper + (log_lower - log_upper) * (1 - fraction));
}

}  // namespace

HistogramQuantileResult HistogramQuantile(double q, const FloatHistogram& h) {
  HistogramQuantileResult out;
  if (q < 0) return {-kInf};
  if (q > 1) return {kInf};
  if (h.count == 0 || std::isnan(q)) return {kNaN};

  // With NaN observations the forward direction must be used: the NaNs are
  // in count but in no bucket. Otherwise the closer end is the start.
  const bool forward = std::isnan(h.sum) || q < 0.5;
  AllBucketIterator it = forward ? AllBuckets(h) : AllBucketsReverse(h);
  double rank = forward ? q * h.count : (1 - q) * h.count;
  double count = 0;
  Bucket<double> bucket;
  while (it.Next()) {
    bucket = it.At();
    if (bucket.count == 0) continue;
    count += bucket.count;
    if (count >= rank) break;
  }
  if (!h.UsesCustomBuckets() && bucket.lower < 0 && bucket.upper > 0) {
    if (h.negative_buckets.empty() && !h.positive_buckets.empty()) bucket.lower = 0;
    if (h.positive_buckets.empty() && !h.negative_buckets.empty()) bucket.upper = 0;
  } else if (h.UsesCustomBuckets()) {
    if (bucket.lower == -kInf) {
      if (bucket.upper <= 0) return {bucket.upper};
      bucket.lower = 0;
    } else if (bucket.upper == kInf) {
      return {bucket.lower};
    }
  }
  if (count > h.count) count = h.count;  // float rounding
  if (count < rank) {
    if (std::isnan(h.sum)) return {kNaN, true, false};
    // Should not happen for a consistent histogram; Prometheus falls back to
    // the upper bound of the highest bucket.
    return {bucket.upper};
  }
  rank = forward ? rank - (count - bucket.count) : count - rank;
  if (std::isnan(h.sum)) {
    double total = count;
    while (it.Next()) total += it.At().count;
    out.nan_skew = total < h.count;
  }
  out.value = InterpolateQuantile(h, bucket, rank / bucket.count);
  return out;
}

namespace {

// The rank (cumulative count) at value v inside bucket b, which starts at
// cumulative count `rank`.
double RankInside(const Bucket<double>& b, double rank, double v, bool linear) {
  if (linear) {
    // No interpolation inside a bucket reaching to -Inf: all of it counts
    // (at +Inf the formula already yields the bucket's start).
    if (b.lower == -kInf) return b.count;
    return rank + b.count * BucketFractionBelow(b, v, true);
  }
  return rank + b.count * BucketFractionBelow(b, v, false);
}

}  // namespace

HistogramFractionResult HistogramFraction(double lower, double upper, const FloatHistogram& h) {
  HistogramFractionResult out;
  if (h.count == 0 || std::isnan(lower) || std::isnan(upper)) return {kNaN};
  if (lower >= upper) return {0};
  double count = 0, rank = 0, lower_rank = 0, upper_rank = 0;
  bool lower_set = false, upper_set = false;
  AllBucketIterator it = AllBuckets(h);
  while (it.Next()) {
    Bucket<double> b = it.At();
    count += b.count;
    bool zero_bucket = false;
    if (b.lower <= 0 && b.upper >= 0) {
      zero_bucket = true;
      if (h.negative_buckets.empty() && !h.positive_buckets.empty()) b.lower = 0;
      if (h.positive_buckets.empty() && !h.negative_buckets.empty()) b.upper = 0;
    }
    const bool linear = h.UsesCustomBuckets() || zero_bucket;
    if (!lower_set && b.lower >= lower) {
      lower_rank = rank;  // lower is at or below this bucket's lower bound
      lower_set = true;
    }
    if (!upper_set && b.lower >= upper) {
      upper_rank = rank;
      upper_set = true;
    }
    if (lower_set && upper_set) break;
    if (!lower_set && b.lower < lower && b.upper > lower) {
      lower_rank = RankInside(b, rank, lower, linear);
      lower_set = true;
    }
    if (!upper_set && b.lower < upper && b.upper > upper) {
      upper_rank = RankInside(b, rank, upper, linear);
      upper_set = true;
    }
    if (lower_set && upper_set) break;
    rank += b.count;
  }
  if (std::isnan(h.sum)) {
    // NaN observations are in count but in no bucket: only bucketed
    // observations can be below upper.
    while (it.Next()) count += it.At().count;
    out.nan_observations = count < h.count;
  } else {
    count = h.count;
  }
  if (!lower_set || lower_rank > count) lower_rank = count;
  if (!upper_set || upper_rank > count) upper_rank = count;
  out.value = (upper_rank - lower_rank) / h.count;
  return out;
}

double HistogramStdVar(const FloatHistogram& h) {
  const double mean = h.sum / h.count;
  double variance = 0, compensation = 0;
  for (AllBucketIterator it = AllBuckets(h); it.Next();) {
    const Bucket<double> b = it.At();
    if (b.count == 0) continue;
    double val;
    if (h.UsesCustomBuckets()) {
      val = (b.upper + b.lower) / 2.0;
    } else if (b.lower <= 0 && b.upper >= 0) {
      val = 0;
    } else {
      val = std::sqrt(b.upper * b.lower);
      if (b.upper < 0) val = -val;
    }
    const double delta = val - mean;
    KahanInc(b.count * delta * delta, &variance, &compensation);
  }
  variance += compensation;
  return variance / h.count;
}

double HistogramStdDev(const FloatHistogram& h) { return std::sqrt(HistogramStdVar(h)); }

}  // namespace promethium::promql
