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
#include <algorithm>
#include <limits>
#include <vector>

#include "tsdb/head/head.h"
#include "tsdb/wal/record.h"

namespace promethium::tsdb {
namespace {

// Refs below this are cached in a dense vector during replay: 8 bytes per
// ref, so at most 128 MiB (refs are dense: one per series ever created),
// freed after replay. Larger refs fall back to the stripe lookup.
constexpr SeriesRef kMaxDenseReplayRef = SeriesRef{1} << 24;

}  // namespace

MemSeries* Head::ReplayLookup(SeriesRef ref) const {
  if (ref < replay_by_ref_.size() && replay_by_ref_[ref] != nullptr) return replay_by_ref_[ref];
  if (!replay_ref_aliases_.empty()) {
    auto alias = replay_ref_aliases_.find(ref);
    if (alias != replay_ref_aliases_.end()) return alias->second;
  }
  return ref < kMaxDenseReplayRef ? nullptr : GetByRef(ref);
}

void Head::FinishWalReplay() {
  std::vector<MemSeries*>().swap(replay_by_ref_);
  replay_ref_aliases_.clear();
}

Status Head::ReplayWalRecord(std::string_view record, WalReplayStats* stats) {
  PROMETHIUM_ASSIGN_OR_RETURN(wal::RecordType type, wal::PeekRecordType(record));
  if (type == wal::RecordType::kSeries) {
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
  if (type == wal::RecordType::kTombstones) {
    std::vector<wal::Tombstone> stones;
    PROMETHIUM_RETURN_IF_ERROR(wal::DecodeTombstones(record, &stones));
    for (const wal::Tombstone& t : stones) PROMETHIUM_RETURN_IF_ERROR(ApplyTombstone(t.ref, t.mint, t.maxt));
    return Status::OK();
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

}  // namespace promethium::tsdb
