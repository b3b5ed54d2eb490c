// The DB with persisted blocks: head compaction, block merges, retention,
// deletion, snapshots, restarts and quarantine of corrupt blocks. Time is
// driven by sample timestamps, never by the clock: background compaction is
// off and each test calls Compact() itself.
#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <fstream>
#include <map>

#include "tsdb/base/env.h"
#include "tsdb/db.h"

namespace promethium::tsdb {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMinute = 60 * 1000;

// Samples compare by time and exact value bits (NaN-safe).
using SampleList = std::vector<std::pair<int64_t, uint64_t>>;
constexpr int64_t kHour = 60 * kMinute;

class DBCompactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("promethium_dbc_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
             std::to_string(::getpid())))
               .string();
    fs::remove_all(dir_);
    opts_.background_compaction = false;
    opts_.chunk_range_ms = 2 * kHour;
    opts_.retention_ms = 0;
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

  // Appends `series` series of a counter every 15 s over [from, to).
  void AppendRange(int series, int64_t from, int64_t to) {
    auto app = db_->NewAppender();
    for (int64_t t = from; t < to; t += 15000) {
      for (int s = 0; s < series; ++s) {
        Labels ls{{"__name__", "requests_total"}, {"instance", "host" + std::to_string(s)}, {"job", "api"}};
        auto ref = app->Append(0, ls, t, static_cast<double>(t / 15000 + s));
        ASSERT_TRUE(ref.ok()) << ref.status().ToString() << " at t=" << t;
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  }

  // Every sample of every series matching __name__=name, by labels.
  std::map<std::string, SampleList> Query(const std::string& name, int64_t mint = kMinTime, int64_t maxt = kMaxTime) {
    std::map<std::string, SampleList> out;
    auto q = db_->NewQuerier(mint, maxt);
    EXPECT_TRUE(q.ok());
    auto set = (*q)->Select(true, nullptr, {*Matcher::Make(MatchType::kEqual, "__name__", name)});
    while (set->Next()) {
      auto it = set->At().Iterator(nullptr);
      auto& samples = out[set->At().labels().ToString()];
      while (it->Next() != ValueType::kNone) samples.emplace_back(it->At().t, std::bit_cast<uint64_t>(it->At().v));
      EXPECT_TRUE(it->Err().ok()) << it->Err().ToString();
    }
    EXPECT_TRUE(set->Err().ok()) << set->Err().ToString();
    return out;
  }

  std::vector<std::string> DirEntries() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir_;
  DBOptions opts_;
  MetricsRegistry metrics_;
  std::unique_ptr<DB> db_;
};

TEST_F(DBCompactionTest, HeadIsCutIntoBlocksAndQueriesAreUnchanged) {
  Open();
  AppendRange(20, 0, 7 * kHour);
  auto before = Query("requests_total");
  ASSERT_EQ(before.size(), 20u);
  ASSERT_EQ(before.begin()->second.size(), static_cast<size_t>(7 * kHour / 15000));

  ASSERT_TRUE(db_->Compact().ok());
  auto blocks = db_->Blocks();
  // The head spans 7h; it keeps 1.5 ranges at most, so [0,2h) and [2h,4h)
  // became blocks (the 6h level needs three adjacent 2h blocks).
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].min_time, 0);
  EXPECT_EQ(blocks[0].max_time, 2 * kHour);
  EXPECT_EQ(blocks[1].max_time, 4 * kHour);
  EXPECT_EQ(blocks[0].num_series, 20u);
  EXPECT_EQ(blocks[0].num_samples, static_cast<uint64_t>(20 * 2 * kHour / 15000));
  EXPECT_GE(db_->Stats().min_time, 4 * kHour);  // the head was truncated

  EXPECT_EQ(Query("requests_total"), before);
  // A range that only the blocks hold, and one that spans blocks and head.
  auto early = Query("requests_total", kHour, 90 * kMinute);
  EXPECT_EQ(early.begin()->second.size(), static_cast<size_t>(30 * kMinute / 15000 + 1));
  auto spanning = Query("requests_total", 3 * kHour, 5 * kHour);
  EXPECT_EQ(spanning.begin()->second.size(), static_cast<size_t>(2 * kHour / 15000 + 1));

  // Appends below the blocks are out of bounds.
  auto app = db_->NewAppender();
  EXPECT_FALSE(app->Append(0, Labels{{"__name__", "requests_total"}, {"instance", "new"}}, kHour, 1).ok());
  EXPECT_NE(metrics_.RenderText().find("prometheus_tsdb_blocks_loaded 2"), std::string::npos);
}

