// Evaluator: walks a parsed PromQL AST over the steps of one query.
//
// Internal to the engine (not part of the public API). Every instant-vector
// or scalar expression evaluates to an EvMatrix holding, per output series,
// its points at the query steps (scalars: one label-less series with a point
// at every step), as Prometheus's evaluator does. Range-vector arguments of
// functions are never materialised for all steps: each series' samples are
// loaded once and windows slide over them (see functions_range.cc).
//
// Ownership: an Evaluator borrows the Querier, the AST and the limits for
// the duration of one query; results own their data.
// Thread-safety: one Evaluator per query, used by one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "promql/engine/annotations.h"
#include "promql/engine/query_memory.h"
#include "promql/engine/value.h"
#include "promql/parser/ast.h"
#include "promql/parser/functions.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/result.h"

namespace promethium::promql {

using HistogramPtr = std::shared_ptr<const FloatHistogram>;

// One output series of an expression, with delayed __name__ removal state.
// A series may hold float points and native-histogram points, never both
// at the same step (Prometheus's Series{Floats, Histograms}).
struct EvSeries {
  Labels metric;
  std::vector<Sample> points;                   // increasing t, at query steps
  bool drop_name = false;                       // remove __name__ at the end of evaluation
  std::vector<HistogramPoint> histograms = {};  // increasing t, at query steps
};
using EvMatrix = std::vector<EvSeries>;

// One element of an instant vector at one step. `metric` points at labels
// that outlive the step (an input series or a NodeHelper-interned set).
// A histogram sample has `h` set (then `v` is unused); histograms are
// immutable once produced, so samples share them.
struct EvSample {
  const Labels* metric = nullptr;
  double v = 0;
  bool drop_name = false;
  int32_t series = -1;  // index in the argument matrix when gathered from one
  HistogramPtr h = nullptr;
};
using EvVector = std::vector<EvSample>;

// Bytes charged to QueryMemory per point, and per materialised series on top
// of its points (the EvSeries and its label set).
inline constexpr int64_t kPointBytes = sizeof(Sample);
inline int64_t SeriesBytes(const Labels& metric) { return static_cast<int64_t>(sizeof(EvSeries) + metric.ByteSize()); }
// A histogram point counts as this many points towards --query.max-samples
// and QueryMemory: its real heap size (the point, the shared histogram with
// its control block, spans, buckets and custom bounds) in kPointBytes units,
// rounded up. As Prometheus (HPoint.size), a bigger histogram weighs more.
int64_t HistogramWeight(const FloatHistogram& h);
// The total weight of histogram points (see HistogramWeight).
int64_t HistogramsWeight(const std::vector<HistogramPoint>& hs);

// Limits and shared state for one query (shared by nested evaluators).
struct QueryContext {
  Querier* querier = nullptr;
  std::string_view query;  // for annotation positions
  int64_t query_start = 0;
  int64_t query_end = 0;
  int64_t query_step = 0;  // 0 for instant queries
  int64_t lookback_ms = 0;
  int64_t default_subquery_step_ms = 60000;
  int64_t max_samples = 0;
  QueryMemory memory;  // --query.max-memory; points, series, label sets
  std::chrono::steady_clock::time_point deadline;
  std::chrono::milliseconds timeout{0};
  const std::atomic<bool>* canceled = nullptr;
  bool delayed_name_removal = true;
  bool enable_limit_aggregations = false;
  // Selectors whose histograms only histogram_count/sum/avg read: they are
  // loaded without buckets and with counter-reset hints detected while
  // reading, as Prometheus's HistogramStatsIterator does.
  std::unordered_set<const VectorSelector*> histogram_stats_selectors;
  Annotations annotations;
  std::vector<std::string> storage_warnings;  // from SeriesSet::Warnings()
  int64_t current_samples = 0;
  int64_t peak_samples = 0;
  int64_t total_samples = 0;  // samples read from storage
  uint64_t check_counter = 0;

