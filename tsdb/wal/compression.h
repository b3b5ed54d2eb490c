// WAL record compression: wraps one encoded record (record.h) for a frame.
//
// A frame payload is either a plain record, whose first byte is its
// RecordType (record.h; none has the 0x80 bit), or a compressed one:
//
//   [1 byte codec flag: 0x80 | codec][compressed bytes of the whole record]
//
// with codec 1 = Snappy (raw block format) and 2 = zstd (one frame, with
// its content size). Record types never have the 0x80 bit set, so the flag
// tells the two apart and WALs written without compression replay unchanged.
// As Prometheus does, a record is stored compressed only when that makes it
// smaller. docs/format/wal.md documents the layout.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "tsdb/base/result.h"
#include "tsdb/base/status.h"

namespace promethium::tsdb::wal {

enum class Compression {
  kNone,
  kSnappy,  // Prometheus 3.x's default (--storage.tsdb.wal-compression-type=snappy)
  kZstd,    // zstd level 1 (as Prometheus's "zstd" type: fastest level)
};

inline constexpr uint8_t kCompressedFlag = 0x80;

// Parses "none", "snappy" or "zstd" (Prometheus flag values; "" is none).
Result<Compression> ParseCompression(std::string_view name);
std::string_view CompressionName(Compression c);

// Replaces *out with the frame payload for `record`: compressed with `c` if
// that is smaller, else the record itself.
void CompressRecord(Compression c, std::string_view record, std::string* out);

// Returns the record a frame payload holds: `payload` itself when it is not
// compressed, else its decompression into *scratch. Corruption when the
// codec is unknown or the compressed bytes are malformed or decompress to
// more than kMaxRecordSize.
Result<std::string_view> DecompressPayload(std::string_view payload, std::string* scratch);

}  // namespace promethium::tsdb::wal
