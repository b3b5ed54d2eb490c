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
// XOR (encoding 1), histogram (2) and float histogram (3) chunks are copied
// out verbatim with their encoding; their bytes are bit-compatible with ours
// (chunkenc/). An unknown encoding is reported as Unsupported naming it,
// never misread. Every chunk's CRC is checked on read.
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

  // Copies the chunk data at `ref` into *out and its encoding into
  // *encoding, using *scratch for the read. Corruption ("corrupt: <path> at
  // offset N: ...") for a bad ref, length or CRC; Unsupported naming the
  // encoding byte for one that is not XOR, histogram or float histogram.
  Status ReadChunk(uint64_t ref, std::string* out, ChunkEncoding* encoding, std::string* scratch) const;

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
