// DB::Open never damages what it has not proven to be its own: a real
// Prometheus 2.42 data directory, and files of unknown format in ours.
#include <gtest/gtest.h>

#include "tsdb/datadir/datadir_test_util.h"
#include "tsdb/db.h"

namespace promethium::tsdb {
namespace {

using datadir_test::DescribeChanges;
using datadir_test::Fingerprint;
using datadir_test::PrometheusFixture;
using datadir_test::ScratchDir;
using datadir_test::TestOptions;
using datadir_test::WriteAll;
using datadir_test::WriteOwnData;
namespace fs = std::filesystem;

TEST(ForeignFilesTest, PrometheusDirectoryLosesNothingAndOnlyItsHeadFilesGo) {
  // The reproduction: Prometheus 2.42 scraped itself with short blocks and
  // was stopped; Promethium is started on the same directory. Before
  // Promethium recognised Prometheus's files, this quarantined every block,
  // truncated the WAL and deleted chunks_head/.
  ScratchDir dir;
  fs::copy(PrometheusFixture(), dir.path(), fs::copy_options::recursive);
  WriteAll(dir.path() + "/queries.active", std::string(20001, ' '));
  const auto before = Fingerprint(dir.path());
  {
    auto db = DB::Open(dir.path(), TestOptions(), nullptr);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ((*db)->Blocks().size(), 6u);
  }
  EXPECT_FALSE(fs::exists(dir.path() + "/quarantine"));
  // Every change is one of: Prometheus's head files removed after their
  // data was converted into our WAL, or our own WAL and head chunk files.
  const auto after = Fingerprint(dir.path());
  for (const auto& [path, bytes] : before) {
    auto it = after.find(path);
    if (it != after.end() && it->second == bytes) continue;
    const bool head_file = path.starts_with("wal/") || path.starts_with("wbl") || path.starts_with("chunks_head/0") ||
                           path.starts_with("chunk_snapshot.");
    EXPECT_TRUE(head_file && it == after.end()) << path << " was changed, not removed";
  }
  for (const auto& [path, bytes] : after) {
    if (before.contains(path)) continue;
    EXPECT_TRUE(path.starts_with("wal/") || path.starts_with("chunks_head/")) << "added " << path;
  }
  EXPECT_EQ(after.at("queries.active"), before.at("queries.active"));
}

TEST(ForeignFilesTest, UnknownFilesStopStartUpAndNothingIsModified) {
  ScratchDir dir;
  WriteOwnData(dir.path(), 200);
  fs::create_directories(dir.path() + "/01HZZZZZZZZZZZZZZZZZZZZZZZ");
  WriteAll(dir.path() + "/01HZZZZZZZZZZZZZZZZZZZZZZZ/index", "not an index at all");
  const auto before = Fingerprint(dir.path());
  auto db = DB::Open(dir.path(), TestOptions(), nullptr);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("01HZZZZZZZZZZZZZZZZZZZZZZZ/index"), std::string::npos)
      << db.status().ToString();
  // Not quarantined, and our own WAL and head chunks were not touched either.
  EXPECT_EQ(DescribeChanges(before, Fingerprint(dir.path())), "");
}

TEST(ForeignFilesTest, ForeignWalSegmentIsNeverTruncated) {
  ScratchDir dir;
  WriteOwnData(dir.path(), 200);
  // A segment that passes for neither format, named as the next segment:
  // replay would have "repaired" it by truncation.
  WriteAll(dir.path() + "/wal/00000001", std::string(4096, '\x11'));
  const auto before = Fingerprint(dir.path());
  auto db = DB::Open(dir.path(), TestOptions(), nullptr);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("wal/00000001"), std::string::npos) << db.status().ToString();
  EXPECT_EQ(DescribeChanges(before, Fingerprint(dir.path())), "");
}

TEST(ForeignFilesTest, ForeignHeadChunkFileIsNeverRemoved) {
  ScratchDir dir;
  WriteOwnData(dir.path(), 200);
  fs::create_directories(dir.path() + "/chunks_head");
  WriteAll(dir.path() + "/chunks_head/000009", "someone else's bytes");
  const auto before = Fingerprint(dir.path());
  auto db = DB::Open(dir.path(), TestOptions(), nullptr);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("chunks_head/000009"), std::string::npos) << db.status().ToString();
  EXPECT_EQ(DescribeChanges(before, Fingerprint(dir.path())), "");
}

TEST(ForeignFilesTest, OwnTornSegmentIsStillRepairedAndDataKept) {
  ScratchDir dir;
  WriteOwnData(dir.path(), 200);
  // A new segment whose header was cut short by a crash.
  WriteAll(dir.path() + "/wal/00000001", "PWA");
  auto db = DB::Open(dir.path(), TestOptions(), nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->Stats().num_series, 1u);
  EXPECT_EQ((*db)->Stats().max_time, 1000 + 199 * 1000);
}

TEST(ForeignFilesTest, ForeignTemporaryDirectoryIsLeftAlone) {
  ScratchDir dir;
  WriteOwnData(dir.path(), 10);
  const std::string ours = dir.path() + "/01HZZZZZZZZZZZZZZZZZZZZZZA.tmp-for-creation";
  const std::string foreign = dir.path() + "/01HZZZZZZZZZZZZZZZZZZZZZZC.tmp-for-creation";
  fs::create_directories(ours + "/chunks");
  fs::create_directories(foreign);
  WriteAll(foreign + "/mystery", "a user's file");
  auto db = DB::Open(dir.path(), TestOptions(), nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_FALSE(fs::exists(ours));
  EXPECT_EQ(datadir_test::ReadAll(foreign + "/mystery"), "a user's file");
}

}  // namespace
}  // namespace promethium::tsdb
