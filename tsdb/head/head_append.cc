// HeadAppender: the Appender the head hands to scrapers and rule evaluation.
//
// Append resolves (or creates) the series right away, so the returned ref can
// be cached by the caller, checks the sample against the series' committed
// state (out of order, duplicate, out of bounds) and buffers it. Commit
// re-validates every buffered sample under its series' own lock, since other
// appenders may have committed meanwhile, and appends it to the chunks;
// samples that became invalid are dropped and counted. Rollback discards.
//
// With a WAL, Commit first logs the batch (series records for series never
// logged before, then one samples record) and applies nothing unless that
// write, and the sync the policy asks for, succeeded. The WAL write is the
// only serialised step; applying still runs under per-series locks.
//
// Known gap: a Commit is not atomic for readers (no isolation yet), so a
// concurrent query may observe part of a batch.
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "tsdb/head/head.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/wal.h"

namespace promethium::tsdb {

class HeadAppender final : public Appender {
 public:
  explicit HeadAppender(Head* head) : head_(head) {
    // As Prometheus: once the head holds data, samples more than half a chunk
    // range older than its newest sample are out of bounds.
    const int64_t max_t = head->MaxTime();
    const int64_t half_range = head->options().cut.chunk_range_ms / 2;
    min_valid_time_ = max_t < std::numeric_limits<int64_t>::min() + half_range ? std::numeric_limits<int64_t>::min()
                                                                               : max_t - half_range;
  }

  Result<SeriesRef> Append(SeriesRef ref, const Labels& labels, int64_t t, double v) override {
    if (head_->closed()) return Status::Internal("tsdb: append to a closed DB");
    if (t < min_valid_time_) {
      head_->metrics_.out_of_bound->Inc();
      return Status::OutOfBounds("out of bounds");
    }
    MemSeries* series = ref != 0 ? head_->GetByRef(ref) : nullptr;
    if (series == nullptr) {
      PROMETHIUM_ASSIGN_OR_RETURN(series, head_->GetOrCreate(labels));
    }
    MemSeries::AppendCheck check;
    {
      SeriesLock lock(series->mu());
      check = series->Check(t, v);
    }
    switch (check) {
      case MemSeries::AppendCheck::kOutOfOrder:
        head_->metrics_.out_of_order->Inc();
        return Status::OutOfOrder("out of order sample");
      case MemSeries::AppendCheck::kDuplicate: return Status::Duplicate("duplicate sample for timestamp");
      case MemSeries::AppendCheck::kSameSample: return series->ref();  // accepted, nothing to store
      case MemSeries::AppendCheck::kOk: break;
    }
    pending_.push_back(Pending{series, t, v});
    return series->ref();
  }

  Status Commit() override {
    if (head_->closed()) {
      pending_.clear();
      return Status::Internal("tsdb: commit to a closed DB");
    }
    if (head_->wal_ != nullptr && !pending_.empty()) {
      Status logged = LogToWal();
      if (!logged.ok()) {
        pending_.clear();
        return logged;
      }
    }
    int64_t min_t = std::numeric_limits<int64_t>::max();
    int64_t max_t = std::numeric_limits<int64_t>::min();
    uint64_t appended = 0, chunks_cut = 0, out_of_order = 0;
    for (const Pending& p : pending_) {
      SeriesLock lock(p.series->mu());
      switch (p.series->Check(p.t, p.v)) {
        case MemSeries::AppendCheck::kOk: break;
        case MemSeries::AppendCheck::kOutOfOrder: ++out_of_order; continue;
        case MemSeries::AppendCheck::kDuplicate:
        case MemSeries::AppendCheck::kSameSample: continue;
      }
      if (p.series->Append(p.t, p.v, head_->options().cut)) ++chunks_cut;
      ++appended;
      min_t = std::min(min_t, p.t);
      max_t = std::max(max_t, p.t);
    }
    pending_.clear();
    head_->OnCommitted(min_t, max_t, appended, chunks_cut, out_of_order);
    return Status::OK();
  }

  Status Rollback() override {
    pending_.clear();
    return Status::OK();
  }

 private:
  // Writes the batch to the WAL; on success marks its series as logged.
  Status LogToWal() {
    std::vector<MemSeries*> unlogged;
    std::vector<wal::RefSample> samples;
    samples.reserve(pending_.size());
    for (const Pending& p : pending_) {
      if (!p.series->wal_logged()) unlogged.push_back(p.series);
      samples.push_back(wal::RefSample{p.series->ref(), p.t, p.v});
    }
    std::string series_rec, samples_rec;
    if (!unlogged.empty()) {
      std::sort(unlogged.begin(), unlogged.end());
      unlogged.erase(std::unique(unlogged.begin(), unlogged.end()), unlogged.end());
      std::vector<wal::RefSeries> series;
      series.reserve(unlogged.size());
      for (MemSeries* s : unlogged) series.push_back(wal::RefSeries{s->ref(), s->labels()});
      wal::EncodeSeries(series, &series_rec);
    }
    wal::EncodeSamples(samples, &samples_rec);
    std::vector<std::string_view> records;
    if (!series_rec.empty()) records.push_back(series_rec);
    records.push_back(samples_rec);
    PROMETHIUM_RETURN_IF_ERROR(head_->wal_->Log(records));
    for (MemSeries* s : unlogged) s->set_wal_logged();
    return Status::OK();
  }

  struct Pending {
    MemSeries* series;
    int64_t t;
    double v;
  };

  Head* head_;
  int64_t min_valid_time_;
  std::vector<Pending> pending_;
};

std::unique_ptr<Appender> Head::NewAppender() { return std::make_unique<HeadAppender>(this); }

}  // namespace promethium::tsdb
