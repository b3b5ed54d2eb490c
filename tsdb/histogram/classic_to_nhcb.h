// ClassicHistogramConverter: turns one classic histogram sample (its `le`
// buckets with cumulative counts, its _count and its _sum, all at the same
// timestamp) into a native histogram with custom buckets (NHCB, schema
// kCustomBucketsSchema), as Prometheus's util/convertnhcb.TempHistogram.
// Scrapes that convert classic histograms and the `load_with_nhcb` command of
// PromQL test scripts use it.
//
// The result has one bucket per `le` bound: custom_values are the finite
// bounds in increasing order, the last bucket's bound is +Inf (implied, never
// listed; when no `le="+Inf"` bucket was given, one holding the _count is
// added). Bucket counts are the differences of the cumulative counts. Empty
// buckets are dropped as Prometheus's Compact does: for the integer form,
// runs of more than two empty buckets between populated ones and all empty
// buckets at the edges; for the float form, every empty bucket.
//
// Buckets may be given in any order; a duplicate bound keeps its first count.
// The first invalid input (a NaN bound, a negative count, cumulative counts
// that decrease with the bound) makes every later call and Convert return that
// error, with Prometheus's texts ("count is not cumulative: 3 < 5", ...).
//
// Thread-safety: a plain value; not safe for concurrent mutation.
#pragma once

#include <optional>
#include <vector>

#include "tsdb/base/result.h"
#include "tsdb/base/status.h"
#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram.h"

namespace promethium {

// Exactly one of the two is set: `integer` when every bucket count and the
// total count are integers, else `floating`.
struct ConvertedNhcb {
  std::optional<Histogram> integer;
  std::optional<FloatHistogram> floating;

  // The histogram as FloatHistogram, whichever form it has.
  FloatHistogram AsFloat() const;
};

class ClassicHistogramConverter {
 public:
  // The `le` bucket with upper bound `upper_bound` holds `cumulative_count`
  // observations (those <= upper_bound).
  Status SetBucketCount(double upper_bound, double cumulative_count);
  // The _count sample. Without one, the highest bucket's count is used.
  Status SetCount(double count);
  // The _sum sample (0 when absent).
  Status SetSum(double sum);

  // The first error of the calls above, or OK.
  const Status& status() const { return status_; }
  // Forgets everything, to collect the next sample.
  void Reset();

  // The native histogram of what was collected. Fails with the sticky error,
  // or when the _count differs from the +Inf bucket's count ("count mismatch:
  // count=5 != le=+Inf count=4").
  Result<ConvertedNhcb> Convert() const;

 private:
  struct Bucket {
    double upper_bound;
    double cumulative_count;
  };

  Status Fail(Status s);

  std::vector<Bucket> buckets_;  // sorted by upper_bound, no duplicates
  double count_ = 0;
  double sum_ = 0;
  bool has_count_ = false;
  Status status_;
};

}  // namespace promethium
