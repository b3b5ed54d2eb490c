// Native histograms through tsdb::DB: appended with the DB's appender,
// replayed from the WAL after a restart, cut into blocks and compacted (in
// both block formats), reopened, and read back identical with their types;
// meta.json counts float and histogram samples apart.
#include <gtest/gtest.h>

#include <filesystem>

#include "tsdb/base/env.h"
#include "tsdb/block/block_meta.h"
#include "tsdb/db.h"
#include "tsdb/querier/typed_samples_for_test.h"

namespace promethium::tsdb {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int kPoints = 540;  // 9 h at one sample a minute

// Floats, then integer histograms, then float histograms, then floats.
std::vector<Point> MixedPoints() {
  std::vector<Point> out;
  for (int i = 0; i < kPoints; ++i) {
    const int64_t t = i * kMinute;
    if (i < 100 || i >= 450) {
      out.push_back(FloatPoint(t, 0.5 * i));
    } else if (i < 350) {
      out.push_back(HistogramPoint(t, CounterHistogram(i)));
    } else {
      out.push_back(FloatHistogramPoint(t, GaugeFloatHistogram(i)));
    }
  }
  return out;
}

class DBHistogramTest : public ::testing::TestWithParam<BlockFormat> {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("promethium_dbh_" + std::to_string(static_cast<int>(GetParam())) + "_" + std::to_string(::getpid())))
               .string();
    fs::remove_all(dir_);
    opts_.background_compaction = false;
    opts_.chunk_range_ms = 2 * kHour;
    opts_.retention_ms = 0;
    opts_.block_format = GetParam();
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }
  void Open() {
    db_.reset();
    auto db = DB::Open(dir_, opts_, &metrics_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }
  std::vector<Point> Query() {
    auto q = db_->NewQuerier(kMinTime, kMaxTime);
    EXPECT_TRUE(q.ok());
    return ReadTypedSeries(q->get(), "mixed");
  }

  std::string dir_;
  DBOptions opts_;
  MetricsRegistry metrics_;
  std::unique_ptr<DB> db_;
};

TEST_P(DBHistogramTest, AppendReplayCompactReopen) {
  Open();
  const Labels series({{"__name__", "mixed"}, {"job", "db"}});
  const auto points = MixedPoints();
  for (const Point& p : points) {
    auto app = db_->NewAppender();
    Result<SeriesRef> ref = p.type == ValueType::kFloat       ? app->Append(0, series, p.t, p.v)
                            : p.type == ValueType::kHistogram ? app->AppendHistogram(0, series, p.t, &p.h, nullptr)
                                                              : app->AppendHistogram(0, series, p.t, nullptr, &p.fh);
    ASSERT_TRUE(ref.ok()) << Describe(p) << ": " << ref.status().ToString();
    ASSERT_TRUE(app->Commit().ok());
  }
  ExpectSamePoints(Query(), points);

  // Restart: the head is rebuilt from the WAL, histogram records included.
  ASSERT_TRUE(db_->Close().ok());
  Open();
  ExpectSamePoints(Query(), points);

  // Cut the head into blocks and merge them where the planner says so.
  ASSERT_TRUE(db_->Compact().ok());
  const auto blocks = db_->Blocks();
  ASSERT_GE(blocks.size(), 2u);
  ExpectSamePoints(Query(), points);

  // The blocks' meta.json split their samples by type as Prometheus 3.x.
  uint64_t floats = 0, histograms = 0;
  int64_t blocks_end = 0;
  for (const auto& b : blocks) {
    auto meta = ReadBlockMeta(Env::Default(), dir_ + "/" + b.ulid);
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    EXPECT_EQ(meta->stats.num_samples, meta->stats.num_float_samples + meta->stats.num_histogram_samples);
    floats += meta->stats.num_float_samples;
    histograms += meta->stats.num_histogram_samples;
    blocks_end = std::max(blocks_end, b.max_time);
  }
  uint64_t want_floats = 0, want_histograms = 0;
  for (const Point& p : points) {
    if (p.t >= blocks_end) continue;
    (p.type == ValueType::kFloat ? want_floats : want_histograms)++;
  }
  EXPECT_EQ(floats, want_floats);
  EXPECT_EQ(histograms, want_histograms);
  EXPECT_GT(histograms, 0u);

  // And once more from disk: blocks plus the replayed rest of the head.
  ASSERT_TRUE(db_->Close().ok());
  Open();
  ExpectSamePoints(Query(), points);
}

// Floats, histograms and floats again in one commit (promqltest's
// mixed_metric1 in native_histograms.test): the commit keeps their order,
// the WAL logs them in that order for replay, and the block cut from the
// head holds all of them.
TEST_P(DBHistogramTest, FloatsAroundHistogramsInOneCommit) {
  Open();
  const Labels series({{"__name__", "mixed"}, {"job", "db"}});
  const std::vector<Point> points = {FloatPoint(0, 1),
                                     FloatPoint(kMinute, 2),
                                     FloatPoint(2 * kMinute, 3),
                                     HistogramPoint(3 * kMinute, CounterHistogram(1)),
                                     HistogramPoint(4 * kMinute, CounterHistogram(2)),
                                     FloatPoint(5 * kMinute, 4),
                                     FloatPoint(6 * kMinute, 5),
                                     FloatHistogramPoint(7 * kMinute, GaugeFloatHistogram(3)),
                                     HistogramPoint(8 * kMinute, CounterHistogram(4))};
  auto app = db_->NewAppender();
  for (const Point& p : points) {
    Result<SeriesRef> ref = p.type == ValueType::kFloat       ? app->Append(0, series, p.t, p.v)
                            : p.type == ValueType::kHistogram ? app->AppendHistogram(0, series, p.t, &p.h, nullptr)
                                                              : app->AppendHistogram(0, series, p.t, nullptr, &p.fh);
    ASSERT_TRUE(ref.ok()) << Describe(p) << ": " << ref.status().ToString();
  }
  // Another series far enough ahead that the head's first range is cut.
  ASSERT_TRUE(app->Append(0, Labels({{"__name__", "later"}}), 5 * kHour, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  ExpectSamePoints(Query(), points);

  ASSERT_TRUE(db_->Close().ok());
  Open();
  ExpectSamePoints(Query(), points);

  ASSERT_TRUE(db_->Compact().ok());
  ASSERT_GE(db_->Blocks().size(), 1u);
  EXPECT_EQ(db_->Blocks().front().min_time, 0);
  ExpectSamePoints(Query(), points);
  ASSERT_TRUE(db_->Close().ok());
  Open();
  ExpectSamePoints(Query(), points);
}

INSTANTIATE_TEST_SUITE_P(Formats, DBHistogramTest,
                         ::testing::Values(BlockFormat::kPromethium, BlockFormat::kPrometheus),
                         [](const auto& info) { return std::string(BlockFormatName(info.param)); });

}  // namespace
}  // namespace promethium::tsdb
