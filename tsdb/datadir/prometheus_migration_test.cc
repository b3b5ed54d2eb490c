// Opening a real Prometheus 2.42 data directory in place: every sample
// promtool dumps is served, Prometheus's blocks stay byte for byte as they
// were, its head is taken over once (and only once the data is in our WAL
// are its files removed), and a crash at any step of that loses nothing.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <set>
#include <sstream>
#include <tuple>

#include "tsdb/api/matcher.h"
#include "tsdb/block/block_meta.h"
#include "tsdb/datadir/data_dir_survey.h"
#include "tsdb/datadir/datadir_test_util.h"
#include "tsdb/datadir/prometheus_head_migration.h"
#include "tsdb/db.h"
#include "tsdb/encoding/crc32c.h"
#include "tsdb/wal/fault_env_for_test.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/wal_reader.h"

namespace promethium::tsdb {
namespace {

using datadir_test::DescribeChanges;
using datadir_test::Fingerprint;
using datadir_test::PrometheusFixture;
using datadir_test::PrometheusFixtureDump;
using datadir_test::ReadAll;
using datadir_test::ScratchDir;
using datadir_test::TestOptions;
namespace fs = std::filesystem;

// One sample as promtool prints it: labels text, timestamp, value bits
// (every NaN folded into one, since promtool prints them all as "NaN").
using DumpSample = std::tuple<std::string, int64_t, uint64_t>;

uint64_t Bits(double v) { return std::isnan(v) ? 0x7ff8000000000000ull : std::bit_cast<uint64_t>(v); }

std::set<DumpSample> ParseDump(const std::string& text) {
  std::set<DumpSample> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    const size_t ts_at = line.rfind(' ');
    const size_t v_at = line.rfind(' ', ts_at - 1);
    out.emplace(line.substr(0, v_at), std::stoll(line.substr(ts_at + 1)),
                Bits(std::strtod(line.substr(v_at + 1, ts_at - v_at - 1).c_str(), nullptr)));
  }
  return out;
}

std::set<DumpSample> QueryAll(DB* db) {
  std::set<DumpSample> out;
  auto q = db->NewQuerier(kMinTime, kMaxTime);
  EXPECT_TRUE(q.ok());
  auto set = (*q)->Select(true, nullptr, {*Matcher::Make(MatchType::kRegexMatch, "__name__", ".+")});
  while (set->Next()) {
    const std::string labels = set->At().labels().ToString();
    auto it = set->At().Iterator(nullptr);
    while (it->Next() != ValueType::kNone) out.emplace(labels, it->At().t, Bits(it->At().v));
    EXPECT_TRUE(it->Err().ok()) << it->Err().ToString();
  }
  EXPECT_TRUE(set->Err().ok()) << set->Err().ToString();
  return out;
}

// The fingerprint of the Prometheus blocks only.
std::map<std::string, std::string> BlockFiles(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& [path, bytes] : Fingerprint(dir)) {
    if (path.starts_with("01M")) out[path] = bytes;
  }
  return out;
}

class PrometheusMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy(PrometheusFixture(), dir_.path(), fs::copy_options::recursive);
    expected_ = ParseDump(ReadAll(PrometheusFixtureDump()));
    ASSERT_GT(expected_.size(), 1000u);
    blocks_before_ = BlockFiles(dir_.path());
    ASSERT_EQ(blocks_before_.size(), 6u * 6u);  // 6 blocks: dir, chunks/, chunks/000001, index, meta, tombstones
  }

  ScratchDir dir_;
  std::set<DumpSample> expected_;
  std::map<std::string, std::string> blocks_before_;
};

