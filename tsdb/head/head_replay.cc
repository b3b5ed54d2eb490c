// Head::ReplayWalRecord: rebuilds the head from WAL records at start-up.
//
// Tombstone records (logged by the DB after Head::Delete) delete again,
// in WAL order, through ApplyTombstone.
//
// Series records recreate series under their original refs (so sample
// records, which only carry refs, resolve) and mark them as already logged.
// Sample records are applied in WAL order with the same checks a Commit
// makes (ApplySample: out-of-order window and MinValidTime included), so the
// head ends as it was. One exception, shared with Prometheus:
// when two appenders commit to the same series concurrently, their WAL
// order can differ from the order they were applied in, so a sample one of
// them dropped as out of order may come back at replay (or the other way
// round). Scrapes (one appender per series at a time) replay exactly.
//
// Exemplar records are decoded (a malformed one is Corruption, as any
// record) and dropped here: the head has no exemplar storage. WalReplayer
// (wal_replayer.h) adds them to the DB's storage, and does the rest with
// sample records applied by worker threads, one shard of series each.
#include <algorithm>
#include <deque>
#include <limits>
#include <system_error>
#include <thread>
#include <vector>

#include "tsdb/base/cond_var.h"
#include "tsdb/base/thread_annotations.h"
#include "tsdb/head/head.h"
#include "tsdb/head/wal_replayer.h"
#include "tsdb/wal/record.h"

