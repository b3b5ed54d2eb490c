// WAL segments and record framing.
//
// The WAL is a directory of segment files named by an 8-digit, zero-padded
// decimal index (00000000, 00000001, ...), as Prometheus names them. Each
// segment starts with an 8-byte header ("PWAL", version 1, 3 zero bytes),
// then holds a plain sequence of frames, one per record:
//
//   [u32 LE payload length][u32 LE CRC32C of the payload][payload bytes]
//
// The header proves a file is ours before replay repairs (truncates) it,
// even when its first frame is torn: Prometheus names its segments the same
// way. Segments written before the header existed start with a frame;
// readers accept both.
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
// "PWAL" as little-endian u32 is above kMaxRecordSize, so a header can never
// be mistaken for the first frame of a headerless segment.
inline constexpr char kSegmentMagic[4] = {'P', 'W', 'A', 'L'};
inline constexpr uint8_t kSegmentVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 8;
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

// The 8 header bytes every new segment starts with.
std::string SegmentHeader();

// Whether the file at `path` is provably one of our segments (or empty):
// it starts with our header or a prefix of it (a torn header), or, for a
// segment written before headers existed, its first frame's CRC32C
// verifies. Replay repairs (truncates, deletes) only such files: Prometheus
// names its WAL segments the same way. Reads at most the first frame.
Result<bool> IsOurSegmentOrEmpty(Env* env, const std::string& path);

// Appends one framed record to *out.
void AppendFrame(std::string_view payload, std::string* out);

}  // namespace promethium::tsdb::wal
