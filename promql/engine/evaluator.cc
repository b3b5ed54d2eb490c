// Evaluator core: dispatch, selectors, subqueries and the per-step driver
// (see evaluator.h).
#include "promql/engine/evaluator.h"

#include <algorithm>
#include <unordered_set>

#include "promql/parser/walk.h"

namespace promethium::promql {

Status QueryContext::CheckDone(std::string_view where) {
  if (canceled != nullptr && canceled->load(std::memory_order_relaxed)) {
    return Status::Canceled("query was canceled in " + std::string(where));
  }
  if (std::chrono::steady_clock::now() > deadline) {
    return Status::DeadlineExceeded("query timed out in " + std::string(where));
  }
  return Status::OK();
}

Status QueryContext::AddSamples(int64_t n) {
  current_samples += n;
  if (current_samples > peak_samples) peak_samples = current_samples;
  if (current_samples > max_samples) {
    return Status::ResourceExhausted("query processing would load too many samples into memory in query execution");
  }
  return memory.ChargeAndCheck(n * kPointBytes);
}

void QueryContext::ReleaseMatrix(const EvMatrix& m) {
  int64_t bytes = 0;
  for (const auto& s : m) bytes += SeriesBytes(s.metric);
  memory.Release(bytes);
  ReleaseSamples(TotalPoints(m));
}

const Labels* NodeHelper::Intern(Labels labels) {
  const uint64_t h = labels.Hash();
  auto [first, last] = interned_.equal_range(h);
  for (auto it = first; it != last; ++it) {
    if (*it->second == labels) return it->second;
  }
  const Labels* out = &store_.emplace_back(std::move(labels));
  interned_.emplace(h, out);
  if (memory_ != nullptr) {
    // The label set plus a hash-map node; checked by the caller's next
    // AddSamples (every step of RangeEval).
    const int64_t bytes = static_cast<int64_t>(out->ByteSize() + 4 * sizeof(void*));
    memory_->Charge(bytes);
    charged_ += bytes;
  }
  return out;
}

const Labels* NodeHelper::WithoutName(const Labels* in) {
  auto it = without_name_.find(in);
  if (it != without_name_.end()) return it->second;
  const Labels* out = in->Has(kMetricName) ? Intern(in->DropMetricName()) : in;
  without_name_.emplace(in, out);
  return out;
}

const Expr& Unparen(const Expr& e) {
  const Expr* p = &e;
  while (p->kind() == NodeKind::kParen) p = p->As<ParenExpr>().expr.get();
  return *p;
}

std::string StringArg(const Expr& e) {
  const Expr& u = Unparen(e);
  if (u.kind() == NodeKind::kStringLiteral) return u.As<StringLiteral>().value;
  return "";
}

bool IsValidUtf8LabelName(std::string_view name) {
  if (name.empty()) return false;
  size_t i = 0;
  while (i < name.size()) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > name.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      unsigned char cc = static_cast<unsigned char>(name[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Reject overlong forms, surrogates and out-of-range code points.
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n;
  }
  return true;
}

Status DuplicateLabelsetError() {
  return Status::InvalidArgument("vector cannot contain metrics with the same labelset");
}

int64_t HistogramWeight(const FloatHistogram& h) {
  const size_t bytes =
      sizeof(HistogramPoint) + sizeof(FloatHistogram) + 2 * sizeof(void*) +
      (h.positive_spans.size() + h.negative_spans.size()) * sizeof(HistogramSpan) +
      (h.positive_buckets.size() + h.negative_buckets.size() + h.custom_values.size()) * sizeof(double);
  return static_cast<int64_t>((bytes + kPointBytes - 1) / kPointBytes);
}

int64_t HistogramsWeight(const std::vector<HistogramPoint>& hs) {
  int64_t n = 0;
  for (const auto& p : hs) n += HistogramWeight(*p.h);
  return n;
}

int64_t SeriesPoints(const EvSeries& s) {
  return static_cast<int64_t>(s.points.size()) + (s.histograms.empty() ? 0 : HistogramsWeight(s.histograms));
}

int64_t TotalPoints(const EvMatrix& m) {
  int64_t n = 0;
  for (const auto& s : m) n += SeriesPoints(s);
  return n;
}

void Evaluator::MaybeDropNameNow(EvSeries* s) const {
  if (s->drop_name && !ctx_->delayed_name_removal) s->metric = s->metric.DropMetricName();
}

const Labels* Evaluator::MaybeDropNameNow(NodeHelper* h, const Labels* l) const {
  return ctx_->delayed_name_removal ? l : h->WithoutName(l);
}

std::optional<int64_t> Evaluator::AtTime(AtModifier at, int64_t at_ts) const {
  switch (at) {
    case AtModifier::kNone: return std::nullopt;
    case AtModifier::kTimestamp: return at_ts;
    case AtModifier::kStart: return ctx_->query_start;
    case AtModifier::kEnd: return ctx_->query_end;
  }
  return std::nullopt;
}

Result<EvMatrix> Evaluator::Eval(const Expr& e) {
  PROMETHIUM_RETURN_IF_ERROR(ctx_->CheckDone("expression evaluation"));
  switch (e.kind()) {
    case NodeKind::kNumberLiteral: return EvalNumber(e.As<NumberLiteral>().value);
    case NodeKind::kParen: return Eval(*e.As<ParenExpr>().expr);
    case NodeKind::kVectorSelector: return EvalVectorSelector(e.As<VectorSelector>());
    case NodeKind::kUnary: return EvalUnary(e.As<UnaryExpr>());
    case NodeKind::kBinary: return EvalBinary(e.As<BinaryExpr>());
    case NodeKind::kAggregate: return EvalAggregate(e.As<AggregateExpr>());
    case NodeKind::kCall: return EvalCall(e.As<Call>());
    case NodeKind::kStringLiteral: return Status::Unsupported("string literal in an instant-vector or scalar context");
    case NodeKind::kMatrixSelector:
    case NodeKind::kSubquery: return Status::Unsupported("range vector in an instant-vector or scalar context");
  }
  return Status::Internal("unknown expression kind");
}

Result<EvMatrix> Evaluator::EvalNumber(double v) {
  // Account first: the step count is bounded by max_samples, not by trust.
  PROMETHIUM_RETURN_IF_ERROR(ctx_->AddSamples(num_steps()));
  EvMatrix m(1);
  ctx_->ChargeSeries(m[0].metric);
  m[0].points.reserve(static_cast<size_t>(num_steps()));
  for (int64_t ts = start_; ts <= end_; ts += interval_) m[0].points.push_back({ts, v});
  return m;
}

namespace {

// Streams the series of one Select, loading each series' samples in
// (mint_excl, maxt] into the caller's reused buffer.
class SelectCursor final : public Evaluator::SeriesCursor {
 public:
  SelectCursor(QueryContext* ctx, std::unique_ptr<SeriesSet> set, int64_t mint_excl, int64_t maxt, bool drop_stale,
               bool histogram_stats)
      : ctx_(ctx),
        set_(std::move(set)),
        mint_excl_(mint_excl),
        maxt_(maxt),
        drop_stale_(drop_stale),
        histogram_stats_(histogram_stats),
        loaded_(&ctx->memory) {}

  Result<bool> Next(Evaluator::RangeSeries* out) override {
    if (!set_->Next()) {
      PROMETHIUM_RETURN_IF_ERROR(set_->Err());
      for (auto& w : set_->Warnings()) {
        // A set, as Prometheus's annotations: each storage warning once.
        std::vector<std::string>& seen = ctx_->storage_warnings;
        if (std::find(seen.begin(), seen.end(), w) == seen.end()) seen.push_back(std::move(w));
      }
      return false;
    }
    if (++ctx_->check_counter % 64 == 0) PROMETHIUM_RETURN_IF_ERROR(ctx_->CheckDone("expression evaluation"));
    const Series& s = set_->At();
    out->metric = s.labels();
    out->drop_name = false;
    out->samples.clear();
    out->histograms.clear();
    histogram_bytes_ = 0;
    last_full_.reset();
    it_ = s.Iterator(std::move(it_));
    for (ValueType vt = it_->Seek(mint_excl_ + 1); vt != ValueType::kNone; vt = it_->Next()) {
      if (vt == ValueType::kHistogram || vt == ValueType::kFloatHistogram) {
        PROMETHIUM_ASSIGN_OR_RETURN(bool past_end, LoadHistogram(out));
        if (past_end) break;
        continue;
      }
      Sample smp = it_->At();
      if (smp.t <= mint_excl_) continue;
      if (smp.t > maxt_) break;
      if (drop_stale_ && IsStaleNaN(smp.v)) continue;
      out->samples.push_back(smp);
      // The raw samples of one series are held too: charged in batches.
      if ((out->samples.size() & 65535) == 0) PROMETHIUM_RETURN_IF_ERROR(loaded_.Set(LoadedBytes(*out)));
    }
    PROMETHIUM_RETURN_IF_ERROR(it_->Err());
    PROMETHIUM_RETURN_IF_ERROR(loaded_.Set(LoadedBytes(*out)));
    ctx_->total_samples += static_cast<int64_t>(out->samples.size() + out->histograms.size());
    return true;
  }

 private:
  QueryContext* ctx_;
  std::unique_ptr<SeriesSet> set_;
  std::unique_ptr<SampleIterator> it_;
  int64_t mint_excl_;
  int64_t maxt_;
  bool drop_stale_;
  bool histogram_stats_;                       // load count and sum only
  std::shared_ptr<FloatHistogram> last_full_;  // previous histogram, for reset hints
  ScopedCharge loaded_;                        // the caller's buffer, as last filled
  int64_t histogram_bytes_ = 0;                // of the histograms loaded into it

  // Reads the iterator's current histogram sample into out->histograms
  // (stale markers, whose sum is the stale NaN, are dropped like float
  // ones). Returns true once past maxt.
  Result<bool> LoadHistogram(Evaluator::RangeSeries* out) {
    const int64_t t = it_->AtT();
    if (t <= mint_excl_) return false;
    if (t > maxt_) return true;
    auto h = std::make_shared<FloatHistogram>();
    it_->AtFloatHistogram(h.get());
    if (drop_stale_ && IsStaleNaN(h->sum)) return false;
    if (histogram_stats_ && !IsStaleNaN(h->sum)) h = StatsOnly(std::move(h));
    histogram_bytes_ += HistogramWeight(*h) * kPointBytes;
    out->histograms.push_back({t, std::move(h)});
    if ((out->histograms.size() & 1023) == 0) PROMETHIUM_RETURN_IF_ERROR(loaded_.Set(LoadedBytes(*out)));
    return false;
  }

  // The histogram without buckets, its unknown counter-reset hint replaced
  // by what comparing with the previous (full) histogram says.
  std::shared_ptr<FloatHistogram> StatsOnly(std::shared_ptr<FloatHistogram> full) {
    auto stats = std::make_shared<FloatHistogram>();
    stats->counter_reset_hint = full->counter_reset_hint;
    stats->schema = full->schema;
    stats->count = full->count;
    stats->sum = full->sum;
    if (stats->counter_reset_hint == CounterResetHint::kUnknown && last_full_ != nullptr) {
      stats->counter_reset_hint =
          full->DetectReset(*last_full_) ? CounterResetHint::kCounterReset : CounterResetHint::kNotCounterReset;
    }
    // The next sample compares with this one, under the hint just decided.
    full->counter_reset_hint = stats->counter_reset_hint;
    last_full_ = std::move(full);
    return stats;
  }

  int64_t LoadedBytes(const Evaluator::RangeSeries& rs) const {
    return static_cast<int64_t>(rs.samples.capacity()) * kPointBytes + static_cast<int64_t>(rs.metric.ByteSize()) +
           histogram_bytes_;
  }
};

// Hands out already evaluated series (subquery results).
class MaterializedCursor final : public Evaluator::SeriesCursor {
 public:
  explicit MaterializedCursor(EvMatrix m) : m_(std::move(m)) {}
  Result<bool> Next(Evaluator::RangeSeries* out) override {
    if (pos_ >= m_.size()) return false;
    EvSeries& s = m_[pos_++];
    out->metric = std::move(s.metric);
    out->samples = std::move(s.points);
    out->histograms = std::move(s.histograms);
    out->drop_name = s.drop_name;
    return true;
  }

 private:
  EvMatrix m_;
  size_t pos_ = 0;
};

}  // namespace

std::unique_ptr<Evaluator::SeriesCursor> Evaluator::SelectSeries(const VectorSelector& vs, int64_t mint_excl,
                                                                 int64_t maxt, int64_t range, bool drop_stale) {
  SelectHints hints;
  hints.start = mint_excl + 1;
  hints.end = maxt;
  hints.step = interval_;
  hints.range = range;
  hints.func = std::string(hint_func_);
  if (hint_agg_ != nullptr) {
    hints.grouping = hint_agg_->grouping;
    hints.by = !hint_agg_->without;
  }
  return std::make_unique<SelectCursor>(ctx_, ctx_->querier->Select(true, &hints, vs.matchers), mint_excl, maxt,
                                        drop_stale, ctx_->histogram_stats_selectors.contains(&vs));
}

// An upper bound on the steps at which a selector over these samples yields
// a point, so its points vector is allocated once: growing it by doubling
// showed up as memmove and page faults in range queries over many steps.
size_t Evaluator::PointsBound(const std::vector<Sample>& smp, int64_t offset_ms, bool pinned, int64_t lookback) const {
  const int64_t steps = num_steps();
  if (smp.empty()) return 0;
  if (pinned) return static_cast<size_t>(steps);
  const int64_t lo = std::max(start_, smp.front().t + offset_ms);
  const int64_t hi = std::min(end_, smp.back().t + offset_ms + lookback);
  if (hi < lo) return 0;
  return static_cast<size_t>(std::min(steps, (hi - lo) / interval_ + 2));
}

Result<EvMatrix> Evaluator::EvalVectorSelector(const VectorSelector& vs, bool timestamps) {
  const std::optional<int64_t> at = AtTime(vs.at, vs.at_timestamp_ms);
  int64_t ref_min = RefTime(start_, vs.offset_ms, at);
  int64_t ref_max = RefTime(end_, vs.offset_ms, at);
  int64_t lookback = ctx_->lookback_ms;
  auto cursor = SelectSeries(vs, ref_min - lookback, ref_max, 0, false);
  EvMatrix out;
  RangeSeries rs;
  while (true) {
    PROMETHIUM_ASSIGN_OR_RETURN(bool more, cursor->Next(&rs));
    if (!more) break;
    EvSeries es;
    PROMETHIUM_RETURN_IF_ERROR(SelectorSteps(vs, rs, timestamps, &es));
    if (es.points.empty() && es.histograms.empty()) continue;
    es.drop_name = timestamps;
    PROMETHIUM_RETURN_IF_ERROR(ctx_->AddSamples(SeriesPoints(es)));
    es.metric = std::move(rs.metric);
    MaybeDropNameNow(&es);
    ctx_->ChargeSeries(es.metric);
    out.push_back(std::move(es));
  }
  if (timestamps && !ctx_->delayed_name_removal) PROMETHIUM_RETURN_IF_ERROR(CheckUniqueLabelsets(out));
  return out;
}

// The points of one selected series at every step: the newest sample
// (float or histogram) within the lookback, unless it is a stale marker.
Status Evaluator::SelectorSteps(const VectorSelector& vs, const RangeSeries& rs, bool timestamps, EvSeries* es) {
  std::optional<int64_t> at = AtTime(vs.at, vs.at_timestamp_ms);
  const int64_t lookback = ctx_->lookback_ms;
  const auto& smp = rs.samples;
  const auto& hs = rs.histograms;
  es->points.reserve(PointsBound(smp, vs.offset_ms, at.has_value(), lookback));
  size_t j = 0, k = 0;
  int64_t step = 0;
  for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
    PROMETHIUM_RETURN_IF_ERROR(
        ctx_->CheckProgress(step, static_cast<int64_t>(es->points.size() + es->histograms.size())));
    int64_t ref = RefTime(ts, vs.offset_ms, at);
    while (j < smp.size() && smp[j].t <= ref) ++j;
    while (k < hs.size() && hs[k].t <= ref) ++k;
    const bool has_float = j > 0 && smp[j - 1].t > ref - lookback;
    const bool has_hist = k > 0 && hs[k - 1].t > ref - lookback;
    if (has_hist && (!has_float || hs[k - 1].t > smp[j - 1].t)) {
      const HistogramPoint& h = hs[k - 1];
      if (IsStaleNaN(h.h->sum)) continue;
      if (timestamps) {
        es->points.push_back({ts, static_cast<double>(h.t) / 1000});
      } else {
        es->histograms.push_back({ts, h.h});
      }
      continue;
    }
    if (!has_float) continue;
    const Sample& s = smp[j - 1];
    if (IsStaleNaN(s.v)) continue;
    es->points.push_back({ts, timestamps ? static_cast<double>(s.t) / 1000 : s.v});
  }
  return Status::OK();
}

void FindHistogramStatsSelectors(const Expr& expr, std::unordered_set<const VectorSelector*>* out) {
  Inspect(expr, [out](const Expr& node, AstPath path) {
    if (node.kind() != NodeKind::kVectorSelector) return Visit::kContinue;
    bool skip_buckets = false;
    for (auto it = path.rbegin(); it != path.rend(); ++it) {  // innermost first
      const Expr& p = **it;
      if (p.kind() == NodeKind::kSubquery) {
        skip_buckets = false;  // counter resets need the buckets
        break;
      }
      if (p.kind() == NodeKind::kBinary) {
        const BinaryOp op = p.As<BinaryExpr>().op;
        if (op == BinaryOp::kTrimUpper || op == BinaryOp::kTrimLower) {
          skip_buckets = false;
          break;
        }
      }
      if (p.kind() != NodeKind::kCall) continue;
      const std::string_view f = p.As<Call>().func->name;
      if (f == "histogram_count" || f == "histogram_sum" || f == "histogram_avg") skip_buckets = true;
      if (f == "histogram_quantile" || f == "histogram_quantiles" || f == "histogram_fraction") {
        skip_buckets = false;
        break;
      }
    }
    if (skip_buckets) out->insert(&node.As<VectorSelector>());
    return Visit::kContinue;
  });
}

Status CheckUniqueLabelsets(const EvMatrix& m) {
  // Sorted hashes, not a hash set: one allocation instead of one per series.
  std::vector<uint64_t> hashes;
  hashes.reserve(m.size());
  for (const auto& s : m) hashes.push_back(s.metric.Hash());
  std::sort(hashes.begin(), hashes.end());
  if (std::adjacent_find(hashes.begin(), hashes.end()) != hashes.end()) return DuplicateLabelsetError();
  return Status::OK();
}

namespace {

template <typename P>
std::vector<P> MergeByTime(const std::vector<P>& a, const std::vector<P>& b) {
  std::vector<P> all;
  all.reserve(a.size() + b.size());
  std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(all),
             [](const P& x, const P& y) { return x.t < y.t; });
  return all;
}

template <typename P>
bool HasDuplicateTime(const std::vector<P>& v) {
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i].t == v[i - 1].t) return true;
  }
  return false;
}

}  // namespace