TEST_F(PrometheusMigrationTest, ServesEverySamplePromtoolDumpsAndKeepsItAcrossRestarts) {
  {
    auto db = DB::Open(dir_.path(), TestOptions(), nullptr);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ((*db)->Blocks().size(), 6u);
    EXPECT_EQ(QueryAll(db->get()), expected_);
  }
  // Prometheus's blocks are read in place, never rewritten.
  EXPECT_EQ(DescribeChanges(blocks_before_, BlockFiles(dir_.path())), "");
  // Its head was taken over: our WAL now, its own files gone.
  auto survey = SurveyDataDir(Env::Default(), dir_.path());
  ASSERT_TRUE(survey.ok());
  EXPECT_EQ(survey->wal, FileOwner::kPromethium);
  EXPECT_FALSE(survey->HasPrometheusHead());
  EXPECT_FALSE(fs::exists(dir_.path() + "/wbl"));
  EXPECT_FALSE(fs::exists(dir_.path() + "/" + kMigratedPrometheusWalDir));
  EXPECT_FALSE(fs::exists(dir_.path() + "/" + kMigrationTmpWalDir));
  for (const auto& e : fs::directory_iterator(dir_.path())) {
    EXPECT_FALSE(e.path().filename().string().starts_with("chunk_snapshot.")) << e.path();
  }
  // A second start replays our own WAL: the same data.
  auto again = DB::Open(dir_.path(), TestOptions(), nullptr);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(QueryAll(again->get()), expected_);
}

