// Function calls: dispatch (range-vector functions live in
// functions_range.cc), and the functions over instant vectors and scalars:
// math, clamp/round, time and date functions, vector/scalar, absent,
// timestamp, sort*, histogram_quantile over classic buckets.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <numbers>
#include <unordered_map>

#include <fmt/format.h>

#include "promql/engine/evaluator.h"
#include "promql/engine/function_table.h"
#include "promql/engine/go_date.h"
#include "promql/engine/instant_function.h"
#include "promql/engine/math_util.h"
#include "tsdb/base/metrics.h"

namespace promethium::promql {

Labels AbsentLabels(const Expr& arg);

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const Labels kNoLabels;

// A function applying f to each float element, dropping __name__;
// histogram samples are left out (Prometheus's simpleFloatFunc).
InstantFn Elementwise(const FnCtx& c, double (*f)(double)) {
  return [ev = c.ev, h = c.helper, f](std::span<const EvVector> a, int64_t, EvVector* out) {
    for (const auto& s : a[0]) {
      if (!s.h) out->push_back({ev->MaybeDropNameNow(h.get(), s.metric), f(s.v), true});
    }
    return Status::OK();
  };
}

double Sgn(double v) { return v > 0 ? 1 : v < 0 ? -1 : v; }
double Deg(double v) { return v * 180 / std::numbers::pi; }
double Rad(double v) { return v * std::numbers::pi / 180; }
double Abs(double v) { return std::fabs(v); }
double Ceil(double v) { return std::ceil(v); }
double Floor(double v) { return std::floor(v); }
double Exp(double v) { return std::exp(v); }
double Sqrt(double v) { return std::sqrt(v); }
double Ln(double v) { return std::log(v); }
double Log2(double v) { return std::log2(v); }
double Log10(double v) { return std::log10(v); }
double Sin(double v) { return std::sin(v); }
double Cos(double v) { return std::cos(v); }
double Tan(double v) { return std::tan(v); }
double Asin(double v) { return std::asin(v); }
double Acos(double v) { return std::acos(v); }
double Atan(double v) { return std::atan(v); }
double Sinh(double v) { return std::sinh(v); }
double Cosh(double v) { return std::cosh(v); }
double Tanh(double v) { return std::tanh(v); }
double Asinh(double v) { return std::asinh(v); }
double Acosh(double v) { return std::acosh(v); }
double Atanh(double v) { return std::atanh(v); }

InstantFn DateFn(const FnCtx& c, DateField name) {
  bool no_args = c.call->args.empty();
  return [ev = c.ev, h = c.helper, name, no_args](std::span<const EvVector> a, int64_t ts, EvVector* out) {
    if (no_args) {
      out->push_back({&kNoLabels, GoDateField(name, ts / 1000), false});
      return Status::OK();
    }
    // Every sample answers, NaN and out-of-range values included: Prometheus
    // converts them as Go does (go_date.h).
    for (const auto& s : a[0]) {
      if (s.h) continue;  // dates of floats only
      out->push_back({ev->MaybeDropNameNow(h.get(), s.metric), GoDateField(name, GoFloatToInt64(s.v)), true});
    }
    return Status::OK();
  };
}

// Natural-order string comparison (digit runs compare numerically).
bool NatLess(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool da = std::isdigit(static_cast<unsigned char>(a[i])), db = std::isdigit(static_cast<unsigned char>(b[j]));
    if (da && db) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      std::string_view na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      while (na.size() > 1 && na[0] == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb[0] == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = i2;
      j = j2;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

InstantFn SortFn(const FnCtx& c, bool by_label, bool desc) {
  std::vector<std::string> names;
  for (size_t i = 1; i < c.call->args.size(); ++i) names.push_back(StringArg(*c.call->args[i]));
  return [names, by_label, desc](std::span<const EvVector> a, int64_t, EvVector* out) {
    *out = a[0];
    if (!by_label) {
      // sort and sort_desc order floats only; histograms are dropped.
      std::erase_if(*out, [](const EvSample& s) { return s.h != nullptr; });
      std::stable_sort(out->begin(), out->end(), [desc](const EvSample& x, const EvSample& y) {
        if (std::isnan(x.v)) return false;
        if (std::isnan(y.v)) return true;
        return desc ? x.v > y.v : x.v < y.v;
      });
      return Status::OK();
    }
    std::stable_sort(out->begin(), out->end(), [&names, desc](const EvSample& x, const EvSample& y) {
      for (const auto& n : names) {
        std::string_view l1 = x.metric->Get(n), l2 = y.metric->Get(n);
        if (l1 == l2) continue;
        return desc ? NatLess(l2, l1) : NatLess(l1, l2);
      }
      return desc ? *y.metric < *x.metric : *x.metric < *y.metric;
    });
    return Status::OK();
  };
}

bool ParseGoFloat(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string str(s);
  char* end = nullptr;
  *out = std::strtod(str.c_str(), &end);
  return end == str.c_str() + str.size();
}

// Prometheus's BucketQuantile over (upper bound, cumulative count) pairs.
double BucketQuantile(double q, std::vector<std::pair<double, double>>* buckets, bool* forced_monotonic) {
  *forced_monotonic = false;
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  auto& b = *buckets;
  std::stable_sort(b.begin(), b.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  if (!std::isinf(b.back().first) || b.back().first < 0) return kNaN;
  // Coalesce equal bounds.
  size_t k = 0;
  for (size_t i = 1; i < b.size(); ++i) {
    if (b[i].first == b[k].first) {
      b[k].second += b[i].second;
    } else {
      b[++k] = b[i];
    }
  }
  b.resize(k + 1);
  // Force monotonicity, ignoring tiny float deltas.
  double prev = b[0].second;
  for (size_t i = 1; i < b.size(); ++i) {
    double curr = b[i].second;
    if (curr == prev) continue;
    double abs_sum = std::fabs(prev) + std::fabs(curr), diff = std::fabs(prev - curr);
    bool almost = (prev == 0 || curr == 0) ? diff < 1e-12 * std::numeric_limits<double>::min()
                                           : diff / std::min(abs_sum, std::numeric_limits<double>::max()) < 1e-12;
    if (almost) {
      b[i].second = prev;
      continue;
    }
    if (curr < prev) {
      b[i].second = prev;
      *forced_monotonic = true;
      continue;
    }
    prev = curr;
  }
  if (b.size() < 2) return kNaN;
  double observations = b.back().second;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t idx = 0;
  while (idx < b.size() - 1 && !(b[idx].second >= rank)) ++idx;
  if (idx == b.size() - 1) return b[b.size() - 2].first;
  if (idx == 0 && b[0].first <= 0) return b[0].first;
  double start = 0, end = b[idx].first, count = b[idx].second;
  if (idx > 0) {
    start = b[idx - 1].first;
    count -= b[idx - 1].second;
    rank -= b[idx - 1].second;
  }
  return start + (end - start) * (rank / count);
}

// OpenMetrics float text (labels.FormatOpenMetricsFloat): integers get ".0".
std::string FormatOpenMetricsFloat(double q) {
  std::string s = FormatPromFloat(q);
  if (std::isfinite(q) && q == std::floor(q) && s.find_first_of("e.") == std::string::npos) s += ".0";
  return s;
}

// Per-query state of histogram_quantile: what each input series (by its
// stable labels pointer) contributes, computed once instead of per step (the
// `le` parse and the label copy without it dominated the function's cost).
struct BucketSeries {
  bool valid = false;      // `le` parses as a float
  double upper_bound = 0;  // the parsed `le`
  size_t group = 0;        // dense id of the labels without `le`
};
struct QuantileState {
  std::unordered_map<const Labels*, BucketSeries> series;
  std::unordered_map<const Labels*, size_t> group_of_metric;  // interned labels -> group id
  std::vector<const Labels*> group_metric;
  std::vector<uint32_t> group_stamp;  // == stamp: the group is in this step's `groups`
  // (upper bound, count) pairs of the current step, by group id; the
  // buffers are reused across steps.
  std::vector<std::vector<std::pair<double, double>>> group_buckets;
  uint32_t stamp = 0;
  std::vector<size_t> groups;  // group ids present at this step, in input order

  const BucketSeries& Lookup(const Labels* metric, NodeHelper* h) {
    auto [it, inserted] = series.try_emplace(metric);
    if (!inserted) return it->second;
    BucketSeries& b = it->second;
    b.valid = ParseGoFloat(metric->Get("le"), &b.upper_bound);
    if (!b.valid) return b;
    static const std::vector<std::string> kLe = {"le"};
    const Labels* without_le = h->Intern(metric->Drop(kLe));
    auto [git, new_group] = group_of_metric.try_emplace(without_le, group_metric.size());
    if (new_group) {
      group_metric.push_back(without_le);
      group_stamp.push_back(0);
      group_buckets.emplace_back();
    }
    b.group = git->second;
    return b;
  }
};

// A native histogram whose labels equal a classic group's (labels without
// `le`) at this step: neither is evaluated, with Prometheus's warning.
void DropMixedClassicNative(QueryContext* ctx, PositionRange pos, std::vector<const EvSample*>* natives,
                            std::vector<size_t>* groups, const std::vector<const Labels*>& group_metric) {
  if (natives->empty() || groups->empty()) return;
  std::erase_if(*natives, [&](const EvSample* s) {
    for (auto it = groups->begin(); it != groups->end(); ++it) {
      if (*group_metric[*it] != *s->metric) continue;
      std::string_view name = ctx->delayed_name_removal ? s->metric->MetricName() : std::string_view();
      ctx->annotations.AddWarning(MixedClassicNativeHistogramsWarning(name), pos);
      groups->erase(it);
      return true;
    }
    return false;
  });
}

// histogram_quantile(q, v) and histogram_quantiles(v, "label", q...) over
// classic `le` buckets and native histograms.
// histogram_quantile(q, v), or histogram_quantiles(v, label, q...) when multi.
InstantFn HistogramQuantileFn(const FnCtx& c, bool multi) {
  QueryContext* ctx = c.ev->ctx();
  const size_t vec_arg = multi ? 0 : 1;
  std::vector<PositionRange> q_pos;
  if (multi) {
    for (size_t i = 2; i < c.call->args.size(); ++i) q_pos.push_back(c.call->args[i]->pos);
  } else {
    q_pos.push_back(c.call->args[0]->pos);
  }
  const std::string q_label = multi ? StringArg(*c.call->args[1]) : "";
  PositionRange v_pos = c.call->args[vec_arg]->pos;
  return [ctx, h = c.helper, q_pos, v_pos, multi, vec_arg, q_label, st = std::make_shared<QuantileState>()](
             std::span<const EvVector> a, int64_t, EvVector* out) {
    std::vector<double> qs;
    for (size_t i = 0; i < q_pos.size(); ++i) {
      double q = multi ? ScalarOf(a[1 + i]) : ScalarOf(a[0]);
      if (std::isnan(q) || q < 0 || q > 1) ctx->annotations.AddWarning(InvalidQuantileWarning(q), q_pos[i]);
      qs.push_back(q);
    }
    const EvVector& in = a[vec_arg];
    if (in.empty()) return Status::OK();
    // Group this step's buckets; per-series facts come from the cache.
    std::vector<size_t>& groups = st->groups;
    groups.clear();
    ++st->stamp;
    std::vector<const EvSample*> natives;
    for (const auto& s : in) {
      if (s.h) {
        natives.push_back(&s);
        continue;
      }
      const BucketSeries& b = st->Lookup(s.metric, h.get());
      if (!b.valid) {
        std::string_view name = ctx->delayed_name_removal ? s.metric->MetricName() : std::string_view();
        ctx->annotations.AddWarning(BadBucketLabelWarning(name, s.metric->Get("le")), v_pos);
        continue;
      }
      if (st->group_stamp[b.group] != st->stamp) {
        st->group_stamp[b.group] = st->stamp;
        st->group_buckets[b.group].clear();
        groups.push_back(b.group);
      }
      st->group_buckets[b.group].push_back({b.upper_bound, s.v});
    }
    DropMixedClassicNative(ctx, v_pos, &natives, &groups, st->group_metric);
    for (double q : qs) {
      for (const EvSample* s : natives) {
        std::string_view name = ctx->delayed_name_removal ? s->metric->MetricName() : std::string_view();
        PROMETHIUM_ASSIGN_OR_RETURN(double v, NativeHistogramQuantile(ctx, q, *s->h, name, v_pos));
        const Labels* m = ctx->delayed_name_removal ? s->metric : h->WithoutName(s->metric);
        if (multi) m = h->Intern(LabelsBuilder(*m).Set(q_label, FormatOpenMetricsFloat(q)).Build());
        out->push_back({m, v, true});
      }
      for (size_t g : groups) {
        bool forced;
        std::vector<std::pair<double, double>> copy;
        if (qs.size() > 1) copy = st->group_buckets[g];  // BucketQuantile sorts in place
        double v = BucketQuantile(q, qs.size() > 1 ? &copy : &st->group_buckets[g], &forced);
        const Labels* metric = st->group_metric[g];
        if (forced) {
          std::string_view name = ctx->delayed_name_removal ? metric->MetricName() : std::string_view();
          ctx->annotations.AddInfo(HistogramQuantileForcedMonotonicityInfo(name), v_pos);
        }
        const Labels* m = ctx->delayed_name_removal ? metric : h->WithoutName(metric);
        if (multi) m = h->Intern(LabelsBuilder(*m).Set(q_label, FormatOpenMetricsFloat(q)).Build());
        out->push_back({m, v, true});
      }
    }
    return Status::OK();
  };
}

// Go's math.Max/math.Min: NaN wins; +0 is greater than -0.
double GoMax(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && b == 0) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
double GoMin(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && b == 0) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

// A function with no vector input producing one label-less value per step.
InstantFn ScalarFn(std::function<double(std::span<const EvVector>, int64_t)> f) {
  return [f](std::span<const EvVector> a, int64_t ts, EvVector* out) {
    out->push_back({&kNoLabels, f(a, ts), false});
    return Status::OK();
  };
}

// clamp(v, min, max), clamp_min(v, min), clamp_max(v, max).
InstantFn ClampFn(const FnCtx& c, bool has_min, bool has_max) {
  return [ev = c.ev, h = c.helper, has_min, has_max](std::span<const EvVector> a, int64_t, EvVector* out) {
    double lo = has_min ? ScalarOf(a[1]) : -std::numeric_limits<double>::infinity();
    double hi = has_max ? ScalarOf(a[has_min ? 2 : 1]) : std::numeric_limits<double>::infinity();
    if (has_min && has_max && hi < lo) return Status::OK();
    for (const auto& s : a[0]) {
      if (s.h) continue;  // floats only
      double v = s.v;
      if (has_max) v = GoMin(hi, v);
      if (has_min) v = GoMax(lo, v);
      out->push_back({ev->MaybeDropNameNow(h.get(), s.metric), v, true});
    }
    return Status::OK();
  };
}

// round(v, to_nearest=1): rounds half up to the nearest multiple.
InstantFn RoundFn(const FnCtx& c) {
  const bool has_arg = c.call->args.size() > 1;
  return [ev = c.ev, h = c.helper, has_arg](std::span<const EvVector> a, int64_t, EvVector* out) {
    double inv = 1.0 / (has_arg ? ScalarOf(a[1]) : 1);
    for (const auto& s : a[0]) {
      if (s.h) continue;  // floats only
      out->push_back({ev->MaybeDropNameNow(h.get(), s.metric), std::floor(s.v * inv + 0.5) / inv, true});
    }
    return Status::OK();
  };
}

// timestamp(expr) for a non-selector expression: the evaluation time.
InstantFn TimestampFn(const FnCtx& c) {
  return [ev = c.ev, h = c.helper](std::span<const EvVector> a, int64_t ts, EvVector* out) {
    for (const auto& s : a[0]) {
      out->push_back({ev->MaybeDropNameNow(h.get(), s.metric), static_cast<double>(ts) / 1000, true});
    }
    return Status::OK();
  };
}

// absent(v): 1 with the selector's equality labels when v is empty.
InstantFn AbsentFn(const FnCtx& c) {
  const Labels* labels = c.helper->Intern(AbsentLabels(*c.call->args[0]));
  return [labels](std::span<const EvVector> a, int64_t, EvVector* out) {
    if (a[0].empty()) out->push_back({labels, 1, false});
    return Status::OK();
  };
}

template <double (*F)(double)>
InstantFn MathFn(const FnCtx& c) {
  return Elementwise(c, F);
}

template <DateField F>
InstantFn DateFieldFn(const FnCtx& c) {
  return DateFn(c, F);
}

// How EvalCall routes a call whose arguments hold no range vector.
enum class CallKind : uint8_t { kInstant, kLabelReplace, kLabelJoin, kStart, kEnd, kRange, kStep, kTimestamp };

// How the engine evaluates one function. No factory and kind kInstant means
// the engine does not implement it ("unsupported: function X").
struct InstantImpl {
  InstantFn (*factory)(const FnCtx&) = nullptr;
  CallKind kind = CallKind::kInstant;
  bool sort = false;  // warns when used in a range query
};

InstantFn ScalarOfTimeFn(const FnCtx&) {
  return ScalarFn([](std::span<const EvVector>, int64_t ts) { return static_cast<double>(ts) / 1000; });
}
InstantFn PiFn(const FnCtx&) {
  return ScalarFn([](std::span<const EvVector>, int64_t) { return std::numbers::pi; });
}
InstantFn VectorFn(const FnCtx&) {
  return ScalarFn([](std::span<const EvVector> a, int64_t) { return ScalarOf(a[0]); });
}
InstantFn ScalarOfVectorFn(const FnCtx&) {
  // The single float sample's value; histograms do not count.
  return ScalarFn([](std::span<const EvVector> a, int64_t) {
    const EvSample* found = nullptr;
    for (const auto& s : a[0]) {
      if (s.h) continue;
      if (found != nullptr) return kNaN;
      found = &s;
    }
    return found != nullptr ? found->v : kNaN;
  });
}
InstantFn MinOfFn(const FnCtx&) {
  return ScalarFn([](std::span<const EvVector> a, int64_t) { return GoMin(ScalarOf(a[0]), ScalarOf(a[1])); });
}
InstantFn MaxOfFn(const FnCtx&) {
  return ScalarFn([](std::span<const EvVector> a, int64_t) { return GoMax(ScalarOf(a[0]), ScalarOf(a[1])); });
}

// Indexed by FunctionInfo::id; built on first use.
const std::vector<InstantImpl>& InstantImpls() {
  using I = InstantImpl;
  static const std::vector<InstantImpl> kTable = IndexByFunctionId<InstantImpl>({
      {"abs", {MathFn<Abs>}},
      {"ceil", {MathFn<Ceil>}},
      {"floor", {MathFn<Floor>}},
      {"exp", {MathFn<Exp>}},
      {"sqrt", {MathFn<Sqrt>}},
      {"ln", {MathFn<Ln>}},
      {"log2", {MathFn<Log2>}},
      {"log10", {MathFn<Log10>}},
      {"sgn", {MathFn<Sgn>}},
      {"deg", {MathFn<Deg>}},
      {"rad", {MathFn<Rad>}},
      {"sin", {MathFn<Sin>}},
      {"cos", {MathFn<Cos>}},
      {"tan", {MathFn<Tan>}},
      {"asin", {MathFn<Asin>}},
      {"acos", {MathFn<Acos>}},
      {"atan", {MathFn<Atan>}},
      {"sinh", {MathFn<Sinh>}},
      {"cosh", {MathFn<Cosh>}},
      {"tanh", {MathFn<Tanh>}},
      {"asinh", {MathFn<Asinh>}},
      {"acosh", {MathFn<Acosh>}},
      {"atanh", {MathFn<Atanh>}},
      {"clamp", {[](const FnCtx& f) { return ClampFn(f, true, true); }}},
      {"clamp_min", {[](const FnCtx& f) { return ClampFn(f, true, false); }}},
      {"clamp_max", {[](const FnCtx& f) { return ClampFn(f, false, true); }}},
      {"round", {RoundFn}},
      {"timestamp", {TimestampFn, CallKind::kTimestamp}},
      {"absent", {AbsentFn}},
      {"histogram_quantile", {[](const FnCtx& f) { return HistogramQuantileFn(f, false); }}},
      {"histogram_quantiles", {[](const FnCtx& f) { return HistogramQuantileFn(f, true); }}},
      {"sort", I{[](const FnCtx& f) { return SortFn(f, false, false); }, CallKind::kInstant, true}},
      {"sort_desc", I{[](const FnCtx& f) { return SortFn(f, false, true); }, CallKind::kInstant, true}},
      {"sort_by_label", I{[](const FnCtx& f) { return SortFn(f, true, false); }, CallKind::kInstant, true}},
      {"sort_by_label_desc", I{[](const FnCtx& f) { return SortFn(f, true, true); }, CallKind::kInstant, true}},
      {"year", {DateFieldFn<DateField::kYear>}},
      {"month", {DateFieldFn<DateField::kMonth>}},
      {"day_of_month", {DateFieldFn<DateField::kDayOfMonth>}},
      {"day_of_week", {DateFieldFn<DateField::kDayOfWeek>}},
      {"day_of_year", {DateFieldFn<DateField::kDayOfYear>}},
      {"days_in_month", {DateFieldFn<DateField::kDaysInMonth>}},
      {"hour", {DateFieldFn<DateField::kHour>}},
      {"minute", {DateFieldFn<DateField::kMinute>}},
      {"histogram_count", {HistogramCountFn}},
      {"histogram_sum", {HistogramSumFn}},
      {"histogram_avg", {HistogramAvgFn}},
      {"histogram_fraction", {HistogramFractionFn}},
      {"histogram_stddev", {HistogramStddevFn}},
      {"histogram_stdvar", {HistogramStdvarFn}},
      {"time", {ScalarOfTimeFn}},
      {"pi", {PiFn}},
      {"vector", {VectorFn}},
      {"scalar", {ScalarOfVectorFn}},
      {"min_of", {MinOfFn}},
      {"max_of", {MaxOfFn}},
      {"label_replace", {nullptr, CallKind::kLabelReplace}},
      {"label_join", {nullptr, CallKind::kLabelJoin}},
      {"start", {nullptr, CallKind::kStart}},
      {"end", {nullptr, CallKind::kEnd}},
      {"range", {nullptr, CallKind::kRange}},
      {"step", {nullptr, CallKind::kStep}},
  });
  return kTable;
}

}  // namespace

Result<EvMatrix> Evaluator::EvalCall(const Call& c) {
  if (c.func == nullptr) return Status::Internal("call without function");
  HintScope hint_scope(this, c.func->name, nullptr);
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (c.args[i]->type() == ExprType::kMatrix) return EvalRangeFunction(c, static_cast<int>(i));
  }
  switch (FunctionEntry(InstantImpls(), c).kind) {
    case CallKind::kLabelReplace: return EvalLabelReplace(c);
    case CallKind::kLabelJoin: return EvalLabelJoin(c);
    case CallKind::kStart: return EvalNumber(static_cast<double>(ctx_->query_start) / 1000);
    case CallKind::kEnd: return EvalNumber(static_cast<double>(ctx_->query_end) / 1000);
    case CallKind::kRange: return EvalNumber(static_cast<double>(ctx_->query_end - ctx_->query_start) / 1000);
    case CallKind::kStep: return EvalNumber(static_cast<double>(ctx_->query_step) / 1000);
    case CallKind::kTimestamp: {
      const Expr& arg = Unparen(*c.args[0]);
      if (arg.kind() == NodeKind::kVectorSelector) return EvalTimestampOfSelector(arg.As<VectorSelector>());
      break;
    }
    case CallKind::kInstant: break;
  }
  return EvalInstantFunction(c);
}

Result<EvMatrix> Evaluator::EvalInstantFunction(const Call& c) {
  const InstantImpl& impl = FunctionEntry(InstantImpls(), c);
  if (impl.factory == nullptr) return Status::Unsupported("function " + std::string(c.func->name));
  FnCtx fc{this, &c, std::make_shared<NodeHelper>(&ctx_->memory)};
  InstantFn fn = impl.factory(fc);
  if (impl.sort && start_ != end_) ctx_->annotations.AddWarning(SortInRangeQueryWarning(), c.pos);
  std::vector<const Expr*> exprs;
  for (const auto& a : c.args) {
    if (a->type() == ExprType::kString) continue;  // read from the AST by the function
    exprs.push_back(a.get());
  }
  return RangeEvalExprs(exprs, [fn, helper = fc.helper](std::span<const EvVector> a, int64_t ts, EvVector* out) {
    return fn(a, ts, out);
  });
}

}  // namespace promethium::promql
