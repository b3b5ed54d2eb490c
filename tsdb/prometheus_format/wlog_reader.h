// Prometheus's write-log segment framing (its tsdb/wlog package), read-only.
//
// Prometheus's WAL, its checkpoints and its out-of-order WBL share one
// framing, unlike ours (tsdb/wal/segment.h). A segment file is a sequence of
// 32 KiB pages. A record is cut into fragments so that no fragment crosses a
// page; each fragment is
//
//   [1 byte type][u16 BE data length][u32 BE CRC32C of the data][data]
//
// The type byte holds the fragment kind in bits 0-2 (1 full record, 2 first,
// 3 middle, 4 last fragment), bit 3 set when the record is snappy-compressed
// (raw block format) and bit 4 when it is zstd-compressed; bits 5-7 are
// unused. A zero byte where a fragment would start means the rest of the page
// is zero padding (a page whose free space cannot hold another header, or the
// last page of a closed segment). The last page of a segment still being
// written may be short. Compression applies to a whole record, so the
// fragments are joined first and the result decompressed.
//
// Nothing here writes: files are opened read-only through the Env. Damage
// (a torn or truncated fragment, a CRC mismatch, a bad type byte, non-zero
// padding, a record left unfinished at the end of the file, compressed bytes
// that do not decompress) stops reading and is described in the outcome; the
// caller decides whether it may be tolerated (wal_reader.h).
//
// Thread-safety: free functions; each call reads only its own file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "tsdb/base/env.h"
#include "tsdb/base/status.h"

namespace promethium::tsdb::prometheus_format {

inline constexpr size_t kWlogPageSize = size_t{32} * 1024;
inline constexpr size_t kWlogFragmentHeaderSize = 7;
// Bound on one reassembled or decompressed record, so damaged lengths cannot
// make the reader allocate without limit. Prometheus's own records stay far
// below it (a record never spans segments, which default to 128 MiB).
inline constexpr size_t kWlogMaxRecordSize = 256u << 20;

// True when `head_bytes` (a file's first bytes: pass its first page, or the
// whole file when shorter) start with a Prometheus fragment that opens a
// record (a full or first fragment, only known flag bits, at most one
// compression flag, a first fragment filling the page as Prometheus writes
// them) and whose CRC32C verifies over its data. Empty and zero-filled files
// never pass, nor do our segments that open with our "PWAL" header ('P' sets
// an unused bit); our older headerless frames ([u32 LE length][u32 LE CRC]
// [payload]) could pass only by a CRC32C collision. Used to prove a file is
// Prometheus's before anything is done with it.
bool ProbePrometheusWalSegment(std::string_view head_bytes);

// Called once per reassembled, decompressed record, in file order, with the
// offset of the record's first fragment. The view is valid only during the
// call. A non-OK Status stops reading and is returned unchanged.
using WlogRecordHandler = std::function<Status(std::string_view record, uint64_t offset)>;

struct WlogSegmentOutcome {
  uint64_t records = 0;     // records handed to the handler
  uint64_t file_size = 0;   // size of the file when it was opened
  uint64_t good_bytes = 0;  // offset just past the last whole record (and padding after it)
  // Empty when the segment ended cleanly; else why reading stopped, and the
  // offset of the damaged fragment (or of the unfinished record's start).
  std::string damage;
  uint64_t damage_offset = 0;
};

// Reads the segment at `path` front to back. Returns I/O errors, handler
// errors, and ResourceExhausted for a record over kWlogMaxRecordSize; damage
// is reported in *outcome with an OK Status.
Status ReadPrometheusWlogSegment(Env* env, const std::string& path, const WlogRecordHandler& on_record,
                                 WlogSegmentOutcome* outcome);

}  // namespace promethium::tsdb::prometheus_format
