// Engine: query entry points, limits, concurrency and error mapping
// (see engine.h). Evaluation itself lives in evaluator*.cc.
#include "promql/engine/engine.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "promql/engine/evaluator.h"
#include "promql/parser/walk.h"
#include "tsdb/base/cond_var.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::promql {

std::string_view QueryErrorTypeName(QueryErrorType t) {
  switch (t) {
    case QueryErrorType::kNone: return "";
    case QueryErrorType::kBadData: return "bad_data";
    case QueryErrorType::kExecution: return "execution";
    case QueryErrorType::kTimeout: return "timeout";
    case QueryErrorType::kCanceled: return "canceled";
    case QueryErrorType::kInternal: return "internal";
  }
  return "internal";
}

std::string_view ResultTypeName(const Value& v) {
  switch (v.index()) {
    case 0: return "scalar";
    case 1: return "string";
    case 2: return "vector";
    default: return "matrix";
  }
}

// A counting semaphore whose waiters give up at a deadline or on cancel.
struct Engine::Impl {
  Mutex mu;
  CondVar cv;  // with mu: a slot was freed
  int active GUARDED_BY(mu) = 0;
  Gauge* queries_gauge = nullptr;
  HistogramMetric* duration_hist = nullptr;
};

namespace {

QueryResult ErrorResult(QueryErrorType type, std::string msg) {
  QueryResult r;
  r.error_type = type;
  r.error = std::move(msg);
  return r;
}

QueryErrorType ErrorTypeFor(const Status& s) {
  switch (s.code()) {
    case Status::Code::kCanceled: return QueryErrorType::kCanceled;
    case Status::Code::kDeadlineExceeded: return QueryErrorType::kTimeout;
    case Status::Code::kIOError:
    case Status::Code::kCorruption:
    case Status::Code::kInternal: return QueryErrorType::kInternal;
    default: return QueryErrorType::kExecution;
  }
}

// The [mint, maxt] of samples any selector in `e` may read when evaluated
// over [start, end] (Prometheus's FindMinMaxTimes): each vector selector
// covers its range (the lookback outside a matrix selector), shifted by its
// own and its enclosing subqueries' offsets, ranges and @ times.
void FindMinMaxTime(const Expr& e, int64_t start, int64_t end, int64_t lookback, int64_t* mint, int64_t* maxt) {
  auto at_time = [&](AtModifier at, int64_t ts) -> std::optional<int64_t> {
    switch (at) {
      case AtModifier::kTimestamp: return ts;
      case AtModifier::kStart: return start;
      case AtModifier::kEnd: return end;
      default: return std::nullopt;
    }
  };
  Inspect(e, [&](const Expr& node, AstPath path) {
    if (node.kind() != NodeKind::kVectorSelector) return Visit::kContinue;
    int64_t s = start;
    int64_t en = end;
    for (const Expr* ancestor : path) {  // outermost subquery first
      if (ancestor->kind() != NodeKind::kSubquery) continue;
      const auto& sq = ancestor->As<SubqueryExpr>();
      auto at = at_time(sq.at, sq.at_timestamp_ms);
      s = (at ? *at : s) - sq.offset_ms - sq.range_ms;
      en = (at ? *at : en) - sq.offset_ms;
    }
    const auto& vs = node.As<VectorSelector>();
    bool in_matrix = !path.empty() && path.back()->kind() == NodeKind::kMatrixSelector;
    int64_t range = in_matrix ? path.back()->As<MatrixSelector>().range_ms : lookback;
    auto at = at_time(vs.at, vs.at_timestamp_ms);
    *mint = std::min(*mint, (at ? *at : s) - vs.offset_ms - range);
    *maxt = std::max(*maxt, (at ? *at : en) - vs.offset_ms);
    return Visit::kContinue;
  });
}

Value ToValue(EvMatrix m, ExprType type, bool instant, int64_t ts) {
  if (type == ExprType::kScalar) {
    if (instant) return Scalar{ts, m.empty() || m[0].points.empty() ? 0 : m[0].points[0].v};
    Matrix out(1);
    if (!m.empty()) out[0].points = std::move(m[0].points);
    return out;
  }
  if (instant && type == ExprType::kVector) {
    Vector v;
    v.reserve(m.size());
    for (auto& s : m) {
      if (!s.points.empty()) {
        v.push_back({std::move(s.metric), ts, s.points[0].v, nullptr});
      } else if (!s.histograms.empty()) {
        v.push_back({std::move(s.metric), ts, 0, std::move(s.histograms[0].h)});
      }
    }
    return v;
  }
  Matrix out;
  out.reserve(m.size());
  for (auto& s : m) out.push_back({std::move(s.metric), std::move(s.points), std::move(s.histograms)});
  if (!instant) {
    std::sort(out.begin(), out.end(), [](const MatrixSeries& a, const MatrixSeries& b) { return a.metric < b.metric; });
  }
  return out;
}

}  // namespace

