// WAL segments and record framing.
//
// The WAL is a directory of segment files named by an 8-digit, zero-padded
// decimal index (00000000, 00000001, ...), as Prometheus names them. Each
// segment is a plain sequence of frames, one per record:
//
//   [u32 LE payload length][u32 LE CRC32C of the payload][payload bytes]
//
// A frame never spans two segments. A zero length is invalid (it is what a
// zero-filled tail after a crash looks like), as is a length above
// kMaxRecordSize. docs/format/wal.md documents the layout byte by byte.
//
// Thread-safety: pure functions, plus ListSegments which only reads the
// directory through the given Env; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/base/result.h"

namespace promethium::tsdb::wal {

inline constexpr size_t kFrameHeaderSize = 8;
// Upper bound on one record's payload, so a corrupt length cannot make the
// reader allocate gigabytes. A commit larger than this fails loudly.
inline constexpr uint32_t kMaxRecordSize = 256u << 20;

// "00000042" for 42.
std::string SegmentName(uint64_t index);
// Parses a segment file name; false for anything else (e.g. "checkpoint.1").
bool ParseSegmentName(std::string_view name, uint64_t* index);
std::string SegmentPath(const std::string& dir, uint64_t index);
// Indexes of every segment in `dir`, ascending. Missing dir: empty list.
Result<std::vector<uint64_t>> ListSegments(Env* env, const std::string& dir);

// Appends one framed record to *out.
void AppendFrame(std::string_view payload, std::string* out);

}  // namespace promethium::tsdb::wal
