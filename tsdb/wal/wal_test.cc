// Writer and reader of the segmented WAL: rollover, torn tails at every
// byte, CRC-detected corruption in the middle, and injected ENOSPC.
#include "tsdb/wal/wal.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tsdb/wal/fault_env_for_test.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/test_dir_for_test.h"
#include "tsdb/wal/wal_reader.h"

namespace promethium::tsdb::wal {
namespace {

// The payload length in the frame header at `off`.
size_t LoadLen(const std::string& s, size_t off) {
  size_t len = 0;
  for (int i = 0; i < 4; ++i) len |= size_t{static_cast<uint8_t>(s[off + i])} << (8 * i);
  return len;
}

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDirForTest("promethium_wal_test_");
    EXPECT_TRUE(env_->RemoveDirRecursively(dir_).ok());
  }
  void TearDown() override { EXPECT_TRUE(env_->RemoveDirRecursively(dir_).ok()); }

  // Record i: a recognisable payload of 20..119 bytes.
  static std::string Payload(int i) {
    std::string p = "record-" + std::to_string(i) + "-";
    p.resize(20 + static_cast<size_t>(i * 37) % 100, static_cast<char>('a' + i % 26));
    return p;
  }

  // Writes records [from, to) one batch each.
  void WriteRecords(Wal* w, int from, int to) {
    for (int i = from; i < to; ++i) {
      const std::string p = Payload(i);
      const std::string_view v = p;
      ASSERT_TRUE(w->Log({&v, 1}).ok()) << i;
    }
  }

  Result<ReplayResult> Replay(std::vector<std::string>* out, Counter* corruptions = nullptr) {
    out->clear();
    return ReplayAndRepair(
        env_, dir_,
        [out](std::string_view rec) {
          out->emplace_back(rec);
          return Status::OK();
        },
        corruptions);
  }

  void ExpectRecords(const std::vector<std::string>& got, int n) {
    ASSERT_EQ(got.size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) ASSERT_EQ(got[i], Payload(i)) << i;
  }

  std::string SegmentBytes(uint64_t index) { return *ReadFileToString(env_, SegmentPath(dir_, index)); }
  void WriteSegment(uint64_t index, std::string_view bytes) {
    auto f = env_->NewWritableFile(SegmentPath(dir_, index));
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(bytes).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }

  Env* env_ = Env::Default();
  std::string dir_;
};

TEST(WalSegment, Names) {
  EXPECT_EQ(SegmentName(0), "00000000");
  EXPECT_EQ(SegmentName(42), "00000042");
  uint64_t index = 0;
  ASSERT_TRUE(ParseSegmentName("00000042", &index));
  EXPECT_EQ(index, 42u);
  EXPECT_FALSE(ParseSegmentName("0000042", &index));
  EXPECT_FALSE(ParseSegmentName("checkpoint.00000001", &index));
  EXPECT_FALSE(ParseSegmentName("0000004a", &index));
}

TEST_F(WalTest, SegmentsRollOverAndReplayInOrder) {
  WalOptions opts;
  opts.compression = Compression::kNone;  // these tests reason about plain frame sizes
  opts.segment_size = 1024;
  {
    auto w = Wal::Open(env_, dir_, opts, nullptr, 0);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    WriteRecords(w->get(), 0, 100);
    EXPECT_GT((*w)->CurrentSegment(), 3u);
    ASSERT_TRUE((*w)->Close().ok());
  }
  auto segments = ListSegments(env_, dir_);
  ASSERT_TRUE(segments.ok());
  ASSERT_GT(segments->size(), 4u);
  for (size_t i = 0; i < segments->size(); ++i) {
    EXPECT_EQ((*segments)[i], i);
    EXPECT_LE(*env_->GetFileSize(SegmentPath(dir_, i)), 1024u);
  }
  std::vector<std::string> got;
  auto r = Replay(&got);
  ASSERT_TRUE(r.ok());
  ExpectRecords(got, 100);
  EXPECT_FALSE(r->repaired);
  EXPECT_EQ(r->segments, segments->size());
  EXPECT_EQ(r->next_segment, segments->size());
}

