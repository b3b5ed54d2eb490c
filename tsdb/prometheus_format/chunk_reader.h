// PrometheusChunkFiles: reads the chunks/000001, 000002, ... segment files
// of a block written by Prometheus (upstream tsdb/docs/format/chunks.md,
// summarised in docs/format/prometheus_blocks.md) in place.
//
// A segment file is an 8-byte header (magic 0x85BD40DD big-endian, version
// 1, three padding bytes) followed by chunks laid end to end, each
//
//   uvarint(len(data)) | encoding u8 | data | CRC32C(encoding, data) (BE)
//
// A ChunkMeta ref (as PrometheusIndexFile hands it out) is Prometheus's
// BlockChunkRef: the 0-based index of the segment file (000001 is 0) in the
// upper 32 bits, the byte offset of the chunk in that file in the lower 32.
//
// Only XOR chunks (encoding 1) are read; their bytes are bit-compatible with
// ours (chunkenc/xor_chunk.h) and are copied out verbatim. Native histogram
// (2), float histogram (3) and unknown encodings are reported as
// Unsupported, never misread. Every chunk's CRC is checked on read.
//
// Ownership: PrometheusChunkFiles owns the open files; each reader holds a
// shared_ptr to them, so they stay open while any reader lives.
// Thread-safety: PrometheusChunkFiles is immutable after Open and safe from
// any number of threads; a reader (it owns a scratch buffer) is used by one
// thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/block/block_format.h"

namespace promethium::tsdb {

// Whether `first_bytes` (the start of a file, at least 5 bytes) is the
// header of a Prometheus chunk segment file of version 1.
bool IsPrometheusChunkSegmentHeader(std::string_view first_bytes);

class PrometheusChunkFiles final : public BlockChunkFiles {
 public:
  // Opens every chunks_dir/NNNNNN file (names of digits only), checking
  // their headers and that they are numbered 1..n without gaps. A missing
  // directory is a block without chunks.
  static Result<std::shared_ptr<PrometheusChunkFiles>> Open(Env* env, const std::string& chunks_dir);

  uint64_t TotalBytes() const override;
  std::unique_ptr<BlockChunkFileReader> NewReader() const override;
  size_t NumSegments() const { return segments_.size(); }

  // Copies the XOR chunk data at `ref` into *out, using *scratch for the
  // read. Corruption ("corrupt: <path> at offset N: ...") for a bad ref,
  // length or CRC; Unsupported naming the encoding for a non-XOR chunk.
  Status ReadChunk(uint64_t ref, std::string* out, std::string* scratch) const;

 private:
  struct Segment {
    std::string path;
    std::unique_ptr<RandomAccessFile> file;
  };

  PrometheusChunkFiles() = default;

  std::string dir_;
  std::vector<Segment> segments_;  // index = file number - 1
};

}  // namespace promethium::tsdb
