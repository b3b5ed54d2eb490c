// ApplySegmentFloor: a WAL truncation keeps what remote write still needs,
// up to the bound, and releases it once acknowledged.
#include "tsdb/wal/segment_floor.h"

#include <gtest/gtest.h>

namespace promethium::tsdb::wal {
namespace {

using Range = std::pair<uint64_t, uint64_t>;

TEST(SegmentFloor, NoFloorOrFloorAboveThePlanChangesNothing) {
  auto d = ApplySegmentFloor({3, 9}, std::nullopt, 4);
  EXPECT_EQ(d.range, (Range{3, 9}));
  EXPECT_EQ(d.kept_for_floor, 0u);
  d = ApplySegmentFloor({3, 9}, 10, 4);
  EXPECT_EQ(d.range, (Range{3, 9}));
  EXPECT_EQ(d.kept_for_floor, 0u);
}

TEST(SegmentFloor, KeepsTheSegmentsFromTheFloorOn) {
  auto d = ApplySegmentFloor({3, 9}, 7, 16);
  EXPECT_EQ(d.range, (Range{3, 6}));
  EXPECT_EQ(d.kept_for_floor, 3u);
  EXPECT_EQ(d.released, 0u);
  // A floor at or below the first segment keeps them all: no checkpoint now.
  d = ApplySegmentFloor({3, 9}, 3, 16);
  EXPECT_FALSE(d.range.has_value());
  EXPECT_EQ(d.kept_for_floor, 7u);
  d = ApplySegmentFloor({3, 9}, 0, 16);
  EXPECT_FALSE(d.range.has_value());
  EXPECT_EQ(d.kept_for_floor, 7u);
}

TEST(SegmentFloor, NeverKeepsMoreThanTheBound) {
  auto d = ApplySegmentFloor({3, 9}, 0, 2);
  EXPECT_EQ(d.range, (Range{3, 7}));
  EXPECT_EQ(d.kept_for_floor, 2u);
  EXPECT_EQ(d.released, 5u);
  d = ApplySegmentFloor({3, 9}, 5, 0);  // bound 0: as without a floor
  EXPECT_EQ(d.range, (Range{3, 9}));
  EXPECT_EQ(d.released, 5u);
}

}  // namespace
}  // namespace promethium::tsdb::wal
