// Native histograms in the head: appends through the head's appender,
// queries returning kHistogram / kFloatHistogram, type switches within a
// series, in-order-only admission, deletion, truncation and the range view
// that compaction reads.
#include <gtest/gtest.h>

#include "tsdb/head/head.h"
#include "tsdb/head/head_test_util.h"
#include "tsdb/querier/block_querier.h"
#include "tsdb/querier/typed_samples_for_test.h"

namespace promethium::tsdb {
namespace {

using testing_util::Eq;
using testing_util::SmallHeadOptions;

const Labels kSeries({{"__name__", "mixed"}, {"job", "h"}});

// Appends the points through one appender per point, as scrapes would.
void AppendPoints(Head* head, const std::vector<Point>& points) {
  for (const Point& p : points) {
    auto app = head->NewAppender();
    Result<SeriesRef> ref = p.type == ValueType::kFloat       ? app->Append(0, kSeries, p.t, p.v)
                            : p.type == ValueType::kHistogram ? app->AppendHistogram(0, kSeries, p.t, &p.h, nullptr)
                                                              : app->AppendHistogram(0, kSeries, p.t, nullptr, &p.fh);
    ASSERT_TRUE(ref.ok()) << Describe(p) << ": " << ref.status().ToString();
    ASSERT_TRUE(app->Commit().ok());
  }
}

std::vector<Point> MixedPoints(int64_t step) {
  std::vector<Point> out;
  int i = 0;
  for (int64_t t = 0; t < 300 * step; t += step, ++i) {
    if (i < 50 || (i >= 250)) {
      out.push_back(FloatPoint(t, 0.5 * i));
    } else if (i < 180) {
      out.push_back(HistogramPoint(t, CounterHistogram(i)));
    } else {
      out.push_back(FloatHistogramPoint(t, GaugeFloatHistogram(i)));
    }
  }
  return out;
}

std::vector<Point> QueryHead(Head* head, int64_t mint = kMinTime, int64_t maxt = kMaxTime) {
  auto q = head->NewQuerier(mint, maxt);
  return ReadTypedSeries(q.get(), "mixed");
}

TEST(HeadHistogramTest, MixedSeriesAppendAndQuery) {
  Head head(SmallHeadOptions(3'600'000), nullptr);
  const auto points = MixedPoints(1000);
  AppendPoints(&head, points);
  ExpectSamePoints(QueryHead(&head), points);
  // A window in the middle of the histograms and one across a type switch.
  std::vector<Point> want;
  for (const Point& p : points) {
    if (p.t >= 100'000 && p.t <= 200'000) want.push_back(p);
  }
  ExpectSamePoints(QueryHead(&head, 100'000, 200'000), want);
  EXPECT_EQ(head.MinTime(), 0);
  EXPECT_EQ(head.MaxTime(), 299'000);
}

TEST(HeadHistogramTest, HistogramsAreInOrderOnlyAndValidated) {
  Head head(SmallHeadOptions(3'600'000, /*ooo_window_ms=*/600'000), nullptr);
  AppendPoints(&head, {HistogramPoint(10'000, CounterHistogram(1))});
  auto app = head.NewAppender();
  Histogram h = CounterHistogram(2);
  EXPECT_EQ(app->AppendHistogram(0, kSeries, 9'000, &h, nullptr).status().code(), Status::Code::kOutOfOrder);
  EXPECT_EQ(app->AppendHistogram(0, kSeries, 10'000, &h, nullptr).status().code(), Status::Code::kDuplicate);
  // A float older than the newest histogram is out of order as well, even
  // with an out-of-order window.
  EXPECT_FALSE(app->Append(0, kSeries, 5'000, 1).ok());
  Histogram bad = h;
  bad.positive_buckets.pop_back();  // spans need 4 buckets
  EXPECT_FALSE(app->AppendHistogram(0, kSeries, 11'000, &bad, nullptr).ok());
  EXPECT_EQ(app->AppendHistogram(0, kSeries, 11'000, nullptr, nullptr).status().code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(app->Commit().ok());
  ExpectSamePoints(QueryHead(&head), {HistogramPoint(10'000, CounterHistogram(1))});
}

TEST(HeadHistogramTest, DeleteAndTruncate) {
  Head head(SmallHeadOptions(100'000), nullptr);
  const auto points = MixedPoints(1000);
  AppendPoints(&head, points);
  std::vector<HeadTombstone> deleted;
  ASSERT_TRUE(head.Delete(120'000, 130'500, {Eq("job", "h")}, &deleted).ok());
  ASSERT_EQ(deleted.size(), 1u);
  std::vector<Point> want;
  for (const Point& p : points) {
    if (p.t < 120'000 || p.t > 130'500) want.push_back(p);
  }
  ExpectSamePoints(QueryHead(&head), want);

  // Chunks wholly before 200 s go (histogram chunks cut at range ends).
  ASSERT_TRUE(head.Truncate(200'000).ok());
  std::vector<Point> left;
  for (const Point& p : want) {
    if (p.t >= 200'000) left.push_back(p);
  }
  ExpectSamePoints(QueryHead(&head), left);
}

// Appends every point through one appender and commits once, as a
// promqltest `load` (or a remote-write request) does.
void AppendInOneCommit(Head* head, const std::vector<Point>& points) {
  auto app = head->NewAppender();
  for (const Point& p : points) {
    Result<SeriesRef> ref = p.type == ValueType::kFloat       ? app->Append(0, kSeries, p.t, p.v)
                            : p.type == ValueType::kHistogram ? app->AppendHistogram(0, kSeries, p.t, &p.h, nullptr)
                                                              : app->AppendHistogram(0, kSeries, p.t, nullptr, &p.fh);
    ASSERT_TRUE(ref.ok()) << Describe(p) << ": " << ref.status().ToString();
  }
  ASSERT_TRUE(app->Commit().ok());
}

// Floats, histograms, floats again and a histogram, one minute apart: the
// series of native_histograms.test's mixed_metric1.
std::vector<Point> FloatsAroundHistograms() {
  constexpr int64_t kMinute = 60'000;
  return {FloatPoint(0, 1),
          FloatPoint(kMinute, 2),
          FloatPoint(2 * kMinute, 3),
          HistogramPoint(3 * kMinute, CounterHistogram(1)),
          HistogramPoint(4 * kMinute, CounterHistogram(2)),
          FloatPoint(5 * kMinute, 4),
          FloatPoint(6 * kMinute, 5),
          HistogramPoint(7 * kMinute, CounterHistogram(3))};
}

// A commit applies a series' samples in the order they were appended, so
// histograms appended between floats are not dropped as out of order
// behind the later floats.
TEST(HeadHistogramTest, FloatsAroundHistogramsInOneCommit) {
  Head head(SmallHeadOptions(3'600'000), nullptr);
  const auto points = FloatsAroundHistograms();
  AppendInOneCommit(&head, points);
  ExpectSamePoints(QueryHead(&head), points);
  EXPECT_EQ(head.MaxTime(), 7 * 60'000);
}

TEST(HeadHistogramTest, FloatsAroundHistogramsInSeveralCommits) {
  const auto points = FloatsAroundHistograms();
  {
    Head head(SmallHeadOptions(3'600'000), nullptr);
    AppendPoints(&head, points);
    ExpectSamePoints(QueryHead(&head), points);
  }
  // Commits that end in the middle of each run of one type.
  Head head(SmallHeadOptions(3'600'000), nullptr);
  AppendInOneCommit(&head, {points[0], points[1]});
  AppendInOneCommit(&head, {points[2], points[3]});
  AppendInOneCommit(&head, {points[4], points[5], points[6], points[7]});
  ExpectSamePoints(QueryHead(&head), points);
}

// Integer and float histograms alternating within one commit keep their
// order as well.
TEST(HeadHistogramTest, HistogramKindsAlternatingInOneCommit) {
  Head head(SmallHeadOptions(3'600'000), nullptr);
  const std::vector<Point> points = {
      HistogramPoint(1000, CounterHistogram(1)),         FloatHistogramPoint(2000, GaugeFloatHistogram(2)),
      HistogramPoint(3000, CounterHistogram(3)),         FloatPoint(4000, 7),
      FloatHistogramPoint(5000, GaugeFloatHistogram(5)), FloatPoint(6000, 8)};
  AppendInOneCommit(&head, points);
  ExpectSamePoints(QueryHead(&head), points);
}

// The range view clips to [mint, maxt] whatever the chunk type, so a block
// written from it holds exactly the range's samples.
TEST(HeadHistogramTest, RangeViewClipsHistogramChunks) {
  Head head(SmallHeadOptions(3'600'000), nullptr);
  const auto points = MixedPoints(1000);
  AppendPoints(&head, points);
  BlockQuerier q(head.NewRangeIndexReader(60'000, 190'000), head.NewRangeChunkReader(60'000, 190'000), kMinTime,
                 kMaxTime);
  std::vector<Point> want;
  for (const Point& p : points) {
    if (p.t >= 60'000 && p.t <= 190'000) want.push_back(p);
  }
  ExpectSamePoints(ReadTypedSeries(&q, "mixed"), want);
}

}  // namespace
}  // namespace promethium::tsdb
