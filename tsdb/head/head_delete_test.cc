// Head::Delete and Head::ApplyTombstone: exact removal by re-encoding.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tsdb/head/head.h"
#include "tsdb/head/head_test_util.h"
#include "tsdb/wal/record.h"

namespace promethium::tsdb {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace testing_util;

constexpr int64_t kRange = 1000;

std::vector<int64_t> Range(int64_t from, int64_t to, int64_t step) {
  std::vector<int64_t> out;
  for (int64_t t = from; t < to; t += step) out.push_back(t);
  return out;
}

class HeadDeleteTest : public ::testing::Test {
 protected:
  HeadDeleteTest() : head_(SmallHeadOptions(kRange), nullptr) {
    for (int64_t t = 0; t < 3000; t += 100) {
      EXPECT_TRUE(AppendOne(&head_, a_, t, static_cast<double>(t)).ok());
      EXPECT_TRUE(AppendOne(&head_, b_, t, 1).ok());
    }
  }
  std::vector<int64_t> TimesOf(const char* name) {
    SeriesMap got = Query(&head_, {Eq("__name__", name)});
    return got.empty() ? std::vector<int64_t>{} : Times(got.begin()->second);
  }

  Head head_;
  const Labels a_{{"__name__", "a"}};
  const Labels b_{{"__name__", "b"}};
};

TEST_F(HeadDeleteTest, RemovesOnlyMatchingSamplesInRange) {
  std::vector<HeadTombstone> stones;
  ASSERT_TRUE(head_.Delete(450, 1250, {Eq("__name__", "a")}, &stones).ok());
  ASSERT_EQ(stones.size(), 1u);
  EXPECT_EQ(stones[0].mint, 450);
  EXPECT_EQ(stones[0].maxt, 1250);
  std::vector<int64_t> want = Range(0, 500, 100);
  for (int64_t t : Range(1300, 3000, 100)) want.push_back(t);
  EXPECT_EQ(TimesOf("a"), want);
  EXPECT_EQ(TimesOf("b"), Range(0, 3000, 100));  // not matched
  // Values survive re-encoding.
  const SeriesMap got = Query(&head_, {Eq("__name__", "a")});
  for (const Sample& s : got.begin()->second) EXPECT_EQ(s.v, static_cast<double>(s.t));
}

TEST_F(HeadDeleteTest, TombstonesAreClampedToTheSeries) {
  std::vector<HeadTombstone> stones;
  ASSERT_TRUE(head_.Delete(-5000, 50000, {Re("__name__", "a|b")}, &stones).ok());
  ASSERT_EQ(stones.size(), 2u);
  for (const HeadTombstone& s : stones) {
    EXPECT_EQ(s.mint, 0);
    EXPECT_EQ(s.maxt, 2900);
  }
  EXPECT_THAT(Query(&head_, {Re("__name__", "a|b")}), IsEmpty());
  EXPECT_EQ(head_.NumChunks(), 0u);
  // Emptied series are collected by the next truncation.
  ASSERT_TRUE(head_.Truncate(0).ok());
  EXPECT_EQ(head_.NumSeries(), 0u);
  // No overlap: no tombstone.
  stones.clear();
  ASSERT_TRUE(head_.Delete(10000, 20000, {Re("__name__", "a|b")}, &stones).ok());
  EXPECT_THAT(stones, IsEmpty());
}

TEST_F(HeadDeleteTest, WholeMiddleChunkAndTailThenAppendsContinue) {
  ASSERT_EQ(head_.NumChunks(), 6u);
  ASSERT_TRUE(head_.Delete(1000, 1999, {Eq("__name__", "a")}, nullptr).ok());  // the middle chunk
  EXPECT_EQ(head_.NumChunks(), 5u);
  ASSERT_TRUE(head_.Delete(2500, 2900, {Eq("__name__", "a")}, nullptr).ok());  // the open chunk's tail
  std::vector<int64_t> want = Range(0, 1000, 100);
  for (int64_t t : Range(2000, 2500, 100)) want.push_back(t);
  EXPECT_EQ(TimesOf("a"), want);
  // Appending continues from the series' new newest sample.
  ASSERT_TRUE(AppendOne(&head_, a_, 2600, 7).ok());
  ASSERT_TRUE(AppendOne(&head_, a_, 3100, 8).ok());  // next chunk range: a new chunk
  want.push_back(2600);
  want.push_back(3100);
  EXPECT_EQ(TimesOf("a"), want);
  EXPECT_EQ(head_.NumChunks(), 6u);
  // Deleting the whole open chunk falls back to the previous one.
  ASSERT_TRUE(head_.Delete(3000, 4000, {Eq("__name__", "a")}, nullptr).ok());
  ASSERT_TRUE(head_.Delete(2000, 2999, {Eq("__name__", "a")}, nullptr).ok());
  EXPECT_EQ(TimesOf("a"), Range(0, 1000, 100));
  EXPECT_EQ(head_.NumChunks(), 4u);  // the middle placeholder went too, counted once
  ASSERT_TRUE(AppendOne(&head_, a_, 2950, 9).ok());
  want = Range(0, 1000, 100);
  want.push_back(2950);
  EXPECT_EQ(TimesOf("a"), want);
  EXPECT_EQ(head_.NumChunks(), 5u);
  ASSERT_TRUE(head_.Truncate(1000).ok());
  EXPECT_EQ(head_.NumChunks(), 3u);  // a: [2950]; b: 2 chunks
}

TEST_F(HeadDeleteTest, ApplyTombstoneAndReplayedTombstoneRecords) {
  auto ix = head_.NewIndexReader();
  const SeriesRef a_ref = ExpandPostings(ix->PostingsFor("__name__", {"a"}).get())[0];
  ASSERT_TRUE(head_.ApplyTombstone(a_ref, 0, 1999).ok());
  EXPECT_EQ(TimesOf("a"), Range(2000, 3000, 100));
  EXPECT_TRUE(head_.ApplyTombstone(987654, 0, 10).ok());  // unknown series: nothing to do

  std::string rec;
  const std::vector<wal::Tombstone> stones = {{a_ref, 2000, 2450}};
  wal::EncodeTombstones(stones, &rec);
  WalReplayStats stats;
  ASSERT_TRUE(head_.ReplayWalRecord(rec, &stats).ok());
  EXPECT_EQ(TimesOf("a"), Range(2500, 3000, 100));
}

}  // namespace
}  // namespace promethium::tsdb
