// Block file formats: the seams through which one Block (block.h) and one
// block writer (compactor.h) read and write a block's `index` and `chunks/`
// in either of two on-disk formats:
//
//   kPromethium  our own (docs/format/index.md, block_chunks.md): the default
//   kPrometheus  Prometheus's index v1/v2 and chunk segment files
//                (docs/format/prometheus_blocks.md), read in place when a
//                Prometheus data directory is opened, and written on request
//                (--storage.tsdb.block-format=prometheus) so that promtool,
//                Thanos and Prometheus itself can read our blocks.
//
// Both formats carry each chunk's bytes with its encoding byte (XOR,
// histogram or float histogram, the numbers of ChunkEncoding), in the same
// byte encodings (chunkenc/), so a chunk read from one can be written to
// the other verbatim.
//
// Ownership: a Block owns its BlockIndexFile and shares its BlockChunkFiles
// with every BlockChunkFileReader it hands out (readers hold a shared_ptr).
// Thread-safety: BlockIndexFile and BlockChunkFiles are immutable after
// open and safe from any number of threads. A BlockChunkFileReader (it may
// cache) and a writer are used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"
#include "tsdb/chunkenc/chunk_encoding.h"
#include "tsdb/index/index_reader.h"

namespace promethium::tsdb {

enum class BlockFormat { kPromethium, kPrometheus };

// "promethium" or "prometheus" (logs, flags, docs).
const char* BlockFormatName(BlockFormat format);

// Read access to a block's index file.
class BlockIndexFile {
 public:
  virtual ~BlockIndexFile() = default;

  virtual BlockFormat format() const = 0;
  // Every series ref, ascending. Refs ascend in label order.
  virtual std::vector<SeriesRef> AllPostings() const = 0;
  // Sorted union of the postings of name=v for v in values.
  virtual Result<std::vector<SeriesRef>> Postings(std::string_view name,
                                                  const std::vector<std::string>& values) const = 0;
  // Sorted values of a label name, and the sorted label names.
  virtual std::vector<std::string> LabelValues(std::string_view name) const = 0;
  virtual std::vector<std::string> LabelNames() const = 0;
  // The labels and chunk metas (ascending time) of a series. NotFound for
  // a ref outside the series section, Corruption for an entry that does
  // not decode. `chunks` may be null.
  virtual Status Series(SeriesRef ref, Labels* labels, std::vector<ChunkMeta>* chunks) const = 0;

  virtual uint64_t SizeBytes() const = 0;
  virtual uint64_t NumSymbols() const = 0;
  virtual const std::string& path() const = 0;
};

// Reads chunks by the refs a BlockIndexFile of the same block handed out.
class BlockChunkFileReader {
 public:
  virtual ~BlockChunkFileReader() = default;
  // Copies the chunk bytes at `ref` into *out and their encoding (XOR,
  // histogram, float histogram) into *encoding. Corruption naming the file
  // and offset for damage, including an encoding byte that is none of those.
  virtual Status ReadChunk(uint64_t ref, std::string* out, ChunkEncoding* encoding) = 0;
  // ReadChunk for callers that only handle XOR chunks (tools, tests, the
  // fuzzer): another encoding is Unsupported naming it, never a misread.
  Status Read(uint64_t ref, std::string* out) {
    ChunkEncoding encoding = ChunkEncoding::kXor;
    PROMETHIUM_RETURN_IF_ERROR(ReadChunk(ref, out, &encoding));
    if (encoding == ChunkEncoding::kXor) return Status::OK();
    return Status::Unsupported(std::string(EncodingName(encoding)) + " chunk: only XOR chunks are read here");
  }
};

// The opened chunk files of one block.
class BlockChunkFiles : public std::enable_shared_from_this<BlockChunkFiles> {
 public:
  virtual ~BlockChunkFiles() = default;
  virtual uint64_t TotalBytes() const = 0;
  // A reader that keeps these files alive.
  virtual std::unique_ptr<BlockChunkFileReader> NewReader() const = 0;
};

// Writes the chunks of a new block, in series order.
class BlockChunkFileWriter {
 public:
  virtual ~BlockChunkFileWriter() = default;
  // Buffers one chunk with its encoding byte and returns its ref (valid
  // once Finish succeeds).
  virtual Result<uint64_t> AddChunk(ChunkEncoding encoding, std::string_view chunk) = 0;
  // AddChunk of an XOR chunk.
  Result<uint64_t> Add(std::string_view xor_chunk) { return AddChunk(ChunkEncoding::kXor, xor_chunk); }
  // Writes what is buffered, fsyncs and closes every file.
  virtual Status Finish() = 0;
  virtual uint64_t raw_bytes() const = 0;     // chunk bytes added
  virtual uint64_t stored_bytes() const = 0;  // bytes written to files
};

// Writes the index of a new block. The symbols (every label name and value
// of the series to come) are given at creation.
class BlockIndexFileWriter {
 public:
  virtual ~BlockIndexFileWriter() = default;
  // Appends a series; labels strictly ascending across calls, chunks
  // ascending by time, refs from the BlockChunkFileWriter of the same block.
  virtual Result<SeriesRef> AddSeries(const Labels& labels, const std::vector<ChunkMeta>& chunks) = 0;
  // Writes the remaining sections, fsyncs and closes the file.
  virtual Status Finish() = 0;
};

}  // namespace promethium::tsdb
