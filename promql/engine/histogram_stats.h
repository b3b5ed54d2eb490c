// Statistics PromQL computes over one native histogram, as Prometheus 3.x
// does (promql/quantile.go HistogramQuantile/HistogramFraction and
// functions.go histogramVariance): histogram_quantile, histogram_fraction,
// histogram_stddev and histogram_stdvar. Pure functions over a
// FloatHistogram; the caller turns the reported conditions into annotations.
//
// Interpolation follows Prometheus: exponential buckets interpolate on a log2
// scale, custom buckets (NHCB) and the zero bucket linearly; a zero bucket of
// a histogram with only positive (negative) buckets is taken to start (end)
// at 0.
//
// Thread-safety: pure functions.
#pragma once

#include "tsdb/histogram/float_histogram.h"

namespace promethium::promql {

struct HistogramQuantileResult {
  double value = 0;
  // The rank lies beyond the bucketed observations because of NaN
  // observations: value is NaN (Prometheus's info "result of
  // histogram_quantile is NaN due to NaN observations").
  bool nan_result = false;
  // NaN observations (sum NaN, count above the bucket total) skew the
  // result (Prometheus's info about quantiles skewed by NaN observations).
  bool nan_skew = false;
};

// The q-quantile of h. q < 0 gives -Inf, q > 1 +Inf, q NaN or an empty
// histogram NaN. For custom buckets, a quantile in the first bucket (lower
// bound -Inf) interpolates from 0 (or returns its upper bound if that is
// <= 0), one in the +Inf bucket returns the bucket's lower bound.
HistogramQuantileResult HistogramQuantile(double q, const FloatHistogram& h);

struct HistogramFractionResult {
  double value = 0;
  // NaN observations (sum NaN) are excluded from the buckets but counted in
  // count (Prometheus's info about histogram_fraction and NaN observations).
  bool nan_observations = false;
};

// The estimated fraction of observations in (lower, upper]. NaN for an
// empty histogram or a NaN bound, 0 when lower >= upper.
HistogramFractionResult HistogramFraction(double lower, double upper, const FloatHistogram& h);

// The estimated variance of the observations: each bucket's count placed at
// its representative point (arithmetic mean for custom buckets, 0 for the
// zero bucket, geometric mean for exponential buckets, sign kept for
// negative ones), around the mean sum/count, summed with Kahan compensation.
double HistogramStdVar(const FloatHistogram& h);
// sqrt(HistogramStdVar(h)).
double HistogramStdDev(const FloatHistogram& h);

}  // namespace promethium::promql
