// Wal: the head's segmented write-ahead log (writer side).
//
// Every Commit of the head hands its encoded records (record.h) to Log(),
// which frames them (segment.h), writes them with one Append to the current
// segment and, per the sync policy, fdatasyncs before returning. A batch
// never spans segments: when it does not fit in what is left of the current
// segment (segment_size, 128 MiB by default) the segment is fsynced and
// closed and the next one is created first. A batch larger than a whole
// segment gets a segment of its own.
//
// Failure handling: if a write or sync fails (ENOSPC, EIO), the segment is
// truncated back to its size before the batch, so the WAL never keeps the
// bytes of a commit that reported failure, and later batches are not
// written behind a torn frame. If that truncation fails too, the WAL tries it
// again before the next write and fails writes until it succeeds.
//
// Compression (WalOptions::compression, compression.h) happens in Log
// before the mutex is taken, so commits compress concurrently.
//
// Old segments are compacted into checkpoints by Checkpoint (checkpoint.h);
// CutSegment closes the segment being written so it can be checkpointed.
//
// Ownership: the Wal owns its open segment file; the Env and the
// MetricsRegistry must outlive it.
// Thread-safety: all methods are safe to call concurrently; writes are
// serialised by an internal mutex held only for the write (and sync).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "tsdb/base/cond_var.h"
#include "tsdb/base/env.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"
#include "tsdb/base/thread_annotations.h"
#include "tsdb/wal/compression.h"

namespace promethium::tsdb::wal {

enum class SyncPolicy {
  kNever,     // never fsync on commit; segments are fsynced when cut and on Close
  kOnCommit,  // fsync before every Log returns
  kInterval,  // a background thread fsyncs every sync_interval_ms if dirty
};

struct WalOptions {
  uint64_t segment_size = 128ull << 20;
  SyncPolicy sync = SyncPolicy::kNever;
  int64_t sync_interval_ms = 1000;
  // How records are compressed (Prometheus's --storage.tsdb.wal-compression-type).
  // Old WALs replay whatever this is; docs/format/wal.md has the measurements.
  Compression compression = Compression::kSnappy;
};

class Wal {
 public:
  // Starts writing at segment `first_segment` in `dir` (created if needed);
  // that segment must not hold data (replay returns the right index).
  // `metrics` may be null.
  static Result<std::unique_ptr<Wal>> Open(Env* env, const std::string& dir, const WalOptions& opts,
                                           MetricsRegistry* metrics, uint64_t first_segment);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Writes one batch of already-encoded records (each is framed here);
  // durable per the sync policy once OK. On error nothing of the batch stays.
  Status Log(std::span<const std::string_view> records);
  // Fsyncs the current segment now (whatever the policy).
  Status Sync();
  // Fsyncs and closes the current segment; later Log calls fail. Idempotent.
  Status Close() EXCLUDES(stop_mu_, mu_);
  // Fsyncs and closes the current segment and starts the next one, so every
  // segment below the returned (new current) index is complete and can be
  // checkpointed. A no-op returning the current index when it is empty.
  Result<uint64_t> CutSegment();
  // Recomputes prometheus_tsdb_wal_storage_size_bytes from the directory
  // (segments and the checkpoint, as Prometheus counts it); call it after a
  // Checkpoint deleted and added files behind the writer's back.
  Status RefreshStorageSize();

  uint64_t CurrentSegment() const;
  // Bytes of the WAL on disk: segments (the open one up to its last whole
  // frame) and the newest checkpoint, as prometheus_tsdb_wal_storage_size_bytes.
  uint64_t StorageSize() const;
  const std::string& dir() const { return dir_; }

 private:
  struct Metrics {
    HistogramMetric* fsync_duration;
    Counter* writes_failed;
    Gauge* segment_current;
    Gauge* storage_size;
  };
  Wal(Env* env, std::string dir, const WalOptions& opts, MetricsRegistry* metrics);

  Status LogCompressed(std::span<const std::string_view> records);
  Status OpenSegmentLocked(uint64_t index) REQUIRES(mu_);
  Status CutSegmentLocked() REQUIRES(mu_);
  Status WriteBatchLocked(std::string_view batch) REQUIRES(mu_);
  Status SyncLocked() REQUIRES(mu_);
  // Truncates the current segment back to good_size_ and reopens it.
  Status RepairTailLocked() REQUIRES(mu_);
  void SyncLoop() EXCLUDES(stop_mu_);

  Env* const env_;
  const std::string dir_;
  const WalOptions opts_;
  std::unique_ptr<MetricsRegistry> own_metrics_;
  Metrics metrics_;

  mutable Mutex mu_;
  std::unique_ptr<WritableFile> file_ GUARDED_BY(mu_);
  uint64_t segment_ GUARDED_BY(mu_) = 0;
  uint64_t good_size_ GUARDED_BY(mu_) = 0;     // bytes of whole frames in the segment
  uint64_t closed_bytes_ GUARDED_BY(mu_) = 0;  // bytes in earlier segments of this run
  bool needs_repair_ GUARDED_BY(mu_) = false;
  bool dirty_ GUARDED_BY(mu_) = false;  // written since the last sync
  bool closed_ GUARDED_BY(mu_) = false;
  std::string frame_buf_ GUARDED_BY(mu_);

  // kInterval's background syncer.
  Mutex stop_mu_;
  CondVar stop_cv_;  // with stop_mu_: stop_ was set
  bool stop_ GUARDED_BY(stop_mu_) = false;
  std::thread syncer_;
};

}  // namespace promethium::tsdb::wal
