// Functions over range vectors: rate/increase/delta (extrapolatedRate),
// irate/idelta, changes, resets, deriv, predict_linear, the *_over_time
// family, absent_over_time and double_exponential_smoothing.
//
// Each series' samples are loaded once (Evaluator::LoadRangeArg) and a
// (ref - range, ref] window slides over them step by step.
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_set>

#include <fmt/format.h>

#include "promql/engine/evaluator.h"
#include "promql/engine/function_table.h"
#include "promql/engine/math_util.h"
#include "promql/engine/range_window.h"

namespace promethium::promql {

void LinearRegression(std::span<const Sample> samples, int64_t intercept_time, double* slope, double* intercept) {
  double n = 0, sum_x = 0, cx = 0, sum_y = 0, cy = 0, sum_xy = 0, cxy = 0, sum_x2 = 0, cx2 = 0;
  const double init_y = samples[0].v;
  bool const_y = true;
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    if (const_y && i > 0 && s.v != init_y) const_y = false;
    n += 1;
    double x = static_cast<double>(s.t - intercept_time) / 1e3;
    KahanInc(x, &sum_x, &cx);
    KahanInc(s.v, &sum_y, &cy);
    KahanInc(x * s.v, &sum_xy, &cxy);
    KahanInc(x * x, &sum_x2, &cx2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = *intercept = std::numeric_limits<double>::quiet_NaN();
      return;
    }
    *slope = 0;
    *intercept = init_y;
    return;
  }
  sum_x += cx;
  sum_y += cy;
  sum_xy += cxy;
  sum_x2 += cx2;
  double cov_xy = sum_xy - sum_x * sum_y / n;
  double var_x = sum_x2 - sum_x * sum_x / n;
  *slope = cov_xy / var_x;
  *intercept = sum_y / n - *slope * sum_x / n;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using WindowFn = Result<std::optional<double>> (*)(const Window&);

std::optional<double> ExtrapolatedRate(const Window& w, bool is_counter, bool is_rate) {
  const auto& s = w.pts;
  if (s.size() < 2) return std::nullopt;
  double result = s.back().v - s.front().v;
  if (is_counter) {
    for (size_t i = 1; i < s.size(); ++i) {
      if (s[i].v < s[i - 1].v) result += s[i - 1].v;
    }
  }
  double to_start = static_cast<double>(s.front().t - w.range_start) / 1000;
  double to_end = static_cast<double>(w.range_end - s.back().t) / 1000;
  double sampled = static_cast<double>(s.back().t - s.front().t) / 1000;
  double avg = sampled / static_cast<double>(s.size() - 1);
  double threshold = avg * 1.1;
  if (to_start >= threshold) to_start = avg / 2;
  if (is_counter && result > 0 && s.front().v >= 0) {
    double to_zero = sampled * (s.front().v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  if (to_end >= threshold) to_end = avg / 2;
  double factor = sampled != 0 ? (sampled + to_start + to_end) / sampled : 1.0;
  if (is_rate) factor /= static_cast<double>(w.range_ms) / 1000;
  return result * factor;
}

std::optional<double> InstantValue(const Window& w, bool is_rate) {
  if (w.pts.size() < 2) return std::nullopt;
  const Sample& prev = w.pts[w.pts.size() - 2];
  const Sample& last = w.pts.back();
  int64_t interval = last.t - prev.t;
  if (interval == 0) return std::nullopt;
  double v = last.v;
  if (!is_rate || !(last.v < prev.v)) v = last.v - prev.v;
  if (is_rate) v /= static_cast<double>(interval) / 1000;
  return v;
}

double AvgOverTime(std::span<const Sample> s) {
  double sum = s[0].v, count = 1, mean = 0, c = 0;
  bool incremental = false;
  for (size_t i = 1; i < s.size(); ++i) {
    count = static_cast<double>(i + 1);
    double f = s[i].v;
    if (!incremental) {
      double ns = sum, nc = c;
      KahanInc(f, &ns, &nc);
      if (!std::isinf(ns)) {
        sum = ns;
        c = nc;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    double q = (count - 1) / count;
    double m = q * mean, mc = q * c;
    KahanInc(f / count, &m, &mc);
    mean = m;
    c = mc;
  }
  if (incremental) return mean + c;
  return sum / count + c / count;
}

double VarianceOverTime(std::span<const Sample> s) {
  double count = 0, mean = 0, c_mean = 0, aux = 0, c_aux = 0;
  for (const auto& p : s) {
    count++;
    double delta = p.v - (mean + c_mean);
    KahanInc(delta / count, &mean, &c_mean);
    KahanInc(delta * (p.v - (mean + c_mean)), &aux, &c_aux);
  }
  return (aux + c_aux) / count;
}

Result<std::optional<double>> FnRate(const Window& w) { return ExtrapolatedRate(w, true, true); }
Result<std::optional<double>> FnIncrease(const Window& w) { return ExtrapolatedRate(w, true, false); }
Result<std::optional<double>> FnDelta(const Window& w) { return ExtrapolatedRate(w, false, false); }
Result<std::optional<double>> FnIrate(const Window& w) { return InstantValue(w, true); }
Result<std::optional<double>> FnIdelta(const Window& w) { return InstantValue(w, false); }
Result<std::optional<double>> FnChanges(const Window& w) {
  double n = 0;
  for (size_t i = 1; i < w.pts.size(); ++i) {
    double a = w.pts[i - 1].v, b = w.pts[i].v;
    if (a != b && !(std::isnan(a) && std::isnan(b))) n++;
  }
  return std::optional<double>(n);
}
Result<std::optional<double>> FnResets(const Window& w) {
  double n = 0;
  for (size_t i = 1; i < w.pts.size(); ++i) {
    if (w.pts[i].v < w.pts[i - 1].v) n++;
  }
  return std::optional<double>(n);
}
Result<std::optional<double>> FnDeriv(const Window& w) {
  if (w.pts.size() < 2) return std::optional<double>();
  double slope, intercept;
  LinearRegression(w.pts, w.pts[0].t, &slope, &intercept);
  return std::optional<double>(slope);
}
Result<std::optional<double>> FnPredictLinear(const Window& w) {
  if (w.pts.size() < 2) return std::optional<double>();
  double slope, intercept;
  LinearRegression(w.pts, w.ts, &slope, &intercept);
  return std::optional<double>(slope * w.scalars[0] + intercept);
}
Result<std::optional<double>> FnAvgOverTime(const Window& w) { return std::optional<double>(AvgOverTime(w.pts)); }
Result<std::optional<double>> FnSumOverTime(const Window& w) {
  double sum = 0, c = 0;
  for (const auto& p : w.pts) KahanInc(p.v, &sum, &c);
  return std::optional<double>(std::isinf(sum) ? sum : sum + c);
}
Result<std::optional<double>> FnCountOverTime(const Window& w) {
  return std::optional<double>(static_cast<double>(w.pts.size()));
}
Result<std::optional<double>> FnMaxOverTime(const Window& w) {
  double m = w.pts[0].v;
  for (const auto& p : w.pts) {
    if (p.v > m || std::isnan(m)) m = p.v;
  }
  return std::optional<double>(m);
}
Result<std::optional<double>> FnMinOverTime(const Window& w) {
  double m = w.pts[0].v;
  for (const auto& p : w.pts) {
    if (p.v < m || std::isnan(m)) m = p.v;
  }
  return std::optional<double>(m);
}
Result<std::optional<double>> FnLastOverTime(const Window& w) { return std::optional<double>(w.pts.back().v); }
Result<std::optional<double>> FnFirstOverTime(const Window& w) { return std::optional<double>(w.pts.front().v); }
Result<std::optional<double>> FnPresentOverTime(const Window&) { return std::optional<double>(1.0); }
Result<std::optional<double>> FnStddevOverTime(const Window& w) {
  return std::optional<double>(std::sqrt(VarianceOverTime(w.pts)));
}
Result<std::optional<double>> FnStdvarOverTime(const Window& w) {
  return std::optional<double>(VarianceOverTime(w.pts));
}
Result<std::optional<double>> FnQuantileOverTime(const Window& w) {
  std::vector<double> vals;
  vals.reserve(w.pts.size());
  for (const auto& p : w.pts) vals.push_back(p.v);
  return std::optional<double>(Quantile(w.scalars[0], &vals));
}
Result<std::optional<double>> FnMadOverTime(const Window& w) {
  std::vector<double> vals;
  for (const auto& p : w.pts) {
    if (std::isnan(p.v)) return std::optional<double>(kNaN);
    vals.push_back(p.v);
  }
  double median = Quantile(0.5, &vals);
  for (auto& v : vals) v = std::fabs(v - median);
  return std::optional<double>(Quantile(0.5, &vals));
}
Result<std::optional<double>> FnTsOfMaxOverTime(const Window& w) {
  double m = w.pts[0].v;
  int64_t t = w.pts[0].t;
  for (const auto& p : w.pts) {
    if (p.v >= m || std::isnan(m)) {
      m = p.v;
      t = p.t;
    }
  }
  return std::optional<double>(static_cast<double>(t) / 1000);
}
Result<std::optional<double>> FnTsOfMinOverTime(const Window& w) {
  double m = w.pts[0].v;
  int64_t t = w.pts[0].t;
  for (const auto& p : w.pts) {
    if (p.v <= m || std::isnan(m)) {
      m = p.v;
      t = p.t;
    }
  }
  return std::optional<double>(static_cast<double>(t) / 1000);
}
Result<std::optional<double>> FnTsOfLastOverTime(const Window& w) {
  return std::optional<double>(static_cast<double>(w.pts.back().t) / 1000);
}
Result<std::optional<double>> FnTsOfFirstOverTime(const Window& w) {
  return std::optional<double>(static_cast<double>(w.pts.front().t) / 1000);
}
Result<std::optional<double>> FnDoubleExponentialSmoothing(const Window& w) {
  double sf = w.scalars[0], tf = w.scalars[1];
  if (sf <= 0 || sf >= 1) {
    return Status::InvalidArgument(fmt::format("invalid smoothing factor. Expected: 0 < sf < 1, got: {:f}", sf));
  }
  if (tf <= 0 || tf >= 1) {
    return Status::InvalidArgument(fmt::format("invalid trend factor. Expected: 0 < tf < 1, got: {:f}", tf));
  }
  const auto& s = w.pts;
  if (s.size() < 2) return std::optional<double>();
  double s0 = 0, s1 = s[0].v, b = s[1].v - s[0].v;
  for (size_t i = 1; i < s.size(); ++i) {
    double x = sf * s[i].v;
    if (i - 1 != 0) b = tf * (s1 - s0) + (1 - tf) * b;
    double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return std::optional<double>(s1);
}

// How the engine evaluates one range-vector function. Windows holding
// histograms go to hfn; a function without one reads only the floats
// (a histogram-only window yields nothing, a mixed one an info annotation).
struct RangeImpl {
  WindowFn fn = nullptr;  // nullptr: not a range-vector function
  HistogramWindowFn hfn = nullptr;
  bool keeps_name = false;     // last_over_time/first_over_time keep __name__
  bool counter_check = false;  // rate/increase: info when the metric is not counter-like
  bool absent = false;         // absent_over_time: output from per-step presence
  bool quantile = false;       // quantile_over_time: warns on a quantile outside [0, 1]
};

// Indexed by FunctionInfo::id; built on first use.
const std::vector<RangeImpl>& RangeImpls() {
  static const std::vector<RangeImpl> kTable = IndexByFunctionId<RangeImpl>({
      {"rate", {.fn = FnRate, .hfn = HistRate, .counter_check = true}},
      {"increase", {.fn = FnIncrease, .hfn = HistIncrease, .counter_check = true}},
      {"delta", {.fn = FnDelta, .hfn = HistDelta}},
      {"irate", {.fn = FnIrate, .hfn = HistIrate}},
      {"idelta", {.fn = FnIdelta, .hfn = HistIdelta}},
      {"changes", {.fn = FnChanges, .hfn = HistChanges}},
      {"resets", {.fn = FnResets, .hfn = HistResets}},
      {"deriv", {.fn = FnDeriv}},
      {"predict_linear", {.fn = FnPredictLinear}},
      {"avg_over_time", {.fn = FnAvgOverTime, .hfn = HistAvgOverTime}},
      {"sum_over_time", {.fn = FnSumOverTime, .hfn = HistSumOverTime}},
      {"count_over_time", {.fn = FnCountOverTime, .hfn = HistCountOverTime}},
      {"max_over_time", {.fn = FnMaxOverTime}},
      {"min_over_time", {.fn = FnMinOverTime}},
      {"last_over_time", {.fn = FnLastOverTime, .hfn = HistLastOverTime, .keeps_name = true}},
      {"first_over_time", {.fn = FnFirstOverTime, .hfn = HistFirstOverTime, .keeps_name = true}},
      {"present_over_time", {.fn = FnPresentOverTime, .hfn = HistPresentOverTime}},
      {"absent_over_time", {.fn = FnPresentOverTime, .hfn = HistPresentOverTime, .absent = true}},
      {"stddev_over_time", {.fn = FnStddevOverTime}},
      {"stdvar_over_time", {.fn = FnStdvarOverTime}},
      {"quantile_over_time", {.fn = FnQuantileOverTime, .quantile = true}},
      {"mad_over_time", {.fn = FnMadOverTime}},
      {"ts_of_max_over_time", {.fn = FnTsOfMaxOverTime}},
      {"ts_of_min_over_time", {.fn = FnTsOfMinOverTime}},
      {"ts_of_last_over_time", {.fn = FnTsOfLastOverTime, .hfn = HistTsOfLastOverTime}},
      {"ts_of_first_over_time", {.fn = FnTsOfFirstOverTime, .hfn = HistTsOfFirstOverTime}},
      {"double_exponential_smoothing", {.fn = FnDoubleExponentialSmoothing}},
  });
  return kTable;
}

bool LooksLikeCounter(std::string_view name) {
  for (std::string_view suffix : {"_total", "_sum", "_count", "_bucket"}) {
    if (name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix) return true;
  }
  return false;
}

}  // namespace

// Labels for absent()/absent_over_time(): the selector's equality matchers
// (a label matched twice is left out), without __name__.
Labels AbsentLabels(const Expr& arg) {
  const Expr& e = Unparen(arg);
  const Matchers* ms = nullptr;
  if (e.kind() == NodeKind::kVectorSelector) ms = &e.As<VectorSelector>().matchers;
  if (e.kind() == NodeKind::kMatrixSelector) ms = &e.As<MatrixSelector>().vector_selector->matchers;
  if (ms == nullptr) return Labels();
  LabelsBuilder b;
  std::vector<std::string> has;
  for (const auto& m : *ms) {
    if (m.name() == kMetricName) continue;
    bool seen = std::find(has.begin(), has.end(), m.name()) != has.end();
    if (m.type() == MatchType::kEqual && !seen) {
      b.Set(m.name(), m.value());
      has.push_back(m.name());
    } else {
      b.Del(m.name());
    }
  }
  return b.Build();
}

namespace {

// Turns the per-step presence of any series into absent_over_time's output.
EvMatrix AbsentOverTime(const EvMatrix& found, const Expr& arg, int64_t start, int64_t end, int64_t interval) {
  std::vector<bool> present(static_cast<size_t>((end - start) / interval + 1), false);
  for (const auto& s : found) {
    for (const auto& p : s.points) present[static_cast<size_t>((p.t - start) / interval)] = true;
  }
  EvSeries absent{AbsentLabels(arg), {}, false};
  for (int64_t ts = start, i = 0; ts <= end; ts += interval, ++i) {
    if (!present[static_cast<size_t>(i)]) absent.points.push_back({ts, 1});
  }
  EvMatrix res;
  if (!absent.points.empty()) res.push_back(std::move(absent));
  return res;
}

// Applies one function to one window, routing windows with histograms.
Status ApplyWindow(const RangeImpl& impl, const Window& w, EvSeries* out) {
  if (!w.hpts.empty()) {
    if (impl.hfn != nullptr) {
      PROMETHIUM_ASSIGN_OR_RETURN(WindowValue v, impl.hfn(w));
      if (v.h) {
        out->histograms.push_back({w.ts, std::move(v.h)});
      } else if (v.f) {
        out->points.push_back({w.ts, *v.f});
      }
      return Status::OK();
    }
    if (w.pts.empty()) return Status::OK();
    w.ctx->annotations.AddInfo(HistogramIgnoredInMixedRangeInfo(w.metric_name), w.pos);
  }
  PROMETHIUM_ASSIGN_OR_RETURN(std::optional<double> v, impl.fn(w));
  if (v) out->points.push_back({w.ts, *v});
  return Status::OK();
}

// Slides the (ref - range, ref] window over one series' samples and applies
// fn at every step; scalar_args hold the other arguments' values per step.
Status ApplyWindows(Evaluator& ev, const Call& c, const RangeImpl& impl, const Evaluator::RangeArg& ra,
                    const Evaluator::RangeSeries& rs, const std::vector<EvMatrix>& scalar_args, EvSeries* out) {
  QueryContext* ctx = ev.ctx();
  std::vector<double> scalars(scalar_args.size());
  const auto& smp = rs.samples;
  const auto& hs = rs.histograms;
  size_t lo = 0, hi = 0, hlo = 0, hhi = 0;
  int64_t step = 0;
  for (int64_t ts = ev.start(); ts <= ev.end(); ts += ev.interval(), ++step) {
    PROMETHIUM_RETURN_IF_ERROR(
        ctx->CheckProgress(step, static_cast<int64_t>(out->points.size() + out->histograms.size())));
    int64_t ref = ev.RefTime(ts, ra.offset_ms, ra.at_ms);
    while (hi < smp.size() && smp[hi].t <= ref) ++hi;
    while (lo < hi && smp[lo].t <= ref - ra.range_ms) ++lo;
    while (hhi < hs.size() && hs[hhi].t <= ref) ++hhi;
    while (hlo < hhi && hs[hlo].t <= ref - ra.range_ms) ++hlo;
    if (lo == hi && hlo == hhi) continue;
    // The window is held in memory while fn runs (its histograms are
    // already charged with the loaded series).
    int64_t held = ctx->current_samples + static_cast<int64_t>(hi - lo + hhi - hlo);
    if (held > ctx->peak_samples) ctx->peak_samples = held;
    if (held > ctx->max_samples) PROMETHIUM_RETURN_IF_ERROR(ctx->AddSamples(static_cast<int64_t>(hi - lo)));
    for (size_t i = 0; i < scalar_args.size(); ++i) {
      const auto& m = scalar_args[i];
      const bool ok = !m.empty() && static_cast<size_t>(step) < m[0].points.size();
      scalars[i] = ok ? m[0].points[static_cast<size_t>(step)].v : std::numeric_limits<double>::quiet_NaN();
    }
    if (impl.quantile && lo != hi && (std::isnan(scalars[0]) || scalars[0] < 0 || scalars[0] > 1)) {
      ctx->annotations.AddWarning(InvalidQuantileWarning(scalars[0]), c.args[0]->pos);
    }
    Window w{std::span<const Sample>(smp.data() + lo, hi - lo), ts, ref - ra.range_ms, ref, ra.range_ms, scalars};
    w.hpts = std::span<const HistogramPoint>(hs.data() + hlo, hhi - hlo);
    w.ctx = ctx;
    w.metric_name = rs.metric.MetricName();
    w.pos = c.args[0]->pos;
    PROMETHIUM_RETURN_IF_ERROR(ApplyWindow(impl, w, out));
  }
  return Status::OK();
}

}  // namespace

Result<EvMatrix> Evaluator::EvalRangeFunction(const Call& c, int matrix_arg) {
  const RangeImpl& impl = FunctionEntry(RangeImpls(), c);
  if (impl.fn == nullptr) return Status::Unsupported("function " + std::string(c.func->name) + " over a range vector");
  std::vector<EvMatrix> scalar_args;  // evaluated for all steps
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (static_cast<int>(i) == matrix_arg) continue;
    PROMETHIUM_ASSIGN_OR_RETURN(EvMatrix m, Eval(*c.args[i]));
    scalar_args.push_back(std::move(m));
  }
  const Expr& range_expr = *c.args[static_cast<size_t>(matrix_arg)];
  PROMETHIUM_ASSIGN_OR_RETURN(RangeArg ra, LoadRangeArg(range_expr));
  EvMatrix out;
  RangeSeries rs;
  while (true) {
    PROMETHIUM_ASSIGN_OR_RETURN(bool more, ra.series->Next(&rs));
    if (!more) break;
    EvSeries ss;
    PROMETHIUM_RETURN_IF_ERROR(ApplyWindows(*this, c, impl, ra, rs, scalar_args, &ss));
    if (ss.points.empty() && ss.histograms.empty()) continue;
    PROMETHIUM_RETURN_IF_ERROR(ctx_->AddSamples(SeriesPoints(ss)));
    std::string_view metric_name = rs.metric.MetricName();
    if (impl.counter_check && !ss.points.empty() && !metric_name.empty() && !LooksLikeCounter(metric_name)) {
      ctx_->annotations.AddInfo(PossibleNonCounterInfo(metric_name), range_expr.pos);
    }
    ss.drop_name = !impl.keeps_name || rs.drop_name;
    ss.metric = std::move(rs.metric);
    MaybeDropNameNow(&ss);
    ctx_->ChargeSeries(ss.metric);
    out.push_back(std::move(ss));
  }
  for (const auto& m : scalar_args) ctx_->ReleaseMatrix(m);
  ctx_->ReleaseSamples(ra.held_samples);
  ctx_->memory.Release(ra.held_series_bytes);
  if (impl.absent) {
    ctx_->ReleaseMatrix(out);
    EvMatrix absent = AbsentOverTime(out, *c.args[0], start_, end_, interval_);
    for (const auto& s : absent) ctx_->ChargeSeries(s.metric);
    PROMETHIUM_RETURN_IF_ERROR(ctx_->AddSamples(TotalPoints(absent)));
    return absent;
  }
  if (!ctx_->delayed_name_removal) PROMETHIUM_RETURN_IF_ERROR(CheckUniqueLabelsets(out));
  return out;
}

}  // namespace promethium::promql
