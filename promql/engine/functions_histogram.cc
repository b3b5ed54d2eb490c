// Functions over native histograms: histogram_count, histogram_sum,
// histogram_avg, histogram_stddev, histogram_stdvar, histogram_fraction,
// and the native half of histogram_quantile(s). Float samples in their
// input are ignored, as in Prometheus (simpleHistogramFunc).
//
// The statistics themselves (quantile, fraction, variance over buckets)
// are histogram_stats.h's; this file applies them to vectors and turns
// their findings into Prometheus's annotations.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <unordered_map>

#include "promql/engine/histogram_stats.h"
#include "promql/engine/instant_function.h"

namespace promethium::promql {

namespace {

// Applies f to every histogram sample of the first argument, dropping
// __name__; f may fail (unsupported statistics).
template <typename F>
InstantFn PerHistogram(const FnCtx& c, size_t vec_arg, F f) {
  return [ev = c.ev, h = c.helper, vec_arg, f](std::span<const EvVector> a, int64_t, EvVector* out) -> Status {
    for (const auto& s : a[vec_arg]) {
      if (!s.h) continue;
      PROMETHIUM_ASSIGN_OR_RETURN(double v, f(a, s));
      out->push_back({ev->MaybeDropNameNow(h.get(), s.metric), v, true});
    }
    return Status::OK();
  };
}

// Prometheus's maybeAddMetricName.
std::string WithMetricName(std::string text, std::string_view metric_name) {
  if (!metric_name.empty()) text += " for metric name " + QuoteGoString(metric_name);
  return text;
}

// The metric name annotations mention: none once __name__ was dropped.
std::string_view AnnotationName(const QueryContext* ctx, const Labels* metric) {
  return ctx->delayed_name_removal ? metric->MetricName() : std::string_view();
}

}  // namespace

InstantFn HistogramCountFn(const FnCtx& c) {
  return PerHistogram(c, 0, [](std::span<const EvVector>, const EvSample& s) -> Result<double> { return s.h->count; });
}

InstantFn HistogramSumFn(const FnCtx& c) {
  return PerHistogram(c, 0, [](std::span<const EvVector>, const EvSample& s) -> Result<double> { return s.h->sum; });
}

InstantFn HistogramAvgFn(const FnCtx& c) {
  return PerHistogram(
      c, 0, [](std::span<const EvVector>, const EvSample& s) -> Result<double> { return s.h->sum / s.h->count; });
}

InstantFn HistogramStddevFn(const FnCtx& c) {
  return PerHistogram(
      c, 0, [](std::span<const EvVector>, const EvSample& s) -> Result<double> { return HistogramStdDev(*s.h); });
}

InstantFn HistogramStdvarFn(const FnCtx& c) {
  return PerHistogram(
      c, 0, [](std::span<const EvVector>, const EvSample& s) -> Result<double> { return HistogramStdVar(*s.h); });
}

namespace {

// Prometheus's BucketFraction over classic (upper bound, cumulative count)
// buckets: the estimated fraction of observations in [lower, upper].
double BucketFraction(double lower, double upper, std::vector<std::pair<double, double>> b) {
  std::stable_sort(b.begin(), b.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  if (!std::isinf(b.back().first) || b.back().first < 0) return std::nan("");
  size_t k = 0;  // coalesce equal bounds
  for (size_t i = 1; i < b.size(); ++i) {
    if (b[i].first == b[k].first) {
      b[k].second += b[i].second;
    } else {
      b[++k] = b[i];
    }
  }
  b.resize(k + 1);
  const double count = b.back().second;
  if (count == 0 || std::isnan(lower) || std::isnan(upper)) return std::nan("");
  if (lower >= upper) return 0;
  double rank = 0, lower_rank = 0, upper_rank = 0;
  bool lower_set = false, upper_set = false;
  double lower_bound = b[0].first <= 0 ? -std::numeric_limits<double>::infinity() : 0.0;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i > 0) lower_bound = b[i - 1].first;
    const double upper_bound = b[i].first, cnt = b[i].second;
    auto interpolate = [&](double v) {
      if (std::isinf(lower_bound) && lower_bound < 0) return cnt;
      return rank + (cnt - rank) * (v - lower_bound) / (upper_bound - lower_bound);
    };
    if (!lower_set && lower_bound >= lower) lower_rank = rank, lower_set = true;
    if (!upper_set && lower_bound >= upper) upper_rank = rank, upper_set = true;
    if (lower_set && upper_set) break;
    if (!lower_set && lower_bound < lower && upper_bound > lower) lower_rank = interpolate(lower), lower_set = true;
    if (!upper_set && lower_bound < upper && upper_bound > upper) upper_rank = interpolate(upper), upper_set = true;
    if (lower_set && upper_set) break;
    rank = cnt;
  }
  if (!lower_set || lower_rank > count) lower_rank = count;
  if (!upper_set || upper_rank > count) upper_rank = count;
  return (upper_rank - lower_rank) / count;
}

// One step's classic buckets grouped by their labels without `le`.
struct ClassicGroups {
  std::vector<const Labels*> metric;                            // interned, without le
  std::vector<std::vector<std::pair<double, double>>> buckets;  // (le, count)
};

bool ParseLe(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string str(s);
  char* end = nullptr;
  *out = std::strtod(str.c_str(), &end);
  return end == str.c_str() + str.size();
}

// Splits a step's input into native samples and classic bucket groups
// (Prometheus's resetHistograms), with its warnings.
void SplitHistograms(QueryContext* ctx, NodeHelper* h, PositionRange pos, const EvVector& in,
                     std::vector<const EvSample*>* natives, ClassicGroups* groups) {
  static const std::vector<std::string> kLe = {"le"};
  std::unordered_map<const Labels*, size_t> index;
  for (const auto& s : in) {
    if (s.h) {
      natives->push_back(&s);
      continue;
    }
    double le;
    if (!ParseLe(s.metric->Get("le"), &le)) {
      std::string_view name = ctx->delayed_name_removal ? s.metric->MetricName() : std::string_view();
      ctx->annotations.AddWarning(BadBucketLabelWarning(name, s.metric->Get("le")), pos);
      continue;
    }
    const Labels* m = h->Intern(s.metric->Drop(kLe));
    auto [it, inserted] = index.emplace(m, groups->metric.size());
    if (inserted) {
      groups->metric.push_back(m);
      groups->buckets.emplace_back();
    }
    groups->buckets[it->second].push_back({le, s.v});
  }
  std::erase_if(*natives, [&](const EvSample* s) {
    for (size_t g = 0; g < groups->metric.size(); ++g) {
      if (groups->buckets[g].empty() || *groups->metric[g] != *s->metric) continue;
      std::string_view name = ctx->delayed_name_removal ? s->metric->MetricName() : std::string_view();
      ctx->annotations.AddWarning(MixedClassicNativeHistogramsWarning(name), pos);
      groups->buckets[g].clear();
      return true;
    }
    return false;
  });
}

}  // namespace

