// Tombstones: deleted time intervals per series of a persisted block, and
// the block's `tombstones` file (format in docs/format/tombstones.md).
//
// Intervals are closed ([mint, maxt], as Prometheus's tombstones.Interval);
// per series they are kept sorted and merged (overlapping or adjacent
// intervals coalesce).
//
// Ownership: plain values. Thread-safety: functions are pure or go through
// Env; a TombstoneMap is a value, shared read-only once built.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/env.h"
#include "tsdb/base/result.h"

namespace promethium::tsdb {

inline constexpr char kTombstonesFilename[] = "tombstones";
inline constexpr uint32_t kTombstonesMagic = 0x50545331;  // "PTS1"

struct Interval {
  int64_t mint = 0;
  int64_t maxt = 0;  // inclusive
  friend bool operator==(const Interval&, const Interval&) = default;
};
using Intervals = std::vector<Interval>;
using TombstoneMap = std::map<SeriesRef, Intervals>;

// Adds iv to a sorted, merged list, keeping it sorted and merged.
void AddInterval(Intervals* list, Interval iv);
// Whether t lies in one of the intervals.
bool IsDeleted(const Intervals& list, int64_t t);
// Whether [mint, maxt] lies entirely inside one interval.
bool CoversRange(const Intervals& list, int64_t mint, int64_t maxt);
// Whether some interval intersects [mint, maxt].
bool OverlapsRange(const Intervals& list, int64_t mint, int64_t maxt);
// Total number of intervals (meta.json stats.numTombstones).
uint64_t NumTombstones(const TombstoneMap& map);

std::string EncodeTombstones(const TombstoneMap& map);
// Corruption naming `path` and the offset on a bad magic, checksum or body.
Result<TombstoneMap> DecodeTombstones(std::string_view data, const std::string& path);
// An absent file means no tombstones.
Result<TombstoneMap> ReadTombstones(Env* env, const std::string& block_dir);
// Replaces <block_dir>/tombstones atomically (removed when map is empty).
Status WriteTombstones(Env* env, const std::string& block_dir, const TombstoneMap& map);

}  // namespace promethium::tsdb
