// Fixed-width big-endian integers and a bounds-checked decoder, the
// building blocks of the block file formats (index, chunk segments,
// tombstones, head chunk files; see docs/format/). Part of the encoding
// layer (below chunkenc, wal, block and head); varints are tsdb/base/varint.h.
//
// Thread-safety: pure functions; a Decoder is used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tsdb/base/varint.h"

namespace promethium::tsdb::block_encoding {

inline void PutBE32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}
inline void PutBE64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}
inline uint32_t GetBE32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint64_t GetBE64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
using ::promethium::GetUvarint;
using ::promethium::GetVarint;
using ::promethium::PutUvarint;
using ::promethium::PutVarint;

// Consumes values from the front of a byte view; any short read sets a
// sticky failure flag so callers check once at the end.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  uint64_t Uvarint() {
    uint64_t v = 0;
    if (!GetUvarint(&in_, &v)) ok_ = false;
    return v;
  }
  int64_t Varint() {
    int64_t v = 0;
    if (!GetVarint(&in_, &v)) ok_ = false;
    return v;
  }
  std::string_view Bytes(size_t n) {
    if (n > in_.size()) {
      ok_ = false;
      in_ = {};
      return {};
    }
    std::string_view out = in_.substr(0, n);
    in_.remove_prefix(n);
    return out;
  }
  bool ok() const { return ok_; }
  size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace promethium::tsdb::block_encoding
