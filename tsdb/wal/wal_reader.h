// WAL replay: reads every record of every segment in order and repairs a
// damaged tail so start-up can continue.
//
// When a frame is torn (the process died mid-write) or fails its CRC32C
// (corruption), everything from that frame on is dropped, as Prometheus's
// WAL repair does: the segment is truncated to its last good record, every
// later segment is deleted, a warning names the segment and offset, and
// replay returns normally with what came before. Segment numbering gaps and
// I/O errors are not repaired: they fail replay.
//
// Thread-safety: a free function; the caller must ensure nobody writes the
// WAL directory meanwhile (DB::Open runs it before the writer exists).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "tsdb/base/env.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"

namespace promethium::tsdb::wal {

struct ReplayResult {
  uint64_t segments = 0;  // segments read (including a repaired one)
  uint64_t records = 0;   // good records handed to the callback
  uint64_t bytes = 0;     // bytes of good frames
  bool repaired = false;  // a torn or corrupt tail was cut off
  // Segment index the writer should start with: one past the last segment
  // that exists after replay (0 for an empty WAL).
  uint64_t next_segment = 0;
};

// Called once per good record, in WAL order. A non-OK Status aborts replay
// and is returned (a record with a good CRC that does not decode is a bug or
// a foreign format: fail loudly rather than drop data silently).
using RecordHandler = std::function<Status(std::string_view payload)>;

// `corruptions` (may be null) is incremented once per repair.
Result<ReplayResult> ReplayAndRepair(Env* env, const std::string& dir, const RecordHandler& on_record,
                                     Counter* corruptions);

}  // namespace promethium::tsdb::wal
