#include "tsdb/block/tombstones.h"

#include <gtest/gtest.h>

namespace promethium::tsdb {
namespace {

TEST(TombstonesTest, AddIntervalMergesOverlappingAndAdjacent) {
  Intervals ivs;
  AddInterval(&ivs, {10, 20});
  AddInterval(&ivs, {30, 40});
  EXPECT_EQ(ivs, (Intervals{{10, 20}, {30, 40}}));
  AddInterval(&ivs, {0, 5});
  EXPECT_EQ(ivs, (Intervals{{0, 5}, {10, 20}, {30, 40}}));
  AddInterval(&ivs, {21, 29});  // adjacent on both sides: everything joins
  EXPECT_EQ(ivs, (Intervals{{0, 5}, {10, 40}}));
  AddInterval(&ivs, {3, 12});
  EXPECT_EQ(ivs, (Intervals{{0, 40}}));
  AddInterval(&ivs, {50, 49});  // empty: ignored
  EXPECT_EQ(ivs, (Intervals{{0, 40}}));
}

TEST(TombstonesTest, RangeQueries) {
  Intervals ivs = {{10, 20}, {30, 40}};
  EXPECT_TRUE(IsDeleted(ivs, 10));
  EXPECT_TRUE(IsDeleted(ivs, 40));
  EXPECT_FALSE(IsDeleted(ivs, 25));
  EXPECT_TRUE(CoversRange(ivs, 12, 18));
  EXPECT_FALSE(CoversRange(ivs, 15, 35));
  EXPECT_TRUE(OverlapsRange(ivs, 15, 35));
  EXPECT_FALSE(OverlapsRange(ivs, 21, 29));
}

TEST(TombstonesTest, EncodeDecodeRoundTrip) {
  TombstoneMap map = {{5, {{-100, 0}, {10, 20}}}, {1000, {{INT64_MIN, INT64_MAX}}}};
  std::string data = EncodeTombstones(map);
  auto back = DecodeTombstones(data, "x/tombstones");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, map);
  EXPECT_EQ(NumTombstones(map), 3u);
}

TEST(TombstonesTest, FlippedByteIsCorruptionNamingPathAndOffset) {
  std::string data = EncodeTombstones({{5, {{10, 20}}}});
  data[6] ^= 0x01;
  auto back = DecodeTombstones(data, "blk/tombstones");
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), Status::Code::kCorruption);
  EXPECT_NE(back.status().message().find("corrupt: blk/tombstones at offset"), std::string::npos)
      << back.status().message();
}

}  // namespace
}  // namespace promethium::tsdb
