// Compaction planning, with the semantics of Prometheus's
// LeveledCompactor.Plan (tsdb/compact.go):
//
//  1. Overlapping blocks (sorted by minTime) are compacted together first
//     (vertical compaction): the first run of mutually overlapping blocks.
//  2. Otherwise, excluding the newest block (max minTime, just cut from the
//     head, left alone so it can be backed up), for each range ranges[1:]
//     blocks are split into aligned windows [t0, t0+range); the first window
//     holding >1 block that either spans the full range or ends before the
//     newest block's minTime is compacted.
//  3. Otherwise, scanning from the newest (excluded block aside), a block at
//     least ranges[len/2] long with numTombstones/(numSeries+1) > 5% is
//     rewritten alone (a shorter block that is fully deleted too); the scan
//     stops at the first shorter block.
// Blocks whose compaction failed (compaction.failed) are not planned in 2.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tsdb/block/block_meta.h"

namespace promethium::tsdb {

// The ULIDs of the blocks to compact into one, or empty when none.
std::vector<std::string> PlanCompaction(const std::vector<BlockMeta>& metas, const std::vector<int64_t>& ranges);

// {min, min*step, min*step^2, ...}: `steps` ranges (Prometheus:
// ExponentialBlockRanges(2h, 10, 3) = 2h, 6h, 18h, ...).
std::vector<int64_t> ExponentialBlockRanges(int64_t min, int steps, int64_t step_size);

}  // namespace promethium::tsdb