TEST_F(DBCompactionTest, RestartKeepsBlocksAndHeadWithoutDuplicates) {
  Open();
  AppendRange(5, 0, 7 * kHour);
  auto before = Query("requests_total");
  ASSERT_TRUE(db_->Compact().ok());
  AppendRange(5, 7 * kHour, 8 * kHour);
  before = Query("requests_total");
  ASSERT_TRUE(db_->Close().ok());
  Open();
  EXPECT_EQ(db_->Blocks().size(), 2u);
  EXPECT_EQ(Query("requests_total"), before);
}

TEST_F(DBCompactionTest, AdjacentBlocksAreMergedByLevel) {
  Open();
  // 13h of data: six 2h blocks are cut over successive compactions; three
  // adjacent 2h blocks make a 6h block.
  for (int64_t h = 0; h < 13; ++h) {
    AppendRange(3, h * kHour, (h + 1) * kHour);
    ASSERT_TRUE(db_->Compact().ok());
  }
  auto blocks = db_->Blocks();
  ASSERT_FALSE(blocks.empty());
  EXPECT_EQ(blocks[0].min_time, 0);
  EXPECT_EQ(blocks[0].max_time, 6 * kHour);
  EXPECT_EQ(blocks[0].level, 2);
  auto all = Query("requests_total");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.begin()->second.size(), static_cast<size_t>(13 * kHour / 15000));
  for (const auto& e : DirEntries()) EXPECT_EQ(e.find(".tmp"), std::string::npos) << e;
}

TEST_F(DBCompactionTest, TimeRetentionDropsOldBlocks) {
  opts_.retention_ms = 4 * kHour;
  opts_.max_block_duration_ms = 2 * kHour;  // no merges: easier to count
  Open();
  for (int64_t h = 0; h < 12; ++h) {
    AppendRange(2, h * kHour, (h + 1) * kHour);
    ASSERT_TRUE(db_->Compact().ok());
  }
  auto blocks = db_->Blocks();
  ASSERT_FALSE(blocks.empty());
  const int64_t newest = blocks.back().max_time;
  for (const auto& b : blocks) EXPECT_LT(newest - b.max_time, 4 * kHour) << b.ulid;
  EXPECT_TRUE(Query("requests_total", 0, 2 * kHour).empty());
  EXPECT_NE(metrics_.RenderText().find("prometheus_tsdb_time_retentions_total"), std::string::npos);
}

TEST_F(DBCompactionTest, SizeRetentionDropsOldestBlocks) {
  opts_.max_block_duration_ms = 2 * kHour;
  opts_.retention_bytes = 1;  // anything: only the newest data can stay
  Open();
  for (int64_t h = 0; h < 10; ++h) {
    AppendRange(2, h * kHour, (h + 1) * kHour);
    ASSERT_TRUE(db_->Compact().ok());
  }
  EXPECT_TRUE(db_->Blocks().empty());
  EXPECT_FALSE(Query("requests_total").empty());  // the head is never deleted
}

TEST_F(DBCompactionTest, DeleteHidesSamplesInBlocksAndHeadAndSurvivesRestart) {
  Open();
  AppendRange(3, 0, 7 * kHour);
  ASSERT_TRUE(db_->Compact().ok());
  Matchers host0{*Matcher::Make(MatchType::kEqual, "instance", "host0")};
  // From inside the first block to inside the head.
  ASSERT_TRUE(db_->Delete(kHour, 5 * kHour, host0).ok());
  auto check = [&] {
    auto all = Query("requests_total");
    ASSERT_EQ(all.size(), 3u);
    for (const auto& [labels, samples] : all) {
      const bool deleted = labels.find("host0") != std::string::npos;
      for (const auto& s : samples) {
        if (deleted) {
          EXPECT_FALSE(s.first >= kHour && s.first <= 5 * kHour) << labels << " t=" << s.first;
        }
      }
      const size_t want = deleted ? static_cast<size_t>(7 * kHour / 15000 - 4 * kHour / 15000 - 1)
                                  : static_cast<size_t>(7 * kHour / 15000);
      EXPECT_EQ(samples.size(), want) << labels;
    }
  };
  check();
  ASSERT_TRUE(db_->Close().ok());
  Open();
  check();
  ASSERT_TRUE(db_->CleanTombstones().ok());
  check();
}

