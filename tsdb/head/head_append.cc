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
// With a WAL, Commit first logs the commit (a series record for series never
// logged before, then each batch's samples and histogram records, see
// below, then one exemplars record when the commit has exemplars) and
// applies nothing unless that write, and the sync the policy asks for,
// succeeded. The WAL write is the only serialised step; applying still runs under per-series locks. A failed WAL write
// (a full disk) fails the commit: it is counted (promethium_tsdb_head_failed_commits_total, ..._samples_total) and
// logged at most once per HeadOptions::commit_failure_log_interval_ms; the first good commit after a run of failures
// logs that ingestion resumed.
//
// AppendExemplar here only queues the exemplar for that WAL write (its
// series must exist: `ref` is what Append returned). Validating and storing
// exemplars is ExemplarAppender's job (tsdb/exemplar/exemplar_appender.h),
// which wraps this appender in DB::NewAppender and forwards only exemplars
// the storage accepts, so nothing is logged with exemplar storage disabled.
//
// Samples of different types keep their order within a commit, as in
// Prometheus's headAppender: a commit is a sequence of batches, each
// applied (and logged) floats first, then histograms. A batch ends where
// that would reorder one series' samples: at a float for a series that
// has histograms in the batch, or at a histogram of the other kind
// (integer <-> float) than the series' histograms in the batch. So a series
// loaded as floats, histograms, floats in one commit keeps all of them, and
// WAL replay, which applies records in order, rebuilds the same series.
//
// Known gap: a Commit is not atomic for readers (no isolation yet), so a
// concurrent query may observe part of a commit.
#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <unordered_map>
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
      BatchFor(series, SampleKind::kFloat)
          .floats.push_back(Pending{series, t, v});  // keeps the pin until Commit/Rollback
      return series_ref;
    }
    series->Unpin();  // may be freed from here on
    return Rejection(admit, series_ref);
  }

  // Histograms: validated, then admitted in order only (see
  // head_histogram.cc); logged to the WAL in their own records.
  Result<SeriesRef> AppendHistogram(SeriesRef ref, const Labels& labels, int64_t t, const Histogram* h,
                                    const FloatHistogram* fh) override {
    if ((h == nullptr) == (fh == nullptr)) {
      return Status::InvalidArgument("AppendHistogram: exactly one of h and fh must be given");
    }
    if (head_->closed()) return Status::Internal("tsdb: append to a closed DB");
    PROMETHIUM_RETURN_IF_ERROR(h != nullptr ? h->Validate() : fh->Validate());
    if (t < head_->MinValidTime() || (head_->opts_.ooo_window_ms == 0 && t < min_valid_time_)) {
      head_->metrics_.out_of_bound->Inc();
      return Status::OutOfBounds("out of bounds");
    }
    MemSeries* series = ref != 0 ? head_->GetByRefPinned(ref) : nullptr;
    if (series == nullptr) {
      if (ref != 0 && labels.empty()) return Status::NotFound("unknown series ref");
      PROMETHIUM_ASSIGN_OR_RETURN(series, head_->GetOrCreatePinned(labels));
    }
    MemSeries::AppendCheck check;
    {
      SeriesLock lock(series->mu());
      check = series->CheckHistogram(t);
    }
    if (check == MemSeries::AppendCheck::kOk) {
      const SampleKind kind = fh != nullptr ? SampleKind::kFloatHistogram : SampleKind::kHistogram;
      PendingHistogram& p = BatchFor(series, kind).histograms.emplace_back();  // keeps the pin until Commit/Rollback
      p.series = series;
      p.t = t;
      p.is_float = fh != nullptr;
      if (h != nullptr) p.h = *h;
      if (fh != nullptr) p.fh = *fh;
      return series->ref();
    }
    series->Unpin();  // may be freed from here on
    if (check == MemSeries::AppendCheck::kDuplicate) return Status::Duplicate("duplicate sample for timestamp");
    head_->metrics_.out_of_order->Inc();
    return Status::OutOfOrder("out of order sample (histograms are appended in order only)");
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
    size_t samples = 0;
    for (const Batch& b : batches_) samples += b.floats.size() + b.histograms.size();
    if (head_->wal_ != nullptr && (samples > 0 || !exemplars_.empty())) {
      Status logged = LogToWal();
      if (!logged.ok()) {
        head_->OnCommitFailed(samples, logged);
        UnpinPending();
        return logged;
      }
      head_->OnCommitSucceeded();
    }
    // Samples are re-validated under each series' lock: other appenders or
    // a truncation may have moved the series on since Append.
    Head::CommitCounts counts;
    for (const Batch& b : batches_) {
      for (const Pending& p : b.floats) {
        SeriesLock lock(p.series->mu());
        head_->ApplySample(p.series, p.t, p.v, &counts);
      }
      // After the batch's floats, as Prometheus's commit (and the WAL order)
      // does; no series of the batch has floats after its histograms.
      for (const PendingHistogram& p : b.histograms) {
        SeriesLock lock(p.series->mu());
        head_->ApplyHistogram(p.series, p.t, p.is_float ? nullptr : &p.h, p.is_float ? &p.fh : nullptr, &counts);
      }
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
    for (const Batch& b : batches_) {
      for (const Pending& p : b.floats) p.series->Unpin();
      for (const PendingHistogram& p : b.histograms) p.series->Unpin();
    }
    batches_.clear();
    kinds_in_batch_.clear();
    for (const PendingExemplar& p : exemplars_) p.series->Unpin();
    exemplars_.clear();
  }

  // Writes the commit to the WAL: one series record for the series never
  // logged, then each batch's records in order (floats, integer histograms,
  // float histograms), then the exemplars; on success marks the series as
  // logged.
  Status LogToWal() {
    std::vector<MemSeries*> unlogged;
    std::vector<std::string> batch_recs;
    for (const Batch& b : batches_) EncodeBatch(b, &unlogged, &batch_recs);
    std::string series_rec, exemplars_rec;
    if (!exemplars_.empty()) {
      // After the samples records, as Prometheus logs them.
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
    std::vector<std::string_view> records;
    if (!series_rec.empty()) records.push_back(series_rec);
    for (const std::string& rec : batch_recs) records.push_back(rec);
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

  struct PendingHistogram {
    MemSeries* series = nullptr;
    int64_t t = 0;
    bool is_float = false;
    Histogram h;        // !is_float
    FloatHistogram fh;  // is_float
  };

  struct PendingExemplar {
    MemSeries* series;
    Exemplar e;
  };

  // Samples Commit applies floats first, then histograms (see the header).
  struct Batch {
    std::vector<Pending> floats;
    std::vector<PendingHistogram> histograms;
  };
  enum class SampleKind : uint8_t { kFloat, kHistogram, kFloatHistogram };

  // The batch a sample of `kind` for series s goes into: the last one, or a
  // new one when the last holds histograms of s and this sample is a float
  // or a histogram of the other kind (as Prometheus's getCurrentBatch).
  Batch& BatchFor(const MemSeries* s, SampleKind kind) {
    // Float-only commits (scrapes) never look anything up.
    if (kind == SampleKind::kFloat && kinds_in_batch_.empty() && !batches_.empty()) return batches_.back();
    if (!batches_.empty()) {
      auto it = kinds_in_batch_.find(s);
      if (it == kinds_in_batch_.end()) {
        if (kind != SampleKind::kFloat) kinds_in_batch_.emplace(s, kind);
        return batches_.back();
      }
      if (it->second == kind) return batches_.back();
    }
    kinds_in_batch_.clear();
    if (kind != SampleKind::kFloat) kinds_in_batch_.emplace(s, kind);
    return batches_.emplace_back();
  }

  // Appends the non-empty records of one batch, in the order Commit
  // applies them (a series has one histogram kind per batch, so logging
  // integer before float histograms keeps each series' order); adds the
  // series not logged yet to *unlogged.
  static void EncodeBatch(const Batch& b, std::vector<MemSeries*>* unlogged, std::vector<std::string>* recs) {
    std::vector<wal::RefSample> samples;
    samples.reserve(b.floats.size());
    for (const Pending& p : b.floats) {
      if (!p.series->wal_logged()) unlogged->push_back(p.series);
      samples.push_back(wal::RefSample{p.series->ref(), p.t, p.v});
    }
    std::vector<wal::RefHistogramSample> ints;
    std::vector<wal::RefFloatHistogramSample> floats;
    for (const PendingHistogram& p : b.histograms) {
      if (!p.series->wal_logged()) unlogged->push_back(p.series);
      if (p.is_float) {
        floats.push_back(wal::RefFloatHistogramSample{p.series->ref(), p.t, p.fh});
      } else {
        ints.push_back(wal::RefHistogramSample{p.series->ref(), p.t, p.h});
      }
    }
    if (!samples.empty()) wal::EncodeSamples(samples, &recs->emplace_back());
    if (!ints.empty()) wal::EncodeHistogramSamples(ints, &recs->emplace_back());
    if (!floats.empty()) wal::EncodeFloatHistogramSamples(floats, &recs->emplace_back());
  }

  Head* head_;
  int64_t min_valid_time_;
  std::vector<Batch> batches_;
  // Histogram kind of each series with histograms in batches_.back()
  // (floats are not tracked: histograms may follow them in a batch).
  std::unordered_map<const MemSeries*, SampleKind> kinds_in_batch_;
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
