// DB: the storage engine's front door, implementing Appendable and Queryable.
//
// A DB directory holds, as Prometheus's:
//   <dir>/wal/                 the head's write-ahead log and its checkpoints
//   <dir>/<ULID>/              immutable blocks (tsdb/block/, docs/format/)
//   <dir>/quarantine/<ULID>/   blocks that failed verification, set aside
//   <dir>/snapshots/<name>/    snapshots made by Snapshot()
// Appends go to the in-memory head (tsdb/head/), logged to the WAL before
// they become visible. A background thread (db_compact.cc) cuts the head's
// oldest block range into a block once the head spans 1.5 ranges, truncates
// the head and checkpoints the WAL; then merges adjacent blocks by level
// (2h -> 6h -> 18h ... up to max_block_duration) and applies retention by time
// and size (db_retention.cc). Queriers merge the blocks and the head
// (querier/merge_querier.h), so results are the same before and after a
// compaction.
//
// Crash safety: a block becomes visible only by an atomic rename of its
// finished, fsynced temporary directory; leftovers (*.tmp-for-creation,
// *.tmp-for-deletion) and blocks whose data a later compaction already
// holds are removed on Open. A block of ours that fails verification on
// Open is moved to <dir>/quarantine/ (logged, counted in
// promethium_tsdb_blocks_quarantined_total) and the rest keeps serving.
//
// Nothing is repaired, quarantined or removed before tsdb/datadir/ has
// proven it is ours: Prometheus names its files as we do, and a file in
// neither format stops Open with the file named and nothing changed.
//
// Ownership: the caller owns the DB. Appenders and queriers it hands out
// borrow from it and must be destroyed before it (a querier keeps the
// blocks it reads alive even if compaction or retention drops them). The
// MetricsRegistry passed to Open must outlive the DB.
// Thread-safety: every method may be called from any thread concurrently;
// appends from many scrape threads run in parallel (no global append lock).
// Compaction, retention, deletion and snapshots are serialised by one
// mutex and never block appends or queries for longer than swapping the
// block list.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/cond_var.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"
#include "tsdb/base/thread_annotations.h"
#include "tsdb/block/block_format.h"
#include "tsdb/index/mem_postings.h"

namespace promethium {
class Env;
}

namespace promethium::tsdb {

class Block;
struct BlockMeta;
struct DataDirSurvey;
class CircularExemplarStorage;
class Head;
class HeadChunkFiles;
namespace wal {
class Wal;
}

struct DBOptions {
  // Capacity of the in-memory exemplar ring (config
  // storage.exemplars.max_exemplars; the server's default is 100000, as
  // Prometheus's). 0 disables exemplar storage: AppendExemplar fails
  // Unsupported. Accepted exemplars are logged to the WAL with their samples.
  int64_t max_exemplars = 0;
  // Out-of-order ingestion window (config storage.tsdb.out_of_order_time_window).
  // 0, Prometheus's default, rejects any sample older than the series'
  // newest one (counted in prometheus_tsdb_out_of_order_samples_total).
  int64_t out_of_order_window_ms = 0;
  // The block range (--storage.tsdb.min-block-duration, 2h): head chunks are
  // cut at its multiples, the head is compacted into blocks of this width,
  // and samples older than (head max time - range/2) are out of bounds.
  int64_t chunk_range_ms = 2 * 60 * 60 * 1000;
  // The widest block compaction produces (--storage.tsdb.max-block-duration;
  // 0 means Prometheus's default: 10% of the time retention, at most 31d).
  int64_t max_block_duration_ms = 0;
  // Target number of samples per XOR chunk (Prometheus: 120).
  int samples_per_chunk = 120;
  // Appends whose label set has more labels than this fail with
  // ResourceExhausted. 0 means unlimited.
  size_t max_label_count = 0;
  // File system to use; nullptr means Env::Default().
  Env* env = nullptr;

  // --- retention (--storage.tsdb.retention.time / .size); 0 disables each.
  // Blocks entirely older than (newest block's max time - retention_ms) are
  // deleted; so are the oldest blocks while blocks + WAL exceed
  // retention_bytes.
  int64_t retention_ms = 15ll * 24 * 60 * 60 * 1000;
  int64_t retention_bytes = 0;

  // Background compaction (head -> blocks, block merges, retention). Off only
  // in tests that drive Compact() themselves.
  bool background_compaction = true;
  // How often the background thread checks for work; 0 picks
  // clamp(chunk_range_ms / 20, 1s, 60s) so short test ranges compact promptly.
  int64_t compaction_check_interval_ms = 0;

