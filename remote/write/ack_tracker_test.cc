#include "remote/write/ack_tracker.h"

#include <gtest/gtest.h>

namespace promethium::remote {
namespace {

TEST(AckTrackerTest, StartsAtZero) {
  AckTracker t;
  EXPECT_EQ(t.Acknowledged(), (WalPosition{0, 0}));
}

TEST(AckTrackerTest, EmptyRecordIsDoneWhenClosed) {
  AckTracker t;
  const uint64_t seq = t.Open({3, 100});
  EXPECT_EQ(t.Acknowledged(), (WalPosition{0, 0}));
  t.Close(seq);
  EXPECT_EQ(t.Acknowledged(), (WalPosition{3, 100}));
  EXPECT_EQ(t.InFlight(), 0u);
}

TEST(AckTrackerTest, LowestUnacknowledgedRecordHoldsThePosition) {
  AckTracker t;
  // Three records whose items went to different shards.
  const uint64_t a = t.Open({1, 10});
  t.Add(a, 2);
  t.Close(a);
  const uint64_t b = t.Open({1, 20});
  t.Add(b, 1);
  t.Close(b);
  const uint64_t c = t.Open({2, 5});
  t.Add(c, 3);
  t.Close(c);
  // Shard 2 finishes b and c first: nothing moves while a is outstanding.
  t.Ack(b, 1);
  t.Ack(c, 3);
  EXPECT_EQ(t.Acknowledged(), (WalPosition{0, 0}));
  t.Ack(a, 1);
  EXPECT_EQ(t.Acknowledged(), (WalPosition{0, 0}));
  t.Ack(a, 1);
  EXPECT_EQ(t.Acknowledged(), (WalPosition{2, 5}));
  EXPECT_EQ(t.InFlight(), 0u);
}

TEST(AckTrackerTest, OpenRecordIsNotDoneEvenWithNothingOutstanding) {
  AckTracker t;
  const uint64_t a = t.Open({1, 10});
  t.Add(a, 1);
  t.Ack(a, 1);  // acknowledged before the rest of the record was enqueued
  EXPECT_EQ(t.Acknowledged(), (WalPosition{0, 0}));
  t.Add(a, 1);
  t.Close(a);
  EXPECT_EQ(t.Acknowledged(), (WalPosition{0, 0}));
  t.Ack(a, 1);
  EXPECT_EQ(t.Acknowledged(), (WalPosition{1, 10}));
}

TEST(AckTrackerTest, PartialPrefixAdvances) {
  AckTracker t;
  const uint64_t a = t.Open({1, 10});
  t.Add(a, 1);
  t.Close(a);
  const uint64_t b = t.Open({1, 20});
  t.Add(b, 1);
  t.Close(b);
  t.Ack(a, 1);
  EXPECT_EQ(t.Acknowledged(), (WalPosition{1, 10}));
  t.Ack(b, 1);
  EXPECT_EQ(t.Acknowledged(), (WalPosition{1, 20}));
}

}  // namespace
}  // namespace promethium::remote
