// The disk fills (issue 16, item 5): with ENOSPC on the data volume commits
// fail visibly (an IOError, counted in prometheus_tsdb_wal_writes_failed_total
// and promethium_tsdb_head_failed_commits_total), queries keep answering
// from the head, its chunk files and the blocks, compaction fails without
// leaving half a block, and once space returns appends and compaction resume
// by themselves. A reopened DB holds exactly what commits acknowledged.
// Faults come from the Env seam (wal::FaultInjectionEnv).
#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/db.h"
#include "tsdb/db_dump_for_test.h"
#include "tsdb/wal/fault_env_for_test.h"
#include "tsdb/wal/test_dir_for_test.h"

namespace promethium::tsdb {
namespace {

size_t NumSamples(const Dump& d) {
  size_t n = 0;
  for (const auto& [series, samples] : d) n += samples.size();
  return n;
}

constexpr int kSeries = 4;
constexpr int64_t kStepMs = 15000;

Labels SeriesLabels(int i) {
  return Labels{{"__name__", "disk_full_metric"}, {"instance", "host-" + std::to_string(i)}};
}

class DBDiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wal::TestDirForTest("promethium_db_disk_full_test_");
    EXPECT_TRUE(Env::Default()->RemoveDirRecursively(dir_).ok());
    opts_.env = &fault_;
    opts_.background_compaction = false;
    opts_.wal_segment_size = 8192;          // several segments
    opts_.head_chunk_segment_size = 1024;   // a few chunks per file: full chunks are read back by pread
    opts_.chunk_range_ms = 60 * 60 * 1000;  // 1h blocks: two hours of data compact into one
  }
  void TearDown() override { EXPECT_TRUE(Env::Default()->RemoveDirRecursively(dir_).ok()); }

  std::unique_ptr<DB> Open() {
    auto db = DB::Open(dir_, opts_, &metrics_);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }
  double CounterValue(const std::string& name) { return metrics_.GetCounter(name, "")->Value(); }

  // One commit of one sample per series at step `step`; on success the
  // samples are recorded in acked_ (what a reopened DB must hold).
  Status CommitStep(DB* db, int step) {
    auto app = db->NewAppender();
    for (int i = 0; i < kSeries; ++i) {
      Result<SeriesRef> ref = app->Append(0, SeriesLabels(i), step * kStepMs, i * 1000.0 + step * 0.5);
      if (!ref.ok()) return ref.status();
    }
    Status st = app->Commit();
    if (st.ok()) {
      for (int i = 0; i < kSeries; ++i) {
        acked_[SeriesLabels(i).ToString()].emplace_back(step * kStepMs,
                                                        std::bit_cast<uint64_t>(i * 1000.0 + step * 0.5));
      }
    }
    return st;
  }
  void CommitSteps(DB* db, int from, int to) {
    for (int step = from; step < to; ++step) ASSERT_TRUE(CommitStep(db, step).ok()) << step;
  }

  std::string dir_;
  wal::FaultInjectionEnv fault_{Env::Default()};
  DBOptions opts_;
  MetricsRegistry metrics_;
  Dump acked_;
};

// ENOSPC for the next 6 writes: 6 commits fail with an IOError and are
// counted, nothing of them is visible, queries answer (reading full chunks
// back from the chunk files too); the 7th commit succeeds with no one
// clearing anything, as when space is freed; a reopened DB replays exactly
// the acknowledged commits.
TEST_F(DBDiskFullTest, CommitsFailVisiblyThenResumeAndNothingAcknowledgedIsLost) {
  auto db = Open();
  ASSERT_NE(db, nullptr);
  CommitSteps(db.get(), 0, 300);  // 2+ full chunks per series, in the chunk files
  ASSERT_EQ(DumpAll(db.get()), acked_);
  EXPECT_GT(metrics_.GetGauge("prometheus_tsdb_head_chunks_storage_size_bytes", "")->Value(), 0);

  constexpr int kFailures = 6;
  fault_.SetFailWrites(kFailures);
  for (int k = 0; k < kFailures; ++k) {
    Status st = CommitStep(db.get(), 300 + k);
    EXPECT_EQ(st.code(), Status::Code::kIOError) << k << ": " << st.ToString();
    EXPECT_NE(st.message().find("No space left on device"), std::string::npos) << st.ToString();
    // Queries keep answering, with exactly the acknowledged samples.
    EXPECT_EQ(DumpAll(db.get()), acked_) << k;
  }
  EXPECT_EQ(fault_.failed_writes(), kFailures);
  EXPECT_EQ(CounterValue("prometheus_tsdb_wal_writes_failed_total"), kFailures);
  EXPECT_EQ(CounterValue("promethium_tsdb_head_failed_commits_total"), kFailures);
  EXPECT_EQ(CounterValue("promethium_tsdb_head_failed_commit_samples_total"), kFailures * kSeries);

  // Space is back: the next commits succeed (a gap where the failed ones were).
  CommitSteps(db.get(), 310, 420);
  EXPECT_EQ(CounterValue("promethium_tsdb_head_failed_commits_total"), kFailures);
  const Dump live = DumpAll(db.get());
  EXPECT_EQ(live, acked_);
  EXPECT_EQ(NumSamples(live), static_cast<size_t>((300 + 110) * kSeries));
  ASSERT_TRUE(db->Close().ok());
  db.reset();

  fault_.ClearFaults();
  auto reopened = Open();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(DumpAll(reopened.get()), acked_);
  EXPECT_EQ(CounterValue("prometheus_tsdb_wal_corruptions_total"), 0);
}

// A full disk during compaction: writing the block fails, no block (nor a
// half-written one) appears, the head keeps every sample and queries
// answer; commits fail meanwhile. With space back, compaction writes the
// block, and a reopened DB (blocks + WAL) holds exactly what was acked.
TEST_F(DBDiskFullTest, CompactionFailsCleanlyOnFullDiskAndResumes) {
  auto db = Open();
  ASSERT_NE(db, nullptr);
  CommitSteps(db.get(), 0, 2 * 240);  // two hours: the first is compactable
  const Dump before = DumpAll(db.get());
  ASSERT_EQ(before, acked_);

  fault_.SetWriteBudget(0);  // the disk is full until cleared
  Status st = db->Compact();
  EXPECT_EQ(st.code(), Status::Code::kIOError) << st.ToString();
  EXPECT_TRUE(db->Blocks().empty());
  auto children = Env::Default()->GetChildren(dir_);
  ASSERT_TRUE(children.ok());
  for (const std::string& name : *children) {
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << "left behind: " << name;
  }
  EXPECT_GE(CounterValue("prometheus_tsdb_compactions_failed_total"), 1);
  EXPECT_EQ(DumpAll(db.get()), before);
  EXPECT_EQ(CommitStep(db.get(), 480).code(), Status::Code::kIOError);
  EXPECT_EQ(DumpAll(db.get()), before);

  fault_.ClearFaults();
  ASSERT_TRUE(db->Compact().ok());
  ASSERT_EQ(db->Blocks().size(), 1u);
  CommitSteps(db.get(), 481, 500);
  EXPECT_EQ(DumpAll(db.get()), acked_);
  ASSERT_TRUE(db->Close().ok());
  db.reset();

  auto reopened = Open();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->Blocks().size(), 1u);
  EXPECT_EQ(DumpAll(reopened.get()), acked_);
}

}  // namespace
}  // namespace promethium::tsdb
