// HeadAppender: the Appender the head hands to scrapers and rule evaluation.
//
// Append resolves (or creates) the series right away, so the returned ref can
// be cached by the caller, checks the sample against the series' committed
// state (out of order, duplicate, out of bounds) and buffers it. Commit
// re-validates every buffered sample under its series' own lock, since other
// appenders may have committed meanwhile, and appends it to the chunks;
// samples that became invalid are dropped and counted. Rollback discards.
// Every buffered sample holds a pin on its series (taken by the lookup), so
// head GC cannot free a series an appender still points to.
//
// Admission (AdmitSample, shared with WAL replay): below MinValidTime is
// always out of bounds; with no out-of-order window, older than half a chunk
// range before the head's max time is out of bounds and older than the
// series' newest sample is out of order; with a window, anything within the
// window of the head's max time is accepted (older than the series' newest
// is merged into its chunks), older is "too old". Same timestamp and
// bit-identical value is accepted and ignored; another value is a
// duplicate.
//
// With a WAL, Commit first logs the batch (series records for series never
// logged before, then one samples record, then one exemplars record when
// the batch has exemplars) and applies nothing unless that write, and the
// sync the policy asks for, succeeded. The WAL write is the only serialised
// step; applying still runs under per-series locks. A failed WAL write (a
// full disk) fails the commit: it is counted
// (promethium_tsdb_head_failed_commits_total, ..._samples_total) and logged
// at most once per HeadOptions::commit_failure_log_interval_ms; the first
// good commit after a run of failures logs that ingestion resumed.
//
// AppendExemplar here only queues the exemplar for that WAL write (its
// series must exist: `ref` is what Append returned). Validating and storing
// exemplars is ExemplarAppender's job (tsdb/exemplar/exemplar_appender.h),
// which wraps this appender in DB::NewAppender and forwards only exemplars
// the storage accepts, so nothing is logged with exemplar storage disabled.
//
// Known gap: a Commit is not atomic for readers (no isolation yet), so a
// concurrent query may observe part of a batch.
#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "tsdb/base/logging.h"
#include "tsdb/head/head.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/wal.h"

namespace promethium::tsdb {

namespace {

int64_t SaturatingSub(int64_t a, int64_t b) {
  return a < std::numeric_limits<int64_t>::min() + b ? std::numeric_limits<int64_t>::min() : a - b;
}

}  // namespace

Head::Admit Head::AdmitSample(const MemSeries& s, int64_t t, double v, int64_t in_order_min) const {
  if (t < MinValidTime()) return Admit::kRejectOutOfBounds;
  const MemSeries::AppendCheck check = s.Check(t, v);
  if (check == MemSeries::AppendCheck::kSameSample) return Admit::kSameSample;
  if (check == MemSeries::AppendCheck::kDuplicate) return Admit::kRejectDuplicate;
  if (check == MemSeries::AppendCheck::kOk && t >= in_order_min) return Admit::kInOrder;
  if (opts_.ooo_window_ms > 0) {
    // As Prometheus: anything within the window of the head's newest sample
    // is accepted, in order or not.
    if (t < SaturatingSub(MaxTime(), opts_.ooo_window_ms)) return Admit::kRejectTooOld;
    if (check == MemSeries::AppendCheck::kOk) return Admit::kInOrder;
    switch (s.CheckOutOfOrder(t, v, opts_.cut)) {
      case MemSeries::AppendCheck::kOk: return Admit::kOutOfOrder;
      case MemSeries::AppendCheck::kSameSample: return Admit::kSameSample;
      case MemSeries::AppendCheck::kOutOfOrder: return Admit::kRejectOutOfOrder;  // its chunk is full
      case MemSeries::AppendCheck::kDuplicate: return Admit::kRejectDuplicate;
    }
  }
  if (t < in_order_min) return Admit::kRejectOutOfBounds;
  return Admit::kRejectOutOfOrder;
}

bool Head::ApplySample(MemSeries* s, int64_t t, double v, CommitCounts* counts) {
  switch (AdmitSample(*s, t, v, std::numeric_limits<int64_t>::min())) {
    case Admit::kInOrder:
      if (s->Append(t, v, opts_.cut)) ++counts->chunks_cut;
      break;
    case Admit::kOutOfOrder:
      if (s->InsertOutOfOrder(t, v, opts_.cut)) ++counts->chunks_cut;
      ++counts->ooo_appended;
      break;
    case Admit::kRejectOutOfOrder: ++counts->out_of_order; return false;
    case Admit::kRejectTooOld: ++counts->too_old; return false;
    case Admit::kRejectOutOfBounds: ++counts->out_of_bound; return false;
    case Admit::kSameSample:
    case Admit::kRejectDuplicate: return false;
  }
  ++counts->appended;
  counts->min_t = std::min(counts->min_t, t);
  counts->max_t = std::max(counts->max_t, t);
  return true;
}

class HeadAppender final : public Appender {
 public:
  explicit HeadAppender(Head* head) : head_(head) {
    // As Prometheus: once the head holds data, samples more than half a chunk
    // range older than its newest sample are out of bounds (with an
    // out-of-order window, the window decides instead).
    const int64_t max_t = head->MaxTime();
    const int64_t half_range = head->options().cut.chunk_range_ms / 2;
    min_valid_time_ = SaturatingSub(max_t, half_range);
  }
  ~HeadAppender() override { UnpinPending(); }

