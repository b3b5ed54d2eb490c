// DB: compaction (head -> blocks, block merges) and the background loop
// that drives it, as Prometheus's DB.Compact.
#include <algorithm>
#include <chrono>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "tsdb/base/env.h"
#include "tsdb/base/logging.h"
#include "tsdb/block/block.h"
#include "tsdb/block/compaction_plan.h"
#include "tsdb/block/compactor.h"
#include "tsdb/db.h"
#include "tsdb/db_metrics.h"
#include "tsdb/head/head.h"
#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/segment_floor.h"
#include "tsdb/wal/wal.h"

namespace promethium::tsdb {
namespace {

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kDefaultMaxBlockDurationMs = 31ll * 24 * 60 * 60 * 1000;  // 31d

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void DB::BackgroundLoop() {
  int64_t interval_ms = opts_.compaction_check_interval_ms;
  if (interval_ms <= 0) interval_ms = std::clamp<int64_t>(opts_.chunk_range_ms / 20, kSecondMs, 60 * kSecondMs);
  for (;;) {
    {
      MutexLock lock(&bg_mu_);
      if (bg_cv_.WaitFor(&bg_mu_, std::chrono::milliseconds(interval_ms),
                         [this]() REQUIRES(bg_mu_) { return bg_stop_; })) {
        return;
      }
    }
    Status st = Compact();
    if (!st.ok()) LogError("tsdb", "compaction failed: {}", st.ToString());
  }
}

Status DB::Compact() {
  MutexLock lock(&compact_mu_);
  if (closed_.load()) return Status::OK();
  return CompactLocked();
}

Status DB::CompactLocked() {
  // New blocks dropped into the directory first, then the head (the newest
  // data becomes a block), then block merges, then retention, as Prometheus
  // orders them.
  Status reload = ReloadBlocksLocked();
  if (!reload.ok()) LogWarn("tsdb", "reloading blocks: {}", reload.ToString());
  bool worked = false;
  while (HeadCompactable()) {
    metrics_->compactions_triggered->Inc();
    Status st = CompactHeadOnce();
    if (!st.ok()) return st.WithContext("compacting the head");
    worked = true;
  }
  for (bool did_work = true; did_work;) {
    did_work = false;
    Status st = CompactBlocksOnce(&did_work);
    if (!st.ok()) return st.WithContext("compacting blocks");
    worked = worked || did_work;
  }
#if defined(__GLIBC__)
  // A compaction frees a block range of head chunks and the writer's
  // buffers, scattered over the heap; glibc keeps such memory mapped until
  // asked. Handing it back keeps RSS close to what the head really holds
  // (a steady-state run measured 117 MiB without this).
  if (worked) malloc_trim(0);
#endif
  return ApplyRetentionLocked();
}

bool DB::HeadCompactable() const {
  const int64_t min_time = head_->MinTime();
  const int64_t max_time = head_->MaxTime();
  if (min_time > max_time) return false;  // empty head
  return max_time - min_time > opts_.chunk_range_ms / 2 * 3;
}

Status DB::CompactHeadOnce() {
  const int64_t range = opts_.chunk_range_ms;
  const int64_t head_min = head_->MinTime();
  // The block covering the head's oldest sample, aligned to the range.
  const int64_t mint = head_min >= 0 ? head_min / range * range : -((-head_min + range - 1) / range) * range;
  const int64_t maxt = mint + range;  // exclusive
  // In-order appends cannot land below maxt any more (they are out of
  // bounds below head max time - range/2 >= maxt); out-of-order ones could,
  // so with a window the range is closed to appends before it is read. Queries
  // then read it from neither the head nor a block for the duration of the
  // write, which Prometheus avoids with isolation; we accept that only when
  // out-of-order ingestion is on.
  if (opts_.out_of_order_window_ms > 0) head_->SetMinValidTime(maxt);
  const auto start = std::chrono::steady_clock::now();
  Result<BlockMeta> written = WriteHeadRange(mint, maxt, dir_);
  metrics_->compactions->Inc();
  if (!written.ok() && written.status().code() != Status::Code::kNotFound) {
    metrics_->compactions_failed->Inc();
    return written.status();
  }
  if (written.ok()) {
    auto block = Block::Open(env_, dir_ + "/" + written->ulid);
    if (!block.ok()) {
      metrics_->reloads_failed->Inc();
      return block.status().WithContext("opening the block just written");
    }
    BlockList blocks = BlocksSnapshot();
    blocks.push_back(std::move(*block));
    SetBlocks(std::move(blocks));
    metrics_->reloads->Inc();
    metrics_->compaction_duration->Observe(SecondsSince(start));
    LogInfo("tsdb", "wrote head block {} [{}, {}) with {} series and {} samples in {:.3f}s", written->ulid, mint, maxt,
            written->stats.num_series, written->stats.num_samples, SecondsSince(start));
  }
  return TruncateHeadAndWal(maxt);
}

Result<BlockMeta> DB::WriteHeadRange(int64_t mint, int64_t maxt, const std::string& parent_dir) {
  // The readers must be gone before the head is truncated (Truncate waits
  // for readers below its time), hence this function of their own.
  std::unique_ptr<IndexReader> index = head_->NewRangeIndexReader(mint, maxt - 1);
  std::unique_ptr<ChunkReader> chunks = head_->NewRangeChunkReader(mint, maxt - 1);
  BlockSource source{index.get(), chunks.get()};
  BlockWriteOptions write_opts;
  write_opts.samples_per_chunk = opts_.samples_per_chunk;
  write_opts.format = opts_.block_format;
  BlockCompaction compaction;
  compaction.level = 1;
  return WriteBlock(env_, parent_dir, std::span<const BlockSource>(&source, 1), mint, maxt, compaction, write_opts);
}

Status DB::TruncateHeadAndWal(int64_t mint) {
  Status st = head_->Truncate(mint);
  if (!st.ok()) {
    metrics_->head_truncations_failed->Inc();
    return st.WithContext("truncating the head");
  }
  if (wal_ == nullptr) return Status::OK();
  // As Prometheus: start a new segment, never checkpoint the newest one, and
  // checkpoint the older two thirds of the rest once there are enough.
  auto range = wal::SegmentRange(env_, wal_->dir());
  if (!range.ok()) return range.status().code() == Status::Code::kNotFound ? Status::OK() : range.status();
  PROMETHIUM_RETURN_IF_ERROR(wal_->CutSegment().status());
  auto todo = wal::CheckpointSegmentsFor(range->first, range->second);
  if (todo && opts_.wal_segment_floor) todo = KeepSegmentsForReaders(*todo);
  if (!todo) return Status::OK();
  Head* head = head_.get();
  wal::CheckpointOptions ck_opts;
  ck_opts.compression = ToWalCompression(opts_.wal_compression);
  ck_opts.segment_size = opts_.wal_segment_size;
  auto stats = wal::Checkpoint(
      env_, wal_->dir(), todo->first, todo->second, [head](SeriesRef ref) { return head->SeriesExists(ref); }, mint,
      registry_, ck_opts);
  if (!stats.ok()) return stats.status().WithContext("checkpointing the WAL");
  LogInfo("tsdb", "WAL checkpoint complete: segments {}..{} mint={} series dropped={} samples dropped={}", todo->first,
          todo->second, mint, stats->dropped_series, stats->dropped_samples);
  return wal_->RefreshStorageSize();
}

std::optional<std::pair<uint64_t, uint64_t>> DB::KeepSegmentsForReaders(std::pair<uint64_t, uint64_t> planned) {
  const std::optional<uint64_t> floor = opts_.wal_segment_floor();
  const wal::SegmentFloorDecision d = wal::ApplySegmentFloor(planned, floor, opts_.wal_floor_max_extra_segments);
  if (registry_ != nullptr) {
    registry_
        ->GetGauge("promethium_tsdb_wal_segments_kept_for_readers",
                   "WAL segments the last WAL truncation kept only because remote write has not sent them yet.")
        ->Set(static_cast<double>(d.kept_for_floor));
    registry_
        ->GetCounter("promethium_tsdb_wal_segments_released_unsent_total",
                     "WAL segments deleted although remote write had not sent them, because more than the retention "
                     "bound were kept for it.")
        ->Inc(static_cast<double>(d.released));
  }
  if (d.released > 0) {
    LogWarn("tsdb",
            "WAL truncation: deleting {} segments that remote write has not sent yet (it needs segment {} on; "
            "at most {} segments are kept for it)",
            d.released, *floor, opts_.wal_floor_max_extra_segments);
  } else if (d.kept_for_floor > 0) {
    LogInfo("tsdb", "WAL truncation: keeping {} segments up to {} until remote write has sent them", d.kept_for_floor,
            planned.second);
  }
  return d.range;
}

std::vector<int64_t> DB::BlockRanges() const {
  int64_t max_block = opts_.max_block_duration_ms;
  if (max_block == 0) {
    max_block = kDefaultMaxBlockDurationMs;
    if (opts_.retention_ms != 0 && opts_.retention_ms / 10 < max_block) max_block = opts_.retention_ms / 10;
  }
  std::vector<int64_t> ranges = ExponentialBlockRanges(opts_.chunk_range_ms, 10, 3);
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i] > max_block) {
      ranges.resize(i);
      break;
    }
  }
  if (ranges.empty()) ranges.push_back(opts_.chunk_range_ms);
  return ranges;
}