TEST_F(WalTest, BatchLargerThanASegmentGetsItsOwn) {
  WalOptions opts;
  opts.compression = Compression::kNone;  // these tests reason about plain frame sizes
  opts.segment_size = 256;
  auto w = Wal::Open(env_, dir_, opts, nullptr, 0);
  ASSERT_TRUE(w.ok());
  WriteRecords(w->get(), 0, 2);
  const std::string big(5000, 'x');
  const std::string small = "tail";
  const std::string_view batch[] = {big, small};
  ASSERT_TRUE((*w)->Log(batch).ok());
  ASSERT_TRUE((*w)->Close().ok());
  std::vector<std::string> got;
  ASSERT_TRUE(Replay(&got).ok());
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[2], big);
  EXPECT_EQ(got[3], small);
}

// The segment reader starts with a small read buffer and grows it: records
// that straddle every read boundary, and records larger than the largest
// read, come back whole.
TEST_F(WalTest, RecordsStraddlingReadBuffersReplayWhole) {
  WalOptions opts;
  opts.compression = Compression::kNone;
  opts.segment_size = 64 * 1024 * 1024;
  std::vector<std::string> want;
  {
    auto w = Wal::Open(env_, dir_, opts, nullptr, 0);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    // Sizes around 64 KiB, 128 KiB, ... and one of 3 MiB, each record's
    // bytes distinct so a misplaced byte shows.
    for (size_t size : {size_t{65535}, size_t{65536}, size_t{100}, size_t{131071}, size_t{3} << 20, size_t{7},
                        size_t{1} << 20, size_t{300000}}) {
      std::string p(size, '\0');
      for (size_t i = 0; i < size; ++i) p[i] = static_cast<char>((i * 131 + want.size()) & 0xff);
      const std::string_view v = p;
      ASSERT_TRUE((*w)->Log({&v, 1}).ok());
      want.push_back(std::move(p));
    }
    ASSERT_TRUE((*w)->Close().ok());
  }
  std::vector<std::string> got;
  auto r = Replay(&got);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->repaired);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_TRUE(got[i] == want[i]) << "record " << i;
}

TEST_F(WalTest, TornTailAtEveryByteReplaysEverythingBefore) {
  WalOptions opts;
  opts.compression = Compression::kNone;  // these tests reason about plain frame sizes
  opts.segment_size = 512;
  uint64_t last_segment = 0;
  {
    auto w = Wal::Open(env_, dir_, opts, nullptr, 0);
    ASSERT_TRUE(w.ok());
    WriteRecords(w->get(), 0, 20);
    last_segment = (*w)->CurrentSegment();
    ASSERT_GT(last_segment, 0u);
    ASSERT_TRUE((*w)->Close().ok());
  }
  const std::string full = SegmentBytes(last_segment);
  const size_t last_len = kFrameHeaderSize + Payload(19).size();
  ASSERT_GE(full.size(), last_len);
  const size_t start = full.size() - last_len;
  for (size_t cut = start; cut < full.size(); ++cut) {
    WriteSegment(last_segment, std::string_view(full).substr(0, cut));
    std::vector<std::string> got;
    auto r = Replay(&got);
    ASSERT_TRUE(r.ok()) << cut << ": " << r.status().ToString();
    ExpectRecords(got, 19);
    EXPECT_EQ(r->repaired, cut > start) << cut;
    EXPECT_EQ(*env_->GetFileSize(SegmentPath(dir_, last_segment)), start) << cut;
    EXPECT_EQ(r->next_segment, last_segment + 1);
  }
  // Start-up continues: a writer after the repaired WAL appends, and a
  // second replay sees old and new records.
  auto w = Wal::Open(env_, dir_, opts, nullptr, last_segment + 1);
  ASSERT_TRUE(w.ok());
  WriteRecords(w->get(), 19, 25);
  ASSERT_TRUE((*w)->Close().ok());
  std::vector<std::string> got;
  auto r = Replay(&got);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->repaired);
  ExpectRecords(got, 25);
}