  // Fails with the timeout/cancellation error when one applies.
  Status CheckDone(std::string_view where);
  // Accounts n more samples (and their bytes) held in memory; fails past
  // max_samples or the memory limit (whatever was charged since the last
  // check included).
  Status AddSamples(int64_t n);
  void ReleaseSamples(int64_t n) {
    current_samples -= n;
    memory.Release(n * kPointBytes);
  }
  // A series was materialised: charges its label set (checked with the next
  // AddSamples). Every EvSeries the evaluator creates is charged once, so
  // ReleaseMatrix can release what it holds.
  void ChargeSeries(const Labels& metric) { memory.Charge(SeriesBytes(metric)); }
  // Releases the samples and series bytes of a matrix that is freed.
  void ReleaseMatrix(const EvMatrix& m);
  // For long per-series step loops: every 4096 steps, checks timeout and
  // cancellation, and that `pending` not yet accounted samples would fit.
  Status CheckProgress(int64_t step, int64_t pending) {
    if ((step & 4095) != 4095) return Status::OK();
    PROMETHIUM_RETURN_IF_ERROR(CheckDone("expression evaluation"));
    if (current_samples + pending > max_samples) return AddSamples(pending);
    if (memory.limit() > 0 && memory.current() + pending * kPointBytes > memory.limit()) {
      memory.Charge(pending * kPointBytes);
      Status st = memory.Check();
      memory.Release(pending * kPointBytes);
      return st;
    }
    return Status::OK();
  }
};

// Per-node scratch: interned label sets that live as long as the node's
// evaluation, so step vectors can point at them. Their bytes are charged to
// the query's QueryMemory (when given) until the helper is destroyed.
class NodeHelper {
 public:
  explicit NodeHelper(QueryMemory* memory = nullptr) : memory_(memory) {}
  ~NodeHelper() {
    if (memory_ != nullptr) memory_->Release(charged_);
  }
  NodeHelper(const NodeHelper&) = delete;
  NodeHelper& operator=(const NodeHelper&) = delete;
  const Labels* Intern(Labels labels);
  // The memory limit error once interned label sets (and everything else
  // the query holds) exceed it: loops that intern many or large label sets
  // within one step call this after each new one.
  Status CheckMemory() const { return memory_ != nullptr ? memory_->Check() : Status::OK(); }
  // The input labels without __name__ (cached per input pointer).
  const Labels* WithoutName(const Labels* in);

 private:
  std::deque<Labels> store_;  // stable addresses, allocated in blocks
  std::unordered_multimap<uint64_t, const Labels*> interned_;
  std::unordered_map<const Labels*, const Labels*> without_name_;
  QueryMemory* memory_;
  int64_t charged_ = 0;
};

// A per-step function of rangeEval: computes the output vector at `ts` from
// the argument vectors at `ts` (scalars are one-element vectors).
using StepFn = std::function<Status(std::span<const EvVector> args, int64_t ts, EvVector* out)>;

class Evaluator {
 public:
  Evaluator(QueryContext* ctx, int64_t start, int64_t end, int64_t interval)
      : ctx_(ctx), start_(start), end_(end), interval_(interval) {}

  // Evaluates an instant-vector or scalar expression over all steps.
  Result<EvMatrix> Eval(const Expr& e);
  // Evaluates a range-vector expression (matrix selector or subquery) at the
  // single step of an instant query, as the query's final result.
  Result<EvMatrix> EvalRangeVectorAtStep(const Expr& e, int64_t ts);

  int64_t start() const { return start_; }
  int64_t end() const { return end_; }
  int64_t interval() const { return interval_; }
  int64_t num_steps() const { return (end_ - start_) / interval_ + 1; }
  QueryContext* ctx() { return ctx_; }

  // Runs fn at every step over the evaluated args, merging outputs by labels.
  Result<EvMatrix> RangeEval(std::span<const EvMatrix* const> args, const StepFn& fn);
  Result<EvMatrix> RangeEvalExprs(const std::vector<const Expr*>& exprs, const StepFn& fn);

  // Removes __name__ where drop_name is set, unless removal is delayed.
  void MaybeDropNameNow(EvSeries* s) const;
  const Labels* MaybeDropNameNow(NodeHelper* h, const Labels* l) const;

  // The series of a range-vector argument: samples loaded once, stale
  // markers removed, plus the window geometry.
  struct RangeSeries {
    Labels metric;
    std::vector<Sample> samples;
    bool drop_name = false;
    std::vector<HistogramPoint> histograms;  // disjoint in time from samples
  };
  // Yields the series of a selector (streamed from storage) or of a
  // subquery (materialised) one at a time.
  class SeriesCursor {
   public:
    virtual ~SeriesCursor() = default;
    // Fills *out, reusing its buffers; returns false when exhausted.
    virtual Result<bool> Next(RangeSeries* out) = 0;
  };
  struct RangeArg {
    std::unique_ptr<SeriesCursor> series;
    int64_t range_ms = 0;
    int64_t offset_ms = 0;
    std::optional<int64_t> at_ms;   // fixed reference time
    int64_t held_samples = 0;       // accounted in QueryContext
    int64_t held_series_bytes = 0;  // its series' SeriesBytes, accounted too
  };
  Result<RangeArg> LoadRangeArg(const Expr& e);
  // The reference time of a step for an offset/@ pair.
  int64_t RefTime(int64_t ts, int64_t offset_ms, const std::optional<int64_t>& at) const {
    return (at ? *at : ts) - offset_ms;
  }
  std::optional<int64_t> AtTime(AtModifier at, int64_t at_ts) const;