  Result<SeriesRef> Append(SeriesRef ref, const Labels& labels, int64_t t, double v) override {
    if (head_->closed()) return Status::Internal("tsdb: append to a closed DB");
    if (t < head_->MinValidTime() || (head_->opts_.ooo_window_ms == 0 && t < min_valid_time_)) {
      head_->metrics_.out_of_bound->Inc();
      return Status::OutOfBounds("out of bounds");
    }
    MemSeries* series = ref != 0 ? head_->GetByRefPinned(ref) : nullptr;
    if (series == nullptr) {
      if (ref != 0 && labels.empty()) return Status::NotFound("unknown series ref");  // the caller retries with labels
      PROMETHIUM_ASSIGN_OR_RETURN(series, head_->GetOrCreatePinned(labels));
    }
    const SeriesRef series_ref = series->ref();
    Head::Admit admit;
    {
      SeriesLock lock(series->mu());
      admit = head_->AdmitSample(*series, t, v, min_valid_time_);
    }
    if (admit == Head::Admit::kInOrder || admit == Head::Admit::kOutOfOrder) {
      pending_.push_back(Pending{series, t, v});  // keeps the pin until Commit/Rollback
      return series_ref;
    }
    series->Unpin();  // may be freed from here on
    return Rejection(admit, series_ref);
  }

  Result<SeriesRef> AppendExemplar(SeriesRef ref, const Labels& series_labels, const Exemplar& e) override {
    (void)series_labels;
    if (head_->closed()) return Status::Internal("tsdb: append to a closed DB");
    MemSeries* series = ref != 0 ? head_->GetByRefPinned(ref) : nullptr;
    if (series == nullptr) return Status::NotFound("unknown series ref for exemplar");
    exemplars_.push_back(PendingExemplar{series, e});  // keeps the pin until Commit/Rollback
    return ref;
  }

  Status Commit() override {
    if (head_->closed()) {
      UnpinPending();
      return Status::Internal("tsdb: commit to a closed DB");
    }
    if (head_->wal_ != nullptr && (!pending_.empty() || !exemplars_.empty())) {
      Status logged = LogToWal();
      if (!logged.ok()) {
        head_->OnCommitFailed(pending_.size(), logged);
        UnpinPending();
        return logged;
      }
      head_->OnCommitSucceeded();
    }
    // Samples are re-validated under each series' lock: other appenders or
    // a truncation may have moved the series on since Append.
    Head::CommitCounts counts;
    for (const Pending& p : pending_) {
      SeriesLock lock(p.series->mu());
      head_->ApplySample(p.series, p.t, p.v, &counts);
    }
    UnpinPending();
    head_->OnCommitted(counts, /*replayed=*/false);
    return Status::OK();
  }

  Status Rollback() override {
    UnpinPending();
    return Status::OK();
  }