TEST_F(PrometheusMigrationTest, DeletionOnAPrometheusBlockWritesPrometheusTombstones) {
  auto db = DB::Open(dir_.path(), TestOptions(), nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const Matchers victim = {*Matcher::Make(MatchType::kEqual, "__name__", "up")};
  ASSERT_TRUE((*db)->Delete(kMinTime, kMaxTime, victim).ok());
  std::set<DumpSample> want;
  for (const auto& s : expected_) {
    if (!std::get<0>(s).starts_with("{__name__=\"up\"")) want.insert(s);
  }
  ASSERT_LT(want.size(), expected_.size());
  EXPECT_EQ(QueryAll(db->get()), want);
  // The tombstones of a Prometheus block are in Prometheus's format
  // (magic 0x0130BA30), so Prometheus itself can still open the block.
  const std::string stones = ReadAll(dir_.path() + "/" + (*db)->Blocks()[0].ulid + "/tombstones");
  ASSERT_GE(stones.size(), 5u);
  EXPECT_EQ(stones.substr(0, 4), std::string("\x01\x30\xba\x30", 4));
  db->reset();
  auto again = DB::Open(dir_.path(), TestOptions(), nullptr);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(QueryAll(again->get()), want);
}

TEST_F(PrometheusMigrationTest, ACrashAtAnyStepLosesNothing) {
  // Count the mutating steps of a whole first start, then crash after each.
  int64_t total = 0;
  {
    ScratchDir probe_dir_holder;
    fs::copy(PrometheusFixture(), probe_dir_holder.path(), fs::copy_options::recursive);
    wal::FaultInjectionEnv env(Env::Default());
    env.SetCrashAfter(int64_t{1} << 40);
    DBOptions opts = TestOptions();
    opts.env = &env;
    auto db = DB::Open(probe_dir_holder.path(), opts, nullptr);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    total = env.mutations();
  }
  ASSERT_GT(total, 10);
  // Every step up to the end of the takeover and the first WAL segment.
  for (int64_t n = 0; n <= total; n += std::max<int64_t>(1, total / 60)) {
    fs::remove_all(dir_.path());
    fs::copy(PrometheusFixture(), dir_.path(), fs::copy_options::recursive);
    {
      wal::FaultInjectionEnv env(Env::Default());
      env.SetCrashAfter(n);
      DBOptions opts = TestOptions();
      opts.env = &env;
      auto crashed = DB::Open(dir_.path(), opts, nullptr);
      (void)crashed;
    }
    auto db = DB::Open(dir_.path(), TestOptions(), nullptr);
    ASSERT_TRUE(db.ok()) << "crash after " << n << " steps: " << db.status().ToString();
    EXPECT_EQ(QueryAll(db->get()), expected_) << "crash after " << n << " steps";
    EXPECT_EQ(DescribeChanges(blocks_before_, BlockFiles(dir_.path())), "") << "crash after " << n << " steps";
  }
}

// The WAL a real Prometheus 2.42 wrote with native histograms
// (prometheus_format/testdata/prometheus-2.42-histogram-wal): the takeover
// converts its histogram record into ours, every histogram kept.
TEST(PrometheusHistogramMigrationTest, HistogramSamplesBecomeOurHistogramRecords) {
  ScratchDir dir;
  const std::string fixture =
      std::string(PROMETHIUM_PROMETHEUS_WAL_FIXTURE) + "/../prometheus-2.42-histogram-wal/wal/00000000";
  fs::create_directories(dir.path() + "/wal");
  fs::copy_file(fixture, dir.path() + "/wal/00000000");
  auto survey = SurveyDataDir(Env::Default(), dir.path());
  ASSERT_TRUE(survey.ok()) << survey.status().ToString();
  ASSERT_EQ(survey->wal, FileOwner::kPrometheus);
  auto migrated = MigratePrometheusHead(Env::Default(), dir.path(), *survey, PrometheusHeadMigrationOptions{});
  ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
  EXPECT_TRUE(migrated->migrated);
  EXPECT_EQ(migrated->series, 2u);
  EXPECT_EQ(migrated->samples, 10u);  // histogram samples count as samples
  std::vector<wal::RefHistogramSample> all, some;
  auto replayed = wal::ReplayAndRepair(
      Env::Default(), dir.path() + "/wal",
      [&](std::string_view rec) -> Status {
        if (*wal::PeekRecordType(rec) != wal::RecordType::kHistogramSamples) return Status::OK();
        PROMETHIUM_RETURN_IF_ERROR(wal::DecodeHistogramSamples(rec, &some));
        all.insert(all.end(), some.begin(), some.end());
        return Status::OK();
      },
      nullptr);
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  ASSERT_EQ(all.size(), 10u);
  // The first sample of expected.txt there.
  EXPECT_EQ(all[0].t, 1699999200000);
  EXPECT_EQ(all[0].h.ToString(),
            "{count:12, sum:12.5, [-1.0905077326652577,-1):1, [-1e-128,1e-128]:2, "
            "(0.7711054127039704,0.8408964152537144]:1, (0.8408964152537144,0.9170040432046711]:3, "
            "(1.189207115002721,1.2968395546510096]:5}");
  EXPECT_EQ(all[1].h.counter_reset_hint, CounterResetHint::kGauge);
}

TEST_F(PrometheusMigrationTest, AnUnsupportedRecordLeavesPrometheusFilesUntouched) {
  // A v2 samples record (type 11, start timestamps) appended as a new last
  // segment: the takeover refuses by name and changes nothing of Prometheus's.
  std::string rec = "\x0b";
  rec += std::string(20, '\0');
  std::string frame;
  frame.push_back('\x01');  // a full record, uncompressed
  frame.push_back(static_cast<char>(rec.size() >> 8));
  frame.push_back(static_cast<char>(rec.size() & 0xff));
  const uint32_t crc = encoding::Crc32c(rec);
  for (int shift : {24, 16, 8, 0}) frame.push_back(static_cast<char>((crc >> shift) & 0xff));
  frame += rec;
  datadir_test::WriteAll(dir_.path() + "/wal/00000007", frame);
  const auto before = Fingerprint(dir_.path());
  auto db = DB::Open(dir_.path(), TestOptions(), nullptr);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Status::Code::kUnsupported) << db.status().ToString();
  EXPECT_NE(db.status().message().find("record type 11"), std::string::npos) << db.status().ToString();
  EXPECT_NE(db.status().message().find("nothing of Prometheus's was modified"), std::string::npos);
  EXPECT_EQ(DescribeChanges(before, Fingerprint(dir_.path())), "");
}

}  // namespace
}  // namespace promethium::tsdb