// Merges series that share a labelset (after __name__ removal) when their
// points do not overlap; overlapping points are a duplicate-labelset error.
Status MergeSameLabelset(EvMatrix* m) {
  std::unordered_map<uint64_t, size_t> first;
  EvMatrix out;
  out.reserve(m->size());
  for (auto& s : *m) {
    auto [it, inserted] = first.emplace(s.metric.Hash(), out.size());
    if (inserted) {
      out.push_back(std::move(s));
      continue;
    }
    EvSeries& dst = out[it->second];
    dst.points = MergeByTime(dst.points, s.points);
    dst.histograms = MergeByTime(dst.histograms, s.histograms);
    if (HasDuplicateTime(dst.points) || HasDuplicateTime(dst.histograms)) return DuplicateLabelsetError();
    if (!dst.points.empty() && !dst.histograms.empty()) {
      // A float and a histogram point at the same step collide too.
      std::vector<int64_t> ts;
      for (const auto& p : dst.points) ts.push_back(p.t);
      for (const auto& p : dst.histograms) ts.push_back(p.t);
      std::sort(ts.begin(), ts.end());
      if (std::adjacent_find(ts.begin(), ts.end()) != ts.end()) return DuplicateLabelsetError();
    }
  }
  *m = std::move(out);
  return Status::OK();
}

