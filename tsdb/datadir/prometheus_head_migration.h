// MigratePrometheusHead: takes over the head of a Prometheus data directory
// once, at the first start of Promethium on it, so switching binaries keeps
// the recent data (Prometheus's blocks are read in place; see block.h).
//
// What Prometheus's head is made of, and what becomes of it:
//   wal/ (checkpoint.N/ + segments)  converted record by record into a new
//                                    WAL of ours (our framing and record
//                                    encoding, Prometheus's series refs)
//   wbl/ (out-of-order samples)      written as level-1 blocks of ours, one
//                                    per block range they touch, so no
//                                    out-of-order window can reject them
//   chunks_head/, chunk_snapshot.*   redundant with the WAL (Prometheus
//                                    rebuilds its head from the WAL too):
//                                    nothing to convert
//
// Steps, each safe to crash in (the next start finishes or redoes it):
//   1. convert wal/ into <dir>/wal.promethium-migration.tmp/ (ours; removed
//      and redone if a crash leaves it behind), fsync, write the WBL blocks;
//   2. rename wal/ to wal.prometheus-migrated/, then the tmp dir to wal/;
//   3. only now, with the data safe in our WAL, remove
//      wal.prometheus-migrated/, wbl/, Prometheus's chunks_head/ files and
//      chunk_snapshot.*; each removal is logged.
// Nothing of Prometheus's is modified before step 3. A failure before it
// (an unsupported record such as native histograms, damage in the middle
// of the WAL) leaves Prometheus's files exactly as they were, and the error
// names the file.
//
// Thread-safety: a free function; DB::Open calls it before anything else
// uses the directory.
#pragma once

#include <cstdint>
#include <string>

#include "tsdb/base/env.h"
#include "tsdb/base/result.h"
#include "tsdb/block/block_format.h"
#include "tsdb/datadir/data_dir_survey.h"
#include "tsdb/wal/compression.h"

namespace promethium::tsdb {

inline constexpr char kMigrationTmpWalDir[] = "wal.promethium-migration.tmp";
inline constexpr char kMigratedPrometheusWalDir[] = "wal.prometheus-migrated";

struct PrometheusHeadMigrationOptions {
  wal::Compression wal_compression = wal::Compression::kSnappy;
  uint64_t wal_segment_size = 128ull << 20;
  // Block range of the blocks the out-of-order samples are written to.
  int64_t block_range_ms = 2 * 60 * 60 * 1000;
  int samples_per_chunk = 120;
  BlockFormat block_format = BlockFormat::kPromethium;
};

struct PrometheusHeadMigrationResult {
  bool migrated = false;  // false: nothing of Prometheus's head was here
  uint64_t series = 0;
  uint64_t samples = 0;
  uint64_t tombstones = 0;
  uint64_t exemplars = 0;
  uint64_t ooo_samples = 0;  // from wbl/
  uint64_t ooo_blocks = 0;   // blocks written for them
  std::string torn_tail;     // a torn end of Prometheus's last segment, if any
};

// Finishes a migration a crash interrupted (steps 2 and 3), then migrates
// when `survey` found Prometheus's head. Call with a survey of `dir` taken
// just before, and survey again afterwards.
Result<PrometheusHeadMigrationResult> MigratePrometheusHead(Env* env, const std::string& dir,
                                                            const DataDirSurvey& survey,
                                                            const PrometheusHeadMigrationOptions& opts);

}  // namespace promethium::tsdb