Status DB::CompactBlocksOnce(bool* did_work) {
  BlockList blocks = BlocksSnapshot();
  std::vector<BlockMeta> metas;
  for (const auto& b : blocks) metas.push_back(b->meta());
  const std::vector<std::string> plan = PlanCompaction(metas, BlockRanges());
  if (plan.empty()) return Status::OK();
  const auto planned = [&](const std::shared_ptr<Block>& b) {
    return std::find(plan.begin(), plan.end(), b->meta().ulid) != plan.end();
  };

  const auto start = std::chrono::steady_clock::now();
  BlockList parents;
  for (const auto& b : blocks) {
    if (planned(b)) parents.push_back(b);
  }
  if (parents.size() != plan.size()) return Status::Internal("compaction plan names unknown blocks");
  std::vector<std::unique_ptr<IndexReader>> indexes;
  std::vector<std::unique_ptr<ChunkReader>> chunk_readers;
  std::vector<BlockSource> sources;
  std::vector<BlockMeta> parent_metas;
  int64_t mint = kMaxTime, maxt = kMinTime;
  for (const auto& p : parents) {
    indexes.push_back(p->NewIndexReader());
    chunk_readers.push_back(p->NewChunkReader());
    sources.push_back(BlockSource{indexes.back().get(), chunk_readers.back().get()});
    parent_metas.push_back(p->meta());
    mint = std::min(mint, p->meta().min_time);
    maxt = std::max(maxt, p->meta().max_time);
  }
  metrics_->compactions_triggered->Inc();
  metrics_->compactions->Inc();
  BlockWriteOptions write_opts;
  write_opts.samples_per_chunk = opts_.samples_per_chunk;
  write_opts.format = opts_.block_format;
  auto written = WriteBlock(env_, dir_, sources, mint, maxt, CompactBlockMetas(parent_metas).compaction, write_opts);
  if (!written.ok() && written.status().code() != Status::Code::kNotFound) {
    metrics_->compactions_failed->Inc();
    return written.status();
  }
  BlockList next;
  if (written.ok()) {
    auto block = Block::Open(env_, dir_ + "/" + written->ulid);
    if (!block.ok()) {
      metrics_->reloads_failed->Inc();
      return block.status().WithContext("opening the compacted block");
    }
    next.push_back(std::move(*block));
  }
  for (const auto& b : blocks) {
    if (!planned(b)) next.push_back(b);
  }
  SetBlocks(std::move(next));
  metrics_->reloads->Inc();
  // The new block is visible before its parents go: a crash in between
  // leaves parents that the next Open removes (see OpenBlocks).
  PROMETHIUM_RETURN_IF_ERROR(DropBlocks(plan));
  metrics_->compaction_duration->Observe(SecondsSince(start));
  LogInfo("tsdb", "compacted {} blocks into {} [{}, {}) in {:.3f}s", plan.size(),
          written.ok() ? written->ulid : std::string("nothing (all data deleted)"), mint, maxt, SecondsSince(start));
  *did_work = true;
  return Status::OK();
}

}  // namespace promethium::tsdb