Status MergeSameLabelset(EvMatrix* m);

Status CleanupMetricLabels(EvMatrix* m, bool instant_vector) {
  for (auto& s : *m) {
    if (s.drop_name) {
      s.metric = s.metric.DropMetricName();
      s.drop_name = false;
    }
  }
  if (instant_vector) return CheckUniqueLabelsets(*m);
  return MergeSameLabelset(m);
}

Result<EvMatrix> Evaluator::EvalUnary(const UnaryExpr& u) {
  PROMETHIUM_ASSIGN_OR_RETURN(EvMatrix m, Eval(*u.expr));
  if (!u.negate) return m;
  bool scalar = u.expr->type() == ExprType::kScalar;
  for (auto& s : m) {
    for (auto& p : s.points) p.v = -p.v;
    for (auto& p : s.histograms) {
      auto neg = std::make_shared<FloatHistogram>(*p.h);
      neg->Mul(-1);
      p.h = std::move(neg);
    }
    if (scalar) continue;
    s.drop_name = true;
    MaybeDropNameNow(&s);
  }
  if (!scalar && !ctx_->delayed_name_removal) PROMETHIUM_RETURN_IF_ERROR(MergeSameLabelset(&m));
  return m;
}

Result<EvMatrix> Evaluator::RangeEvalExprs(const std::vector<const Expr*>& exprs, const StepFn& fn) {
  std::vector<EvMatrix> mats;
  mats.reserve(exprs.size());
  for (const Expr* e : exprs) {
    PROMETHIUM_ASSIGN_OR_RETURN(EvMatrix m, Eval(*e));
    mats.push_back(std::move(m));
  }
  std::vector<const EvMatrix*> ptrs;
  for (const auto& m : mats) ptrs.push_back(&m);
  auto res = RangeEval(ptrs, fn);
  for (const auto& m : mats) ctx_->ReleaseMatrix(m);
  return res;
}

