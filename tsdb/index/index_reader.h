// IndexReader: the read view of a block's index (postings, series labels,
// chunk references), as Prometheus's tsdb.IndexReader.
//
// The head implements it over its in-memory structures; persisted blocks
// will implement it over their index file, so the same querier (and the same
// PostingsForMatchers) serves both.
//
// Ownership: the caller owns every Postings returned; results are snapshots
// that stay valid after the reader's internal locks are released. The reader
// must outlive anything obtained from it.
// Thread-safety: implementations are safe to call from any number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/base/status.h"
#include "tsdb/index/postings.h"

namespace promethium::tsdb {

// How a chunk's bytes are encoded (XOR, histogram, float histogram): the
// enum is defined with the chunk encodings (tsdb/chunkenc/chunk_encoding.h),
// a layer this one does not link; its numbers are Prometheus's
// chunkenc.Encoding, the byte every chunk file stores next to a chunk.
enum class ChunkEncoding : uint8_t;

// Where one chunk of a series lives and which time range it covers.
struct ChunkMeta {
  uint64_t ref = 0;  // opaque to everyone but the ChunkReader that issued it
  int64_t min_time = 0;
  int64_t max_time = 0;
};

class IndexReader {
 public:
  virtual ~IndexReader() = default;

  // Every series in the reader, ascending.
  virtual std::unique_ptr<Postings> AllPostings() = 0;
  // Union of the postings of name=v for each v in values; unknown pairs
  // contribute nothing.
  virtual std::unique_ptr<Postings> PostingsFor(std::string_view name, const std::vector<std::string>& values) = 0;
  // Sorted values present for a label name.
  virtual std::vector<std::string> LabelValues(std::string_view name) = 0;
  // Sorted label names present in the reader.
  virtual std::vector<std::string> LabelNames() = 0;
  // The labels of a series and its chunks (ascending time). NotFound when the
  // series does not exist (any more). `chunks` may be null.
  virtual Status Series(SeriesRef ref, Labels* labels, std::vector<ChunkMeta>* chunks) = 0;
  // The [min, max] sample time range covered (min > max when empty).
  virtual void TimeRange(int64_t* min_time, int64_t* max_time) = 0;
};

// Reads chunk bytes by the ChunkMeta::ref an IndexReader handed out.
class ChunkReader {
 public:
  virtual ~ChunkReader() = default;
  // Copies the chunk's encoded bytes into *bytes and sets *encoding to how
  // they are encoded. NotFound when the chunk is gone.
  virtual Status ReadChunk(const ChunkMeta& meta, std::string* bytes, ChunkEncoding* encoding) = 0;
  // ReadChunk for callers that only handle XOR chunks (tools, tests): any
  // other encoding is Unsupported, naming it, never misread.
  Status Chunk(const ChunkMeta& meta, std::string* bytes) {
    ChunkEncoding encoding{};
    PROMETHIUM_RETURN_IF_ERROR(ReadChunk(meta, bytes, &encoding));
    const auto byte = static_cast<uint8_t>(encoding);
    if (byte == 1) return Status::OK();  // XOR
    return Status::Unsupported("chunk encoding " + std::to_string(byte) + ": only XOR chunks are read here");
  }
};

}  // namespace promethium::tsdb
