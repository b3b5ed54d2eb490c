// Varbit integers and XOR-coded floats: the bit-level value codecs of the
// histogram chunk encodings (Prometheus's chunkenc varbit.go and xorWrite /
// xorRead), shared by HistogramChunk and FloatHistogramChunk.
//
// A varbit number is a unary prefix of 1 bits (ended by a 0 bit unless it
// has 8 ones) that selects a payload width, then the payload:
//   0          -> the value 0, no payload
//   10         -> 3 bits      110      -> 6 bits     1110   -> 9 bits
//   11110      -> 12 bits     111110   -> 18 bits    1111110 -> 25 bits
//   11111110   -> 56 bits     11111111 -> 64 bits
// Signed values use the same asymmetric two's-complement ranges as XOR
// chunk timestamps: n bits hold -(2^(n-1) - 1) .. 2^(n-1).
//
// Thread-safety: free functions over caller-owned streams.
#pragma once

#include <cstdint>

#include "tsdb/chunkenc/bstream.h"

namespace promethium::tsdb {

void PutVarbitInt(int64_t value, BitWriter* w);
void PutVarbitUint(uint64_t value, BitWriter* w);
// Return false on a truncated stream (the 8-ones prefix always has a payload,
// so there is no invalid prefix).
bool ReadVarbitInt(BitReader* r, int64_t* out);
bool ReadVarbitUint(BitReader* r, uint64_t* out);

// The XOR window of one float series inside a histogram chunk (sum, counts,
// buckets). leading == kNoXorWindow means no window was written yet: a
// writer then always writes a new window, and a reader treats a "reuse"
// flag as the full 64-bit window, as Prometheus's decoder does (its
// iterator starts at leading = trailing = 0).
inline constexpr uint8_t kNoXorWindow = 0xff;
struct XorState {
  double value = 0;
  uint8_t leading = kNoXorWindow;
  uint8_t trailing = 0;
};

// Writes `value` XORed against state->value (Prometheus's xorWrite) and
// makes it the state's value.
void XorWrite(double value, XorState* state, BitWriter* w);
// Reads one XOR-coded value into state->value; false on truncated or
// inconsistent input (a window wider than 64 bits).
bool XorRead(BitReader* r, XorState* state);

}  // namespace promethium::tsdb