// Per input series, the next float and histogram point to look at.
struct SeriesCursorPos {
  size_t f = 0;
  size_t h = 0;
};

static void GatherVector(int64_t ts, const EvMatrix& m, std::vector<SeriesCursorPos>* cursors, EvVector* out) {
  out->clear();
  for (size_t si = 0; si < m.size(); ++si) {
    const auto& pts = m[si].points;
    SeriesCursorPos& c = (*cursors)[si];
    while (c.f < pts.size() && pts[c.f].t < ts) ++c.f;
    if (c.f < pts.size() && pts[c.f].t == ts) {
      out->push_back({&m[si].metric, pts[c.f].v, m[si].drop_name, static_cast<int32_t>(si)});
      continue;
    }
    const auto& hs = m[si].histograms;
    if (hs.empty()) continue;
    while (c.h < hs.size() && hs[c.h].t < ts) ++c.h;
    if (c.h < hs.size() && hs[c.h].t == ts) {
      out->push_back({&m[si].metric, 0, m[si].drop_name, static_cast<int32_t>(si), hs[c.h].h});
    }
  }
}

// Charges the step's result: floats count one point, histograms their weight.
static int64_t VectorPoints(const EvVector& v) {
  int64_t n = 0;
  for (const auto& s : v) n += s.h ? HistogramWeight(*s.h) : 1;
  return n;
}

