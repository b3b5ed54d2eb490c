// Numeric helpers shared by aggregations and functions: compensated
// summation, quantiles and linear regression, with Prometheus's semantics.
//
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <vector>

#include "tsdb/api/sample.h"

namespace promethium::promql {

// Neumaier-compensated summation step (Prometheus's kahansum.Inc).
void KahanInc(double inc, double* sum, double* c);
// Prometheus's quantile() over floats: linear interpolation between ranks;
// q < 0 gives -Inf, q > 1 gives +Inf, NaN q or no values give NaN. Sorts.
double Quantile(double q, std::vector<double>* values);
// Least-squares slope and intercept of samples, x in seconds relative to
// intercept_time (Prometheus's linearRegression).
void LinearRegression(std::span<const Sample> samples, int64_t intercept_time, double* slope, double* intercept);

}  // namespace promethium::promql
