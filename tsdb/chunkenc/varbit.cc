#include "tsdb/chunkenc/varbit.h"

#include <bit>

namespace promethium::tsdb {
namespace {

// Payload widths selected by 1..8 leading one bits of the prefix.
constexpr int kPayloadBits[] = {0, 3, 6, 9, 12, 18, 25, 56, 64};

// True when x fits n signed bits in the varbit sense: -(2^(n-1)-1) <= x <= 2^(n-1).
bool FitsSigned(int64_t x, int nbits) {
  const int64_t half = int64_t{1} << (nbits - 1);
  return -(half - 1) <= x && x <= half;
}

// The number of 1 bits before the terminating 0 (at most 8, which has no 0).
bool ReadPrefix(BitReader* r, int* ones) {
  *ones = 0;
  while (*ones < 8) {
    bool bit;
    if (!r->ReadBit(&bit)) return false;
    if (!bit) break;
    ++*ones;
  }
  return true;
}

// Writes the prefix for payload width index `ones` (1..8) and the payload.
void WritePrefixed(int ones, uint64_t payload, BitWriter* w) {
  // `ones` one bits followed by a zero, except for the 8-ones prefix.
  if (ones == 8) {
    w->WriteBits(0xff, 8);
  } else {
    w->WriteBits(((uint64_t{1} << ones) - 1) << 1, ones + 1);
  }
  w->WriteBits(payload, kPayloadBits[ones]);
}

}  // namespace

void PutVarbitInt(int64_t value, BitWriter* w) {
  if (value == 0) {
    w->WriteBit(false);
    return;
  }
  for (int ones = 1; ones < 8; ++ones) {
    if (FitsSigned(value, kPayloadBits[ones])) {
      WritePrefixed(ones, static_cast<uint64_t>(value), w);
      return;
    }
  }
  WritePrefixed(8, static_cast<uint64_t>(value), w);
}

void PutVarbitUint(uint64_t value, BitWriter* w) {
  if (value == 0) {
    w->WriteBit(false);
    return;
  }
  for (int ones = 1; ones < 8; ++ones) {
    if (static_cast<int>(std::bit_width(value)) <= kPayloadBits[ones]) {
      WritePrefixed(ones, value, w);
      return;
    }
  }
  WritePrefixed(8, value, w);
}

bool ReadVarbitUint(BitReader* r, uint64_t* out) {
  int ones;
  if (!ReadPrefix(r, &ones)) return false;
  if (ones == 0) {
    *out = 0;
    return true;
  }
  return r->ReadBits(kPayloadBits[ones], out);
}

bool ReadVarbitInt(BitReader* r, int64_t* out) {
  int ones;
  if (!ReadPrefix(r, &ones)) return false;
  if (ones == 0) {
    *out = 0;
    return true;
  }
  const int nbits = kPayloadBits[ones];
  uint64_t raw;
  if (!r->ReadBits(nbits, &raw)) return false;
  // Sign-extend: payloads above 2^(n-1) are negative (the asymmetric range).
  if (nbits < 64 && raw > (uint64_t{1} << (nbits - 1))) raw -= uint64_t{1} << nbits;
  *out = static_cast<int64_t>(raw);
  return true;
}

void XorWrite(double value, XorState* state, BitWriter* w) {
  const uint64_t delta = std::bit_cast<uint64_t>(value) ^ std::bit_cast<uint64_t>(state->value);
  state->value = value;
  if (delta == 0) {
    w->WriteBit(false);
    return;
  }
  w->WriteBit(true);
  // Leading zeros are stored in 5 bits, so they are clamped to 31.
  uint8_t leading = static_cast<uint8_t>(std::countl_zero(delta));
  const uint8_t trailing = static_cast<uint8_t>(std::countr_zero(delta));
  if (leading >= 32) leading = 31;
  if (state->leading != kNoXorWindow && leading >= state->leading && trailing >= state->trailing) {
    w->WriteBit(false);
    w->WriteBits(delta >> state->trailing, 64 - state->leading - state->trailing);
    return;
  }
  state->leading = leading;
  state->trailing = trailing;
  const int sigbits = 64 - leading - trailing;
  w->WriteBit(true);
  w->WriteBits(leading, 5);
  w->WriteBits(static_cast<uint64_t>(sigbits), 6);  // 64 wraps to 0
  w->WriteBits(delta >> trailing, sigbits);
}

bool XorRead(BitReader* r, XorState* state) {
  bool changed;
  if (!r->ReadBit(&changed)) return false;
  if (!changed) return true;
  bool new_window;
  if (!r->ReadBit(&new_window)) return false;
  if (new_window) {
    uint64_t leading, sigbits;
    if (!r->ReadBits(5, &leading) || !r->ReadBits(6, &sigbits)) return false;
    if (sigbits == 0) sigbits = 64;
    if (leading + sigbits > 64) return false;
    state->leading = static_cast<uint8_t>(leading);
    state->trailing = static_cast<uint8_t>(64 - leading - sigbits);
  }
  // Reusing a window before any was written means the full 64 bits.
  const int leading = state->leading == kNoXorWindow ? 0 : state->leading;
  const int trailing = state->leading == kNoXorWindow ? 0 : state->trailing;
  uint64_t bits;
  if (!r->ReadBits(64 - leading - trailing, &bits)) return false;
  state->value = std::bit_cast<double>(std::bit_cast<uint64_t>(state->value) ^ (bits << trailing));
  return true;
}

}  // namespace promethium::tsdb
