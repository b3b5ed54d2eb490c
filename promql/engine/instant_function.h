// The shape of the engine's functions over instant vectors and scalars:
// a factory builds, per call node, a step function that maps the argument
// vectors at one step to the output vector (functions_instant.cc for the
// float functions and the dispatch table, functions_histogram.cc for the
// functions over native histograms).
//
// Internal to the engine. Ownership: the step function shares the node's
// NodeHelper (interned labels) and borrows the Evaluator and the Call for
// the node's evaluation. Thread-safety: one query.
#pragma once

#include <functional>
#include <memory>
#include <span>

#include "promql/engine/evaluator.h"

namespace promethium::promql {

struct FnCtx {
  Evaluator* ev;
  const Call* call;
  std::shared_ptr<NodeHelper> helper;
};

using InstantFn = std::function<Status(std::span<const EvVector> a, int64_t ts, EvVector* out)>;

// histogram_count/sum/avg/stddev/stdvar/fraction over native histograms
// (float samples are ignored, as in Prometheus).
InstantFn HistogramCountFn(const FnCtx& c);
InstantFn HistogramSumFn(const FnCtx& c);
InstantFn HistogramAvgFn(const FnCtx& c);
InstantFn HistogramStddevFn(const FnCtx& c);
InstantFn HistogramStdvarFn(const FnCtx& c);
InstantFn HistogramFractionFn(const FnCtx& c);
// One native-histogram quantile, annotations included; used by
// histogram_quantile(s) for the native samples of its input.
Result<double> NativeHistogramQuantile(QueryContext* ctx, double q, const FloatHistogram& h,
                                       std::string_view metric_name, PositionRange pos);

}  // namespace promethium::promql