  // --- write-ahead log
  // Off only for tests and benchmarks of the in-memory head: without it
  // nothing survives a restart.
  bool wal_enabled = true;
  // Segment files are cut at this size (Prometheus: 128 MiB).
  uint64_t wal_segment_size = 128ull << 20;
  // When commits are fsynced. The default, as Prometheus, never fsyncs per
  // commit: a commit is in the page cache once it returns, which survives a
  // process crash but not a power loss or kernel crash; segments are fsynced
  // when cut and on Close. kOnCommit fsyncs before every Commit returns;
  // kInterval fsyncs in the background every wal_sync_interval_ms.
  enum class WalSync { kNever, kOnCommit, kInterval };
  WalSync wal_sync = WalSync::kNever;
  int64_t wal_sync_interval_ms = 1000;
  // Record compression (--storage.tsdb.wal-compression[-type]); Prometheus
  // 3.x's default is snappy. docs/format/wal.md has the measurements.
  enum class WalCompression { kNone, kSnappy, kZstd };
  WalCompression wal_compression = WalCompression::kSnappy;
  // WAL retention for readers outside the engine (remote write): when set,
  // returns the lowest segment such a reader still needs (nullopt: none), and
  // WAL truncation checkpoints and deletes only segments below it, keeping at
  // most wal_floor_max_extra_segments segments more than it otherwise would
  // (tsdb/wal/segment_floor.h). Called from the compaction thread.
  std::function<std::optional<uint64_t>()> wal_segment_floor;
  uint64_t wal_floor_max_extra_segments = 16;

  // --- block format (--storage.tsdb.block-format): the format compaction,
  // head cuts and snapshots write. Our own is the default; kPrometheus writes
  // Prometheus's index v2 and chunk segments so promtool, Thanos and
  // Prometheus itself can read the blocks (docs/STORAGE.md). Blocks of
  // either format are always read.
  BlockFormat block_format = BlockFormat::kPromethium;

  // --- head chunk files (<data>/chunks_head, docs/format/head_chunks.md)
  // Full head chunks are written there and leave the heap (Prometheus's
  // memory-mapped head chunks). Off keeps every chunk in memory.
  bool head_chunk_files = true;
  // Segment files are cut at this size (Prometheus: 128 MiB).
  uint64_t head_chunk_segment_size = 128ull << 20;
};

class DB final : public Appendable, public Queryable {
 public:
  // Creates `dir` (mkdir -p), removes leftovers of interrupted writes, opens
  // (or quarantines) its blocks, replays the WAL into a new head (repairing a
  // torn or corrupt tail, see tsdb/wal/wal_reader.h), drops from the head what
  // blocks already hold, opens the WAL for appends and starts the background
  // compaction. `metrics` may be null; when set, the prometheus_tsdb_*
  // self-metrics are registered in it.
  static Result<std::unique_ptr<DB>> Open(const std::string& dir, const DBOptions& opts, MetricsRegistry* metrics);
  ~DB() override;

  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;

  // Appenders also take exemplars (stored at Commit, see
  // tsdb/exemplar/exemplar_appender.h).
  std::unique_ptr<Appender> NewAppender() override;
  // The exemplars appended since Open (/api/v1/query_exemplars).
  ExemplarQueryable* exemplars() const;
  // The exemplar ring's capacity (DBOptions::max_exemplars; fixed).
  int64_t max_exemplars() const { return opts_.max_exemplars; }
  // A querier over [mint, maxt] (inclusive, ms) of the blocks and the head;
  // mint > maxt is not an error and simply selects nothing, as in Prometheus.
  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

  // Runs one round of what the background thread does: compacts the head
  // while it spans more than 1.5 block ranges, merges blocks by plan, then
  // applies retention. Safe to call concurrently with everything.
  Status Compact();

  // Deletes the samples in [mint, maxt] of the series matching `matchers`:
  // tombstones in the blocks (honoured by queries, applied by compaction)
  // and the samples themselves in the head (logged to the WAL).
  Status Delete(int64_t mint, int64_t maxt, const Matchers& matchers);
  // Rewrites every block that has tombstones without the deleted data.
  Status CleanTombstones();
  // Hard-links every block into `dir` (created) and, unless skip_head, writes
  // the head's data there as one more block. `dir` must not exist yet. A
  // block in a format other than DBOptions::block_format is rewritten into
  // that format instead of linked, so the snapshot is all in one format.
  Status Snapshot(const std::string& dir, bool with_head);

  // Stops the background compaction, marks the DB closed (later appenders
  // fail every Append/Commit), then fsyncs and closes the WAL. Idempotent.
  Status Close();

  struct HeadStats {
    uint64_t num_series = 0;
    uint64_t num_chunks = 0;
    // INT64_MAX and INT64_MIN while the head holds no sample (as Prometheus).
    int64_t min_time = 0;
    int64_t max_time = 0;
  };
  HeadStats Stats() const;
  // Top-`limit` cardinality statistics of the head (series per metric name,
  // values per label name, ...), as Prometheus's /api/v1/status/tsdb shows.
  PostingsStats CardinalityStats(size_t limit) const;

