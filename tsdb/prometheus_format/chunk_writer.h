// PrometheusChunkWriter: writes the chunks/000001, 000002, ... segment files
// of a new block in Prometheus's layout (docs/format/prometheus_blocks.md;
// upstream tsdb/docs/format/chunks.md), so that Prometheus, promtool and
// Thanos read them.
//
// A segment file is an 8-byte header (magic 0x85BD40DD big-endian, version
// 1, three zero bytes) followed by chunks laid end to end; each chunk is
//
//   uvarint(len(data)) | encoding u8 | data | CRC32C(encoding, data)
//
// where encoding is the chunk's ChunkEncoding (1 XOR, 2 histogram, 3 float
// histogram), the numbers Prometheus uses.
//
// with the CRC stored big-endian. The ref handed out for a chunk is
// Prometheus's BlockChunkRef: the 0-based index of its segment file in the
// upper 32 bits and the chunk's byte offset in that file in the lower 32.
// A new segment is started before a chunk would carry the current one past
// segment_max_bytes (a segment always takes at least one chunk). Chunks are
// written through as they are added; Finish fsyncs and closes every file and
// fsyncs the directory.
//
// Ownership: owns the open segment file; borrows env. Thread-safety: one
// thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tsdb/base/env.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"
#include "tsdb/block/block_format.h"
#include "tsdb/prometheus_format/magic.h"

namespace promethium::tsdb {

inline constexpr uint8_t kPrometheusChunksVersion = 1;
inline constexpr size_t kPrometheusChunksHeaderSize = 8;
// Prometheus's DefaultChunkSegmentSize.
inline constexpr uint64_t kPrometheusChunkSegmentMaxBytes = uint64_t{512} << 20;

// Prometheus's BlockChunkRef: segment file index (0-based) | in-file offset.
inline uint64_t PackPrometheusChunkRef(uint32_t segment_index, uint32_t offset) {
  return (uint64_t{segment_index} << 32) | offset;
}
inline uint32_t PrometheusChunkSegmentIndex(uint64_t ref) { return static_cast<uint32_t>(ref >> 32); }
inline uint32_t PrometheusChunkOffset(uint64_t ref) { return static_cast<uint32_t>(ref); }

// The path of segment file `seq` (1-based, as the files are named).
std::string PrometheusChunkSegmentPath(const std::string& chunks_dir, uint32_t seq);

class PrometheusChunkWriter : public BlockChunkFileWriter {
 public:
  // `chunks_dir` must exist. segment_max_bytes is capped at 4 GiB (offsets
  // are 32 bits); 0 means the default.
  PrometheusChunkWriter(Env* env, std::string chunks_dir, uint64_t segment_max_bytes = kPrometheusChunkSegmentMaxBytes);
  ~PrometheusChunkWriter() override;
  PrometheusChunkWriter(const PrometheusChunkWriter&) = delete;
  PrometheusChunkWriter& operator=(const PrometheusChunkWriter&) = delete;

  Result<uint64_t> AddChunk(ChunkEncoding encoding, std::string_view chunk) override;
  Status Finish() override;
  uint64_t raw_bytes() const override { return raw_bytes_; }
  uint64_t stored_bytes() const override { return stored_bytes_; }

  // Segment files created so far.
  uint32_t num_segments() const { return seq_; }

 private:
  Status CutSegment();
  Status CloseSegment();

  Env* const env_;
  const std::string dir_;
  const uint64_t segment_max_;
  std::unique_ptr<WritableFile> file_;
  uint32_t seq_ = 0;        // 1-based number of the open (or last) segment
  uint64_t file_size_ = 0;  // bytes in the open segment
  bool finished_ = false;
  std::string buf_;
  uint64_t raw_bytes_ = 0;
  uint64_t stored_bytes_ = 0;
};

}  // namespace promethium::tsdb