// Appends a step's sample to its output series.
static void AppendPoint(EvSeries* s, int64_t ts, const EvSample& smp) {
  if (smp.h) {
    s->histograms.push_back({ts, smp.h});
  } else {
    s->points.push_back({ts, smp.v});
  }
}

Result<EvMatrix> Evaluator::RangeEval(std::span<const EvMatrix* const> args, const StepFn& fn) {
  std::vector<EvVector> vecs(args.size());
  std::vector<std::vector<SeriesCursorPos>> cursors(args.size());
  for (size_t i = 0; i < args.size(); ++i) cursors[i].assign(args[i]->size(), SeriesCursorPos{});
  EvMatrix out;
  std::vector<int64_t> last_ts;
  std::unordered_map<const Labels*, size_t> by_ptr;
  std::unordered_map<uint64_t, size_t> by_hash;
  EvVector result;
  const bool single_step = start_ == end_;
  for (int64_t ts = start_; ts <= end_; ts += interval_) {
    PROMETHIUM_RETURN_IF_ERROR(ctx_->CheckDone("expression evaluation"));
    for (size_t i = 0; i < args.size(); ++i) GatherVector(ts, *args[i], &cursors[i], &vecs[i]);
    result.clear();
    PROMETHIUM_RETURN_IF_ERROR(fn(vecs, ts, &result));
    PROMETHIUM_RETURN_IF_ERROR(ctx_->AddSamples(VectorPoints(result)));
    if (single_step) {
      out.reserve(result.size());
      for (const auto& s : result) {
        out.push_back(EvSeries{*s.metric, {}, s.drop_name});
        AppendPoint(&out.back(), ts, s);
        ctx_->ChargeSeries(out.back().metric);
        PROMETHIUM_RETURN_IF_ERROR(ctx_->memory.Check());  // label sets can be huge: check each
      }
      if (!ctx_->delayed_name_removal) PROMETHIUM_RETURN_IF_ERROR(CheckUniqueLabelsets(out));
      return out;
    }
    for (const auto& s : result) {
      size_t idx;
      auto pit = by_ptr.find(s.metric);
      if (pit != by_ptr.end()) {
        idx = pit->second;
      } else {
        auto [hit, inserted] = by_hash.emplace(s.metric->Hash(), out.size());
        idx = hit->second;
        if (inserted) {
          out.push_back(EvSeries{*s.metric, {}, s.drop_name});
          ctx_->ChargeSeries(out.back().metric);
          PROMETHIUM_RETURN_IF_ERROR(ctx_->memory.Check());
          out.back().points.reserve(static_cast<size_t>(std::min<int64_t>(num_steps(), 1024)));
          last_ts.push_back(kMinTime);
        }
        by_ptr.emplace(s.metric, idx);
      }
      if (last_ts[idx] == ts) return DuplicateLabelsetError();
      last_ts[idx] = ts;
      AppendPoint(&out[idx], ts, s);
    }
  }
  return out;
}

