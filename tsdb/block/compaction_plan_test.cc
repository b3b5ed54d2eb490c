#include "tsdb/block/compaction_plan.h"

#include <gtest/gtest.h>

namespace promethium::tsdb {
namespace {

BlockMeta Meta(const std::string& id, int64_t mint, int64_t maxt, uint64_t series = 0, uint64_t tombstones = 0) {
  BlockMeta m;
  m.ulid = id;
  m.min_time = mint;
  m.max_time = maxt;
  m.stats.num_series = series;
  m.stats.num_tombstones = tombstones;
  return m;
}

using Strs = std::vector<std::string>;

// The cases of Prometheus's TestLeveledCompactor/plan, ranges 20*3^n.
struct PlanCase {
  const char* name;
  std::vector<BlockMeta> metas;
  Strs expected;
};

TEST(CompactionPlanTest, PrometheusCases) {
  const std::vector<int64_t> ranges = {20, 60, 180, 540, 1620};
  const std::vector<PlanCase> cases = {
      {"outside range", {Meta("1", 0, 20)}, {}},
      {"wait for more 20s", {Meta("1", 0, 20), Meta("2", 20, 40)}, {}},
      {"fresh one ignored", {Meta("1", 0, 20), Meta("2", 20, 40), Meta("3", 40, 60)}, {}},
      {"parent range filled",
       {Meta("1", 0, 20), Meta("2", 20, 40), Meta("3", 40, 60), Meta("4", 60, 80)},
       {"1", "2", "3"}},
      {"gap, fresh ignored", {Meta("1", 0, 20), Meta("2", 20, 40), Meta("3", 60, 80)}, {}},
      {"gap, compact the two",
       {Meta("1", 0, 20), Meta("2", 20, 40), Meta("3", 60, 80), Meta("4", 80, 100)},
       {"1", "2"}},
      {"20,20,20,60,60",
       {Meta("1", 0, 20), Meta("2", 20, 40), Meta("3", 40, 60), Meta("4", 60, 120), Meta("5", 120, 180)},
       {"1", "2", "3"}},
      {"20+60+60",
       {Meta("2", 20, 40), Meta("4", 60, 120), Meta("5", 960, 980), Meta("6", 120, 180), Meta("7", 720, 960)},
       {"2", "4", "6"}},
      {"tombstones, no fresh block", {Meta("1", 0, 540, 10, 3)}, {}},
      {"tombstones, fresh appears", {Meta("1", 0, 540, 10, 3), Meta("2", 540, 560)}, {"1"}},
      {"small block tombstones", {Meta("1", 0, 60, 10, 3), Meta("2", 60, 80)}, {}},
      {"zero series zero tombstones", {Meta("1", 0, 540, 0, 0), Meta("2", 540, 560)}, {}},
      {"fresh by max time, not ulid",
       {Meta("5", 0, 360), Meta("6", 540, 560), Meta("7", 360, 420), Meta("8", 420, 540)},
       {"7", "8"}},
      {"overlapping 1", {Meta("1", 0, 20), Meta("2", 19, 40), Meta("3", 40, 60)}, {"1", "2"}},
      {"overlapping 2", {Meta("1", 0, 20), Meta("2", 20, 40), Meta("3", 30, 50)}, {"2", "3"}},
      {"overlapping 3", {Meta("1", 0, 20), Meta("2", 10, 40), Meta("3", 30, 50)}, {"1", "2", "3"}},
      {"overlapping 4",
       {Meta("5", 0, 360), Meta("6", 340, 560), Meta("7", 360, 420), Meta("8", 420, 540)},
       {"5", "6", "7", "8"}},
      {"overlapping 5", {Meta("1", 0, 10), Meta("2", 9, 20), Meta("3", 30, 40), Meta("4", 39, 50)}, {"1", "2"}},
  };
  for (const auto& c : cases) EXPECT_EQ(PlanCompaction(c.metas, ranges), c.expected) << c.name;
}

TEST(CompactionPlanTest, SmallFullyDeletedBlockIsRewritten) {
  EXPECT_EQ(PlanCompaction({Meta("1", 0, 60, 5, 5), Meta("2", 60, 80)}, {20, 60, 180, 540, 1620}), Strs{"1"});
}

TEST(CompactionPlanTest, FailedCompactionIsNotSelected) {
  std::vector<BlockMeta> metas = {Meta("1", 0, 20), Meta("2", 20, 40), Meta("3", 40, 60), Meta("4", 60, 80)};
  metas[1].compaction.failed = true;
  EXPECT_EQ(PlanCompaction(metas, {20, 60, 240}), Strs{});
}

TEST(CompactionPlanTest, SingleRangeNeverCompactsHorizontally) {
  EXPECT_EQ(PlanCompaction({Meta("1", 0, 20), Meta("2", 20, 40), Meta("3", 40, 60)}, {20}), Strs{});
}

TEST(CompactionPlanTest, NegativeTimesAlignDown) {
  // Windows of 60 starting at -60: [-60, 0) holds 1..3; 4 is the fresh block.
  EXPECT_EQ(PlanCompaction({Meta("1", -60, -40), Meta("2", -40, -20), Meta("3", -20, 0), Meta("4", 0, 20)}, {20, 60}),
            (Strs{"1", "2", "3"}));
}

TEST(CompactionPlanTest, ExponentialBlockRanges) {
  EXPECT_EQ(ExponentialBlockRanges(2 * 3600 * 1000, 3, 3), (std::vector<int64_t>{7200000, 21600000, 64800000}));
  EXPECT_TRUE(ExponentialBlockRanges(10, 0, 3).empty());
}

}  // namespace
}  // namespace promethium::tsdb