namespace promethium::tsdb {
namespace {

// The real Prometheus 2.42 WAL + WBL of tsdb/prometheus_format/testdata
// (see its README): in-order samples, a tombstone, a checkpoint, and 45
// out-of-order samples that are in the WBL and, as Prometheus logs them,
// in the WAL too.
std::string WalFixture() { return std::string(PROMETHIUM_PROMETHEUS_WAL_FIXTURE); }

// "name{a="b",c="d"}" as the fixture's expected.txt writes series.
std::string CompactLabels(const Labels& labels) {
  std::string name, rest;
  for (const Label& l : labels) {
    if (l.name == "__name__") {
      name = l.value;
      continue;
    }
    rest += (rest.empty() ? "" : ",") + l.name + "=\"" + l.value + "\"";
  }
  return name + "{" + rest + "}";
}

TEST(PrometheusWblTakeoverTest, OutOfOrderSamplesBecomeBlocksAndInOrderOnesStayInTheHead) {
  ScratchDir dir;
  fs::create_directories(dir.path());
  fs::copy(WalFixture() + "/wal", dir.path() + "/wal", fs::copy_options::recursive);
  fs::copy(WalFixture() + "/wbl", dir.path() + "/wbl", fs::copy_options::recursive);
  // What must be served: in-order samples from the checkpoint's cut on,
  // minus the deleted interval, plus every out-of-order sample.
  std::istringstream expected(ReadAll(WalFixture() + "/expected.txt"));
  std::set<std::tuple<std::string, int64_t, uint64_t>> want;
  int64_t mint = 0, del_from = 0, del_to = 0;
  std::string del_series, line;
  std::vector<std::tuple<std::string, std::string, double, int64_t>> rows;
  while (std::getline(expected, line)) {
    std::istringstream in(line);
    std::string kind, series, a, b;
    in >> kind >> series >> a >> b;
    if (kind == "checkpoint_mint") mint = std::stoll(series);
    if (kind == "tombstone") std::tie(del_series, del_from, del_to) = std::tuple(series, std::stoll(a), std::stoll(b));
    if (kind == "wal" || kind == "ooo") rows.emplace_back(kind, series, std::strtod(a.c_str(), nullptr), std::stoll(b));
  }
  ASSERT_GT(mint, 0);
  for (const auto& [kind, series, v, t] : rows) {
    if (kind == "wal" && t < mint) continue;
    if (series == del_series && t >= del_from && t <= del_to) continue;
    want.emplace(series, t, Bits(v));
  }
  auto db = DB::Open(dir.path(), TestOptions(), nullptr);  // out-of-order window 0
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  std::set<std::tuple<std::string, int64_t, uint64_t>> got;
  auto q = (*db)->NewQuerier(kMinTime, kMaxTime);
  ASSERT_TRUE(q.ok());
  auto set = (*q)->Select(true, nullptr, {*Matcher::Make(MatchType::kRegexMatch, "__name__", ".+")});
  while (set->Next()) {
    auto it = set->At().Iterator(nullptr);
    while (it->Next() != ValueType::kNone) got.emplace(CompactLabels(set->At().labels()), it->At().t, Bits(it->At().v));
  }
  EXPECT_EQ(got, want);
  // The out-of-order samples live in blocks marked as such, and the head
  // kept its in-order samples (the blocks did not raise its lower bound).
  int ooo_blocks = 0;
  for (const auto& b : (*db)->Blocks()) {
    const auto meta = ReadBlockMeta(Env::Default(), dir.path() + "/" + b.ulid);
    ASSERT_TRUE(meta.ok());
    EXPECT_TRUE(meta->compaction.FromOutOfOrder());
    ++ooo_blocks;
  }
  EXPECT_GE(ooo_blocks, 1);
  EXPECT_GT((*db)->Stats().num_series, 0u);
  EXPECT_FALSE(fs::exists(dir.path() + "/wbl"));
}

}  // namespace
}  // namespace promethium::tsdb
