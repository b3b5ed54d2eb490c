// MemoryStorage with float and native-histogram samples in one series.
#include "tsdb/api/memory_storage.h"

#include <gtest/gtest.h>

namespace promethium {
namespace {

Histogram SmallHistogram(uint64_t count) {
  Histogram h;
  h.count = count;
  h.sum = 2.5;
  h.positive_spans = {{0, 2}};
  h.positive_buckets = {1, static_cast<int64_t>(count) - 2};  // absolute 1, count-1
  return h;
}

std::unique_ptr<SeriesSet> SelectAll(MemoryStorage& s, int64_t mint, int64_t maxt) {
  auto q = s.NewQuerier(mint, maxt);
  EXPECT_TRUE(q.ok());
  // The set must not outlive its querier: the test keeps both alive.
  static std::vector<std::unique_ptr<Querier>> keep;
  keep.push_back(std::move(q).value());
  return keep.back()->Select(true, nullptr, {*Matcher::Make(MatchType::kEqual, "__name__", "m")});
}

TEST(MemoryStorageTest, FloatsAndHistogramsMergeInTimeOrder) {
  MemoryStorage s;
  Labels l{{"__name__", "m"}};
  s.Add(l, 10, 1.5);
  s.AddHistogram(l, 20, SmallHistogram(3));
  FloatHistogram fh;
  fh.count = 4.5;
  s.AddFloatHistogram(l, 30, fh);
  s.Add(l, 40, 2);
  EXPECT_EQ(s.NumSeries(), 1u);

  auto set = SelectAll(s, 0, 100);
  ASSERT_TRUE(set->Next());
  auto it = set->At().Iterator(nullptr);
  ASSERT_EQ(it->Next(), ValueType::kFloat);
  EXPECT_EQ(it->At().t, 10);
  EXPECT_EQ(it->At().v, 1.5);
  ASSERT_EQ(it->Next(), ValueType::kHistogram);
  EXPECT_EQ(it->AtT(), 20);
  Histogram h;
  EXPECT_EQ(it->AtHistogram(&h), 20);
  EXPECT_EQ(h.count, 3u);
  EXPECT_EQ(h.positive_buckets, (std::vector<int64_t>{1, 1}));
  FloatHistogram as_float;
  EXPECT_EQ(it->AtFloatHistogram(&as_float), 20);
  EXPECT_EQ(as_float.positive_buckets, (std::vector<double>{1, 2}));  // absolute counts
  ASSERT_EQ(it->Next(), ValueType::kFloatHistogram);
  EXPECT_EQ(it->AtFloatHistogram(&as_float), 30);
  EXPECT_EQ(as_float.count, 4.5);
  ASSERT_EQ(it->Next(), ValueType::kFloat);
  EXPECT_EQ(it->At().t, 40);
  EXPECT_EQ(it->Next(), ValueType::kNone);
  EXPECT_FALSE(set->Next());
}

TEST(MemoryStorageTest, SeekAndRangeAndReplacement) {
  MemoryStorage s;
  Labels l{{"__name__", "m"}};
  s.Add(l, 10, 1);
  s.AddHistogram(l, 20, SmallHistogram(3));
  s.Add(l, 30, 3);
  s.Add(l, 20, 7);                           // replaces the histogram at 20
  s.AddHistogram(l, 30, SmallHistogram(5));  // replaces the float at 30

  auto set = SelectAll(s, 15, 100);
  ASSERT_TRUE(set->Next());
  auto it = set->At().Iterator(nullptr);
  ASSERT_EQ(it->Seek(25), ValueType::kHistogram);
  Histogram h;
  EXPECT_EQ(it->AtHistogram(&h), 30);
  EXPECT_EQ(h.count, 5u);
  EXPECT_EQ(it->Seek(0), ValueType::kHistogram);  // never moves back
  EXPECT_EQ(it->Next(), ValueType::kNone);

  auto it2 = set->At().Iterator(nullptr);
  ASSERT_EQ(it2->Next(), ValueType::kFloat);  // 10 is outside [15, 100]
  EXPECT_EQ(it2->At().t, 20);
  EXPECT_EQ(it2->At().v, 7);

  // A series with only histograms is listed by the label queries too.
  s.AddHistogram(Labels{{"__name__", "h_only"}}, 5, SmallHistogram(2));
  auto q = s.NewQuerier(0, 100);
  ASSERT_TRUE(q.ok());
  auto names = (*q)->LabelValues("__name__", {});
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"h_only", "m"}));
  EXPECT_EQ(s.NumSeries(), 2u);
}

// The hints the histograms read back with, as from Prometheus's head chunks.
TEST(MemoryStorageTest, CounterResetHintsAsHeadChunks) {
  MemoryStorage s;
  Labels l{{"__name__", "m"}};
  FloatHistogram fh;
  fh.count = 3;
  fh.positive_spans = {{0, 1}};
  fh.positive_buckets = {3};
  s.AddFloatHistogram(l, 10, fh);  // first of the series: unknown
  fh.count = 5;
  fh.positive_buckets = {5};
  s.AddFloatHistogram(l, 20, fh);  // grows: continues the chunk
  fh.count = 1;
  fh.positive_buckets = {1};
  s.AddFloatHistogram(l, 30, fh);  // a reset: a new chunk
  fh.count = 2;
  fh.positive_spans = {{1, 1}};  // bucket 0 emptied, bucket 1 new: also a reset
  fh.positive_buckets = {2};
  s.AddFloatHistogram(l, 40, fh);
  s.Add(l, 50, 7);
  fh.positive_buckets = {3};
  fh.count = 3;
  s.AddFloatHistogram(l, 60, fh);  // after a float: a new chunk
  fh.counter_reset_hint = CounterResetHint::kGauge;
  s.AddFloatHistogram(l, 70, fh);  // a gauge stays a gauge
  fh.counter_reset_hint = CounterResetHint::kCounterReset;
  fh.count = 9;
  fh.positive_buckets = {9};
  s.AddFloatHistogram(l, 80, fh);  // explicit reset: a new chunk

  std::vector<CounterResetHint> want = {CounterResetHint::kUnknown, CounterResetHint::kNotCounterReset,
                                        CounterResetHint::kUnknown, CounterResetHint::kUnknown,
                                        CounterResetHint::kUnknown, CounterResetHint::kGauge,
                                        CounterResetHint::kUnknown};
  std::vector<CounterResetHint> got;
  auto set = SelectAll(s, 0, 100);
  ASSERT_TRUE(set->Next());
  auto it = set->At().Iterator(nullptr);
  for (ValueType vt = it->Next(); vt != ValueType::kNone; vt = it->Next()) {
    if (vt != ValueType::kFloatHistogram) continue;
    FloatHistogram h;
    it->AtFloatHistogram(&h);
    got.push_back(h.counter_reset_hint);
  }
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace promethium