TEST_F(WalTest, CorruptByteInTheMiddleDropsTheRest) {
  WalOptions opts;
  opts.compression = Compression::kNone;  // these tests reason about plain frame sizes
  opts.segment_size = 512;
  {
    auto w = Wal::Open(env_, dir_, opts, nullptr, 0);
    ASSERT_TRUE(w.ok());
    WriteRecords(w->get(), 0, 40);
    ASSERT_GE((*w)->CurrentSegment(), 3u);
    ASSERT_TRUE((*w)->Close().ok());
  }
  const uint64_t segments_before = ListSegments(env_, dir_)->size();
  // Find record boundaries in segment 1 and flip a payload byte of its
  // second record.
  std::string seg1 = SegmentBytes(1);
  std::vector<std::string> all;
  ASSERT_TRUE(Replay(&all).ok());
  // Frames start after the segment header.
  const size_t first_end = kSegmentHeaderSize + kFrameHeaderSize + LoadLen(seg1, kSegmentHeaderSize);
  const size_t second_len = kFrameHeaderSize + LoadLen(seg1, first_end);
  ASSERT_LT(first_end + second_len, seg1.size());
  seg1[first_end + kFrameHeaderSize + 3] ^= 0x10;
  WriteSegment(1, seg1);
  const size_t records_in_seg0 = [&] {
    size_t n = 0;
    const std::string seg0 = SegmentBytes(0);
    for (size_t off = kSegmentHeaderSize; off < seg0.size(); off += kFrameHeaderSize + LoadLen(seg0, off)) ++n;
    return n;
  }();

  MetricsRegistry metrics;
  Counter* corruptions = metrics.GetCounter("prometheus_tsdb_wal_corruptions_total", "help");
  std::vector<std::string> got;
  ::testing::internal::CaptureStderr();
  auto r = Replay(&got, corruptions);
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->repaired);
  EXPECT_EQ(corruptions->Value(), 1.0);
  ExpectRecords(got, static_cast<int>(records_in_seg0 + 1));
  EXPECT_NE(log.find("level=warn"), std::string::npos) << log;
  EXPECT_NE(log.find(SegmentPath(dir_, 1) + " at offset " + std::to_string(first_end)), std::string::npos) << log;
  EXPECT_NE(log.find("checksum mismatch"), std::string::npos) << log;
  // The segment ends at the last good record; later segments are gone.
  EXPECT_EQ(*env_->GetFileSize(SegmentPath(dir_, 1)), first_end);
  EXPECT_GT(segments_before, 2u);
  EXPECT_EQ(ListSegments(env_, dir_)->size(), 2u);
  EXPECT_EQ(r->next_segment, 2u);
}

TEST_F(WalTest, GapInSegmentsFailsLoudly) {
  auto w = Wal::Open(env_, dir_, WalOptions{}, nullptr, 0);
  ASSERT_TRUE(w.ok());
  WriteRecords(w->get(), 0, 1);
  ASSERT_TRUE((*w)->Close().ok());
  WriteSegment(2, "");
  std::vector<std::string> got;
  auto r = Replay(&got);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_NE(r.status().message().find("not sequential"), std::string::npos);
}

TEST_F(WalTest, FailedWriteLeavesNoTraceAndRecovers) {
  FaultInjectionEnv fault(env_);
  MetricsRegistry metrics;
  auto w = Wal::Open(&fault, dir_, WalOptions{}, &metrics, 0);
  ASSERT_TRUE(w.ok());
  WriteRecords(w->get(), 0, 5);
  const uint64_t size_before = *env_->GetFileSize(SegmentPath(dir_, 0));
  fault.SetWriteBudget(7);  // a torn write: 7 bytes land, then ENOSPC
  const std::string lost = "this batch must vanish";
  const std::string_view v = lost;
  Status st = (*w)->Log({&v, 1});
  EXPECT_EQ(st.code(), Status::Code::kIOError) << st.ToString();
  EXPECT_EQ(*env_->GetFileSize(SegmentPath(dir_, 0)), size_before);
  EXPECT_NE(metrics.RenderText().find("prometheus_tsdb_wal_writes_failed_total 1"), std::string::npos);
  fault.ClearFaults();
  WriteRecords(w->get(), 5, 10);
  ASSERT_TRUE((*w)->Close().ok());
  std::vector<std::string> got;
  auto r = Replay(&got);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->repaired);
  ExpectRecords(got, 10);
}

