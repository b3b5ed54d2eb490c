#include "tsdb/chunkenc/bstream.h"

#include <algorithm>

namespace promethium::tsdb {

void BitWriter::WriteBits(uint64_t value, int nbits) {
  while (nbits > 0) {
    if (free_bits_ == 0) {
      bytes_.push_back('\0');
      free_bits_ = 8;
    }
    const int take = std::min(free_bits_, nbits);
    const uint64_t chunk = (value >> (nbits - take)) & ((uint64_t{1} << take) - 1);
    bytes_.back() = static_cast<char>(static_cast<uint8_t>(bytes_.back()) | (chunk << (free_bits_ - take)));
    free_bits_ -= take;
    nbits -= take;
  }
}

namespace {
inline uint64_t LowBits(int n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }
}  // namespace

bool BitReader::Refill() {
  const size_t n = std::min<size_t>(8, data_.size() - next_byte_);
  if (n == 0) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(data_[next_byte_ + i]);
  next_byte_ += n;
  buffer_ = v;
  valid_ = static_cast<int>(n * 8);
  return true;
}

bool BitReader::ReadBit(bool* out) {
  if (valid_ == 0 && !Refill()) return false;
  --valid_;
  *out = ((buffer_ >> valid_) & 1) != 0;
  return true;
}

bool BitReader::ReadBits(int nbits, uint64_t* out) {
  if (nbits <= valid_) {
    valid_ -= nbits;
    *out = (buffer_ >> valid_) & LowBits(nbits);
    return true;
  }
  // Take what is buffered, refill, then take the rest.
  const int high_bits = valid_;
  const uint64_t high = buffer_ & LowBits(high_bits);
  if (!Refill()) return false;
  const int rest = nbits - high_bits;
  if (rest > valid_) return false;
  valid_ -= rest;
  const uint64_t low = (buffer_ >> valid_) & LowBits(rest);
  *out = high_bits == 0 ? low : (high << rest) | low;
  return true;
}

bool BitReader::ReadByte(uint8_t* out) {
  uint64_t v;
  if (!ReadBits(8, &v)) return false;
  *out = static_cast<uint8_t>(v);
  return true;
}

bool BitReader::ReadUvarint(uint64_t* out) {
  uint64_t result = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    uint8_t b;
    if (!ReadByte(&b)) return false;
    if (shift == 63 && b > 1) return false;  // overflows 64 bits
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = result;
      return true;
    }
  }
  return false;
}

bool BitReader::ReadVarint(int64_t* out) {
  uint64_t u;
  if (!ReadUvarint(&u)) return false;
  // Zig-zag decoding, as Go's binary.Varint.
  *out = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  return true;
}

void AppendUvarint(uint64_t v, BitWriter* w) {
  while (v >= 0x80) {
    w->WriteByte(static_cast<uint8_t>(v) | 0x80);
    v >>= 7;
  }
  w->WriteByte(static_cast<uint8_t>(v));
}

void AppendVarint(int64_t v, BitWriter* w) {
  const uint64_t zigzag = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  AppendUvarint(zigzag, w);
}

}  // namespace promethium::tsdb
