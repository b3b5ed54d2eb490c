#include "tsdb/chunkenc/xor_chunk.h"

#include <bit>

namespace promethium::tsdb {
namespace {

// True when x fits the signed bucket of `nbits` bits as Prometheus defines it:
// -(2^(nbits-1) - 1) <= x <= 2^(nbits-1). The asymmetry is part of the format.
bool FitsBucket(int64_t x, int nbits) {
  const int64_t half = int64_t{1} << (nbits - 1);
  return -(half - 1) <= x && x <= half;
}

}  // namespace

XorChunk::XorChunk() { stream_.WriteBits(0, 16); }

Result<XorChunk> XorChunk::FromBytes(std::string bytes) {
  if (bytes.size() < kXorChunkHeaderSize) return Status::Corruption("XOR chunk shorter than its 2-byte header");
  return XorChunk(BitWriter(std::move(bytes), 0));
}

int XorChunk::NumSamples() const {
  const std::string& b = stream_.bytes();
  return (static_cast<uint8_t>(b[0]) << 8) | static_cast<uint8_t>(b[1]);
}

void XorChunk::SetNumSamples(int n) {
  std::string* b = stream_.mutable_bytes();
  (*b)[0] = static_cast<char>((n >> 8) & 0xff);
  (*b)[1] = static_cast<char>(n & 0xff);
}

Result<XorAppender> XorAppender::Resume(XorChunk* chunk) {
  XorAppender app(chunk);
  XorIterator it(chunk->Bytes());
  while (it.Next() != ValueType::kNone) {
  }
  if (!it.Err().ok()) return it.Err();
  if (chunk->NumSamples() > 0) {
    app.t_ = it.t_;
    app.v_bits_ = it.v_bits_;
    app.t_delta_ = it.t_delta_;
    app.trailing_ = it.trailing_;
    // No window written yet: continue exactly as an uninterrupted appender.
    app.leading_ = it.has_window_ ? it.leading_ : 0xff;
  }
  return app;
}

void XorAppender::Append(int64_t t, double v) {
  const int n = chunk_->NumSamples();
  const uint64_t v_bits = std::bit_cast<uint64_t>(v);
  BitWriter& w = chunk_->stream_;
  if (n == 0) {
    AppendVarint(t, &w);
    w.WriteBits(v_bits, 64);
  } else {
    WriteTimestamp(t, n);
    WriteValue(v_bits);
  }
  t_ = t;
  v_bits_ = v_bits;
  chunk_->SetNumSamples(n + 1);
}

void XorAppender::WriteTimestamp(int64_t t, int num_samples) {
  BitWriter& w = chunk_->stream_;
  const uint64_t t_delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
  if (num_samples == 1) {
    AppendUvarint(t_delta, &w);
  } else {
    const int64_t dod = static_cast<int64_t>(t_delta - t_delta_);
    if (dod == 0) {
      w.WriteBit(false);
    } else if (FitsBucket(dod, 14)) {
      w.WriteBits(0b10, 2);
      w.WriteBits(static_cast<uint64_t>(dod), 14);
    } else if (FitsBucket(dod, 17)) {
      w.WriteBits(0b110, 3);
      w.WriteBits(static_cast<uint64_t>(dod), 17);
    } else if (FitsBucket(dod, 20)) {
      w.WriteBits(0b1110, 4);
      w.WriteBits(static_cast<uint64_t>(dod), 20);
    } else {
      w.WriteBits(0b1111, 4);
      w.WriteBits(static_cast<uint64_t>(dod), 64);
    }
  }
  t_delta_ = t_delta;
}

void XorAppender::WriteValue(uint64_t v_bits) {
  BitWriter& w = chunk_->stream_;
  const uint64_t delta = v_bits ^ v_bits_;
  if (delta == 0) {
    w.WriteBit(false);
    return;
  }
  w.WriteBit(true);
  // Leading zeros are stored in 5 bits, so they are clamped to 31.
  uint8_t leading = static_cast<uint8_t>(std::countl_zero(delta));
  const uint8_t trailing = static_cast<uint8_t>(std::countr_zero(delta));
  if (leading >= 32) leading = 31;
  if (leading_ != 0xff && leading >= leading_ && trailing >= trailing_) {
    w.WriteBit(false);
    w.WriteBits(delta >> trailing_, 64 - leading_ - trailing_);
    return;
  }
  leading_ = leading;
  trailing_ = trailing;
  const int sigbits = 64 - leading - trailing;
  w.WriteBit(true);
  w.WriteBits(leading, 5);
  w.WriteBits(static_cast<uint64_t>(sigbits), 6);  // 64 wraps to 0
  w.WriteBits(delta >> trailing, sigbits);
}

void XorIterator::Reset(std::string_view bytes) {
  reader_ = BitReader(bytes);
  err_ = Status::OK();
  num_total_ = 0;
  num_read_ = 0;
  exhausted_ = false;
  t_ = 0;
  v_bits_ = 0;
  t_delta_ = 0;
  leading_ = 0;
  trailing_ = 0;
  has_window_ = false;
  uint64_t count;
  if (!reader_.ReadBits(16, &count)) {
    err_ = Status::Corruption("XOR chunk shorter than its 2-byte header");
    return;
  }
  num_total_ = static_cast<int>(count);
}

ValueType XorIterator::Fail(const char* what) {
  err_ = Status::Corruption(std::string("XOR chunk: ") + what);
  num_read_ = num_total_;
  exhausted_ = true;
  return ValueType::kNone;
}

ValueType XorIterator::Next() {
  if (!err_.ok() || num_read_ >= num_total_) {
    exhausted_ = true;
    return ValueType::kNone;
  }
  if (num_read_ == 0) {
    if (!reader_.ReadVarint(&t_)) return Fail("truncated first timestamp");
    if (!reader_.ReadBits(64, &v_bits_)) return Fail("truncated first value");
  } else {
    if (!ReadTimestamp()) return Fail("truncated timestamp");
    if (!ReadValue()) return Fail("truncated value");
  }
  ++num_read_;
  return ValueType::kFloat;
}

bool XorIterator::ReadTimestamp() {
  if (num_read_ == 1) {
    if (!reader_.ReadUvarint(&t_delta_)) return false;
    t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + t_delta_);
    return true;
  }
  // Count leading one bits (at most 4) to find the bucket.
  int ones = 0;
  for (; ones < 4; ++ones) {
    bool bit;
    if (!reader_.ReadBit(&bit)) return false;
    if (!bit) break;
  }
  static constexpr int kBucketBits[] = {0, 14, 17, 20, 64};
  const int nbits = kBucketBits[ones];
  int64_t dod = 0;
  if (nbits != 0) {
    uint64_t raw;
    if (!reader_.ReadBits(nbits, &raw)) return false;
    if (nbits != 64 && raw > (uint64_t{1} << (nbits - 1))) raw -= uint64_t{1} << nbits;  // sign-extend
    dod = static_cast<int64_t>(raw);
  }
  t_delta_ += static_cast<uint64_t>(dod);  // unsigned: corrupt input must not overflow
  t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + t_delta_);
  return true;
}

