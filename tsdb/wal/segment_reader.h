// ReadSegmentRecords: reads the frames of one segment file (segment.h) and
// hands each good record, decompressed (compression.h), to a callback.
//
// Shared by WAL replay (wal_reader.h), which repairs a damaged tail, and by
// checkpointing (checkpoint.h), which refuses one. Reading stops at the first
// damaged frame (torn header or payload, bad length, CRC mismatch) and
// describes it in the outcome; deciding what damage means is the caller's.
//
// Thread-safety: a free function; reads only the given file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "tsdb/base/env.h"
#include "tsdb/base/status.h"

namespace promethium::tsdb::wal {

// Called once per good record, in order. A non-OK Status aborts reading and
// is returned (a record with a good CRC that does not decode is a bug or a
// foreign format: fail loudly rather than drop data silently).
using RecordHandler = std::function<Status(std::string_view record)>;

struct SegmentReadOutcome {
  uint64_t records = 0;     // good records handed to the callback
  uint64_t good_bytes = 0;  // offset just past the last good frame
  std::string problem;      // empty when the segment ended cleanly
};

// I/O errors, undecodable compressed payloads (Corruption) and callback
// errors are returned; frame damage is reported in *outcome with OK.
Status ReadSegmentRecords(Env* env, const std::string& path, const RecordHandler& on_record,
                          SegmentReadOutcome* outcome);

}  // namespace promethium::tsdb::wal
