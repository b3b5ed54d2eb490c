// Running histogram sums and means (see histogram_accumulator.h; the
// algorithm is Prometheus's aggregation()/funcAvgOverTime for histograms).
#include "promql/engine/histogram_accumulator.h"

namespace promethium::promql {

HistogramAccumulator::HistogramAccumulator(const FloatHistogram& first) : value_(first) { Track(first); }

void HistogramAccumulator::Track(const FloatHistogram& h) {
  if (h.counter_reset_hint == CounterResetHint::kCounterReset) reset_seen_ = true;
  if (h.counter_reset_hint == CounterResetHint::kNotCounterReset) not_reset_seen_ = true;
}

bool HistogramAccumulator::KahanAdd(FloatHistogram* to, const FloatHistogram& h, std::optional<FloatHistogram>* c) {
  if (!c->has_value()) *c = to->NewCompensation();
  HistogramOpResult res;
  if (!to->KahanAdd(h, &**c, &res).ok()) {
    incompatible_ = true;
    return false;
  }
  if (res.nhcb_bounds_reconciled) nhcb_reconciled_ = true;
  return true;
}

bool HistogramAccumulator::Add(const FloatHistogram& h) {
  if (incompatible_) return false;
  Track(h);
  return KahanAdd(&value_, h, &compensation_);
}

bool HistogramAccumulator::AddToMean(const FloatHistogram& h, double count) {
  if (incompatible_) return false;
  Track(h);
  if (!mean_) {
    FloatHistogram v = value_;
    std::optional<FloatHistogram> c = compensation_;
    if (!KahanAdd(&v, h, &c)) return false;
    if (!v.HasOverflow()) {
      value_ = std::move(v);
      compensation_ = std::move(c);
      return true;
    }
    // The sum would overflow: continue with an incremental mean.
    mean_ = value_;
    mean_->Div(count - 1);
    if (compensation_) compensation_->Div(count - 1);
  }
  const double q = (count - 1) / count;
  if (compensation_) compensation_->Mul(q);
  FloatHistogram to_add = h;
  to_add.Div(count);
  mean_->Mul(q);
  return KahanAdd(&*mean_, to_add, &compensation_);
}

std::shared_ptr<FloatHistogram> HistogramAccumulator::TakeSum() {
  auto out = std::make_shared<FloatHistogram>(std::move(value_));
  // Adding the compensation cannot fail after the KahanAdds succeeded.
  if (compensation_ && !out->Add(*compensation_).ok()) incompatible_ = true;
  out->Compact(0);
  return out;
}

std::shared_ptr<FloatHistogram> HistogramAccumulator::TakeMean(double count) {
  std::shared_ptr<FloatHistogram> out;
  if (mean_) {
    out = std::make_shared<FloatHistogram>(std::move(*mean_));
    if (compensation_ && !out->Add(*compensation_).ok()) incompatible_ = true;
  } else {
    out = std::make_shared<FloatHistogram>(std::move(value_));
    out->Div(count);
    if (compensation_) {
      compensation_->Div(count);
      if (!out->Add(*compensation_).ok()) incompatible_ = true;
    }
  }
  out->Compact(0);
  return out;
}

void HistogramAccumulator::Annotate(Annotations* annos, PositionRange pos) const {
  if (counter_reset_collision()) annos->AddWarning(HistogramCounterResetCollisionWarning("aggregation"), pos);
  if (nhcb_reconciled_) annos->AddInfo(MismatchedCustomBucketsHistogramsInfo("aggregation"), pos);
}

}  // namespace promethium::promql
