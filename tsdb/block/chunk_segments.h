// Chunk segments: the chunks/000001... files of a persisted block. Chunks
// (each with its encoding byte: XOR, histogram, float histogram) are packed, in the order they are added (series
// order), into groups of ~32 KiB of raw bytes; each group is zstd-compressed as one frame and carries a CRC32C.
// Segments are cut before they would pass 512 MiB. Byte layout and the ChunkMeta::ref encoding:
// docs/format/block_chunks.md.
//
// ChunkSegmentWriter builds the files of one new block; ChunkSegmentReader
// reads them back by ref, verifying each group's CRC on read and caching
// the last decompressed group (queries read in write order, so consecutive
// chunks of a series, and consecutive series, usually share a group).
//
// Ownership: the writer owns its open file; the reader owns its cache and
// borrows the shared ChunkSegmentFiles, which must outlive it.
// Thread-safety: a writer is used by one thread. ChunkSegmentFiles is
// immutable after Open and shared by all readers; one ChunkSegmentReader
// is used by one thread at a time (each BlockChunkReader owns one).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/base/result.h"
#include "tsdb/block/block_format.h"

typedef struct ZSTD_CCtx_s ZSTD_CCtx;
typedef struct ZSTD_DCtx_s ZSTD_DCtx;

namespace promethium::tsdb {

inline constexpr uint32_t kChunkSegmentMagic = 0x50424331;  // "PBC1"
inline constexpr size_t kChunkSegmentHeaderSize = 8;
inline constexpr size_t kChunkGroupHeaderSize = 9;  // codec u8, raw len u32, stored len u32
inline constexpr size_t kChunkGroupMaxRaw = size_t{1} << 20;
inline constexpr uint64_t kDefaultSegmentMaxBytes = uint64_t{512} << 20;

enum class ChunkCodec : uint8_t { kRaw = 0, kZstd = 1 };

// ChunkMeta::ref of a block chunk: segment sequence (12 bits) | group offset
// in the segment file (32 bits) | offset of the chunk in the decompressed
// group (20 bits).
inline uint64_t PackBlockChunkRef(uint32_t seq, uint64_t group_offset, uint32_t in_group) {
  return (uint64_t{seq} << 52) | (group_offset << 20) | in_group;
}
inline uint32_t BlockChunkSeq(uint64_t ref) { return static_cast<uint32_t>(ref >> 52); }
inline uint64_t BlockChunkGroupOffset(uint64_t ref) { return (ref >> 20) & 0xffffffffULL; }
inline uint32_t BlockChunkInGroup(uint64_t ref) { return static_cast<uint32_t>(ref & 0xfffff); }

struct ChunkWriteOptions {
  size_t group_target_bytes = 32 << 10;  // raw bytes per zstd frame (see block_chunks.md)
  int zstd_level = 3;                    // 0: store groups uncompressed
  uint64_t segment_max_bytes = kDefaultSegmentMaxBytes;
};

std::string ChunkSegmentPath(const std::string& chunks_dir, uint32_t seq);

class ChunkSegmentWriter : public BlockChunkFileWriter {
 public:
  ChunkSegmentWriter(Env* env, std::string chunks_dir, const ChunkWriteOptions& opts);
  ~ChunkSegmentWriter() override;
  ChunkSegmentWriter(const ChunkSegmentWriter&) = delete;
  ChunkSegmentWriter& operator=(const ChunkSegmentWriter&) = delete;

  // Buffers one chunk with its encoding and returns its ref (valid once
  // Finish succeeds).
  Result<uint64_t> AddChunk(ChunkEncoding encoding, std::string_view chunk) override;
  // Writes the last group, fsyncs and closes the segment files.
  Status Finish() override;

  uint64_t raw_bytes() const override { return raw_bytes_; }        // chunk bytes added
  uint64_t stored_bytes() const override { return stored_bytes_; }  // bytes written to files

 private:
  Status StartGroup();
  Status FlushGroup();
  Status CloseSegment();

  Env* const env_;
  const std::string dir_;
  const ChunkWriteOptions opts_;
  ZSTD_CCtx* cctx_ = nullptr;
  std::unique_ptr<WritableFile> file_;
  uint32_t seq_ = 0;
  uint64_t file_size_ = 0;
  uint64_t group_offset_ = 0;
  bool group_open_ = false;
  std::string group_;    // raw bytes of the open group
  std::string scratch_;  // compression output
  uint64_t raw_bytes_ = 0;
  uint64_t stored_bytes_ = 0;
};

// The opened segment files of one block, shared by its chunk readers.
class ChunkSegmentFiles final : public BlockChunkFiles {
 public:
  // Opens every chunks/NNNNNN file, checking their headers and that the
  // sequence numbers are 1..n without gaps.
  static Result<std::shared_ptr<ChunkSegmentFiles>> Open(Env* env, const std::string& chunks_dir);
  uint64_t TotalBytes() const override;
  // A ChunkSegmentReader (with its own group cache) over these files.
  std::unique_ptr<BlockChunkFileReader> NewReader() const override;

 private:
  friend class ChunkSegmentReader;
  struct Segment {
    std::string path;
    std::unique_ptr<RandomAccessFile> file;
  };
  std::vector<Segment> segments_;  // index seq-1
};

class ChunkSegmentReader final : public BlockChunkFileReader {
 public:
  explicit ChunkSegmentReader(std::shared_ptr<const ChunkSegmentFiles> files);
  ~ChunkSegmentReader() override;
  ChunkSegmentReader(const ChunkSegmentReader&) = delete;
  ChunkSegmentReader& operator=(const ChunkSegmentReader&) = delete;

  // Copies the chunk at `ref` into *out and its encoding into *encoding.
  // Corruption ("corrupt: <path> at offset N: ...") on a bad CRC, header,
  // ref or encoding byte.
  Status ReadChunk(uint64_t ref, std::string* out, ChunkEncoding* encoding) override;

 private:
  Status LoadGroup(uint32_t seq, uint64_t offset);

  std::shared_ptr<const ChunkSegmentFiles> files_;
  ZSTD_DCtx* dctx_ = nullptr;
  // Cache of the last decompressed group.
  bool cached_ = false;
  uint32_t cached_seq_ = 0;
  uint64_t cached_offset_ = 0;
  std::string group_;
  std::string scratch_;
};

}  // namespace promethium::tsdb
