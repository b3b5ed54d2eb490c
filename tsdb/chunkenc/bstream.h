// BitWriter / BitReader: big-endian bit streams, the substrate of XOR chunks.
//
// Bits are written most-significant first into a growing byte string, as
// Prometheus's bstream does, so a chunk's bytes are identical to Prometheus's
// for the same samples. The writer owns its bytes; a reader borrows a view of
// bytes that must outlive it.
// Thread-safety: none; one thread per object. A reader may read a copy of a
// writer's bytes while the writer continues on the original.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace promethium::tsdb {

class BitWriter {
 public:
  BitWriter() = default;
  // Continues writing after `bytes`, whose last byte has `free_bits` unused
  // low bits (0..7; 0 means the last byte is full).
  BitWriter(std::string bytes, int free_bits) : bytes_(std::move(bytes)), free_bits_(free_bits) {}

  void WriteBit(bool bit) { WriteBits(bit ? 1 : 0, 1); }
  // Writes the low `nbits` bits of `value` (1..64), most significant first.
  void WriteBits(uint64_t value, int nbits);
  void WriteByte(uint8_t byte) { WriteBits(byte, 8); }

  const std::string& bytes() const { return bytes_; }
  std::string* mutable_bytes() { return &bytes_; }
  int free_bits() const { return free_bits_; }
  size_t size() const { return bytes_.size(); }

 private:
  std::string bytes_;
  int free_bits_ = 0;  // unused low bits in bytes_.back()
};

class BitReader {
 public:
  BitReader() = default;
  explicit BitReader(std::string_view bytes) : data_(bytes) {}

  // Each Read returns false (leaving *out unspecified) when the stream holds
  // fewer bits than asked for.
  bool ReadBit(bool* out);
  bool ReadBits(int nbits, uint64_t* out);  // nbits in 1..64
  bool ReadByte(uint8_t* out);
  // Signed (zig-zag) and unsigned LEB128 varints, bit-aligned like the rest.
  bool ReadVarint(int64_t* out);
  bool ReadUvarint(uint64_t* out);

  uint64_t bits_left() const { return (data_.size() - next_byte_) * 8 + static_cast<uint64_t>(valid_); }

 private:
  // Loads up to 8 more bytes into buffer_ once it is used up.
  bool Refill();

  std::string_view data_;
  size_t next_byte_ = 0;  // first byte not yet loaded into buffer_
  uint64_t buffer_ = 0;   // the low valid_ bits are the next unread bits
  int valid_ = 0;
};

// Varint encoders matching Go's binary.PutUvarint / PutVarint.
void AppendUvarint(uint64_t v, BitWriter* w);
void AppendVarint(int64_t v, BitWriter* w);

}  // namespace promethium::tsdb