Result<Evaluator::RangeArg> Evaluator::LoadRangeArg(const Expr& arg) {
  const Expr& e = Unparen(arg);
  if (e.kind() == NodeKind::kSubquery) return EvalSubqueryArg(e.As<SubqueryExpr>());
  if (e.kind() != NodeKind::kMatrixSelector) return Status::Unsupported("range vector argument of this kind");
  const auto& ms = e.As<MatrixSelector>();
  const VectorSelector& vs = *ms.vector_selector;
  RangeArg ra;
  ra.range_ms = ms.range_ms;
  ra.offset_ms = vs.offset_ms;
  ra.at_ms = AtTime(vs.at, vs.at_timestamp_ms);
  int64_t ref_min = RefTime(start_, vs.offset_ms, ra.at_ms);
  int64_t ref_max = RefTime(end_, vs.offset_ms, ra.at_ms);
  ra.series = SelectSeries(vs, ref_min - ms.range_ms, ref_max, ms.range_ms, true);
  return ra;
}

// A subquery's histograms lose their (not) counter reset hints, as in
// Prometheus: the subquery may skip or repeat the samples they describe,
// so resets are detected from the values instead.
static void ForgetCounterResetHints(EvMatrix* m) {
  for (auto& s : *m) {
    for (auto& p : s.histograms) {
      const CounterResetHint hint = p.h->counter_reset_hint;
      if (hint != CounterResetHint::kCounterReset && hint != CounterResetHint::kNotCounterReset) continue;
      auto h = std::make_shared<FloatHistogram>(*p.h);
      h->counter_reset_hint = CounterResetHint::kUnknown;
      p.h = std::move(h);
    }
  }
}

