// HistogramAccumulator: the running sum or mean of native histograms behind
// sum/avg and sum_over_time/avg_over_time, as Prometheus computes it:
// Kahan-compensated addition, and for means the switch from "sum, then
// divide" to an incremental mean once the sum overflows. It also records
// what the annotations need (counter-reset hints seen, custom bounds
// reconciled, incompatible schemas).
//
// Internal to the engine. Ownership: owns its histograms.
// Thread-safety: a plain value, one query.
#pragma once

#include <memory>
#include <optional>

#include "promql/engine/annotations.h"
#include "tsdb/histogram/float_histogram.h"

namespace promethium::promql {

class HistogramAccumulator {
 public:
  // Starts with the first histogram (count 1).
  explicit HistogramAccumulator(const FloatHistogram& first);

  // Adds h to the sum; false (and incompatible()) on a schema mix.
  bool Add(const FloatHistogram& h);
  // Adds h to the mean of `count` histograms (count includes h).
  bool AddToMean(const FloatHistogram& h, double count);

  // The compacted sum / mean of `count` histograms. Call once, at the end.
  std::shared_ptr<FloatHistogram> TakeSum();
  std::shared_ptr<FloatHistogram> TakeMean(double count);

  bool incompatible() const { return incompatible_; }
  bool nhcb_reconciled() const { return nhcb_reconciled_; }
  // Both a counter reset and a "not a counter reset" hint were seen.
  bool counter_reset_collision() const { return reset_seen_ && not_reset_seen_; }

  // Adds the warnings/infos this accumulation calls for at pos ("aggregation").
  void Annotate(Annotations* annos, PositionRange pos) const;

 private:
  void Track(const FloatHistogram& h);
  bool KahanAdd(FloatHistogram* to, const FloatHistogram& h, std::optional<FloatHistogram>* c);

  FloatHistogram value_;
  std::optional<FloatHistogram> compensation_;
  std::optional<FloatHistogram> mean_;  // set once the mean is incremental
  bool incompatible_ = false;
  bool nhcb_reconciled_ = false;
  bool reset_seen_ = false;
  bool not_reset_seen_ = false;
};

}  // namespace promethium::promql