// histogram_fraction(lower, upper, v) over native histograms and classic
// `le` buckets.
InstantFn HistogramFractionFn(const FnCtx& c) {
  const PositionRange pos = c.call->args[2]->pos;
  return [ev = c.ev, h = c.helper, pos](std::span<const EvVector> a, int64_t, EvVector* out) -> Status {
    if (a[0].empty() || a[1].empty()) return Status::OK();
    const double lower = ScalarOf(a[0]), upper = ScalarOf(a[1]);
    QueryContext* ctx = ev->ctx();
    std::vector<const EvSample*> natives;
    ClassicGroups groups;
    SplitHistograms(ctx, h.get(), pos, a[2], &natives, &groups);
    for (const EvSample* s : natives) {
      const HistogramFractionResult f = HistogramFraction(lower, upper, *s->h);
      if (f.nan_observations) {
        ctx->annotations.AddInfo(
            WithMetricName("input to histogram_fraction has NaN observations, which are excluded from all fractions",
                           AnnotationName(ctx, s->metric)),
            pos);
      }
      out->push_back({ev->MaybeDropNameNow(h.get(), s->metric), f.value, true});
    }
    for (size_t g = 0; g < groups.metric.size(); ++g) {
      if (groups.buckets[g].empty()) continue;
      const Labels* m = ev->MaybeDropNameNow(h.get(), groups.metric[g]);
      out->push_back({m, BucketFraction(lower, upper, std::move(groups.buckets[g])), true});
    }
    return Status::OK();
  };
}

Result<double> NativeHistogramQuantile(QueryContext* ctx, double q, const FloatHistogram& h,
                                       std::string_view metric_name, PositionRange pos) {
  const HistogramQuantileResult r = HistogramQuantile(q, h);
  if (r.nan_result) {
    ctx->annotations.AddInfo(
        WithMetricName("input to histogram_quantile has NaN observations, result is NaN", metric_name), pos);
  }
  if (r.nan_skew) {
    ctx->annotations.AddInfo(
        WithMetricName("input to histogram_quantile has NaN observations, result is skewed higher", metric_name), pos);
  }
  return r.value;
}

}  // namespace promethium::promql
