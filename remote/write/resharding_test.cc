#include "remote/write/resharding.h"

#include <gtest/gtest.h>

namespace promethium::remote {
namespace {

ReshardInputs Steady(int current) {
  ReshardInputs in;
  in.current_shards = current;
  in.min_shards = 1;
  in.max_shards = 50;
  in.highest_sent_seconds = 1000;
  in.highest_received_seconds = 1000;
  return in;
}

TEST(ReshardingTest, NothingSentKeepsCurrent) {
  ReshardInputs in = Steady(3);
  in.data_in_rate = 1000;
  const ReshardDecision d = DesiredShards(in);
  EXPECT_EQ(d.shards, 3);
  EXPECT_FALSE(d.estimated);
}

TEST(ReshardingTest, ScalesUpWithSendTime) {
  ReshardInputs in = Steady(1);
  // 10000 items/s in and out; sending takes 4 s of wall time per second:
  // 0.4 ms per item -> 4 shards.
  in.data_in_rate = 10'000;
  in.data_out_rate = 10'000;
  in.data_out_duration = 4;
  const ReshardDecision d = DesiredShards(in);
  EXPECT_TRUE(d.estimated);
  EXPECT_DOUBLE_EQ(d.desired, 4);
  EXPECT_EQ(d.shards, 4);
}

TEST(ReshardingTest, WithinToleranceKeepsCurrent) {
  ReshardInputs in = Steady(10);
  in.data_in_rate = 10'000;
  in.data_out_rate = 10'000;
  in.data_out_duration = 12;  // 12 shards wanted: within 30% of 10
  EXPECT_EQ(DesiredShards(in).shards, 10);
}

TEST(ReshardingTest, ClampsToMaxAndMin) {
  ReshardInputs up = Steady(10);
  up.data_in_rate = 1'000'000;
  up.data_out_rate = 1'000;
  up.data_out_duration = 10;
  EXPECT_EQ(DesiredShards(up).shards, 50);

  ReshardInputs down = Steady(10);
  down.min_shards = 2;
  down.data_in_rate = 10;
  down.data_out_rate = 10;
  down.data_out_duration = 0.001;
  EXPECT_EQ(DesiredShards(down).shards, 2);
}

TEST(ReshardingTest, BacklogAddsShards) {
  ReshardInputs in = Steady(4);
  in.data_in_rate = 10'000;
  in.data_out_rate = 10'000;
  in.data_out_duration = 4;  // 4 shards for the incoming rate alone
  in.highest_received_seconds = in.highest_sent_seconds + 20;
  // Backlog 20 s * 10000/s = 200000 items, 5% per second = 10000/s more: 8.
  EXPECT_EQ(DesiredShards(in).shards, 8);
}

TEST(ReshardingTest, NoDownshardWhenFarBehind) {
  ReshardInputs in = Steady(10);
  in.data_in_rate = 100;
  in.data_out_rate = 100;
  in.data_out_duration = 0.01;
  in.highest_received_seconds = in.highest_sent_seconds + 11;
  EXPECT_EQ(DesiredShards(in).shards, 10);
}

TEST(ReshardingTest, DroppedItemsReduceTheNeed) {
  ReshardInputs in = Steady(1);
  in.data_in_rate = 10'000;
  in.data_out_rate = 5'000;
  in.data_dropped_rate = 5'000;  // half is dropped: only 5000/s to send
  in.data_out_duration = 2;      // 0.4 ms per item
  EXPECT_EQ(DesiredShards(in).shards, 2);
}

TEST(EwmaRateTest, FirstTickSetsThenSmooths) {
  EwmaRate r(10);
  r.Tick();
  EXPECT_EQ(r.Rate(), 0);
  r.Add(100);
  r.Tick();
  EXPECT_DOUBLE_EQ(r.Rate(), 10);
  r.Add(200);
  r.Tick();
  EXPECT_DOUBLE_EQ(r.Rate(), 10 + 0.2 * (20 - 10));
}

}  // namespace
}  // namespace promethium::remote
