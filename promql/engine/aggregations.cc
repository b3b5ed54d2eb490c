// Aggregation operators: sum, avg, count, min, max, group, stddev, stdvar,
// quantile, topk, bottomk, count_values, limitk, limit_ratio, with by/without
// grouping (Prometheus's rangeEvalAgg / aggregation / aggregationK).
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "promql/engine/evaluator.h"
#include "promql/engine/histogram_accumulator.h"
#include "promql/engine/math_util.h"
#include "tsdb/base/metrics.h"

namespace promethium::promql {

// Neumaier-compensated summation step (Prometheus's kahansum.Inc).
void KahanInc(double inc, double* sum, double* c) {
  double t = *sum + inc;
  if (std::isinf(t)) {
    *c = 0;
  } else if (std::fabs(*sum) >= std::fabs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

// Prometheus's quantile over a set of floats (sorts `values`).
double Quantile(double q, std::vector<double>* values) {
  if (values->empty() || std::isnan(q)) return std::numeric_limits<double>::quiet_NaN();
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(values->begin(), values->end(),
            [](double a, double b) { return a < b || (std::isnan(a) && !std::isnan(b)); });
  double n = static_cast<double>(values->size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return (*values)[static_cast<size_t>(lower)] * (1 - weight) + (*values)[static_cast<size_t>(upper)] * weight;
}

namespace {

struct Group {
  bool seen = false;
  double value = 0;
  double mean = 0;
  double kahan_c = 0;
  double count = 0;
  bool incremental_mean = false;
  bool drop_name = false;
  std::vector<double> values;     // quantile
  std::vector<EvSample> samples;  // topk/bottomk/limitk
  // sum/avg over native histograms: the running sum or mean.
  std::optional<HistogramAccumulator> hist;
  bool has_float = false;
  bool has_hist = false;
  bool incompatible = false;  // histograms of incompatible schemas met
};

// What an aggregation says about a histogram it cannot use.
struct AggContext {
  QueryContext* ctx;
  PositionRange expr_pos;  // the aggregated expression's
};

const char* AggregationName(AggregateOp op) {
  switch (op) {
    case AggregateOp::kMin: return "min";
    case AggregateOp::kMax: return "max";
    case AggregateOp::kStddev: return "stddev";
    case AggregateOp::kStdvar: return "stdvar";
    case AggregateOp::kQuantile: return "quantile";
    default: return "";
  }
}

// sum/avg of a histogram sample into its group (g->count already counts
// it for avg).
void AccumulateHistogram(const AggContext& ac, AggregateOp op, Group* g, const EvSample& s) {
  g->has_hist = true;
  if (g->incompatible || !g->hist) return;  // no histogram sum once floats came first
  const bool ok = op == AggregateOp::kAvg ? g->hist->AddToMean(*s.h, g->count) : g->hist->Add(*s.h);
  if (!ok) {
    ac.ctx->annotations.AddWarning(MixedExponentialCustomHistogramsWarning(s.metric->MetricName()), ac.expr_pos);
    g->incompatible = true;
  }
}

// Maps input label sets to groups, caching per input pointer.
class Grouper {
 public:
  Grouper(const AggregateExpr& a, NodeHelper* h) : without_(a.without), h_(h) {
    names_ = a.grouping;
    std::sort(names_.begin(), names_.end());
    drop_ = names_;
    drop_.push_back(std::string(kMetricName));
  }
  // The group index of a series; grows groups()/labels() as needed.
  size_t GroupOf(const Labels* l) {
    auto it = by_ptr_.find(l);
    if (it != by_ptr_.end()) return it->second;
    const size_t g = GroupByKey(l);
    by_ptr_.emplace(l, g);
    return g;
  }
  // As GroupOf(s.metric), but first through a dense cache by the sample's
  // index in the argument matrix: no hash lookup per sample and step. The
  // cached labels pointer guards against an index reused for other labels.
  // Indexed samples skip the pointer map: the dense cache already holds
  // what it would (and filling it cost a node allocation per series).
  size_t GroupOf(const EvSample& s) {
    if (s.series < 0) return GroupOf(s.metric);
    const size_t idx = static_cast<size_t>(s.series);
    if (idx >= by_series_.size()) by_series_.resize(idx + 1, {nullptr, 0});
    auto& slot = by_series_[idx];
    if (slot.first != s.metric) slot = {s.metric, GroupByKey(s.metric)};
    return slot.second;
  }
  size_t size() const { return labels_.size(); }
  const Labels* LabelsOf(size_t g) const { return labels_[g]; }

 private:
  // The group of a label set by its grouping hash, created when new.
  size_t GroupByKey(const Labels* l) {
    uint64_t key = without_ ? l->HashWithoutLabels(names_) : (names_.empty() ? 0 : l->HashForLabels(names_));
    auto [kit, inserted] = by_key_.emplace(key, labels_.size());
    if (inserted) labels_.push_back(h_->Intern(without_ ? l->Drop(drop_) : l->Keep(names_)));
    return kit->second;
  }

  bool without_;
  NodeHelper* h_;
  std::vector<std::string> names_;
  std::vector<std::string> drop_;
  std::unordered_map<const Labels*, size_t> by_ptr_;
  std::unordered_map<uint64_t, size_t> by_key_;
  std::vector<const Labels*> labels_;
  std::vector<std::pair<const Labels*, size_t>> by_series_;
};

// Whether op ignores histogram samples (with an info annotation).
bool IgnoresHistograms(AggregateOp op) {
  return op == AggregateOp::kMin || op == AggregateOp::kMax || op == AggregateOp::kStddev ||
         op == AggregateOp::kStdvar || op == AggregateOp::kQuantile;
}

void Accumulate(const AggContext& ac, AggregateOp op, Group* g, const EvSample& s) {
  const double f = s.v;
  if (s.h && IgnoresHistograms(op)) {
    ac.ctx->annotations.AddInfo(HistogramIgnoredInAggregationInfo(AggregationName(op)), ac.expr_pos);
    return;
  }
  if (!g->seen) {
    *g = Group{};
    g->seen = true;
    if (op == AggregateOp::kSum || op == AggregateOp::kAvg) {
      if (s.h) {
        g->hist.emplace(*s.h);
        g->has_hist = true;
      } else {
        g->has_float = true;
      }
    }
    g->value = f;
    g->mean = f;
    g->count = 1;
    g->drop_name = s.drop_name;
    if (op == AggregateOp::kStddev || op == AggregateOp::kStdvar) g->value = (std::isnan(f) || std::isinf(f)) ? NAN : 0;
    if (op == AggregateOp::kQuantile) g->values.push_back(f);
    if (op == AggregateOp::kGroup) g->value = 1;
    return;
  }
  if (g->incompatible) return;
  if (s.drop_name) g->drop_name = true;
  if (s.h && (op == AggregateOp::kSum || op == AggregateOp::kAvg)) {
    if (op == AggregateOp::kAvg) g->count++;
    AccumulateHistogram(ac, op, g, s);
    return;
  }
  if (op == AggregateOp::kSum || op == AggregateOp::kAvg) g->has_float = true;
  switch (op) {
    case AggregateOp::kSum: KahanInc(f, &g->value, &g->kahan_c); break;
    case AggregateOp::kAvg: {
      g->count++;
      if (!g->incremental_mean) {
        double v = g->value, c = g->kahan_c;
        KahanInc(f, &v, &c);
        if (!std::isinf(v)) {
          g->value = v;
          g->kahan_c = c;
          break;
        }
        g->incremental_mean = true;
        g->mean = g->value / (g->count - 1);
        g->kahan_c /= g->count - 1;
      }
      double q = (g->count - 1) / g->count;
      double m = q * g->mean, c = q * g->kahan_c;
      KahanInc(f / g->count, &m, &c);
      g->mean = m;
      g->kahan_c = c;
      break;
    }
    case AggregateOp::kMax:
      if (g->value < f || std::isnan(g->value)) g->value = f;
      break;
    case AggregateOp::kMin:
      if (g->value > f || std::isnan(g->value)) g->value = f;
      break;
    case AggregateOp::kCount: g->count++; break;
    case AggregateOp::kStddev:
    case AggregateOp::kStdvar: {
      g->count++;
      double delta = f - g->mean;
      g->mean += delta / g->count;
      g->value += delta * (f - g->mean);
      break;
    }
    case AggregateOp::kQuantile: g->values.push_back(f); break;
    default: break;
  }
}

double Finish(AggregateOp op, Group* g, double param) {
  switch (op) {
    case AggregateOp::kSum: return std::isinf(g->value) ? g->value : g->value + g->kahan_c;
    case AggregateOp::kAvg:
      if (g->incremental_mean) return g->mean + g->kahan_c;
      return g->value / g->count + g->kahan_c / g->count;
    case AggregateOp::kCount: return g->count;
    case AggregateOp::kStdvar: return g->value / g->count;
    case AggregateOp::kStddev: return std::sqrt(g->value / g->count);
    case AggregateOp::kQuantile: return Quantile(param, &g->values);
    default: return g->value;
  }
}

// The output sample of a finished group, or false when there is none:
// sum/avg of floats mixed with histograms (warned), or of incompatible
// histograms (warned while accumulating).
bool FinishSample(const AggContext& ac, AggregateOp op, Group* g, double param, const Labels* metric, EvSample* out) {
  *out = EvSample{metric, 0, g->drop_name};
  const bool sum_or_avg = op == AggregateOp::kSum || op == AggregateOp::kAvg;
  if (sum_or_avg && g->has_float && g->has_hist) {
    ac.ctx->annotations.AddWarning(MixedFloatsHistogramsAggWarning(), ac.expr_pos);
    return false;
  }
  if (sum_or_avg && g->incompatible) return false;
  if (sum_or_avg && g->has_hist) {
    out->h = op == AggregateOp::kAvg ? g->hist->TakeMean(g->count) : g->hist->TakeSum();
    g->hist->Annotate(&ac.ctx->annotations, ac.expr_pos);
    return true;
  }
  out->v = Finish(op, g, param);
  return true;
}

// topk ordering: a before b when a is "larger"; NaN sorts last.
bool TopkBefore(double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a > b;
}
bool BottomkBefore(double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a < b;
}

Status CheckKParam(double k) {
  if (std::isnan(k)) return Status::InvalidArgument("Parameter value is NaN");
  if (k <= static_cast<double>(std::numeric_limits<int64_t>::min())) {
    return Status::InvalidArgument(fmt::format("Scalar value {} underflows int64", FormatPromFloat(k)));
  }
  if (k >= static_cast<double>(std::numeric_limits<int64_t>::max())) {
    return Status::InvalidArgument(fmt::format("Scalar value {} overflows int64", FormatPromFloat(k)));
  }
  return Status::OK();
}

// limit_ratio: keeps the samples whose label hash falls in the ratio's slice
// of [0, 1) (Prometheus's HashRatioSampler; our hash differs from Go's).
Status LimitRatioStep(QueryContext* ctx, PositionRange pos, double param, const EvVector& in, Grouper& grouper,
                      std::vector<Group>& groups, EvVector* out) {
  if (std::isnan(param)) return Status::InvalidArgument("Ratio value is NaN");
  if (param > 1) ctx->annotations.AddWarning(InvalidRatioWarning(param, 1.0), pos);
  if (param < -1) ctx->annotations.AddWarning(InvalidRatioWarning(param, -1.0), pos);
  double r = std::clamp(param, -1.0, 1.0);
  if (r == 0) return Status::OK();
  for (const auto& s : in) {
    double offset = static_cast<double>(s.metric->Hash()) / static_cast<double>(std::numeric_limits<uint64_t>::max());
    if ((r >= 0 && offset < r) || (r < 0 && offset >= 1.0 + r)) groups[grouper.GroupOf(s)].samples.push_back(s);
  }
  for (auto& g : groups) {
    for (const auto& s : g.samples) out->push_back(s);
  }
  return Status::OK();
}

// topk/bottomk/limitk: the k selected samples of each group, keeping their
// own labels; topk/bottomk order each group by value (NaN last).
Status TopKStep(const AggContext& ac, PositionRange agg_pos, AggregateOp op, double param, const EvVector& in,
                Grouper& grouper, std::vector<Group>& groups, EvVector* out) {
  PROMETHIUM_RETURN_IF_ERROR(CheckKParam(param));
  int64_t k = std::min<int64_t>(static_cast<int64_t>(param), static_cast<int64_t>(in.size()));
  if (k < 1) return Status::OK();
  for (const auto& s : in) {
    if (s.h && op != AggregateOp::kLimitK) {
      // topk/bottomk order floats; Prometheus reports at the whole expression.
      const char* name = op == AggregateOp::kTopk ? "topk" : "bottomk";
      ac.ctx->annotations.AddInfo(HistogramIgnoredInAggregationInfo(name), agg_pos);
      continue;
    }
    Group& g = groups[grouper.GroupOf(s)];
    g.seen = true;
    if (op != AggregateOp::kLimitK || static_cast<int64_t>(g.samples.size()) < k) g.samples.push_back(s);
  }
  auto before = op == AggregateOp::kTopk ? TopkBefore : BottomkBefore;
  for (auto& g : groups) {
    if (!g.seen) continue;
    if (op != AggregateOp::kLimitK) {
      std::stable_sort(g.samples.begin(), g.samples.end(),
                       [&](const EvSample& x, const EvSample& y) { return before(x.v, y.v); });
      if (static_cast<int64_t>(g.samples.size()) > k) g.samples.resize(static_cast<size_t>(k));
    }
    for (const auto& s : g.samples) out->push_back(s);
  }
  return Status::OK();
}

}  // namespace

Result<EvMatrix> Evaluator::EvalCountValues(const AggregateExpr& a) {
  std::string label = StringArg(*a.param);
  if (!IsValidUtf8LabelName(label)) return Status::InvalidArgument("invalid label name " + QuoteGoString(label));
  AggregateExpr grouping;  // the grouping plus the value label
  grouping.without = a.without;
  grouping.grouping = a.grouping;
  if (!a.without) grouping.grouping.push_back(label);
  auto helper = std::make_shared<NodeHelper>(&ctx_->memory);
  auto grouper = std::make_shared<Grouper>(grouping, helper.get());
  return RangeEvalExprs({a.expr.get()}, [=](std::span<const EvVector> args, int64_t, EvVector* out) {
    std::vector<double> counts;
    for (const auto& s : args[0]) {
      LabelsBuilder b(*s.metric);
      b.Set(label, s.h ? s.h->ToString() : FormatJsonFloat(s.v));
      size_t g = grouper->GroupOf(helper->Intern(b.Build()));
      PROMETHIUM_RETURN_IF_ERROR(helper->CheckMemory());
      if (g >= counts.size()) counts.resize(g + 1, 0);
      counts[g]++;
    }
    for (size_t g = 0; g < counts.size(); ++g) {
      if (counts[g] > 0) out->push_back({grouper->LabelsOf(g), counts[g], false});
    }
    return Status::OK();
  });
}

Result<EvMatrix> Evaluator::EvalAggregate(const AggregateExpr& a) {
  const AggregateOp op = a.op;
  if ((op == AggregateOp::kLimitK || op == AggregateOp::kLimitRatio) && !ctx_->enable_limit_aggregations) {
    return Status::Unsupported("limitk/limit_ratio need --enable-feature=promql-experimental-functions");
  }
  HintScope hint_scope(this, "", &a);
  if (op == AggregateOp::kCountValues) return EvalCountValues(a);
  auto helper = std::make_shared<NodeHelper>(&ctx_->memory);
  auto grouper = std::make_shared<Grouper>(a, helper.get());
  auto groups = std::make_shared<std::vector<Group>>();
  const PositionRange param_pos = a.param ? a.param->pos : a.pos;
  std::vector<const Expr*> exprs{a.expr.get()};
  const bool has_param = a.param != nullptr;
  if (has_param) exprs.push_back(a.param.get());
  QueryContext* ctx = ctx_;
  const AggContext ac{ctx_, a.expr->pos};
  const PositionRange agg_pos = a.pos;
  return RangeEvalExprs(exprs, [=](std::span<const EvVector> args, int64_t, EvVector* out) -> Status {
    const EvVector& in = args[0];
    double param = has_param && !args[1].empty() ? ScalarOf(args[1]) : 0;
    for (const auto& s : in) grouper->GroupOf(s);
    PROMETHIUM_RETURN_IF_ERROR(helper->CheckMemory());
    groups->assign(grouper->size(), Group{});
    switch (op) {
      case AggregateOp::kLimitRatio: return LimitRatioStep(ctx, param_pos, param, in, *grouper, *groups, out);
      case AggregateOp::kTopk:
      case AggregateOp::kBottomk:
      case AggregateOp::kLimitK: return TopKStep(ac, agg_pos, op, param, in, *grouper, *groups, out);
      case AggregateOp::kQuantile:
        if (std::isnan(param) || param < 0 || param > 1) {
          ctx->annotations.AddWarning(InvalidQuantileWarning(param), param_pos);
        }
        break;
      default: break;
    }
    for (const auto& s : in) Accumulate(ac, op, &(*groups)[grouper->GroupOf(s)], s);
    EvSample o;
    for (size_t gi = 0; gi < groups->size(); ++gi) {
      Group& g = (*groups)[gi];
      if (g.seen && FinishSample(ac, op, &g, param, grouper->LabelsOf(gi), &o)) out->push_back(std::move(o));
    }
    return Status::OK();
  });
}

}  // namespace promethium::promql
