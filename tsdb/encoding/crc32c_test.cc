#include "tsdb/encoding/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace promethium::tsdb::encoding {
namespace {

// Check values from RFC 3720 (iSCSI), appendix B.4, and the usual
// "123456789" check value of CRC-32C.
TEST(Crc32c, StandardVectors) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(Crc32c, ExtendEqualsWholeAtEverySplit) {
  std::string data;
  for (int i = 0; i < 100; ++i) data.push_back(static_cast<char>(i * 7 + 3));
  const uint32_t whole = Crc32c(data);
  for (size_t split = 0; split <= data.size(); ++split) {
    const std::string_view v(data);
    EXPECT_EQ(Crc32cExtend(Crc32c(v.substr(0, split)), v.substr(split)), whole) << split;
  }
}

TEST(Crc32c, DetectsSingleBitFlips) {
  std::string data = "the quick brown fox jumps over the lazy dog";
  const uint32_t good = Crc32c(data);
  for (size_t i = 0; i < data.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      data[i] = static_cast<char>(data[i] ^ (1 << bit));
      EXPECT_NE(Crc32c(data), good);
      data[i] = static_cast<char>(data[i] ^ (1 << bit));
    }
  }
}

// The SSE4.2 path and the table path agree on every length and alignment
// (the hardware one is skipped on CPUs without SSE4.2).
TEST(Crc32c, HardwareAndPortableAgree) {
  EXPECT_EQ(Crc32cExtendPortable(0, "123456789"), 0xE3069283u);
  if (!Crc32cHardwareAvailable()) GTEST_SKIP() << "no SSE4.2";
  EXPECT_EQ(Crc32cExtendHardware(0, "123456789"), 0xE3069283u);
  std::string data;
  uint32_t x = 12345;
  for (int i = 0; i < 600; ++i) {
    x = x * 1103515245u + 12345u;
    data.push_back(static_cast<char>(x >> 16));
  }
  const std::string_view v(data);
  for (size_t off = 0; off < 9; ++off) {
    for (size_t len = 0; off + len <= v.size(); len += (len < 40 ? 1 : 37)) {
      const std::string_view part = v.substr(off, len);
      EXPECT_EQ(Crc32cExtendHardware(0x1234567u, part), Crc32cExtendPortable(0x1234567u, part)) << off << " " << len;
    }
  }
}

}  // namespace
}  // namespace promethium::tsdb::encoding
