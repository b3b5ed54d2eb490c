// WAL checkpoints: compacting old segments so the WAL does not grow forever.
//
// Once the head's data below time `mint` is persisted in a block and the
// head is truncated, the segments holding that data are mostly dead weight.
// Checkpoint(from, to) rewrites what is still needed from them (and from the
// previous checkpoint) into wal/checkpoint.<to> (8 digits, as Prometheus
// names it): series records of the series the head still has, their samples
// and exemplars with t >= mint, and their tombstones that reach mint. It
// then deletes the segments <= to and older checkpoints. Replay
// (wal_reader.h) reads the newest checkpoint first, then the segments after
// it.
//
// A checkpoint directory holds segment files (00000000, ...) in the WAL's
// own framing (segment.h), so the same reader reads both.
//
// Crash safety: the checkpoint is written to checkpoint.<to>.tmp, fsynced,
// renamed to checkpoint.<to> and the WAL directory fsynced; only then are
// old files deleted. A crash before the rename leaves a .tmp that replay
// removes (the old checkpoint and segments are intact); a crash after it
// leaves files that replay ignores (segments and checkpoints below the
// newest checkpoint), and the next Checkpoint call deletes them.
//
// Typical use after a head truncation, as Prometheus's head.truncateWAL:
//   auto range = SegmentRange(env, wal_dir);       // before cutting
//   wal->CutSegment();                             // current one becomes old
//   if (auto plan = CheckpointSegmentsFor(first, last)) Checkpoint(... plan ...)
//
// Thread-safety: free functions. Checkpoint may run while the Wal writes
// segments above `to`; the caller must keep two Checkpoint calls on the same
// directory from running at once and must not replay meanwhile.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/env.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"
#include "tsdb/wal/compression.h"

namespace promethium::tsdb::wal {

struct CheckpointStats {
  bool created = false;          // false when an existing checkpoint already covered `to`
  uint64_t index = 0;            // the checkpoint now covering segments <= index
  uint64_t dropped_series = 0;   // series records of series not kept
  uint64_t dropped_samples = 0;  // samples of dropped series or with t < mint
  uint64_t dropped_tombstones = 0;
  uint64_t dropped_exemplars = 0;  // of dropped series or with t < mint
  uint64_t total_series = 0;       // series records read
  uint64_t total_samples = 0;
  uint64_t total_tombstones = 0;
  uint64_t total_exemplars = 0;
  uint64_t segments_deleted = 0;
  uint64_t checkpoints_deleted = 0;
};

struct CheckpointOptions {
  Compression compression = Compression::kSnappy;  // for the records written, as WalOptions
  uint64_t segment_size = 128ull << 20;            // checkpoint segment files are cut at this size
};

// "checkpoint.00000042" for 42.
std::string CheckpointName(uint64_t index);
// Parses "checkpoint.<digits>" (not a ".tmp"); false for anything else.
bool ParseCheckpointName(std::string_view name, uint64_t* index);

// Index of the newest complete checkpoint in wal_dir, or nullopt.
Result<std::optional<uint64_t>> LastCheckpoint(Env* env, const std::string& wal_dir);

// First and last segment index in wal_dir; NotFound when there is none.
Result<std::pair<uint64_t, uint64_t>> SegmentRange(Env* env, const std::string& wal_dir);

// Which segments to checkpoint when [first, last] exist and `last` is (or
// was, before a CutSegment) the one being written: never the last one, and
// only the lower two thirds of the rest, as Prometheus's head.truncateWAL.
// nullopt when that is not worth it (fewer than two old segments).
std::optional<std::pair<uint64_t, uint64_t>> CheckpointSegmentsFor(uint64_t first, uint64_t last);

// Deletes segments with index < `before` (oldest first, so a crash leaves no
// gap) and fsyncs the directory. *deleted (may be null) counts them.
Status DeleteSegmentsBefore(Env* env, const std::string& wal_dir, uint64_t before, uint64_t* deleted);
// Deletes checkpoints (and .tmp leftovers) with index < `before`.
Status DeleteCheckpointsBefore(Env* env, const std::string& wal_dir, uint64_t before, uint64_t* deleted);
// Removes every checkpoint.*.tmp directory (an interrupted Checkpoint).
Status RemoveTmpCheckpoints(Env* env, const std::string& wal_dir);

// Writes checkpoint.<to> from the previous checkpoint and segments
// [from, to] (from is raised to one past the previous checkpoint; a gap
// between them, or segments below from_segment without a previous
// checkpoint, are errors), keeping what keep_series and mint select, then
// deletes segments <= to and older checkpoints. Any damage in what it reads
// fails it with Corruption naming file and offset (nothing is deleted).
// `metrics` may be null; it receives prometheus_tsdb_checkpoint_* and
// prometheus_tsdb_wal_truncations_* counters as Prometheus names them.
Result<CheckpointStats> Checkpoint(Env* env, const std::string& wal_dir, uint64_t from_segment, uint64_t to_segment,
                                   const std::function<bool(SeriesRef)>& keep_series, int64_t mint,
                                   MetricsRegistry* metrics, const CheckpointOptions& opts = {});

}  // namespace promethium::tsdb::wal