Engine::Engine(EngineOptions opts) : opts_(std::move(opts)), impl_(std::make_unique<Impl>()) {
  if (opts_.metrics != nullptr) {
    impl_->queries_gauge = opts_.metrics->GetGauge("prometheus_engine_queries",
                                                   "The current number of queries being executed or waiting.");
    opts_.metrics->GetGauge("prometheus_engine_queries_concurrent_max", "The max number of concurrent queries.")
        ->Set(opts_.max_concurrency);
    impl_->duration_hist = opts_.metrics->GetHistogram("prometheus_engine_query_duration_seconds", "Query timings",
                                                       {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60});
  }
}

Engine::~Engine() = default;

QueryResult Engine::InstantQuery(Queryable& storage, std::string_view query, int64_t ts_ms, const QueryOptions& opts) {
  return RangeQuery(storage, query, ts_ms, ts_ms, 0, opts);
}

namespace {

// Checks what Prometheus checks before evaluating: step, range and the
// expression type of range queries. Returns an error result or nullopt.
std::optional<QueryResult> ValidateQuery(const Expr& expr, bool instant, int64_t start_ms, int64_t end_ms,
                                         int64_t step_ms) {
  if (instant) return std::nullopt;
  if (step_ms <= 0) {
    return ErrorResult(QueryErrorType::kBadData,
                       "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if (end_ms < start_ms) return ErrorResult(QueryErrorType::kBadData, "end timestamp must not be before start time");
  if (expr.type() != ExprType::kScalar && expr.type() != ExprType::kVector) {
    return ErrorResult(QueryErrorType::kBadData,
                       fmt::format("invalid expression type \"{}\" for range query, must be Scalar or instant Vector",
                                   ExprTypeName(expr.type())));
  }
  return std::nullopt;
}

// Evaluates a validated expression; fills value or error and annotations.
void Evaluate(QueryContext* ctx, const Expr& expr, bool instant, int64_t start_ms, int64_t end_ms, int64_t step_ms,
              QueryResult* result) {
  Status st;
  if (expr.type() == ExprType::kString) {
    result->value = String{start_ms, StringArg(expr)};
  } else {
    Evaluator ev(ctx, start_ms, end_ms, instant ? 1 : step_ms);
    Result<EvMatrix> m =
        expr.type() == ExprType::kMatrix ? ev.EvalRangeVectorAtStep(Unparen(expr), start_ms) : ev.Eval(expr);
    if (m.ok() && ctx->delayed_name_removal) {
      st = CleanupMetricLabels(&m.value(), instant && expr.type() == ExprType::kVector);
    }
    if (!m.ok()) st = m.status();
    if (st.ok()) result->value = ToValue(std::move(m).value(), expr.type(), instant, start_ms);
  }
  result->warnings = ctx->annotations.Warnings();
  result->warnings.insert(result->warnings.end(), ctx->storage_warnings.begin(), ctx->storage_warnings.end());
  result->infos = ctx->annotations.Infos();
  if (!st.ok()) {
    result->error_type = ErrorTypeFor(st);
    result->error = st.message();
  }
}

}  // namespace

// Holds one of the max_concurrency evaluation slots while alive.
class Engine::AdmissionTicket {
 public:
  explicit AdmissionTicket(Impl* impl) : impl_(impl) {}
  ~AdmissionTicket() {
    {
      MutexLock lock(&impl_->mu);
      --impl_->active;
    }
    impl_->cv.Signal();
  }
  AdmissionTicket(const AdmissionTicket&) = delete;
  AdmissionTicket& operator=(const AdmissionTicket&) = delete;

 private:
  Impl* impl_;
};

Result<std::unique_ptr<Engine::AdmissionTicket>> Engine::Admit(std::chrono::steady_clock::time_point deadline,
                                                               const std::atomic<bool>* canceled) {
  MutexLock lock(&impl_->mu);
  while (opts_.max_concurrency > 0 && impl_->active >= opts_.max_concurrency) {
    // Wake at least every 50ms to notice cancellation.
    auto wake = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
    impl_->cv.WaitUntil(&impl_->mu, wake);
    if (std::chrono::steady_clock::now() >= deadline) return Status::DeadlineExceeded("query timed out in query queue");
    if (canceled && canceled->load()) return Status::Canceled("query was canceled in query queue");
  }
  ++impl_->active;
  return std::make_unique<AdmissionTicket>(impl_.get());
}

QueryResult Engine::RangeQuery(Queryable& storage, std::string_view query, int64_t start_ms, int64_t end_ms,
                               int64_t step_ms, const QueryOptions& opts) {
  const bool instant = step_ms == 0 && start_ms == end_ms;
  auto began = std::chrono::steady_clock::now();
  std::chrono::milliseconds timeout = opts_.timeout;
  if (opts.timeout.count() > 0 && (timeout.count() <= 0 || opts.timeout < timeout)) timeout = opts.timeout;
  auto deadline = began + timeout;

  auto parsed = ParseExpr(query, opts_.parse);
  if (!parsed.ok()) return ErrorResult(QueryErrorType::kBadData, parsed.status().message());
  const Expr& expr = **parsed;
  if (auto invalid = ValidateQuery(expr, instant, start_ms, end_ms, step_ms)) return *invalid;

  if (impl_->queries_gauge) impl_->queries_gauge->Add(1);
  struct GaugeDec {
    Gauge* g;
    ~GaugeDec() {
      if (g) g->Add(-1);
    }
  } gauge_dec{impl_->queries_gauge};
  auto ticket = Admit(deadline, opts.canceled);
  if (!ticket.ok()) return ErrorResult(ErrorTypeFor(ticket.status()), ticket.status().message());

  QueryContext ctx;
  ctx.query = query;
  ctx.annotations.SetQuery(query);
  ctx.query_start = start_ms;
  ctx.query_end = end_ms;
  ctx.query_step = instant ? 0 : step_ms;
  ctx.lookback_ms = opts.lookback_delta_ms > 0 ? opts.lookback_delta_ms : opts_.lookback_delta_ms;
  ctx.default_subquery_step_ms = opts_.default_subquery_step_ms > 0 ? opts_.default_subquery_step_ms : 60000;
  ctx.max_samples = opts_.max_samples;
  ctx.memory.set_limit(opts_.max_memory_bytes);
  ctx.deadline = deadline;
  ctx.timeout = timeout;
  ctx.canceled = opts.canceled;
  ctx.delayed_name_removal = opts_.enable_delayed_name_removal;
  ctx.enable_limit_aggregations = opts_.parse.enable_limit_aggregations;
  FindHistogramStatsSelectors(expr, &ctx.histogram_stats_selectors);

  int64_t mint = kMaxTime, maxt = kMinTime;
  FindMinMaxTime(expr, start_ms, end_ms, ctx.lookback_ms, &mint, &maxt);
  if (mint > maxt) mint = maxt = start_ms;
  auto querier = storage.NewQuerier(mint, maxt);
  if (!querier.ok()) return ErrorResult(QueryErrorType::kInternal, querier.status().message());
  ctx.querier = querier->get();

  QueryResult result;
  Evaluate(&ctx, expr, instant, start_ms, end_ms, step_ms, &result);
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  result.stats.total_time_seconds = elapsed;
  result.stats.total_queryable_samples = ctx.total_samples;
  result.stats.peak_samples = ctx.peak_samples;
  result.stats.peak_memory_bytes = ctx.memory.peak();
  if (impl_->duration_hist) impl_->duration_hist->Observe(elapsed);
  return result;
}

}  // namespace promethium::promql
