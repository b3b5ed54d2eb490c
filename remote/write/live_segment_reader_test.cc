// LiveSegmentReader: whole frames are handed over with their end offsets, a
// frame cut short waits for its rest, damage stops reading until Rewind.
#include "remote/write/live_segment_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tsdb/wal/compression.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/test_dir_for_test.h"

namespace promethium::remote {
namespace {

class LiveSegmentReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tsdb::wal::TestDirForTest("promethium_live_segment_reader_");
    EXPECT_TRUE(env_->RemoveDirRecursively(dir_).ok());
    ASSERT_TRUE(env_->CreateDirs(dir_).ok());
    path_ = dir_ + "/00000000";
    auto f = env_->NewWritableFile(path_);
    ASSERT_TRUE(f.ok());
    file_ = std::move(*f);
  }
  void TearDown() override { EXPECT_TRUE(env_->RemoveDirRecursively(dir_).ok()); }

  void Write(std::string_view bytes) {
    ASSERT_TRUE(file_->Append(bytes).ok());
    ASSERT_TRUE(file_->Flush().ok());
  }
  static std::string Frame(std::string_view record, tsdb::wal::Compression c = tsdb::wal::Compression::kNone) {
    std::string payload;
    tsdb::wal::CompressRecord(c, record, &payload);
    std::string out;
    tsdb::wal::AppendFrame(payload, &out);
    return out;
  }
  // Reads what is there; returns the records and their end offsets.
  std::vector<std::pair<std::string, uint64_t>> ReadAll(LiveSegmentReader* r) {
    std::vector<std::pair<std::string, uint64_t>> out;
    Status st = r->ReadAvailable([&](const LiveRecord& rec) {
      EXPECT_FALSE(rec.undecodable);
      out.emplace_back(std::string(rec.data), rec.end);
      return Status::OK();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }

  Env* env_ = Env::Default();
  std::string dir_, path_;
  std::unique_ptr<WritableFile> file_;
};

TEST_F(LiveSegmentReaderTest, TornFrameWaitsForItsRest) {
  auto reader = LiveSegmentReader::Open(env_, path_);
  ASSERT_TRUE(reader.ok());
  LiveSegmentReader* r = reader->get();
  EXPECT_TRUE(ReadAll(r).empty());  // empty file: nothing yet, not an error
  const std::string header = tsdb::wal::SegmentHeader();
  Write(header.substr(0, 3));  // a torn header waits too
  EXPECT_TRUE(ReadAll(r).empty());
  Write(header.substr(3));
  const std::string first = Frame("\x02record one");
  const std::string second = Frame(std::string(3000, 'x'), tsdb::wal::Compression::kSnappy);
  Write(first);
  Write(second.substr(0, second.size() / 2));
  auto got = ReadAll(r);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "\x02record one");
  EXPECT_EQ(got[0].second, header.size() + first.size());
  EXPECT_EQ(r->pending_bytes(), second.size() / 2);
  EXPECT_TRUE(r->damage().empty());
  Write(second.substr(second.size() / 2));
  got = ReadAll(r);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, std::string(3000, 'x'));  // decompressed
  EXPECT_EQ(got[0].second, header.size() + first.size() + second.size());
  EXPECT_EQ(r->offset(), got[0].second);
  EXPECT_EQ(r->pending_bytes(), 0u);
}

TEST_F(LiveSegmentReaderTest, DamageStopsUntilRewind) {
  const std::string good = Frame("\x02good");
  std::string bad = Frame(
      "\x02"
      "bad!");
  bad.back() ^= 0x55;  // CRC mismatch
  Write(tsdb::wal::SegmentHeader() + good + bad);
  auto reader = LiveSegmentReader::Open(env_, path_);
  ASSERT_TRUE(reader.ok());
  LiveSegmentReader* r = reader->get();
  auto got = ReadAll(r);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(r->damage(), "record checksum mismatch");
  EXPECT_EQ(r->offset(), tsdb::wal::kSegmentHeaderSize + good.size());
  Write(Frame("\x02later"));
  EXPECT_TRUE(ReadAll(r).empty());  // still stuck on the damaged frame
  r->Rewind(r->offset() + bad.size());
  got = ReadAll(r);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "\x02later");
}

TEST_F(LiveSegmentReaderTest, SegmentWithoutHeader) {
  const std::string a = Frame("\x01series"), b = Frame("\x02samples");
  Write(a + b);
  auto reader = LiveSegmentReader::Open(env_, path_);
  ASSERT_TRUE(reader.ok());
  auto got = ReadAll(reader->get());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].second, a.size() + b.size());
}

}  // namespace
}  // namespace promethium::remote