TEST_F(WalTest, RandomENOSPCKeepsExactlyTheSuccessfulBatches) {
  FaultInjectionEnv fault(env_);
  WalOptions opts;
  opts.compression = Compression::kNone;  // these tests reason about plain frame sizes
  opts.segment_size = 300;                // cuts happen between, and right before, failures
  std::vector<std::string> written;
  {
    auto w = Wal::Open(&fault, dir_, opts, nullptr, 0);
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 200; ++i) {
      fault.SetWriteBudget(i % 3 == 0 ? (i * 7) % 90 : -1);  // every third write may tear
      const std::string p = Payload(i);
      const std::string_view v = p;
      Status st = (*w)->Log({&v, 1});
      if (st.ok()) {
        written.push_back(p);
      } else {
        EXPECT_EQ(st.code(), Status::Code::kIOError);
      }
      fault.ClearFaults();
    }
    fault.SetWriteBudget(3);  // a failure right before shutdown
    const std::string last = "torn at close";
    const std::string_view v = last;
    EXPECT_FALSE((*w)->Log({&v, 1}).ok());
    fault.ClearFaults();
    ASSERT_TRUE((*w)->Close().ok());
  }
  ASSERT_GT(written.size(), 100u);
  ASSERT_LT(written.size(), 200u);
  std::vector<std::string> got;
  auto r = Replay(&got);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->repaired);
  EXPECT_EQ(got, written);
}

TEST_F(WalTest, FailedSyncOnCommitFailsTheWrite) {
  FaultInjectionEnv fault(env_);
  WalOptions opts;
  opts.compression = Compression::kNone;  // these tests reason about plain frame sizes
  opts.sync = SyncPolicy::kOnCommit;
  auto w = Wal::Open(&fault, dir_, opts, nullptr, 0);
  ASSERT_TRUE(w.ok());
  WriteRecords(w->get(), 0, 3);
  fault.SetFailSync(true);
  const std::string lost = "not durable";
  const std::string_view v = lost;
  EXPECT_EQ((*w)->Log({&v, 1}).code(), Status::Code::kIOError);
  fault.ClearFaults();
  WriteRecords(w->get(), 3, 6);
  ASSERT_TRUE((*w)->Close().ok());
  std::vector<std::string> got;
  ASSERT_TRUE(Replay(&got).ok());
  ExpectRecords(got, 6);
}

TEST_F(WalTest, IntervalPolicySyncsInTheBackground) {
  MetricsRegistry metrics;
  WalOptions opts;
  opts.compression = Compression::kNone;  // these tests reason about plain frame sizes
  opts.sync = SyncPolicy::kInterval;
  opts.sync_interval_ms = 5;
  auto w = Wal::Open(env_, dir_, opts, &metrics, 0);
  ASSERT_TRUE(w.ok());
  WriteRecords(w->get(), 0, 3);
  bool synced = false;
  for (int i = 0; i < 500 && !synced; ++i) {  // bounded: at most ~5 s
    synced = metrics.RenderText().find("prometheus_tsdb_wal_fsync_duration_seconds_count 1") != std::string::npos;
    if (!synced) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(synced);
  ASSERT_TRUE((*w)->Close().ok());
}

TEST_F(WalTest, OpenRefusesToOverwriteExistingSegments) {
  auto w = Wal::Open(env_, dir_, WalOptions{}, nullptr, 0);
  ASSERT_TRUE(w.ok());
  WriteRecords(w->get(), 0, 1);
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_FALSE(Wal::Open(env_, dir_, WalOptions{}, nullptr, 0).ok());
  EXPECT_TRUE(Wal::Open(env_, dir_, WalOptions{}, nullptr, 1).ok());
}

}  // namespace
}  // namespace promethium::tsdb::wal
