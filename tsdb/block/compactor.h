// WriteBlock: the block writer used by head cutting and compaction. It
// merges the series of any number of sources (head readers, block readers
// with tombstones applied) into one new persisted block:
//
//  - series with identical labels across sources are merged into one;
//  - chunks that overlap in time (across or within sources) are decoded,
//    merged with duplicate timestamps dropped (the sample of the earliest
//    source wins) and re-encoded into chunks of <= samples_per_chunk;
//  - only samples in [mint, maxt) are kept: chunks straddling the bounds
//    (or holding samples past their meta's max time, as a head's open chunk
//    can) are re-encoded clipped; untouched chunks are copied verbatim;
//  - chunks keep their encoding: histogram chunks are copied verbatim when
//    untouched, and otherwise decoded and re-encoded by sample type
//    (querier/chunk_rewrite.h), a new chunk at each type change; meta.json
//    counts float and histogram samples apart;
//  - series left without samples are skipped; if none remain, nothing is
//    written and NotFound is returned.
//
// The block is built in <parent>/<ULID>.tmp-for-creation, every file and
// directory fsynced, then renamed to <parent>/<ULID> (atomic), and the
// parent fsynced. On failure the tmp dir is removed best-effort; a crash can
// leave one behind, which DB::Open deletes once the data-dir survey has
// proven it holds only block files (IsTmpBlockDir, tsdb/datadir/).
//
// Ownership: borrows the sources for the call. Thread-safety: the sources
// must be safe to read during the call; WriteBlock itself keeps no state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/block/block_format.h"
#include "tsdb/block/block_meta.h"
#include "tsdb/block/chunk_segments.h"
#include "tsdb/index/index_reader.h"

namespace promethium::tsdb {

inline constexpr char kTmpForCreationSuffix[] = ".tmp-for-creation";
// A block being deleted is renamed to <ULID>.tmp-for-deletion first, so a
// crash never leaves half a block under its real name.
inline constexpr char kTmpForDeletionSuffix[] = ".tmp-for-deletion";

struct BlockSource {
  IndexReader* index;
  ChunkReader* chunks;
};

struct BlockWriteOptions {
  // On-disk format of index and chunks/ (meta.json is the same in both).
  // kPrometheus writes Prometheus's index v2 and chunk segment files; of
  // `chunks` it then uses only segment_max_bytes.
  BlockFormat format = BlockFormat::kPromethium;
  ChunkWriteOptions chunks;
  int samples_per_chunk = 120;  // for re-encoded chunks
  // Used for the ULID; 0 means the current wall clock.
  int64_t now_ms = 0;
};

// Writes the block. `compaction` is recorded in meta.json: pass
// {level = 1} for a head block (sources then becomes the new ULID), or
// CompactBlockMetas(parents).compaction for a compaction. Returns the meta
// written (ulid, stats, [mint, maxt)).
Result<BlockMeta> WriteBlock(Env* env, const std::string& parent_dir, std::span<const BlockSource> sources,
                             int64_t mint, int64_t maxt, const BlockCompaction& compaction,
                             const BlockWriteOptions& opts = {});

// Whether a directory name is a block being created or deleted (or the
// leftover of a crash during either).
bool IsTmpBlockDir(std::string_view name);
// The names (ULIDs) of the block directories in data_dir, ascending: entries
// that are valid ULIDs and hold a meta.json. Others (wal, chunks_head, tmp
// dirs, lock files) are skipped.
Result<std::vector<std::string>> ListBlockDirs(Env* env, const std::string& data_dir);

}  // namespace promethium::tsdb