  // Node kinds, implemented in binary_ops.cc, aggregations.cc and
  // functions_*.cc.
  Result<EvMatrix> EvalBinary(const BinaryExpr& b);
  Result<EvMatrix> EvalAggregate(const AggregateExpr& a);
  Result<EvMatrix> EvalCountValues(const AggregateExpr& a);
  Result<EvMatrix> EvalCall(const Call& c);
  Result<EvMatrix> EvalRangeFunction(const Call& c, int matrix_arg);
  Result<EvMatrix> EvalInstantFunction(const Call& c);
  Result<EvMatrix> EvalLabelReplace(const Call& c);
  Result<EvMatrix> EvalLabelJoin(const Call& c);
  // timestamp(selector): the selected samples' own timestamps (seconds).
  Result<EvMatrix> EvalTimestampOfSelector(const VectorSelector& vs) { return EvalVectorSelector(vs, true); }

  // Select hints for selectors evaluated while these are set (the nearest
  // enclosing function and aggregation), as Prometheus fills them.
  struct HintScope {
    HintScope(Evaluator* ev, std::string_view func, const AggregateExpr* agg)
        : ev_(ev), func_(ev->hint_func_), agg_(ev->hint_agg_) {
      if (!func.empty()) ev->hint_func_ = func;
      if (agg != nullptr) ev->hint_agg_ = agg;
    }
    ~HintScope() {
      ev_->hint_func_ = func_;
      ev_->hint_agg_ = agg_;
    }
    Evaluator* ev_;
    std::string_view func_;
    const AggregateExpr* agg_;
  };

 private:
  Result<EvMatrix> EvalVectorSelector(const VectorSelector& vs, bool timestamps = false);
  size_t PointsBound(const std::vector<Sample>& smp, int64_t offset_ms, bool pinned, int64_t lookback) const;
  Status SelectorSteps(const VectorSelector& vs, const RangeSeries& rs, bool timestamps, EvSeries* es);
  Result<EvMatrix> EvalUnary(const UnaryExpr& u);
  Result<EvMatrix> EvalNumber(double v);
  Result<RangeArg> EvalSubqueryArg(const SubqueryExpr& sq);
  std::unique_ptr<SeriesCursor> SelectSeries(const VectorSelector& vs, int64_t mint_excl, int64_t maxt, int64_t range,
                                             bool drop_stale);

  QueryContext* ctx_;
  int64_t start_;
  int64_t end_;
  int64_t interval_;
  std::string_view hint_func_;
  const AggregateExpr* hint_agg_ = nullptr;
};

// The value of a scalar argument at one step (NaN if, defensively, absent).
inline double ScalarOf(const EvVector& v) { return v.empty() ? std::numeric_limits<double>::quiet_NaN() : v[0].v; }

// Fills ctx->histogram_stats_selectors for expr (Prometheus's
// detectHistogramStatsDecoding).
void FindHistogramStatsSelectors(const Expr& expr, std::unordered_set<const VectorSelector*>* out);

// Prometheus 3.x label-name validity (UTF-8 scheme): non-empty, valid UTF-8.
bool IsValidUtf8LabelName(std::string_view name);

// Unwraps parentheses.
const Expr& Unparen(const Expr& e);
// The value of a string-literal argument (through parentheses).
std::string StringArg(const Expr& e);
// "vector cannot contain metrics with the same labelset" as a Status.
Status DuplicateLabelsetError();
// Applies delayed __name__ removal at the end of evaluation; duplicate
// labelsets are an error (instant vectors) or merged when disjoint (matrices).
Status CleanupMetricLabels(EvMatrix* m, bool instant_vector);
// Fails with the duplicate-labelset error when two series share labels.
Status CheckUniqueLabelsets(const EvMatrix& m);
// Merges series sharing a labelset when their points are disjoint in time.
Status MergeSameLabelset(EvMatrix* m);
// Total points held by a matrix, histogram points by their weight.
int64_t TotalPoints(const EvMatrix& m);
// The points of one series, histogram points by their weight.
int64_t SeriesPoints(const EvSeries& s);

}  // namespace promethium::promql
