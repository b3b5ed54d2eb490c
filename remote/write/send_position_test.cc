// SendPositionFile: round trip, damage and foreign files are told apart, and
// a foreign file is never overwritten.
#include "remote/write/send_position.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tsdb/wal/test_dir_for_test.h"

namespace promethium::remote {
namespace {

class SendPositionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tsdb::wal::TestDirForTest("promethium_send_position_");
    EXPECT_TRUE(env_->RemoveDirRecursively(dir_).ok());
  }
  void TearDown() override { EXPECT_TRUE(env_->RemoveDirRecursively(dir_).ok()); }
  void WriteRaw(const std::string& path, std::string_view bytes) {
    ASSERT_TRUE(env_->CreateDirs(std::filesystem::path(path).parent_path().string()).ok());
    auto f = env_->NewWritableFile(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(bytes).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }

  Env* env_ = Env::Default();
  std::string dir_;
};

TEST_F(SendPositionTest, RoundTrip) {
  SendPositionFile file(env_, dir_, "queue-a https://example/api/v1/write");
  auto missing = file.Load();
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->kind, LoadedPosition::Kind::kMissing);
  ASSERT_TRUE(file.Store(WalPosition{7, 123456}).ok());
  ASSERT_TRUE(file.Store(WalPosition{8, 42}).ok());  // replaces
  auto loaded = file.Load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->kind, LoadedPosition::Kind::kOk) << loaded->problem;
  EXPECT_EQ(loaded->position, (WalPosition{8, 42}));
  EXPECT_FALSE(env_->FileExists(file.path() + ".tmp"));
  // Another key hashes to another file name.
  EXPECT_NE(SendPositionFile::FileNameFor("a"), SendPositionFile::FileNameFor("b"));
}

TEST_F(SendPositionTest, DamagedFileOfOursIsReportedAndReplaced) {
  SendPositionFile file(env_, dir_, "k");
  std::string bytes = SendPositionFile::Encode("k", WalPosition{3, 4});
  bytes[10] ^= 1;  // the segment field: CRC mismatch
  WriteRaw(file.path(), bytes);
  auto loaded = file.Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->kind, LoadedPosition::Kind::kCorrupt);
  EXPECT_EQ(loaded->problem, "checksum mismatch");
  WriteRaw(file.path(), bytes.substr(0, 12));
  EXPECT_EQ(file.Load()->kind, LoadedPosition::Kind::kCorrupt);
  ASSERT_TRUE(file.Store(WalPosition{5, 6}).ok());  // provably ours: replaced
  EXPECT_EQ(file.Load()->position, (WalPosition{5, 6}));
}

TEST_F(SendPositionTest, ForeignFileIsNeverOverwritten) {
  SendPositionFile file(env_, dir_, "k");
  WriteRaw(file.path(), "someone else's notes\n");
  auto loaded = file.Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->kind, LoadedPosition::Kind::kForeign);
  Status st = file.Store(WalPosition{1, 2});
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(*ReadFileToString(env_, file.path()), "someone else's notes\n");

  // Another queue's file (same name, another key) is not ours to use either.
  SendPositionFile other(env_, dir_ + "/other", "k2");
  WriteRaw(dir_ + "/other/" + SendPositionFile::FileNameFor("k2"), SendPositionFile::Encode("k1", {1, 1}));
  EXPECT_EQ(other.Load()->kind, LoadedPosition::Kind::kForeign);

  // A foreign .tmp next to ours blocks saving too, and is left alone.
  SendPositionFile third(env_, dir_, "k3");
  WriteRaw(third.path() + ".tmp", "not ours");
  EXPECT_FALSE(third.Store(WalPosition{1, 1}).ok());
  EXPECT_EQ(*ReadFileToString(env_, third.path() + ".tmp"), "not ours");
}

}  // namespace
}  // namespace promethium::remote