TEST_F(DBCompactionTest, SnapshotHoldsBlocksAndHead) {
  Open();
  AppendRange(4, 0, 7 * kHour);
  ASSERT_TRUE(db_->Compact().ok());
  auto before = Query("requests_total");
  const std::string snap = dir_ + "-snapshot";
  fs::remove_all(snap);
  ASSERT_TRUE(db_->Snapshot(snap, /*with_head=*/true).ok());
  // Open the snapshot as a DB of its own: it must hold the same data.
  db_.reset();
  auto copy = DB::Open(snap, opts_, nullptr);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  std::swap(db_, *copy);
  EXPECT_EQ(Query("requests_total"), before);
  db_.reset();
  fs::remove_all(snap);
}

TEST_F(DBCompactionTest, CorruptBlockIsQuarantinedAndTheRestServes) {
  Open();
  AppendRange(3, 0, 7 * kHour);
  ASSERT_TRUE(db_->Compact().ok());
  auto blocks = db_->Blocks();
  ASSERT_EQ(blocks.size(), 2u);
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  {
    // Flip bytes in the middle of the first block's index.
    const std::string index = dir_ + "/" + blocks[0].ulid + "/index";
    std::fstream f(index, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good());
    f.seekp(static_cast<std::streamoff>(fs::file_size(index) / 2));
    f.write("\xde\xad\xbe\xef", 4);
  }
  Open();
  auto now = db_->Blocks();
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].ulid, blocks[1].ulid);
  EXPECT_TRUE(fs::exists(dir_ + "/quarantine/" + blocks[0].ulid));
  EXPECT_NE(metrics_.RenderText().find("promethium_tsdb_blocks_quarantined_total 1"), std::string::npos);
  auto rest = Query("requests_total", 2 * kHour, 3 * kHour);
  EXPECT_EQ(rest.size(), 3u);
}

TEST_F(DBCompactionTest, LeftoverTemporaryDirectoriesAreRemovedOnOpen) {
  fs::create_directories(dir_ + "/01HZZZZZZZZZZZZZZZZZZZZZZZ.tmp-for-creation/chunks");
  fs::create_directories(dir_ + "/01HZZZZZZZZZZZZZZZZZZZZZZY.tmp-for-deletion");
  Open();
  for (const auto& e : DirEntries()) EXPECT_EQ(e.find(".tmp"), std::string::npos) << e;
}

TEST_F(DBCompactionTest, OutOfOrderSamplesWithinTheWindowReachBlocks) {
  opts_.out_of_order_window_ms = kHour;
  Open();
  const Labels ls{{"__name__", "late_total"}, {"job", "x"}};
  auto app = db_->NewAppender();
  for (int64_t t = 0; t < 7 * kHour; t += kMinute) ASSERT_TRUE(app->Append(0, ls, t + 30000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  // 30 minutes late: inside the window; 2 hours late: outside.
  app = db_->NewAppender();
  ASSERT_TRUE(app->Append(0, ls, 7 * kHour - 30 * kMinute, 42).ok());
  EXPECT_FALSE(app->Append(0, ls, 5 * kHour - 1, 43).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto has_late = [&] {
    // Named: a range-for over a member of a temporary would outlive the map.
    const auto result = Query("late_total");
    if (result.empty()) return false;
    for (const auto& [t, bits] : result.begin()->second) {
      if (t == 7 * kHour - 30 * kMinute) return std::bit_cast<double>(bits) == 42;
    }
    return false;
  };
  EXPECT_TRUE(has_late());
  ASSERT_TRUE(db_->Close().ok());
  Open();  // replayed from the WAL with the same admission rules
  EXPECT_TRUE(has_late());
  // Five more hours: [6h, 8h), which holds the late sample, becomes a block.
  AppendRange(1, 7 * kHour, 12 * kHour);
  ASSERT_TRUE(db_->Compact().ok());
  bool in_block = false;
  for (const auto& b : db_->Blocks())
    in_block = in_block || (b.min_time <= 7 * kHour - 30 * kMinute && b.max_time > 7 * kHour - 30 * kMinute);
  EXPECT_TRUE(in_block);
  EXPECT_GT(db_->Stats().min_time, 7 * kHour);
  EXPECT_TRUE(has_late());
}

}  // namespace
}  // namespace promethium::tsdb
