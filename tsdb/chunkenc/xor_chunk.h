// XorChunk: a Gorilla-style compressed chunk of float samples, byte for byte
// compatible with Prometheus's chunkenc.XORChunk (see docs/format/chunks.md).
//
// Layout: a 2-byte big-endian sample count, then the first timestamp as a
// signed varint and the first value as 64 raw bits, then the second
// timestamp as an unsigned varint delta, then delta-of-deltas in prefix
// buckets; values are XORed with their predecessor, reusing the previous
// leading/trailing zero window when the new one fits inside it.
//
// Ownership: an XorChunk owns its bytes. An XorAppender borrows the chunk it
// writes to; an XorIterator borrows the bytes it decodes, which must outlive
// it (copy them first when a writer may still be appending).
// Thread-safety: none. A chunk being appended to must not be read without
// the caller's lock; readers then decode a copy of Bytes().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tsdb/api/storage.h"
#include "tsdb/base/result.h"
#include "tsdb/chunkenc/bstream.h"

namespace promethium::tsdb {

inline constexpr size_t kXorChunkHeaderSize = 2;
// Prometheus cuts a chunk before it would grow past this many bytes.
inline constexpr size_t kMaxBytesPerXorChunk = 1024;
// The most bytes a single appended sample can take (for cut decisions).
inline constexpr size_t kMaxBytesPerXorSample = 19;

class XorChunk {
 public:
  XorChunk();  // an empty chunk: just the header, count 0
  // Adopts encoded bytes (from a block file or a copy). Fails when they are
  // too short to hold the header; the body is validated lazily by iterators.
  static Result<XorChunk> FromBytes(std::string bytes);

  std::string_view Bytes() const { return stream_.bytes(); }
  int NumSamples() const;
  size_t SizeBytes() const { return stream_.size(); }
  // Approximate heap bytes held (capacity), for memory accounting.
  size_t MemoryBytes() const { return stream_.bytes().capacity(); }
  // Releases spare capacity once the chunk will receive no more samples.
  void Shrink() { stream_.mutable_bytes()->shrink_to_fit(); }
  // Reserves room for `bytes` of encoded data, to avoid regrowing.
  void Reserve(size_t bytes) { stream_.mutable_bytes()->reserve(bytes); }

 private:
  friend class XorAppender;
  explicit XorChunk(BitWriter stream) : stream_(std::move(stream)) {}
  void SetNumSamples(int n);

  BitWriter stream_;
};

// Appends samples to a chunk. Timestamps must strictly increase; the caller
// (the head) enforces that, the appender does not check.
class XorAppender {
 public:
  XorAppender() = default;
  // Starts appending to an empty chunk.
  explicit XorAppender(XorChunk* chunk) : chunk_(chunk) {}
  // Continues a chunk that may already hold samples by decoding it to the end
  // to restore the encoder state. Fails on a corrupt chunk.
  static Result<XorAppender> Resume(XorChunk* chunk);
  // Points the appender at the same chunk after it moved in memory (e.g. a
  // vector of chunks reallocated); the encoder state stays.
  void Rebind(XorChunk* chunk) { chunk_ = chunk; }

  void Append(int64_t t, double v);

  // The last appended sample; meaningful only when the chunk is non-empty.
  int64_t last_t() const { return t_; }
  uint64_t last_value_bits() const { return v_bits_; }

 private:
  void WriteTimestamp(int64_t t, int num_samples);
  void WriteValue(uint64_t v_bits);

  XorChunk* chunk_ = nullptr;
  int64_t t_ = 0;
  uint64_t v_bits_ = 0;
  uint64_t t_delta_ = 0;
  uint8_t leading_ = 0xff;  // 0xff: no window yet
  uint8_t trailing_ = 0;
};

// Decodes a chunk's samples in order. Implements the API's SampleIterator so
// chunks can be handed straight to queries.
class XorIterator final : public SampleIterator {
 public:
  XorIterator() = default;
  explicit XorIterator(std::string_view bytes) { Reset(bytes); }
  // Restarts on other bytes (recycles the iterator object).
  void Reset(std::string_view bytes);

  ValueType Next() override;
  ValueType Seek(int64_t t) override;
  Sample At() const override { return Sample{t_, std::bit_cast<double>(v_bits_)}; }
  Status Err() const override { return err_; }

  uint64_t value_bits() const { return v_bits_; }

 private:
  friend class XorAppender;
  bool ReadTimestamp();
  bool ReadValue();
  ValueType Fail(const char* what);

  BitReader reader_;
  Status err_;
  int num_total_ = 0;
  int num_read_ = 0;
  bool exhausted_ = false;  // Next returned kNone: Seek must not revive At()
  int64_t t_ = 0;
  uint64_t v_bits_ = 0;
  uint64_t t_delta_ = 0;
  // A "reuse window" value before any window was written means the implicit
  // window (0, 0), i.e. all 64 bits, as Prometheus's decoder reads it.
  uint8_t leading_ = 0;
  uint8_t trailing_ = 0;
  bool has_window_ = false;
};

}  // namespace promethium::tsdb
