#include "tsdb/head/head.h"

#include <bit>
#include <limits>

namespace promethium::tsdb {
namespace {

size_t RoundUpPow2(size_t n) { return std::bit_ceil(n < 1 ? size_t{1} : n); }

}  // namespace

Head::Head(const HeadOptions& opts, MetricsRegistry* metrics)
    : opts_(opts),
      stripe_mask_(RoundUpPow2(opts.stripe_count) - 1),
      ref_stripes_(new RefStripe[stripe_mask_ + 1]),
      hash_stripes_(new HashStripe[stripe_mask_ + 1]),
      min_time_(std::numeric_limits<int64_t>::max()),
      max_time_(std::numeric_limits<int64_t>::min()),
      commit_failure_log_(opts.commit_failure_log_interval_ms) {
  if (metrics == nullptr) {
    own_metrics_ = std::make_unique<MetricsRegistry>();
    metrics = own_metrics_.get();
  }
  const MetricLabels float_type = {{"type", "float"}};
  metrics_.series = metrics->GetGauge("prometheus_tsdb_head_series", "Total number of series in the head block.");
  metrics_.series_created =
      metrics->GetCounter("prometheus_tsdb_head_series_created_total", "Total number of series created in the head");
  metrics_.samples_appended = metrics->GetCounter("prometheus_tsdb_head_samples_appended_total",
                                                  "Total number of appended samples.", float_type);
  metrics_.out_of_order = metrics->GetCounter(
      "prometheus_tsdb_out_of_order_samples_total",
      "Total number of out of order samples ingestion failed attempts due to out of order being disabled.", float_type);
  metrics_.out_of_bound =
      metrics->GetCounter("prometheus_tsdb_out_of_bound_samples_total",
                          "Total number of out of bound samples ingestion failed attempts.", float_type);
  metrics_.chunks = metrics->GetGauge("prometheus_tsdb_head_chunks", "Total number of chunks in the head block.");
  metrics_.chunks_created =
      metrics->GetCounter("prometheus_tsdb_head_chunks_created_total", "Total number of chunks created in the head");
  metrics_.min_time = metrics->GetGauge("prometheus_tsdb_head_min_time", "Minimum time bound of the head block.");
  metrics_.max_time = metrics->GetGauge("prometheus_tsdb_head_max_time", "Maximum timestamp of the head block.");
  metrics_.ooo_appended = metrics->GetCounter("prometheus_tsdb_head_out_of_order_samples_appended_total",
                                              "Total number of appended out of order samples.", float_type);
  metrics_.too_old = metrics->GetCounter(
      "prometheus_tsdb_too_old_samples_total",
      "Total number of out of order samples ingestion failed attempts due to samples being too old.", float_type);
  metrics_.truncations =
      metrics->GetCounter("prometheus_tsdb_head_truncations_total", "Total number of head truncations attempted.");
  metrics_.truncations_failed = metrics->GetCounter("prometheus_tsdb_head_truncations_failed_total",
                                                    "Total number of head truncations that failed.");
  metrics_.series_removed =
      metrics->GetCounter("prometheus_tsdb_head_series_removed_total", "Total number of series removed in the head");
  metrics_.chunks_removed =
      metrics->GetCounter("prometheus_tsdb_head_chunks_removed_total", "Total number of chunks removed in the head");
  metrics_.gc_duration =
      metrics->GetHistogram("prometheus_tsdb_head_gc_duration_seconds",
                            "Runtime of garbage collection in the head block.", {0.001, 0.01, 0.1, 0.5, 1, 5, 10});
  metrics_.failed_commits =
      metrics->GetCounter("promethium_tsdb_head_failed_commits_total",
                          "Commits that failed because writing the WAL failed (a full disk, say); none of their "
                          "samples were ingested.");
  metrics_.failed_commit_samples = metrics->GetCounter("promethium_tsdb_head_failed_commit_samples_total",
                                                       "Samples of the commits counted by "
                                                       "promethium_tsdb_head_failed_commits_total.");
  metrics_.min_time->Set(static_cast<double>(MinTime()));
  metrics_.max_time->Set(static_cast<double>(MaxTime()));
}

Head::~Head() {
  for (size_t i = 0; i <= stripe_mask_; ++i) {
    MutexLock lock(&ref_stripes_[i].mu);
    ref_stripes_[i].series.ForEach([](MemSeries* s) { delete s; });
  }
}

MemSeries* Head::GetByRef(SeriesRef ref) const {
  const RefStripe& stripe = ref_stripes_[ref & stripe_mask_];
  ReaderMutexLock lock(&stripe.mu);
  return stripe.series.Find(ref, [ref](const MemSeries& s) { return s.ref() == ref; });
}

MemSeries* Head::GetByRefPinned(SeriesRef ref) const {
  const RefStripe& stripe = ref_stripes_[ref & stripe_mask_];
  ReaderMutexLock lock(&stripe.mu);
  MemSeries* s = stripe.series.Find(ref, [ref](const MemSeries& s) { return s.ref() == ref; });
  if (s != nullptr) s->Pin();  // under the stripe lock: GC cannot be deciding on it
  return s;
}

bool Head::SeriesExists(SeriesRef ref) const { return GetByRef(ref) != nullptr; }

MemSeries* Head::FindByHash(const HashStripe& stripe, uint64_t hash, const Labels& labels) const {
  return stripe.series.Find(hash, [&labels](const MemSeries& s) { return s.LabelsEqual(labels); });
}

Result<MemSeries*> Head::GetOrCreate(const Labels& labels) {
  PROMETHIUM_ASSIGN_OR_RETURN(MemSeries * s, GetOrCreatePinned(labels));
  s->Unpin();
  return s;
}

Result<MemSeries*> Head::GetOrCreatePinned(const Labels& labels) {
  if (labels.empty()) return Status::InvalidArgument("empty labelset: invalid sample");
  const uint64_t hash = labels.Hash();
  HashStripe& hstripe = hash_stripes_[hash & stripe_mask_];
  {
    ReaderMutexLock lock(&hstripe.mu);
    if (MemSeries* s = FindByHash(hstripe, hash, labels)) {
      s->Pin();
      return s;
    }
  }
  if (opts_.max_label_count > 0 && labels.size() > opts_.max_label_count) {
    return Status::ResourceExhausted("label count " + std::to_string(labels.size()) + " exceeds the limit of " +
                                     std::to_string(opts_.max_label_count));
  }
  MemSeries* created = nullptr;
  {
    MutexLock lock(&hstripe.mu);
    if (MemSeries* s = FindByHash(hstripe, hash, labels)) {  // lost a creation race
      s->Pin();
      return s;
    }
    const SeriesRef ref = last_ref_.fetch_add(1, std::memory_order_relaxed) + 1;
    auto series = NewIndexedSeries(ref, labels);
    series->Pin();
    created = series.get();
    PublishSeries(std::move(series), hstripe, hash);
  }
  num_series_.fetch_add(1, std::memory_order_relaxed);
  metrics_.series->Set(static_cast<double>(NumSeries()));
  metrics_.series_created->Inc();
  return created;
}

std::unique_ptr<MemSeries> Head::NewIndexedSeries(SeriesRef ref, const Labels& labels) {
  // Indexing first interns the label strings: the series then points at the
  // postings' keys instead of holding its own copies. A query that sees the
  // ref in the postings before the series is published finds no series for
  // it and skips it, as for any series created while it runs.
  auto symbols = std::make_unique<const std::string*[]>(2 * labels.size());
  postings_.AddInterned(ref, labels, symbols.get());
  return std::make_unique<MemSeries>(ref, std::move(symbols), static_cast<uint32_t>(labels.size()));
}

void Head::PublishSeries(std::unique_ptr<MemSeries> series, HashStripe& hstripe, uint64_t hash) {
  MemSeries* raw = series.get();
  const SeriesRef ref = raw->ref();
  // Publish by ref before by hash (lock order: hash stripe, then ref
  // stripe), so a ref handed out is always resolvable.
  {
    RefStripe& rstripe = ref_stripes_[ref & stripe_mask_];
    MutexLock ref_lock(&rstripe.mu);
    rstripe.series.Insert(series.release(), ref);  // the stripe owns it now
  }
  hstripe.series.Insert(raw, hash);
}

Result<MemSeries*> Head::CreateWithRef(SeriesRef ref, const Labels& labels) {
  if (labels.empty()) return Status::Corruption("wal: series record with an empty label set");
  if (ref == 0) return Status::Corruption("wal: series record with ref 0");
  const uint64_t hash = labels.Hash();
  HashStripe& hstripe = hash_stripes_[hash & stripe_mask_];
  MemSeries* created = nullptr;
  {
    MutexLock lock(&hstripe.mu);
    if (MemSeries* s = FindByHash(hstripe, hash, labels)) return s;
    if (GetByRef(ref) != nullptr) return Status::Corruption("wal: series ref " + std::to_string(ref) + " reused");
    auto series = NewIndexedSeries(ref, labels);
    created = series.get();
    PublishSeries(std::move(series), hstripe, hash);
  }
  // Keep ref assignment monotonic past every replayed ref.
  SeriesRef last = last_ref_.load(std::memory_order_relaxed);
  while (ref > last && !last_ref_.compare_exchange_weak(last, ref)) {
  }
  num_series_.fetch_add(1, std::memory_order_relaxed);
  metrics_.series->Set(static_cast<double>(NumSeries()));
  metrics_.series_created->Inc();
  return created;
}

void Head::OnCommitted(const CommitCounts& c, bool replayed) {
  if (c.appended > 0) {
    int64_t cur = min_time_.load(std::memory_order_relaxed);
    while (c.min_t < cur && !min_time_.compare_exchange_weak(cur, c.min_t)) {
    }
    cur = max_time_.load(std::memory_order_relaxed);
    while (c.max_t > cur && !max_time_.compare_exchange_weak(cur, c.max_t)) {
    }
    metrics_.min_time->Set(static_cast<double>(MinTime()));
    metrics_.max_time->Set(static_cast<double>(MaxTime()));
    if (!replayed) metrics_.samples_appended->Inc(static_cast<double>(c.appended));
  }
  if (c.chunks_cut > 0) {
    num_chunks_.fetch_add(c.chunks_cut, std::memory_order_relaxed);
    metrics_.chunks->Set(static_cast<double>(NumChunks()));
    metrics_.chunks_created->Inc(static_cast<double>(c.chunks_cut));
  }
  if (replayed) return;
  if (c.out_of_order > 0) metrics_.out_of_order->Inc(static_cast<double>(c.out_of_order));
  if (c.ooo_appended > 0) metrics_.ooo_appended->Inc(static_cast<double>(c.ooo_appended));
  if (c.out_of_bound > 0) metrics_.out_of_bound->Inc(static_cast<double>(c.out_of_bound));
  if (c.too_old > 0) metrics_.too_old->Inc(static_cast<double>(c.too_old));
}

}  // namespace promethium::tsdb
