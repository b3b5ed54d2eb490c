// DBOptions::wal_segment_floor: the head's WAL truncation keeps the segments
// remote write has not had acknowledged (within the bound), still
// checkpoints below them, and releases them once the floor moves on.
#include <gtest/gtest.h>

#include <optional>

#include "tsdb/base/env.h"
#include "tsdb/db.h"
#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/test_dir_for_test.h"

namespace promethium::tsdb {
namespace {

constexpr int64_t kHour = 60 * 60 * 1000;

class DBWalFloorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wal::TestDirForTest("promethium_db_wal_floor_test_");
    EXPECT_TRUE(Env::Default()->RemoveDirRecursively(dir_).ok());
    opts_.background_compaction = false;
    opts_.retention_ms = 0;
    opts_.wal_segment_size = 4096;
    opts_.wal_segment_floor = [this] { return floor_; };
  }
  void Open() {
    auto db = DB::Open(dir_, opts_, &metrics_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }
  void TearDown() override {
    db_.reset();
    EXPECT_TRUE(Env::Default()->RemoveDirRecursively(dir_).ok());
  }
  // One commit per minute of 100 series over [from, to): many small segments.
  void AppendRange(int64_t from, int64_t to) {
    for (int64_t t = from; t < to; t += 60000) {
      auto app = db_->NewAppender();
      for (int s = 0; s < 100; ++s) {
        Labels ls{{"__name__", "up"}, {"instance", "host" + std::to_string(s)}};
        ASSERT_TRUE(app->Append(0, ls, t, 1.0).ok());
      }
      ASSERT_TRUE(app->Commit().ok());
    }
  }
  std::vector<uint64_t> Segments() { return *wal::ListSegments(Env::Default(), dir_ + "/wal"); }

  std::string dir_;
  DBOptions opts_;
  MetricsRegistry metrics_;
  std::unique_ptr<DB> db_;
  std::optional<uint64_t> floor_;
};

TEST_F(DBWalFloorTest, KeepsUnsentSegmentsAndReleasesThemAfterAck) {
  opts_.wal_floor_max_extra_segments = 1000;
  Open();
  floor_ = 2;  // remote write has acknowledged up to segment 2
  AppendRange(0, 7 * kHour);
  const uint64_t before_last = Segments().back();
  ASSERT_GT(before_last, 20u);
  ASSERT_TRUE(db_->Compact().ok());
  auto segs = Segments();
  EXPECT_EQ(segs.front(), 2u);  // 2.. kept; 0..1 checkpointed
  auto cp = wal::LastCheckpoint(Env::Default(), dir_ + "/wal");
  ASSERT_TRUE(cp.ok());
  ASSERT_TRUE(cp->has_value());
  EXPECT_EQ(**cp, 1u);

  floor_ = std::nullopt;  // acknowledged everything (or the queue was removed)
  AppendRange(7 * kHour, 12 * kHour);
  ASSERT_TRUE(db_->Compact().ok());
  EXPECT_GT(Segments().front(), before_last / 2);  // truncated as without a floor
}

TEST_F(DBWalFloorTest, KeepsAtMostTheBound) {
  opts_.wal_floor_max_extra_segments = 3;
  Open();
  floor_ = 0;  // nothing ever acknowledged: a receiver down for good
  AppendRange(0, 7 * kHour);
  ASSERT_GT(Segments().back(), 20u);
  ASSERT_TRUE(db_->Compact().ok());
  // Each truncation kept exactly the bound of the segments it would have
  // deleted, and released the rest although they were never acknowledged.
  EXPECT_GT(Segments().front(), 0u);
  const std::string text = metrics_.RenderText();
  EXPECT_NE(text.find("promethium_tsdb_wal_segments_kept_for_readers 3\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("promethium_tsdb_wal_segments_released_unsent_total 0\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace promethium::tsdb
