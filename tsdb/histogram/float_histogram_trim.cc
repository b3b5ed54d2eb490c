// FloatHistogram::TrimBuckets: PromQL's `</` and `>/` operators on native
// histograms (Prometheus's TrimBuckets and its helpers).
#include <cmath>
#include <utility>

#include "tsdb/histogram/bucket_bounds.h"
#include "tsdb/histogram/bucket_iterator.h"
#include "tsdb/histogram/float_histogram.h"

namespace promethium {

namespace {

// A representative point of the surviving interval [lower, upper]: the
// arithmetic mean for linear buckets, the geometric mean (signed) otherwise;
// with an infinite end, the finite end (halved if it is a positive upper).
double Midpoint(double lower, double upper, bool positive, bool linear) {
  if (std::isinf(lower)) {
    if (std::isinf(upper)) return 0;
    return upper > 0 ? upper / 2 : upper;
  }
  if (std::isinf(upper)) return lower;
  if (linear) return (lower + upper) / 2;
  const double geo = std::sqrt(std::fabs(lower * upper));
  return positive ? geo : -geo;
}

double ZeroIfInf(double x) { return std::isinf(x) ? 0 : x; }

// Kept count and midpoint for a bucket with an infinite bound.
std::pair<double, double> TrimInfiniteBucket(bool upper_trim, const Bucket<double>& b, double rhs) {
  if (std::isinf(b.lower) && b.lower < 0) {
    if (upper_trim) {
      if (rhs >= b.upper) return {b.count, 0};
      // Only NHCB has such a bucket with a finite positive upper bound: it is
      // taken to start at 0 and interpolated linearly.
      if (rhs > 0 && b.upper > 0 && !std::isinf(b.upper)) return {b.count * rhs / b.upper, rhs / 2};
      if (b.upper <= 0) return {b.count, rhs};
      return {0, ZeroIfInf(b.upper)};  // unknown distribution: drop it all
    }
    if (rhs <= b.lower) return {b.count, 0};
    if (rhs >= 0 && b.upper > rhs && !std::isinf(b.upper)) {
      return {b.count * (1 - rhs / b.upper), (rhs + b.upper) / 2};
    }
    return {0, ZeroIfInf(b.upper)};
  }
  // Upper bound +Inf.
  if (upper_trim) return {0, ZeroIfInf(b.lower)};
  if (rhs >= b.lower) return {b.count, rhs};
  return {0, ZeroIfInf(b.lower)};
}

// Kept count and midpoint of the kept part of a bucket containing rhs.
std::pair<double, double> TrimBucket(const Bucket<double>& b, double rhs, bool upper_trim, bool positive, bool linear) {
  if ((std::isinf(b.lower) && b.lower < 0) || (std::isinf(b.upper) && b.upper > 0)) {
    return TrimInfiniteBucket(upper_trim, b, rhs);
  }
  double under = 0;
  if (rhs >= b.upper) {
    under = b.count;
  } else if (rhs > b.lower) {
    under = b.count * BucketFractionBelow(b, rhs, linear);
  }
  if (upper_trim) return {under, Midpoint(b.lower, rhs, positive, linear)};
  return {b.count - under, Midpoint(rhs, b.upper, positive, linear)};
}

std::pair<double, double> TrimZeroBucket(const Bucket<double>& zero, double rhs, bool has_negative, bool has_positive,
                                         bool upper_trim) {
  double lower = zero.lower, upper = zero.upper;
  if (has_negative && !has_positive) upper = 0;
  if (has_positive && !has_negative) lower = 0;
  if (upper_trim) {
    if (rhs <= lower) return {0, 0};
    if (rhs >= upper) return {zero.count, (lower + upper) / 2};
    return {zero.count * (rhs - lower) / (upper - lower), (lower + rhs) / 2};
  }
  if (rhs <= lower) return {zero.count, (lower + upper) / 2};
  if (rhs >= upper) return {0, 0};
  return {zero.count * (upper - rhs) / (upper - lower), (rhs + upper) / 2};
}

struct TrimTotals {
  double count = 0, sum = 0;
  bool trimmed = false;
};

// Trims one side in place; returns whether the side had populated buckets.
bool TrimSide(const FloatHistogram& h, bool positive, double rhs, bool upper_trim, std::vector<double>* buckets,
              TrimTotals* totals) {
  const bool linear = h.UsesCustomBuckets();
  bool populated = false;
  size_t i = 0;
  for (auto it = positive ? PositiveBuckets(h) : NegativeBuckets(h); it.Next(); ++i) {
    const Bucket<double> b = it.At();
    if (b.count == 0) continue;
    populated = true;
    const bool keep_all = upper_trim ? b.upper <= rhs : b.lower >= rhs;
    const bool contains = upper_trim ? b.lower < rhs : b.upper > rhs;
    if (keep_all) {
      totals->count += b.count;
      totals->sum += Midpoint(b.lower, b.upper, positive, linear) * b.count;
    } else if (contains) {
      const auto [keep, mid] = TrimBucket(b, rhs, upper_trim, positive, linear);
      totals->count += keep;
      totals->sum += mid * keep;
      if ((*buckets)[i] != keep) {
        (*buckets)[i] = keep;
        totals->trimmed = true;
      }
    } else {
      (*buckets)[i] = 0;
      totals->trimmed = true;
    }
  }
  return populated;
}

}  // namespace

void FloatHistogram::TrimBuckets(double rhs, bool is_upper_trim) {
  // The iterators read the bucket vectors, so trim into copies.
  std::vector<double> positive = positive_buckets, negative = negative_buckets;
  TrimTotals totals;
  const bool has_positive = TrimSide(*this, true, rhs, is_upper_trim, &positive, &totals);
  const bool has_negative = TrimSide(*this, false, rhs, is_upper_trim, &negative, &totals);
  positive_buckets = std::move(positive);
  negative_buckets = std::move(negative);
  if (zero_count > 0) {
    const auto [keep, mid] = TrimZeroBucket(ZeroBucket(*this), rhs, has_negative, has_positive, is_upper_trim);
    if (zero_count != keep) {
      zero_count = keep;
      totals.trimmed = true;
    }
    totals.sum += mid * keep;
    totals.count += keep;
  }
  if (!totals.trimmed) return;
  count = totals.count;
  sum = totals.sum;
  Compact(0);
}

}  // namespace promethium