Result<Evaluator::RangeArg> Evaluator::EvalSubqueryArg(const SubqueryExpr& sq) {
  RangeArg ra;
  ra.range_ms = sq.range_ms;
  ra.offset_ms = sq.offset_ms;
  ra.at_ms = AtTime(sq.at, sq.at_timestamp_ms);
  int64_t step = sq.step_ms > 0 ? sq.step_ms : ctx_->default_subquery_step_ms;
  int64_t outer_start = ra.at_ms ? *ra.at_ms : start_;
  int64_t outer_end = ra.at_ms ? *ra.at_ms : end_;
  int64_t lo = outer_start - sq.offset_ms - sq.range_ms;
  int64_t inner_start = step * (lo / step);
  if (inner_start <= lo) inner_start += step;
  int64_t inner_end = outer_end - sq.offset_ms;
  EvMatrix m;
  if (inner_start <= inner_end) {
    Evaluator inner(ctx_, inner_start, inner_end, step);
    PROMETHIUM_ASSIGN_OR_RETURN(m, inner.Eval(*sq.expr));
  }
  ForgetCounterResetHints(&m);
  ra.held_samples = TotalPoints(m);
  for (const auto& s : m) ra.held_series_bytes += SeriesBytes(s.metric);
  ra.series = std::make_unique<MaterializedCursor>(std::move(m));
  return ra;
}

