// Varbit and XOR value codecs. Boundary values come from Prometheus's
// chunkenc/varbit_test.go; the expected bit patterns are read off the
// prefix table of its putVarbitInt/putVarbitUint.
#include "tsdb/chunkenc/varbit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace promethium::tsdb {
namespace {

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

TEST(VarbitTest, IntBoundaryValuesRoundTrip) {
  const std::vector<int64_t> numbers = {
      std::numeric_limits<int64_t>::min(),
      -36028797018963968,
      -36028797018963967,
      -16777216,
      -16777215,
      -131072,
      -131071,
      -2048,
      -2047,
      -256,
      -255,
      -32,
      -31,
      -4,
      -3,
      -1,
      0,
      1,
      4,
      5,
      32,
      33,
      256,
      257,
      2048,
      2049,
      131072,
      131073,
      16777216,
      16777217,
      36028797018963968,
      36028797018963969,
      std::numeric_limits<int64_t>::max(),
  };
  BitWriter w;
  for (int64_t n : numbers) PutVarbitInt(n, &w);
  BitReader r(w.bytes());
  for (int64_t want : numbers) {
    int64_t got;
    ASSERT_TRUE(ReadVarbitInt(&r, &got));
    EXPECT_EQ(want, got);
  }
}

TEST(VarbitTest, UintBoundaryValuesRoundTrip) {
  const std::vector<uint64_t> numbers = {
      0,
      1,
      7,
      8,
      63,
      64,
      511,
      512,
      4095,
      4096,
      262143,
      262144,
      33554431,
      33554432,
      72057594037927935ULL,
      72057594037927936ULL,
      std::numeric_limits<uint64_t>::max(),
  };
  BitWriter w;
  for (uint64_t n : numbers) PutVarbitUint(n, &w);
  BitReader r(w.bytes());
  for (uint64_t want : numbers) {
    uint64_t got;
    ASSERT_TRUE(ReadVarbitUint(&r, &got));
    EXPECT_EQ(want, got);
  }
}

// Each case writes one value; the expected bits are prefix + payload, padded.
TEST(VarbitTest, IntBitPatterns) {
  struct Case {
    int64_t value;
    const char* hex;
  } cases[] = {
      {0, "00"},                                                    // 0
      {4, "a0"},                                                    // 10 100
      {-3, "a8"},                                                   // 10 101 (two's complement in 3 bits)
      {5, "c280"},                                                  // 110 000101
      {-31, "d080"},                                                // 110 100001
      {33, "e108"},                                                 // 1110 000100001
      {std::numeric_limits<int64_t>::max(), "ff7fffffffffffffff"},  // 11111111 + 64 bits
  };
  for (const Case& c : cases) {
    BitWriter w;
    PutVarbitInt(c.value, &w);
    EXPECT_EQ(c.hex, Hex(w.bytes())) << c.value;
  }
}

TEST(VarbitTest, UintBitPatterns) {
  BitWriter w;
  PutVarbitUint(7, &w);  // 10 111
  EXPECT_EQ("b8", Hex(w.bytes()));
  BitWriter w2;
  PutVarbitUint(8, &w2);  // 110 001000
  EXPECT_EQ("c400", Hex(w2.bytes()));
}

TEST(VarbitTest, TruncatedInputFails) {
  BitWriter w;
  PutVarbitInt(1 << 20, &w);  // 25-bit payload
  std::string bytes = w.bytes();
  bytes.pop_back();
  BitReader r(bytes);
  int64_t v;
  EXPECT_FALSE(ReadVarbitInt(&r, &v));
}

TEST(XorValueTest, RoundTripsSeriesIncludingSpecialValues) {
  const std::vector<double> values = {0, 1, 1, 2.5, -7, 1e300, std::numeric_limits<double>::infinity(), 3, 3.0000001};
  BitWriter w;
  XorState ws;
  for (double v : values) XorWrite(v, &ws, &w);
  BitReader r(w.bytes());
  XorState rs;
  for (double want : values) {
    ASSERT_TRUE(XorRead(&r, &rs));
    EXPECT_EQ(want, rs.value);
  }
}

TEST(XorValueTest, UnchangedValueIsOneZeroBit) {
  BitWriter w;
  XorState s{5.0};
  XorWrite(5.0, &s, &w);
  EXPECT_EQ("00", Hex(w.bytes()));
  EXPECT_EQ(1, 8 - w.free_bits());
}

// Prometheus's decoder starts with the window (0, 0), so a "reuse" flag
// before any window reads all 64 bits (resumed Prometheus appenders write it).
TEST(XorValueTest, ReuseBeforeAnyWindowReadsFullWidth) {
  BitWriter w;
  w.WriteBits(0b10, 2);  // changed, reuse window
  w.WriteBits(std::bit_cast<uint64_t>(2.0), 64);
  BitReader r(w.bytes());
  XorState s;  // value 0
  ASSERT_TRUE(XorRead(&r, &s));
  EXPECT_EQ(2.0, s.value);
}

}  // namespace
}  // namespace promethium::tsdb
