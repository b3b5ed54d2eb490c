// ApplySegmentFloor: narrows a WAL truncation so that segments a reader
// outside the engine still needs (remote write, which has not had them
// acknowledged) survive it, within a bound.
//
// The head's truncation (tsdb/db_compact.cc) checkpoints and deletes the
// segments [first, to] that CheckpointSegmentsFor picked. With a floor F (the
// lowest segment any reader needs) it checkpoints only [first, F - 1], so the
// segments F..to stay readable, but it never keeps more than max_extra of
// them: past that bound the oldest are deleted anyway, so a receiver that is
// down for good cannot fill the disk (docs/REMOTE.md, "Durability and WAL
// retention"). Checkpointing below the floor still happens, and the readers
// read series from the checkpoint plus the kept segments.
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

namespace promethium::tsdb::wal {

struct SegmentFloorDecision {
  // The segments to checkpoint and delete; nullopt: none this time.
  std::optional<std::pair<uint64_t, uint64_t>> range;
  uint64_t kept_for_floor = 0;  // segments of the planned range kept for the readers
  uint64_t released = 0;        // segments the readers still needed, deleted because of max_extra
};

SegmentFloorDecision ApplySegmentFloor(std::pair<uint64_t, uint64_t> planned, std::optional<uint64_t> floor,
                                       uint64_t max_extra);

}  // namespace promethium::tsdb::wal