namespace promethium::tsdb {
namespace {

// Refs below this are cached in a dense vector during replay: 8 bytes per
// ref, so at most 128 MiB (refs are dense: one per series ever created),
// freed after replay. Larger refs fall back to the stripe lookup.
constexpr SeriesRef kMaxDenseReplayRef = SeriesRef{1} << 24;
// Parallel replay bounds: samples per batch, batches queued per worker
// (so at most workers * (kMaxQueued + 2) * kBatch * 24 bytes in flight),
// and workers.
constexpr size_t kBatch = 4096;
constexpr size_t kMaxQueued = 8;
constexpr size_t kMaxWorkers = 64;

}  // namespace

MemSeries* Head::ReplayLookup(SeriesRef ref) const {
  if (ref < replay_by_ref_.size() && replay_by_ref_[ref] != nullptr) return replay_by_ref_[ref];
  if (!replay_ref_aliases_.empty()) {
    auto alias = replay_ref_aliases_.find(ref);
    if (alias != replay_ref_aliases_.end()) return alias->second;
  }
  return ref < kMaxDenseReplayRef ? nullptr : GetByRef(ref);
}

MemSeries* Head::ReplayResolve(SeriesRef ref, SeriesRef* shard_key) const {
  *shard_key = ref;
  if (ref < replay_by_ref_.size() && replay_by_ref_[ref] != nullptr) return replay_by_ref_[ref];
  MemSeries* s = ReplayLookup(ref);
  if (s != nullptr) *shard_key = s->ref();  // an alias shards with its series
  return s;
}

void Head::FinishWalReplay() {
  std::vector<MemSeries*>().swap(replay_by_ref_);
  replay_ref_aliases_.clear();
}

Status Head::ReplaySeriesRecord(std::string_view record, WalReplayStats* stats) {
  std::vector<wal::RefSeries> series;
  PROMETHIUM_RETURN_IF_ERROR(wal::DecodeSeries(record, &series));
  for (const wal::RefSeries& s : series) {
    PROMETHIUM_ASSIGN_OR_RETURN(MemSeries * created, CreateWithRef(s.ref, s.labels));
    created->set_wal_logged();
    if (created->ref() != s.ref) {
      replay_ref_aliases_[s.ref] = created;
    } else if (s.ref < kMaxDenseReplayRef) {
      if (replay_by_ref_.size() <= s.ref)
        replay_by_ref_.resize(
            std::min<size_t>(kMaxDenseReplayRef, std::max<size_t>(s.ref + 1, replay_by_ref_.size() * 2)));
      replay_by_ref_[s.ref] = created;
    }
    stats->series++;
  }
  return Status::OK();
}

Status Head::ReplayWalRecord(std::string_view record, WalReplayStats* stats) {
  PROMETHIUM_ASSIGN_OR_RETURN(wal::RecordType type, wal::PeekRecordType(record));
  if (type == wal::RecordType::kSeries) return ReplaySeriesRecord(record, stats);
  if (type == wal::RecordType::kTombstones) {
    std::vector<wal::Tombstone> stones;
    PROMETHIUM_RETURN_IF_ERROR(wal::DecodeTombstones(record, &stones));
    for (const wal::Tombstone& t : stones) PROMETHIUM_RETURN_IF_ERROR(ApplyTombstone(t.ref, t.mint, t.maxt));
    return Status::OK();
  }
  if (type == wal::RecordType::kExemplars) {
    std::vector<wal::RefExemplar> exemplars;
    return wal::DecodeExemplars(record, &exemplars);
  }
  if (type == wal::RecordType::kHistogramSamples || type == wal::RecordType::kFloatHistogramSamples) {
    return ReplayHistogramRecord(record, stats);
  }
  // Reused across records: replay decodes millions of them on one thread.
  thread_local std::vector<wal::RefSample> samples;
  PROMETHIUM_RETURN_IF_ERROR(wal::DecodeSamples(record, &samples));
  CommitCounts counts;
  // Samples below MinValidTime are already in blocks (the WAL keeps them
  // until the next checkpoint): skip them before any lookup or lock.
  const int64_t min_valid = MinValidTime();
  for (const wal::RefSample& s : samples) {
    if (s.t < min_valid) {
      stats->skipped_samples++;
      continue;
    }
    MemSeries* series = ReplayLookup(s.ref);
    if (series == nullptr) {
      stats->unknown_refs++;
      continue;
    }
    SeriesLock lock(series->mu());
    // The same admission as a commit, out-of-order window included.
    if (!ApplySample(series, s.t, s.v, &counts)) stats->skipped_samples++;
  }
  stats->samples += counts.appended;
  OnCommitted(counts, /*replayed=*/true);
  return Status::OK();
}

struct WalReplayer::Worker {
  Mutex mu;
  CondVar work_cv;                                     // with mu: queue non-empty or stop
  CondVar space_cv;                                    // with mu: a batch was applied
  std::deque<std::vector<Item>> queue GUARDED_BY(mu);  // at most kMaxQueued
  std::vector<std::vector<Item>> free GUARDED_BY(mu);  // applied batches for reuse
  size_t in_flight GUARDED_BY(mu) = 0;                 // queued or being applied
  bool stop GUARDED_BY(mu) = false;
  WalReplayStats stats;  // the worker's own until joined
  std::thread thread;
};

WalReplayer::WalReplayer(Head* head, WalReplayStats* stats, CircularExemplarStorage* exemplars)
    : head_(head), stats_(stats), exemplars_(exemplars) {
  size_t n = head->options().replay_workers;
  if (n == 0) n = std::max<size_t>(2, std::thread::hardware_concurrency());
  if (head->options().ooo_window_ms > 0) n = 1;  // admission reads the head's max time
  if (n > 1) StartWorkers(std::min(n, kMaxWorkers));
}

WalReplayer::~WalReplayer() { Finish(); }

void WalReplayer::StartWorkers(size_t n) {
  for (size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    try {
      w->thread = std::thread(&WalReplayer::Run, head_, w.get());
    } catch (const std::system_error&) {
      break;  // no more threads: replay with those started (or none)
    }
    workers_.push_back(std::move(w));
  }
  if (workers_.size() == 1) Finish();  // one worker gains nothing over the caller
  pending_.resize(workers_.size());
  for (auto& p : pending_) p.reserve(kBatch);
}

void WalReplayer::Run(Head* head, Worker* w) {
  for (;;) {
    std::vector<Item> batch;
    {
      MutexLock lock(&w->mu);
      w->work_cv.Wait(&w->mu, [w]() REQUIRES(w->mu) { return !w->queue.empty() || w->stop; });
      if (w->queue.empty()) return;  // stopped and drained
      batch = std::move(w->queue.front());
      w->queue.pop_front();
    }
    Head::CommitCounts counts;
    for (size_t i = 0; i < batch.size(); ++i) {
      // The first touch of a series is a cache miss: start the next ones early.
      if (i + 4 < batch.size()) __builtin_prefetch(batch[i + 4].series);
      const Item& it = batch[i];
      SeriesLock series_lock(it.series->mu());
      if (!head->ApplySample(it.series, it.t, it.v, &counts)) w->stats.skipped_samples++;
    }
    w->stats.samples += counts.appended;
    head->OnCommitted(counts, /*replayed=*/true);
    batch.clear();
    MutexLock lock(&w->mu);
    w->free.push_back(std::move(batch));
    --w->in_flight;
    w->space_cv.Signal();
  }
}

Status WalReplayer::Apply(std::string_view record) {
  if (!record.empty() && record[0] == static_cast<char>(wal::RecordType::kExemplars)) return ApplyExemplars(record);
  if (workers_.empty()) return head_->ReplayWalRecord(record, stats_);
  PROMETHIUM_ASSIGN_OR_RETURN(wal::RecordType type, wal::PeekRecordType(record));
  if (type == wal::RecordType::kSeries) return head_->ReplaySeriesRecord(record, stats_);
  if (type == wal::RecordType::kTombstones) {
    std::vector<wal::Tombstone> stones;
    PROMETHIUM_RETURN_IF_ERROR(wal::DecodeTombstones(record, &stones));
    Drain();  // deletes what was replayed before it, and only that
    for (const wal::Tombstone& t : stones) PROMETHIUM_RETURN_IF_ERROR(head_->ApplyTombstone(t.ref, t.mint, t.maxt));
    return Status::OK();
  }
  if (type == wal::RecordType::kSamples) return ApplySamples(record);
  Drain();  // any other record applies in WAL order on this thread
  return head_->ReplayWalRecord(record, stats_);
}

Status WalReplayer::ApplySamples(std::string_view record) {
  thread_local std::vector<wal::RefSample> samples;
  PROMETHIUM_RETURN_IF_ERROR(wal::DecodeSamples(record, &samples));
  const int64_t min_valid = head_->MinValidTime();
  const size_t n = workers_.size();
  for (const wal::RefSample& s : samples) {
    if (s.t < min_valid) {
      stats_->skipped_samples++;
      continue;
    }
    SeriesRef key = 0;
    MemSeries* series = head_->ReplayResolve(s.ref, &key);
    if (series == nullptr) {
      stats_->unknown_refs++;
      continue;
    }
    // Runs of 64 refs per shard: series created together sit side by side
    // in memory, and two workers writing one cache line would slow both.
    const size_t shard = (key >> 6) % n;
    pending_[shard].push_back(Item{series, s.t, s.v});
    if (pending_[shard].size() >= kBatch) Flush(shard);
  }
  return Status::OK();
}

Status WalReplayer::ApplyExemplars(std::string_view record) {
  std::vector<wal::RefExemplar> exemplars;
  PROMETHIUM_RETURN_IF_ERROR(wal::DecodeExemplars(record, &exemplars));
  if (exemplars_ == nullptr || exemplars_->capacity() == 0) {
    exemplar_stats_.skipped += exemplars.size();
    return Status::OK();
  }
  const int64_t min_valid = head_->MinValidTime();
  for (wal::RefExemplar& e : exemplars) {
    if (e.t < min_valid) {
      exemplar_stats_.skipped++;
      continue;
    }
    // Series records are applied on this thread, so the lookup sees them.
    const MemSeries* series = head_->ReplayLookup(e.ref);
    if (series == nullptr) {
      exemplar_stats_.unknown_refs++;
      continue;
    }
    // As Prometheus: out-of-order and duplicate exemplars are dropped.
    if (exemplars_->Add(series->labels(), Exemplar{std::move(e.labels), e.v, e.t}).ok()) {
      exemplar_stats_.exemplars++;
    } else {
      exemplar_stats_.skipped++;
    }
  }
  return Status::OK();
}

void WalReplayer::Flush(size_t shard) {
  std::vector<Item>& buf = pending_[shard];
  if (buf.empty()) return;
  Worker& w = *workers_[shard];
  {
    MutexLock lock(&w.mu);
    w.space_cv.Wait(&w.mu, [&w]() REQUIRES(w.mu) { return w.queue.size() < kMaxQueued; });
    w.queue.push_back(std::move(buf));
    ++w.in_flight;
    if (!w.free.empty()) {
      buf = std::move(w.free.back());
      w.free.pop_back();
    } else {
      buf = std::vector<Item>();
      buf.reserve(kBatch);
    }
  }
  w.work_cv.Signal();
}

void WalReplayer::Drain() {
  for (size_t i = 0; i < workers_.size(); ++i) Flush(i);
  for (auto& w : workers_) {
    MutexLock lock(&w->mu);
    w->space_cv.Wait(&w->mu, [&w]() REQUIRES(w->mu) { return w->in_flight == 0; });
  }
}

void WalReplayer::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!pending_.empty()) Drain();
  for (auto& w : workers_) {
    {
      MutexLock lock(&w->mu);
      w->stop = true;
    }
    w->work_cv.Signal();
    w->thread.join();
    stats_->samples += w->stats.samples;
    stats_->skipped_samples += w->stats.skipped_samples;
  }
  workers_.clear();
  pending_.clear();
}

}  // namespace promethium::tsdb
