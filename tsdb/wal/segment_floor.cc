#include "tsdb/wal/segment_floor.h"

#include <algorithm>

namespace promethium::tsdb::wal {

SegmentFloorDecision ApplySegmentFloor(std::pair<uint64_t, uint64_t> planned, std::optional<uint64_t> floor,
                                       uint64_t max_extra) {
  SegmentFloorDecision out;
  const auto [first, to] = planned;
  if (!floor || *floor > to) {
    out.range = planned;
    return out;
  }
  // Segments max(floor, first)..to are wanted; keep at most max_extra of them.
  const uint64_t wanted = to + 1 - std::max(*floor, first);
  const uint64_t keep = std::min(wanted, max_extra);
  out.kept_for_floor = keep;
  out.released = wanted - keep;
  const uint64_t end = to + 1 - keep;  // one past the last segment to checkpoint
  if (end > first) out.range = std::make_pair(first, end - 1);
  return out;
}

}  // namespace promethium::tsdb::wal
