// Range-vector functions over windows holding native histograms: rate,
// increase, delta (Prometheus's histogramRate), irate/idelta, sum/avg/count/
// last/first/present/ts_of_*_over_time, changes and resets, with
// Prometheus's annotations where histograms and floats meet.
#include <cmath>
#include <memory>

#include "promql/engine/histogram_accumulator.h"
#include "promql/engine/range_window.h"

namespace promethium::promql {

bool AddHistogram(FloatHistogram* a, const FloatHistogram& b) { return a->Add(b).ok(); }

namespace {

bool IsGauge(const FloatHistogram& h) { return h.counter_reset_hint == CounterResetHint::kGauge; }

void Warn(const Window& w, const std::string& text) { w.ctx->annotations.AddWarning(text, w.pos); }
void Info(const Window& w, const std::string& text) { w.ctx->annotations.AddInfo(text, w.pos); }

// A copy of h in the lower schema `schema` (h itself when already there).
std::shared_ptr<FloatHistogram> CopyToSchema(const FloatHistogram& h, int32_t schema) {
  if (IsExponentialSchema(schema) && h.schema > schema) {
    Result<FloatHistogram> reduced = h.CopyToSchema(schema);
    if (reduced.ok()) return std::make_shared<FloatHistogram>(std::move(reduced).value());
  }
  return std::make_shared<FloatHistogram>(h);
}

// Prometheus's histogramRate: last - first, corrected for counter resets
// when is_counter; nullptr (with a warning) when the layouts are
// incompatible. The result is a compacted gauge histogram.
std::shared_ptr<FloatHistogram> HistogramRate(const Window& w, bool is_counter) {
  const auto& pts = w.hpts;
  const FloatHistogram* prev = pts.front().h.get();
  const FloatHistogram& last = *pts.back().h;
  FloatHistogram empty_prev;
  bool custom = IsCustomBucketsSchema(prev->schema);
  if (is_counter && (IsGauge(*prev) || IsGauge(last))) Warn(w, NativeHistogramNotCounterWarning(w.metric_name));
  if (is_counter && pts[1].h->DetectReset(*prev)) {
    // A reset between the first two: the first one's layout does not matter.
    empty_prev.schema = pts[1].h->schema;
    empty_prev.custom_values = pts[1].h->custom_values;
    prev = &empty_prev;
    custom = IsCustomBucketsSchema(prev->schema);
  }
  if (IsCustomBucketsSchema(last.schema) != custom) {
    Warn(w, MixedExponentialCustomHistogramsWarning(w.metric_name));
    return nullptr;
  }
  int32_t min_schema = std::min(last.schema, prev->schema);
  for (size_t i = 1; i + 1 < pts.size(); ++i) {
    const FloatHistogram& curr = *pts[i].h;
    if (!is_counter) continue;
    if (IsGauge(curr)) Warn(w, NativeHistogramNotCounterWarning(w.metric_name));
    min_schema = std::min(min_schema, curr.schema);
    if (IsCustomBucketsSchema(curr.schema) != custom) {
      Warn(w, MixedExponentialCustomHistogramsWarning(w.metric_name));
      return nullptr;
    }
  }
  auto h = CopyToSchema(last, min_schema);
  HistogramOpResult res;
  if (!h->Sub(*prev, &res).ok()) {
    Warn(w, MixedExponentialCustomHistogramsWarning(w.metric_name));
    return nullptr;
  }
  if (res.nhcb_bounds_reconciled) Info(w, MismatchedCustomBucketsHistogramsInfo("subtraction"));
  if (is_counter) {
    const FloatHistogram* p = prev;
    for (size_t i = 1; i < pts.size(); ++i) {
      const FloatHistogram& curr = *pts[i].h;
      if (curr.DetectReset(*p)) {
        if (!h->Add(*p, &res).ok()) {
          Warn(w, MixedExponentialCustomHistogramsWarning(w.metric_name));
          return nullptr;
        }
        if (res.nhcb_bounds_reconciled) Info(w, MismatchedCustomBucketsHistogramsInfo("addition"));
      }
      p = &curr;
    }
  } else if (!IsGauge(*pts.front().h) || !IsGauge(last)) {
    Warn(w, NativeHistogramNotGaugeWarning(w.metric_name));
  }
  h->counter_reset_hint = CounterResetHint::kGauge;
  h->Compact(0);
  return h;
}

// extrapolatedRate for a window of histograms only.
Result<WindowValue> ExtrapolatedHistogramRate(const Window& w, bool is_counter, bool is_rate) {
  if (!w.pts.empty()) {
    Warn(w, MixedFloatsHistogramsWarning(w.metric_name));
    return WindowValue{};
  }
  const auto& s = w.hpts;
  if (s.size() < 2) return WindowValue{};
  std::shared_ptr<FloatHistogram> result = HistogramRate(w, is_counter);
  if (result == nullptr) return WindowValue{};
  double to_start = static_cast<double>(s.front().t - w.range_start) / 1000;
  double to_end = static_cast<double>(w.range_end - s.back().t) / 1000;
  double sampled = static_cast<double>(s.back().t - s.front().t) / 1000;
  double avg = sampled / static_cast<double>(s.size() - 1);
  double threshold = avg * 1.1;
  if (to_start >= threshold) to_start = avg / 2;
  if (is_counter && result->count > 0 && s.front().h->count >= 0) {
    double to_zero = sampled * (s.front().h->count / result->count);
    if (to_zero < to_start) to_start = to_zero;
  }
  if (to_end >= threshold) to_end = avg / 2;
  double factor = sampled != 0 ? (sampled + to_start + to_end) / sampled : 1.0;
  if (is_rate) factor /= static_cast<double>(w.range_ms) / 1000;
  result->Mul(factor);
  return WindowValue{std::nullopt, std::move(result)};
}

// irate/idelta: the last two samples, floats and histograms interleaved.
Result<WindowValue> InstantHistogramValue(const Window& w, bool is_rate) {
  if (w.pts.size() + w.hpts.size() < 2) return WindowValue{};
  // The two newest samples of either kind, oldest first.
  struct Pt {
    int64_t t;
    double f;
    const FloatHistogram* h;
  };
  std::vector<Pt> all;
  for (size_t i = w.pts.size() > 2 ? w.pts.size() - 2 : 0; i < w.pts.size(); ++i) {
    all.push_back({w.pts[i].t, w.pts[i].v, nullptr});
  }
  for (size_t i = w.hpts.size() > 2 ? w.hpts.size() - 2 : 0; i < w.hpts.size(); ++i) {
    all.push_back({w.hpts[i].t, 0, w.hpts[i].h.get()});
  }
  std::sort(all.begin(), all.end(), [](const Pt& a, const Pt& b) { return a.t < b.t; });
  const Pt& p0 = all[all.size() - 2];
  const Pt& p1 = all.back();
  const int64_t interval = p1.t - p0.t;
  if (interval == 0) return WindowValue{};
  if ((p0.h == nullptr) != (p1.h == nullptr)) {
    Warn(w, MixedFloatsHistogramsWarning(w.metric_name));
    return WindowValue{};
  }
  if (p0.h == nullptr) {
    double v = p1.f;
    if (!is_rate || !(p1.f < p0.f)) v = p1.f - p0.f;
    if (is_rate) v /= static_cast<double>(interval) / 1000;
    return WindowValue{v, nullptr};
  }
  auto h = std::make_shared<FloatHistogram>(*p1.h);
  if (is_rate && (IsGauge(*p1.h) || IsGauge(*p0.h))) Warn(w, NativeHistogramNotCounterWarning(w.metric_name));
  if (!is_rate && (!IsGauge(*p1.h) || !IsGauge(*p0.h))) Warn(w, NativeHistogramNotGaugeWarning(w.metric_name));
  if (!is_rate || !p1.h->DetectReset(*p0.h)) {
    HistogramOpResult res;
    if (!h->Sub(*p0.h, &res).ok()) {
      Warn(w, MixedExponentialCustomHistogramsWarning(w.metric_name));
      return WindowValue{};
    }
    if (res.nhcb_bounds_reconciled) Info(w, MismatchedCustomBucketsHistogramsInfo("subtraction"));
  }
  h->counter_reset_hint = CounterResetHint::kGauge;
  h->Compact(0);
  if (is_rate) h->Div(static_cast<double>(interval) / 1000);
  return WindowValue{std::nullopt, std::move(h)};
}

}  // namespace

Result<WindowValue> HistRate(const Window& w) { return ExtrapolatedHistogramRate(w, true, true); }
Result<WindowValue> HistIncrease(const Window& w) { return ExtrapolatedHistogramRate(w, true, false); }
Result<WindowValue> HistDelta(const Window& w) { return ExtrapolatedHistogramRate(w, false, false); }
Result<WindowValue> HistIrate(const Window& w) { return InstantHistogramValue(w, true); }
Result<WindowValue> HistIdelta(const Window& w) { return InstantHistogramValue(w, false); }

// sum_over_time/avg_over_time of a histogram-only window.
Result<WindowValue> SumOrAvgOverTime(const Window& w, bool avg) {
  if (!w.pts.empty()) {
    Warn(w, MixedFloatsHistogramsWarning(w.metric_name));
    return WindowValue{};
  }
  HistogramAccumulator acc(*w.hpts[0].h);
  for (size_t i = 1; i < w.hpts.size(); ++i) {
    const bool ok = avg ? acc.AddToMean(*w.hpts[i].h, static_cast<double>(i + 1)) : acc.Add(*w.hpts[i].h);
    if (!ok) {
      Warn(w, MixedExponentialCustomHistogramsWarning(w.metric_name));
      return WindowValue{};
    }
  }
  auto out = avg ? acc.TakeMean(static_cast<double>(w.hpts.size())) : acc.TakeSum();
  acc.Annotate(&w.ctx->annotations, w.pos);
  return WindowValue{std::nullopt, std::move(out)};
}

Result<WindowValue> HistSumOverTime(const Window& w) { return SumOrAvgOverTime(w, false); }
Result<WindowValue> HistAvgOverTime(const Window& w) { return SumOrAvgOverTime(w, true); }

Result<WindowValue> HistCountOverTime(const Window& w) {
  return WindowValue{static_cast<double>(w.pts.size() + w.hpts.size()), nullptr};
}

Result<WindowValue> HistPresentOverTime(const Window&) { return WindowValue{1.0, nullptr}; }

Result<WindowValue> HistLastOverTime(const Window& w) {
  if (w.hpts.empty() || (!w.pts.empty() && w.hpts.back().t < w.pts.back().t))
    return WindowValue{w.pts.back().v, nullptr};
  return WindowValue{std::nullopt, w.hpts.back().h};
}

Result<WindowValue> HistFirstOverTime(const Window& w) {
  if (w.hpts.empty() || (!w.pts.empty() && w.pts.front().t < w.hpts.front().t)) {
    return WindowValue{w.pts.front().v, nullptr};
  }
  return WindowValue{std::nullopt, w.hpts.front().h};
}

Result<WindowValue> HistTsOfLastOverTime(const Window& w) {
  int64_t t = w.hpts.empty() ? w.pts.back().t : w.hpts.back().t;
  if (!w.pts.empty()) t = std::max(t, w.pts.back().t);
  return WindowValue{static_cast<double>(t) / 1000, nullptr};
}

Result<WindowValue> HistTsOfFirstOverTime(const Window& w) {
  int64_t t = w.hpts.empty() ? w.pts.front().t : w.hpts.front().t;
  if (!w.pts.empty()) t = std::min(t, w.pts.front().t);
  return WindowValue{static_cast<double>(t) / 1000, nullptr};
}

namespace {

// Walks the window's samples of both kinds in time order, calling
// f(prev_f, prev_h, cur_f, cur_h) for each consecutive pair.
template <typename F>
void ForEachPair(const Window& w, F&& f) {
  size_t i = 0, j = 0;
  bool have_prev = false;
  double pf = 0;
  const FloatHistogram* ph = nullptr;
  while (i < w.pts.size() || j < w.hpts.size()) {
    double cf = 0;
    const FloatHistogram* ch = nullptr;
    if (j >= w.hpts.size() || (i < w.pts.size() && w.pts[i].t < w.hpts[j].t)) {
      cf = w.pts[i++].v;
    } else {
      ch = w.hpts[j++].h.get();
    }
    if (have_prev) f(pf, ph, cf, ch);
    have_prev = true;
    pf = cf;
    ph = ch;
  }
}

}  // namespace

Result<WindowValue> HistChanges(const Window& w) {
  double n = 0;
  ForEachPair(w, [&n](double pf, const FloatHistogram* ph, double cf, const FloatHistogram* ch) {
    if (ph == nullptr && ch == nullptr) {
      if (cf != pf && !(std::isnan(cf) && std::isnan(pf))) n++;
    } else if (ph == nullptr || ch == nullptr) {
      n++;
    } else if (!ch->Equals(*ph)) {
      n++;
    }
  });
  return WindowValue{n, nullptr};
}

Result<WindowValue> HistResets(const Window& w) {
  double n = 0;
  ForEachPair(w, [&n](double pf, const FloatHistogram* ph, double cf, const FloatHistogram* ch) {
    if (ph == nullptr && ch == nullptr) {
      if (cf < pf) n++;
    } else if (ph == nullptr || ch == nullptr) {
      n++;
    } else if (ch->DetectReset(*ph)) {
      n++;
    }
  });
  return WindowValue{n, nullptr};
}

}  // namespace promethium::promql