 private:
  Result<SeriesRef> Rejection(Head::Admit admit, SeriesRef ref) {
    switch (admit) {
      case Head::Admit::kSameSample: return ref;  // accepted, nothing to store
      case Head::Admit::kRejectOutOfOrder:
        head_->metrics_.out_of_order->Inc();
        return Status::OutOfOrder("out of order sample");
      case Head::Admit::kRejectTooOld: head_->metrics_.too_old->Inc(); return Status::OutOfBounds("too old sample");
      case Head::Admit::kRejectOutOfBounds:
        head_->metrics_.out_of_bound->Inc();
        return Status::OutOfBounds("out of bounds");
      default: return Status::Duplicate("duplicate sample for timestamp");
    }
  }

  void UnpinPending() {
    for (const Pending& p : pending_) p.series->Unpin();
    pending_.clear();
    for (const PendingExemplar& p : exemplars_) p.series->Unpin();
    exemplars_.clear();
  }

  // Writes the batch to the WAL; on success marks its series as logged.
  Status LogToWal() {
    std::vector<MemSeries*> unlogged;
    std::vector<wal::RefSample> samples;
    samples.reserve(pending_.size());
    for (const Pending& p : pending_) {
      if (!p.series->wal_logged()) unlogged.push_back(p.series);
      samples.push_back(wal::RefSample{p.series->ref(), p.t, p.v});
    }
    std::string series_rec, samples_rec, exemplars_rec;
    if (!exemplars_.empty()) {
      // After the samples record, as Prometheus logs them.
      std::vector<wal::RefExemplar> exemplars;
      exemplars.reserve(exemplars_.size());
      // Moving the labels is safe: the queue is cleared after this write.
      for (PendingExemplar& p : exemplars_) {
        if (!p.series->wal_logged()) unlogged.push_back(p.series);
        exemplars.push_back(wal::RefExemplar{p.series->ref(), p.e.ts, p.e.value, std::move(p.e.labels)});
      }
      wal::EncodeExemplars(exemplars, &exemplars_rec);
    }
    if (!unlogged.empty()) {
      std::sort(unlogged.begin(), unlogged.end());
      unlogged.erase(std::unique(unlogged.begin(), unlogged.end()), unlogged.end());
      std::vector<wal::RefSeries> series;
      series.reserve(unlogged.size());
      for (MemSeries* s : unlogged) series.push_back(wal::RefSeries{s->ref(), s->labels()});
      wal::EncodeSeries(series, &series_rec);
    }
    if (!samples.empty()) wal::EncodeSamples(samples, &samples_rec);
    std::vector<std::string_view> records;
    if (!series_rec.empty()) records.push_back(series_rec);
    if (!samples_rec.empty()) records.push_back(samples_rec);
    if (!exemplars_rec.empty()) records.push_back(exemplars_rec);
    PROMETHIUM_RETURN_IF_ERROR(head_->wal_->Log(records));
    for (MemSeries* s : unlogged) s->set_wal_logged();
    return Status::OK();
  }

  struct Pending {
    MemSeries* series;
    int64_t t;
    double v;
  };

  struct PendingExemplar {
    MemSeries* series;
    Exemplar e;
  };

  Head* head_;
  int64_t min_valid_time_;
  std::vector<Pending> pending_;
  std::vector<PendingExemplar> exemplars_;  // queued for the WAL only
};

std::unique_ptr<Appender> Head::NewAppender() { return std::make_unique<HeadAppender>(this); }

void Head::OnCommitFailed(size_t samples, const Status& st) {
  metrics_.failed_commits->Inc();
  metrics_.failed_commit_samples->Inc(static_cast<double>(samples));
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
  uint64_t held = 0;
  if (!commit_failure_log_.Allow(now_ms, &held)) return;
  LogError("tsdb",
           "commit failed, its {} samples were not ingested: {} ({} more failed commits since the last such line; "
           "counted in promethium_tsdb_head_failed_commits_total)",
           samples, st.ToString(), held);
}

void Head::OnCommitSucceeded() {
  uint64_t failures = 0;
  if (commit_failure_log_.Recovered(&failures)) {
    LogInfo("tsdb", "commits succeed again after {} failed commits; ingestion resumed", failures);
  }
}

}  // namespace promethium::tsdb