bool XorIterator::ReadValue() {
  bool changed;
  if (!reader_.ReadBit(&changed)) return false;
  if (!changed) return true;
  bool new_window;
  if (!reader_.ReadBit(&new_window)) return false;
  if (new_window) {
    uint64_t leading, sigbits;
    if (!reader_.ReadBits(5, &leading) || !reader_.ReadBits(6, &sigbits)) return false;
    if (sigbits == 0) sigbits = 64;
    if (leading + sigbits > 64) return false;
    leading_ = static_cast<uint8_t>(leading);
    trailing_ = static_cast<uint8_t>(64 - leading - sigbits);
    has_window_ = true;
  }
  const int sigbits = 64 - leading_ - trailing_;
  uint64_t bits;
  if (!reader_.ReadBits(sigbits, &bits)) return false;
  v_bits_ ^= bits << trailing_;
  return true;
}

ValueType XorIterator::Seek(int64_t t) {
  if (!err_.ok() || exhausted_) return ValueType::kNone;
  // Stay put when the current sample already satisfies t (never seek back).
  if (num_read_ > 0 && t_ >= t) return ValueType::kFloat;
  while (num_read_ == 0 || t_ < t) {
    if (Next() == ValueType::kNone) return ValueType::kNone;
  }
  return ValueType::kFloat;
}

}  // namespace promethium::tsdb
