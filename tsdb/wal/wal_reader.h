// WAL replay: reads the newest checkpoint (checkpoint.h), then every record
// of every segment after it in order, and repairs a damaged tail so start-up
// can continue.
//
// Checkpoints: checkpoint.<n>.tmp leftovers of an interrupted checkpoint are
// removed first. The newest checkpoint.<n> is read in full; any damage in it
// fails replay with Corruption naming the file and offset (it was fsynced
// before it was renamed into place, so damage there is not a torn write).
// Segments <= n (left by a crash before they were deleted) are skipped; the
// first segment read must be n + 1 (a gap fails replay). Compressed records
// (compression.h) are decompressed before the callback sees them.
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
#include <optional>
#include <string>
#include <string_view>

#include "tsdb/base/env.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"
#include "tsdb/wal/segment_reader.h"

namespace promethium::tsdb::wal {

struct ReplayResult {
  std::optional<uint64_t> checkpoint;  // index of the checkpoint read, if any
  uint64_t checkpoint_records = 0;     // records of it handed to the callback
  uint64_t segments = 0;               // segments read (including a repaired one)
  uint64_t records = 0;                // good segment records handed to the callback
  uint64_t bytes = 0;                  // bytes of good frames
  bool repaired = false;               // a torn or corrupt tail was cut off
  // Segment index the writer should start with: one past the last segment
  // that exists after replay, or past the checkpoint (0 for an empty WAL).
  uint64_t next_segment = 0;
};

// on_record (segment_reader.h) is called once per good record, checkpoint
// first, in WAL order; a non-OK Status aborts replay and is returned.
// `corruptions` (may be null) is incremented once per repair.
Result<ReplayResult> ReplayAndRepair(Env* env, const std::string& dir, const RecordHandler& on_record,
                                     Counter* corruptions);

}  // namespace promethium::tsdb::wal
