// AgentDB::Truncate: series GC, checkpoint and segment deletion, bounded by
// what the remote write queues still need (see agent_db.h).
#include <algorithm>
#include <chrono>

#include "tsdb/agent/agent_db.h"
#include "tsdb/base/logging.h"
#include "tsdb/wal/checkpoint.h"

namespace promethium::tsdb::agent {
namespace {

constexpr std::string_view kLog = "agent";

}  // namespace

std::optional<uint64_t> AgentDB::LastSegmentOlderThan(int64_t cutoff, uint64_t first, uint64_t below) const {
  MutexLock lock(&segments_mu_);
  std::optional<uint64_t> last;
  for (uint64_t seg = first; seg < below; ++seg) {
    auto it = segment_max_ts_.find(seg);
    if (it != segment_max_ts_.end() && it->second >= cutoff) break;  // no entry: no samples
    last = seg;
  }
  return last;
}

Result<TruncateOutcome> AgentDB::Truncate() {
  MutexLock lock(&truncate_mu_);
  const auto start = std::chrono::steady_clock::now();
  const int64_t now = NowMs();
  TruncateOutcome out;

  // 1. Series GC: no sample since now - min_wal_time.
  const int64_t gc_mint = now - opts_.min_wal_time_ms;
  Result<std::pair<uint64_t, uint64_t>> before = wal::SegmentRange(env_, wal_dir_);
  const uint64_t current = wal_->CurrentSegment();
  for (SeriesRef ref : series_.Gc(gc_mint)) {
    deleted_[ref] = current;  // its records may sit in any segment up to the current one
    ++out.gc_series;
  }
  if (out.gc_series > 0) {
    MutexLock elock(&exemplars_mu_);
    std::erase_if(latest_exemplar_, [this](const auto& kv) { return !series_.Contains(kv.first); });
  }
  metrics_.active_series->Set(static_cast<double>(series_.size()));
  metrics_.deleted_series->Set(static_cast<double>(deleted_.size()));

  // 2. A new segment, so a quiet agent does not keep more WAL than needed.
  PROMETHIUM_ASSIGN_OR_RETURN(uint64_t next, wal_->CutSegment());
  if (!before.ok()) return out;  // no segments yet
  std::optional<std::pair<uint64_t, uint64_t>> plan = wal::CheckpointSegmentsFor(before->first, before->second);
  if (!plan) return out;
  uint64_t last = std::min(plan->second, next - 1);

  // 3. What the queues still need bounds it.
  std::optional<uint64_t> floor = opts_.segment_floor ? opts_.segment_floor() : std::nullopt;
  out.floor_used = floor;
  std::optional<uint64_t> allowed;
  if (floor) {
    std::optional<uint64_t> expired = LastSegmentOlderThan(now - opts_.max_wal_time_ms, plan->first, next);
    if (*floor > 0) allowed = *floor - 1;
    if (expired && (!allowed || *expired > *allowed)) {
      LogWarn(kLog,
              "remote write is behind by more than --storage.agent.retention.max-time: WAL segments up to {} may be "
              "deleted before they were sent",
              *expired);
      allowed = expired;
    }
  } else {
    allowed = LastSegmentOlderThan(gc_mint, plan->first, next);
  }
  if (!allowed) return out;
  last = std::min(last, *allowed);
  if (last < plan->first) return out;

  // 4. Checkpoint [first, last], keeping live series and dropped ones whose
  // samples may still be in segments after `last`.
  metrics_.checkpoint_creations->Inc();
  // Checkpoint calls `keep` synchronously, while this function holds
  // truncate_mu_; the annotation tells clang so.
  auto keep = [this, last](SeriesRef ref) REQUIRES(truncate_mu_) {
    if (series_.Contains(ref)) return true;
    auto it = deleted_.find(ref);
    return it != deleted_.end() && it->second > last;
  };
  wal::CheckpointOptions copts;
  copts.compression = opts_.compression;
  copts.segment_size = opts_.wal_segment_size;
  Result<wal::CheckpointStats> stats =
      wal::Checkpoint(env_, wal_dir_, plan->first, last, keep, gc_mint, nullptr, copts);
  if (!stats.ok()) {
    metrics_.checkpoint_creations_failed->Inc();
    if (stats.status().code() == Status::Code::kCorruption) metrics_.corruptions->Inc();
    return stats.status().WithContext("create checkpoint");
  }
  metrics_.checkpoint_deletions->Inc();
  std::erase_if(deleted_, [last](const auto& kv) { return kv.second <= last; });
  metrics_.deleted_series->Set(static_cast<double>(deleted_.size()));
  {
    MutexLock slock(&segments_mu_);
    segment_max_ts_.erase(segment_max_ts_.begin(), segment_max_ts_.upper_bound(last));
  }
  // The checkpoint is done either way; only the size gauge would be stale.
  if (Status st = wal_->RefreshStorageSize(); !st.ok()) LogWarn(kLog, "refreshing the WAL size: {}", st.ToString());
  out.checkpointed = true;
  out.checkpoint_last = last;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.truncate_duration->Observe(seconds);
  LogInfo(kLog, "WAL checkpoint complete: first={} last={} gc_series={} duration={:.3f}s", plan->first, last,
          out.gc_series, seconds);
  return out;
}

}  // namespace promethium::tsdb::agent