  struct BlockInfo {
    std::string ulid;
    int64_t min_time = 0;  // inclusive
    int64_t max_time = 0;  // exclusive, as in meta.json
    uint64_t num_samples = 0;
    uint64_t num_series = 0;
    int level = 0;
    uint64_t size_bytes = 0;
  };
  // The loaded blocks, oldest first.
  std::vector<BlockInfo> Blocks() const;

  const std::string& dir() const { return dir_; }

 private:
  struct Metrics;
  using BlockList = std::vector<std::shared_ptr<Block>>;

  DB(std::string dir, DBOptions opts, Env* env, MetricsRegistry* metrics);
  // Replays <dir>/wal into head_ and opens the WAL writer after it.
  Status ReplayAndOpenWal();

  // --- blocks on disk (db_blocks.cc)
  // Renames <dir>/<ulid> to its *.tmp-for-deletion name, then removes it,
  // so a crash never leaves half a block under its real name.
  Status DeleteBlockDir(const std::string& ulid);
  // Opens the block directories the survey found; quarantines the ones of
  // ours that fail verification (after Prometheus's were all verified).
  Result<BlockList> OpenBlocks(const DataDirSurvey& survey);
  // Opens Prometheus's blocks; the first that fails refuses start-up.
  Status OpenPrometheusBlocks(const DataDirSurvey& survey, BlockList* blocks);
  // Opens the blocks of ours in `survey` not yet in *blocks (those the
  // takeover of a Prometheus head published); a failure fails Open.
  Status OpenNewBlocks(const DataDirSurvey& survey, BlockList* blocks);
  void QuarantineBlock(const std::string& name, const Status& why);
  // Loads block directories that appeared since the last load (backfilled
  // with promtool, or copied in), as Prometheus's reloadBlocks does on every
  // compaction cycle. Overlapping blocks are then merged by compaction.
  Status ReloadBlocksLocked() REQUIRES(compact_mu_);
  // Publishes `blocks` (sorted here) as the current list.
  void SetBlocks(BlockList blocks);
  BlockList BlocksSnapshot() const;
  // Takes `doomed` out of the list, then deletes their directories (renamed
  // to *.tmp-for-deletion first, so a crash never leaves half a block).
  Status DropBlocks(const std::vector<std::string>& doomed_ulids);
  // The newest max time (exclusive) of the blocks not cut from out-of-order
  // samples, or kMinTime with none: the head's lower bound at Open.
  int64_t InOrderBlocksMaxTime() const;

  // --- compaction (db_compact.cc)
  void BackgroundLoop() EXCLUDES(bg_mu_);
  Status CompactLocked() REQUIRES(compact_mu_);
  // Whether the head spans more than 1.5 block ranges.
  bool HeadCompactable() const;
  Status CompactHeadOnce() REQUIRES(compact_mu_);
  // Writes the head's [mint, maxt) as a level-1 block under parent_dir.
  // NotFound when the range holds no sample.
  Result<BlockMeta> WriteHeadRange(int64_t mint, int64_t maxt, const std::string& parent_dir);
  Status TruncateHeadAndWal(int64_t mint) REQUIRES(compact_mu_);
  // Narrows a planned WAL checkpoint to keep what opts_.wal_segment_floor needs.
  std::optional<std::pair<uint64_t, uint64_t>> KeepSegmentsForReaders(std::pair<uint64_t, uint64_t> planned)
      REQUIRES(compact_mu_);
  Status CompactBlocksOnce(bool* did_work) REQUIRES(compact_mu_);
  std::vector<int64_t> BlockRanges() const;

  // Writes `block`'s data (tombstones applied) as a new block in the
  // configured format under parent_dir (snapshots).
  Status RewriteBlockInto(Block& block, const std::string& parent_dir);

  // --- retention (db_retention.cc)
  Status ApplyRetentionLocked() REQUIRES(compact_mu_);

  std::string dir_;
  DBOptions opts_;
  Env* env_;
  MetricsRegistry* registry_;                      // may be null
  std::unique_ptr<MetricsRegistry> own_registry_;  // when registry_ is null
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<wal::Wal> wal_;                // declared before head_: outlives it
  std::unique_ptr<HeadChunkFiles> chunk_files_;  // likewise; null when off
  std::unique_ptr<Head> head_;
  std::unique_ptr<CircularExemplarStorage> exemplars_;

  mutable Mutex blocks_mu_;
  BlockList blocks_ GUARDED_BY(blocks_mu_);  // sorted by min time

  // Serialises compaction, retention, deletion and snapshots.
  Mutex compact_mu_;
  // New block directories already reported as not loadable (logged once).
  std::set<std::string> reload_warned_ GUARDED_BY(compact_mu_);

  Mutex bg_mu_;
  CondVar bg_cv_;  // with bg_mu_: bg_stop_ was set
  bool bg_stop_ GUARDED_BY(bg_mu_) = false;
  std::thread bg_thread_;
  std::atomic<bool> closed_{false};
};

}  // namespace promethium::tsdb