Result<EvMatrix> Evaluator::EvalRangeVectorAtStep(const Expr& e, int64_t ts) {
  PROMETHIUM_ASSIGN_OR_RETURN(RangeArg ra, LoadRangeArg(e));
  int64_t ref = RefTime(ts, ra.offset_ms, ra.at_ms);
  EvMatrix out;
  RangeSeries rs;
  while (true) {
    PROMETHIUM_ASSIGN_OR_RETURN(bool more, ra.series->Next(&rs));
    if (!more) break;
    EvSeries es;
    for (const auto& s : rs.samples) {
      if (s.t > ref - ra.range_ms && s.t <= ref) es.points.push_back(s);
    }
    for (const auto& h : rs.histograms) {
      if (h.t > ref - ra.range_ms && h.t <= ref) es.histograms.push_back(h);
    }
    if (es.points.empty() && es.histograms.empty()) continue;
    PROMETHIUM_RETURN_IF_ERROR(ctx_->AddSamples(SeriesPoints(es)));
    es.metric = std::move(rs.metric);
    es.drop_name = rs.drop_name;
    ctx_->ChargeSeries(es.metric);
    out.push_back(std::move(es));
  }
  ctx_->ReleaseSamples(ra.held_samples);
  ctx_->memory.Release(ra.held_series_bytes);
  return out;
}

}  // namespace promethium::promql
