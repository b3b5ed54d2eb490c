// BlockMeta: the meta.json of a persisted block, in exactly Prometheus's
// JSON shape (ulid, minTime, maxTime, stats, compaction, version) so tools
// that read Prometheus blocks (promtool, Thanos) recognise ours; and ULIDs,
// the 26-character, time-sortable block identifiers.
//
// A block covers [min_time, max_time): max_time is exclusive, as in
// Prometheus. The file format is described in docs/format/block.md.
//
// Ownership: plain values. Thread-safety: the functions are safe to call
// concurrently; NewUlid draws from a process-wide, mutex-guarded generator.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/base/result.h"

namespace promethium::tsdb {

inline constexpr int kBlockMetaVersion = 1;
inline constexpr char kMetaFilename[] = "meta.json";

// Prometheus's BlockStats. num_samples = num_float_samples +
// num_histogram_samples for blocks written by Prometheus 3.x and by us;
// blocks of older Prometheus versions carry num_samples only (the other
// two read as 0 and are written back as they were read).
struct BlockStats {
  uint64_t num_samples = 0;
  uint64_t num_float_samples = 0;
  uint64_t num_histogram_samples = 0;  // integer and float histogram samples
  uint64_t num_series = 0;
  uint64_t num_chunks = 0;
  uint64_t num_tombstones = 0;
};

// A parent block of a compaction, as recorded in compaction.parents.
struct BlockDesc {
  std::string ulid;
  int64_t min_time = 0;
  int64_t max_time = 0;
};

struct BlockCompaction {
  int level = 1;                     // 1: cut from the head
  std::vector<std::string> sources;  // ULIDs of the level-1 blocks this data came from
  std::vector<BlockDesc> parents;    // the blocks directly compacted into this one
  bool deletable = false;            // Prometheus: an empty compaction result
  bool failed = false;               // Prometheus: compaction of this block failed
  // Prometheus's compaction hints; kFromOutOfOrderHint marks a block cut
  // from out-of-order samples, which does not move the head's lower bound.
  std::vector<std::string> hints;
  bool FromOutOfOrder() const;
};

inline constexpr char kFromOutOfOrderHint[] = "from-out-of-order";

struct BlockMeta {
  std::string ulid;
  int64_t min_time = 0;  // inclusive, ms
  int64_t max_time = 0;  // exclusive, ms
  BlockStats stats;
  BlockCompaction compaction;
  int version = kBlockMetaVersion;
};

// Reads and validates <block_dir>/meta.json. Corruption (naming the path) for
// malformed JSON, a bad ULID, maxTime < minTime or an unknown version.
Result<BlockMeta> ReadBlockMeta(Env* env, const std::string& block_dir);
// Writes <block_dir>/meta.json atomically (tmp file, fsync, rename, fsync dir).
Status WriteBlockMeta(Env* env, const std::string& block_dir, const BlockMeta& meta);

// The JSON text of a meta (indented like Prometheus's), and its parser.
std::string BlockMetaToJson(const BlockMeta& meta);
Result<BlockMeta> BlockMetaFromJson(std::string_view json);

// A new ULID for time `ms`: 48-bit ms timestamp + 80 random bits, Crockford
// base32. ULIDs made by this process sort by time, and within one ms they
// are strictly increasing (monotonic mode), so string order = creation order.
std::string NewUlid(int64_t ms);
// True for a 26-character Crockford base32 string whose first char is <= '7'.
bool IsValidUlid(std::string_view s);
// The timestamp (ms) encoded in a valid ULID.
int64_t UlidTime(std::string_view ulid);

// The meta of a block compacted from `parents`: min/max over the parents,
// level = max(parent levels) + 1, sources = sorted union of their sources,
// parents listed. ulid and stats are left for the writer to fill.
BlockMeta CompactBlockMetas(const std::vector<BlockMeta>& parents);

}  // namespace promethium::tsdb
