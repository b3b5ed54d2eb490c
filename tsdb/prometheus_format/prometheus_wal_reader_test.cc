// Reading Prometheus's WAL, checkpoints and WBL: a real Prometheus 2.42 WAL
// (testdata/prometheus-2.42-wal, made by testdata/make_wal_fixture.sh) must
// replay to exactly the samples pushed into it; hand-built segments cover
// multi-page records, padding, compression, torn tails, corruption, gaps,
// checkpoint selection and the record types we refuse. Every read goes
// through an Env that refuses writes, and every file is compared before and
// after.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>
#include <tuple>

#include "tsdb/prometheus_format/prometheus_wal_for_test.h"
#include "tsdb/prometheus_format/wal_reader.h"
#include "tsdb/prometheus_format/wal_records.h"
#include "tsdb/prometheus_format/wlog_reader.h"
#include "tsdb/wal/segment.h"

#ifndef PROMETHEUS_WAL_FIXTURE_DIR
#error "PROMETHEUS_WAL_FIXTURE_DIR must name testdata/prometheus-2.42-wal"
#endif

namespace promethium::tsdb::prometheus_format {
namespace {

using SampleKey = std::tuple<std::string, int64_t, uint64_t>;  // labels, t, value bits

class CollectingVisitor : public PrometheusWalVisitor {
 public:
  Status OnSeries(std::span<const wal::RefSeries> s) override {
    series.insert(series.end(), s.begin(), s.end());
    return Status::OK();
  }
  Status OnSamples(std::span<const wal::RefSample> s) override {
    samples.insert(samples.end(), s.begin(), s.end());
    return fail_samples;
  }
  Status OnTombstones(std::span<const wal::Tombstone> t) override {
    tombstones.insert(tombstones.end(), t.begin(), t.end());
    return Status::OK();
  }
  Status OnExemplars(std::span<const wal::RefExemplar> e) override {
    exemplars.insert(exemplars.end(), e.begin(), e.end());
    return Status::OK();
  }
  std::map<uint64_t, std::string> Names() const {
    std::map<uint64_t, std::string> out;
    for (const auto& s : series) out[s.ref] = s.labels.ToString();
    return out;
  }

  std::vector<wal::RefSeries> series;
  std::vector<wal::RefSample> samples;
  std::vector<wal::Tombstone> tombstones;
  std::vector<wal::RefExemplar> exemplars;
  Status fail_samples;
};

// ---- the real Prometheus 2.42 fixture --------------------------------------

const std::string kFixture = PROMETHEUS_WAL_FIXTURE_DIR;

// name{a="b",c="d"} (no escapes: the fixture's selectors have none).
Labels ParseSelector(std::string_view sel) {
  std::vector<Label> labels;
  const size_t brace = sel.find('{');
  labels.push_back({"__name__", std::string(sel.substr(0, brace))});
  std::string_view rest = sel.substr(brace + 1, sel.size() - brace - 2);
  while (!rest.empty()) {
    const size_t eq = rest.find("=\"");
    const size_t close = rest.find('"', eq + 2);
    labels.push_back({std::string(rest.substr(0, eq)), std::string(rest.substr(eq + 2, close - eq - 2))});
    rest.remove_prefix(std::min(rest.size(), close + 2));  // past '"' and ','
  }
  return Labels::FromVector(std::move(labels));
}

struct Expected {
  std::multiset<SampleKey> wal, ooo;
  std::multiset<std::tuple<std::string, int64_t, int64_t>> tombstones;
  std::set<std::string> series;
  int64_t checkpoint_mint = 0;
};

Expected LoadExpected() {
  Expected e;
  Result<std::string> text = ReadFileToString(Env::Default(), kFixture + "/expected.txt");
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  std::istringstream in(text.ok() ? *text : "");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string kind, selector, a, b;
    fields >> kind >> selector >> a >> b;
    if (kind == "checkpoint_mint") {
      e.checkpoint_mint = std::stoll(selector);
      continue;
    }
    const std::string labels = ParseSelector(selector).ToString();
    if (kind == "tombstone") {
      e.tombstones.emplace(labels, std::stoll(a), std::stoll(b));
      continue;
    }
    const SampleKey key{labels, std::stoll(b), std::bit_cast<uint64_t>(std::strtod(a.c_str(), nullptr))};
    (kind == "wal" ? e.wal : e.ooo).insert(key);
    e.series.insert(labels);
  }
  return e;
}

std::multiset<SampleKey> SampleSet(const std::vector<wal::RefSample>& samples,
                                   const std::map<uint64_t, std::string>& names) {
  std::multiset<SampleKey> out;
  for (const auto& s : samples) {
    auto it = names.find(s.ref);
    out.emplace(it == names.end() ? "<unknown ref " + std::to_string(s.ref) + ">" : it->second, s.t,
                std::bit_cast<uint64_t>(s.v));
  }
  return out;
}

TEST(PrometheusWalFixtureTest, ReplaysTheRealWalExactly) {
  const Expected want = LoadExpected();
  ASSERT_EQ(want.series.size(), 3u);
  ASSERT_EQ(want.wal.size() + want.ooo.size(), 3u * 46 + 45);
  const auto before = SnapshotTree(kFixture);
  ReadOnlyCheckEnv env(Env::Default());
  CollectingVisitor v;
  Result<PrometheusWalReadStats> stats = ReadPrometheusWal(&env, kFixture + "/wal", &v);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();

  EXPECT_EQ(stats->checkpoint_index, 1);
  EXPECT_EQ(stats->checkpoint_segments, 1u);
  EXPECT_EQ(stats->segments_read, 3u);  // 00000002 (empty), 00000003, 00000004
  EXPECT_EQ(stats->first_segment, 2);
  EXPECT_EQ(stats->last_segment, 4);
  EXPECT_EQ(stats->torn_tail, "");
  EXPECT_EQ(stats->metadata_records_skipped + stats->mmap_marker_records_skipped, 0u);

  const auto names = v.Names();
  EXPECT_EQ(names.size(), v.series.size()) << "series refs must be unique";
  std::set<std::string> series;
  for (const auto& [ref, labels] : names) series.insert(labels);
  EXPECT_EQ(series, want.series);

  // The checkpoint kept samples at or after its mint; every sample is in the
  // WAL, out-of-order ones included (Prometheus logs them to both).
  std::multiset<SampleKey> want_samples = want.ooo;
  size_t dropped = 0;
  for (const SampleKey& k : want.wal) {
    if (std::get<1>(k) >= want.checkpoint_mint) {
      want_samples.insert(k);
    } else {
      ++dropped;
    }
  }
  EXPECT_EQ(dropped, 3u * 24);  // k = 0..23 went to the block, not the checkpoint
  EXPECT_EQ(SampleSet(v.samples, names), want_samples);
  EXPECT_EQ(stats->samples, v.samples.size());

  std::multiset<std::tuple<std::string, int64_t, int64_t>> tombstones;
  for (const auto& t : v.tombstones) tombstones.emplace(names.at(t.ref), t.mint, t.maxt);
  EXPECT_EQ(tombstones, want.tombstones);
  EXPECT_EQ(env.mutations(), 0);
  EXPECT_EQ(SnapshotTree(kFixture), before);
}

TEST(PrometheusWalFixtureTest, ReplaysTheRealWblExactly) {
  const Expected want = LoadExpected();
  CollectingVisitor wal_visitor;
  ASSERT_TRUE(ReadPrometheusWal(Env::Default(), kFixture + "/wal", &wal_visitor).ok());
  const auto before = SnapshotTree(kFixture);
  ReadOnlyCheckEnv env(Env::Default());
  CollectingVisitor v;
  Result<PrometheusWalReadStats> stats = ReadPrometheusWbl(&env, kFixture + "/wbl", &v);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->checkpoint_index, -1);
  EXPECT_EQ(stats->segments_read, 1u);
  EXPECT_EQ(stats->torn_tail, "");
  EXPECT_EQ(stats->mmap_marker_records_skipped, 2u);
  EXPECT_EQ(stats->sample_records, 2u);
  EXPECT_TRUE(v.series.empty());
  // WBL refs are the WAL's refs.
  EXPECT_EQ(SampleSet(v.samples, wal_visitor.Names()), want.ooo);
  EXPECT_EQ(env.mutations(), 0);
  EXPECT_EQ(SnapshotTree(kFixture), before);
}

TEST(PrometheusWalProbeTest, RealPrometheusSegmentsPass) {
  for (const char* rel : {"wal/checkpoint.00000001/00000000", "wal/00000003", "wal/00000004", "wbl/00000004"}) {
    Result<std::string> bytes = ReadFileToString(Env::Default(), kFixture + "/" + rel);
    ASSERT_TRUE(bytes.ok()) << rel;
    EXPECT_TRUE(ProbePrometheusWalSegment(std::string_view(*bytes).substr(0, kWlogPageSize))) << rel;
  }
}

TEST(PrometheusWalProbeTest, OurOwnFramingNeverPasses) {
  // A payload of 257 bytes makes our frame's first byte 0x01: it looks like a
  // full Prometheus fragment of 256 bytes, so only the CRC can reject it.
  std::string ours;
  wal::AppendFrame(std::string(257, 'x'), &ours);
  ASSERT_EQ(static_cast<uint8_t>(ours[0]), 0x01);
  EXPECT_FALSE(ProbePrometheusWalSegment(ours));
  // A real record of ours, framed.
  std::string rec;
  const wal::RefSample s[] = {{1, 1000, 1.5}, {2, 1000, 2.5}};
  wal::EncodeSamples(s, &rec);
  std::string framed;
  wal::AppendFrame(rec, &framed);
  EXPECT_FALSE(ProbePrometheusWalSegment(framed));
  // Segments that open with our "PWAL" header: 'P' (0x50) sets an unused bit.
  EXPECT_FALSE(ProbePrometheusWalSegment(std::string("PWAL\x01\0\0\0", 8) + framed));
}

TEST(PrometheusWalProbeTest, RejectsWhatPrometheusNeverWrites) {
  const std::string data = PromSamplesRecord(std::vector<wal::RefSample>{{1, 1000, 1.0}});
  EXPECT_TRUE(ProbePrometheusWalSegment(PromFragment(0x01, data)));
  EXPECT_TRUE(ProbePrometheusWalSegment(PromFragment(0x09, CompressForTest(TestCodec::kSnappy, data))));
  EXPECT_FALSE(ProbePrometheusWalSegment(""));
  EXPECT_FALSE(ProbePrometheusWalSegment(std::string(kWlogPageSize, '\0')));
  EXPECT_FALSE(ProbePrometheusWalSegment(PromFragment(0x01, data).substr(0, 10)));  // cut short
  EXPECT_FALSE(ProbePrometheusWalSegment(PromFragment(0x02, data)));  // a first fragment must fill the page
  EXPECT_FALSE(ProbePrometheusWalSegment(PromFragment(0x03, data)));  // a segment cannot open mid-record
  EXPECT_FALSE(ProbePrometheusWalSegment(PromFragment(0x19, data)));  // both compression flags
  EXPECT_FALSE(ProbePrometheusWalSegment(PromFragment(0x21, data)));  // unused bit
  std::string bad_crc = PromFragment(0x01, data);
  bad_crc.back() ^= 1;
  EXPECT_FALSE(ProbePrometheusWalSegment(bad_crc));
  PromSegmentBuilder big;
  big.Log(std::string(40000, 'y'));
  const std::string two_pages = big.Finish(true);
  ASSERT_EQ(big.fragments()[0].kind, 2);
  EXPECT_TRUE(ProbePrometheusWalSegment(std::string_view(two_pages).substr(0, kWlogPageSize)));
}

// ---- hand-built segments ----------------------------------------------------

// A per-test scratch directory, one level under the temp dir even for
// parameterized tests (whose names hold '/').
std::string ScratchDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "_" + info->name();
  std::replace(name.begin(), name.end(), '/', '_');
  return (std::filesystem::temp_directory_path() / fmt::format("promethium_prom_wal_test_{}_{}", name, ::getpid()))
      .string();
}

class PromWalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ScratchDir();
    EXPECT_TRUE(env_->RemoveDirRecursively(root_).ok());
    ASSERT_TRUE(env_->CreateDirs(wal_dir()).ok());
  }
  void TearDown() override { EXPECT_TRUE(env_->RemoveDirRecursively(root_).ok()); }

  std::string wal_dir() const { return root_ + "/wal"; }
  std::string Path(const std::string& rel) const { return wal_dir() + "/" + rel; }
  void Put(const std::string& rel, std::string_view bytes) {
    const std::string path = Path(rel);
    ASSERT_TRUE(env_->CreateDirs(path.substr(0, path.rfind('/'))).ok());
    ASSERT_TRUE(WriteFileForTest(env_, path, bytes).ok()) << path;
  }
  // Reads wal_dir() (or, as a WBL, `dir`) through an Env that refuses
  // writes, and checks that no byte under root_ changed.
  Result<PrometheusWalReadStats> Read(CollectingVisitor* v, bool as_wbl = false) {
    const auto before = SnapshotTree(root_);
    ReadOnlyCheckEnv env(env_);
    Result<PrometheusWalReadStats> r =
        as_wbl ? ReadPrometheusWbl(&env, wal_dir(), v) : ReadPrometheusWal(&env, wal_dir(), v);
    EXPECT_EQ(env.mutations(), 0);
    EXPECT_EQ(SnapshotTree(root_), before) << "a read changed the files";
    return r;
  }

  Env* env_ = Env::Default();
  std::string root_;
};

std::vector<wal::RefSample> Samples(uint64_t ref, int64_t t0, int n) {
  std::vector<wal::RefSample> out;
  for (int i = 0; i < n; ++i) out.push_back({ref + static_cast<uint64_t>(i % 3), t0 + i * 15000, i * 0.5});
  return out;
}

std::string SeriesRecord(uint64_t ref, std::string_view value) {
  wal::RefSeries s{ref, Labels{{"__name__", "m"}, {"v", value}}};
  return PromSeriesRecord(std::span(&s, 1));
}

// A series record of exactly `size` bytes.
std::string SeriesRecordOfSize(uint64_t ref, size_t size) {
  int64_t value_len = 1;
  std::string rec = SeriesRecord(ref, "p");
  for (int i = 0; i < 5 && rec.size() != size; ++i) {  // the value's length prefix may grow: retry
    value_len += static_cast<int64_t>(size) - static_cast<int64_t>(rec.size());
    rec = SeriesRecord(ref, std::string(static_cast<size_t>(value_len), 'p'));
  }
  EXPECT_EQ(rec.size(), size);
  return rec;
}

// Letters that do not compress, so compressed records still span pages.
std::string Noise(size_t n, uint32_t seed) {
  std::string out(n, 'a');
  for (char& c : out) {
    seed = seed * 1664525u + 1013904223u;
    c = static_cast<char>('a' + (seed >> 24) % 26);
  }
  return out;
}

std::multiset<std::tuple<uint64_t, int64_t, uint64_t>> Keys(const std::vector<wal::RefSample>& samples) {
  std::multiset<std::tuple<uint64_t, int64_t, uint64_t>> out;
  for (const auto& s : samples) out.emplace(s.ref, s.t, std::bit_cast<uint64_t>(s.v));
  return out;
}

TEST_F(PromWalTest, MultiPageRecordsAreReassembled) {
  PromSegmentBuilder b;
  const auto small = Samples(1, 1000, 4);
  b.Log(PromSamplesRecord(small));
  const std::string long_value(70000, 'v');  // first, middle, last fragments
  b.Log(SeriesRecord(9, long_value));
  b.Log(PromSamplesRecord(small));
  std::vector<uint8_t> kinds;
  for (const auto& f : b.fragments()) kinds.push_back(f.kind);
  ASSERT_EQ(kinds, (std::vector<uint8_t>{1, 2, 3, 4, 1}));
  Put("00000000", b.Finish(true));

  CollectingVisitor v;
  auto stats = Read(&v);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(v.series.size(), 1u);
  EXPECT_EQ(v.series[0].ref, 9u);
  EXPECT_EQ(v.series[0].labels.Get("v"), long_value);
  EXPECT_EQ(v.samples.size(), 8u);
  EXPECT_EQ(stats->records, 3u);
  EXPECT_EQ(stats->torn_tail, "");
}

TEST_F(PromWalTest, ZeroPaddingIsSkipped) {
  PromSegmentBuilder b;
  // Leaves 3 bytes in the first page: too few for a header, so they are padding.
  b.Log(SeriesRecordOfSize(1, kWlogPageSize - kWlogFragmentHeaderSize - 3));
  const uint64_t second = b.Log(PromSamplesRecord(Samples(1, 5000, 3)));
  ASSERT_EQ(second, kWlogPageSize);
  Put("00000000", b.Finish(true));  // closed: the last page is padded too
  PromSegmentBuilder c;
  c.Log(PromSamplesRecord(Samples(1, 9000, 2)));
  Put("00000001", c.Finish(false) + std::string(100, '\0'));  // short last page, zeros short of its end

  CollectingVisitor v;
  auto stats = Read(&v);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(v.series.size(), 1u);
  EXPECT_EQ(v.samples.size(), 5u);
  EXPECT_EQ(stats->torn_tail, "");
  EXPECT_EQ(stats->bytes_read, 2 * kWlogPageSize + c.size() + 100);
}

TEST_F(PromWalTest, SnappyAndZstdRecordsAreDecompressed) {
  PromSegmentBuilder b;
  std::vector<wal::RefSample> want;
  std::set<uint64_t> series_starts;
  const TestCodec codecs[] = {TestCodec::kSnappy, TestCodec::kZstd, TestCodec::kZstdNoContentSize};
  for (TestCodec codec : codecs) {
    const auto s = Samples(3, 100000 * static_cast<int>(codec), 50);
    want.insert(want.end(), s.begin(), s.end());
    b.Log(PromSamplesRecord(s), codec);
    series_starts.insert(
        b.Log(SeriesRecord(100 + static_cast<int>(codec), Noise(80000, static_cast<uint32_t>(codec))), codec));
  }
  for (const auto& f : b.fragments()) {
    if (series_starts.contains(f.offset)) {
      EXPECT_EQ(f.kind, 2) << "each compressed series record must span pages";
    }
  }
  Put("00000000", b.Finish(false));

  CollectingVisitor v;
  auto stats = Read(&v);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(Keys(v.samples), Keys(want));
  ASSERT_EQ(v.series.size(), 3u);
  for (const auto& s : v.series) {
    EXPECT_EQ(s.labels.Get("v"), Noise(80000, static_cast<uint32_t>(s.ref - 100))) << s.ref;
  }
}

// How the last record of the last segment is damaged.
enum class Damage { kCutInData, kCutInHeader, kCutAfterFirstFragment, kBadCrc, kGarbageInPadding };

class PromWalTornTailTest : public PromWalTest, public ::testing::WithParamInterface<Damage> {};

TEST_P(PromWalTornTailTest, StopsAtTheDamageAndReportsIt) {
  PromSegmentBuilder seg0;
  seg0.Log(SeriesRecord(1, "a"));
  seg0.Log(PromSamplesRecord(Samples(1, 0, 5)));
  Put("00000000", seg0.Finish(true));

  PromSegmentBuilder seg1;
  seg1.Log(PromSamplesRecord(Samples(1, 100000, 7)));
  const uint64_t victim = seg1.Log(SeriesRecord(2, std::string(40000, 'w')));  // first + last fragments
  std::string bytes = seg1.Finish(false);
  const uint64_t last_fragment = seg1.fragments().back().offset;
  uint64_t damage_at = victim;
  switch (GetParam()) {
    case Damage::kCutInData: bytes.resize(last_fragment + kWlogFragmentHeaderSize + 10); break;
    case Damage::kCutInHeader:
      bytes.resize(last_fragment + 3);
      damage_at = last_fragment;
      break;
    case Damage::kCutAfterFirstFragment: bytes.resize(last_fragment); break;
    case Damage::kBadCrc:
      bytes[last_fragment + kWlogFragmentHeaderSize + 5] ^= 0x40;
      damage_at = last_fragment;
      break;
    case Damage::kGarbageInPadding:
      bytes = seg1.Finish(true);
      damage_at = bytes.size() - 1;
      bytes.back() = '\x07';
      break;
  }
  if (GetParam() == Damage::kCutInData) damage_at = last_fragment;
  Put("00000001", bytes);

  CollectingVisitor v;
  auto stats = Read(&v);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_NE(stats->torn_tail, "");
  EXPECT_NE(stats->torn_tail.find(Path("00000001")), std::string::npos) << stats->torn_tail;
  EXPECT_NE(stats->torn_tail.find(fmt::format("offset {}", damage_at)), std::string::npos) << stats->torn_tail;
  EXPECT_EQ(stats->torn_tail_segment, Path("00000001"));
  EXPECT_EQ(stats->torn_tail_offset, damage_at);
  EXPECT_EQ(v.samples.size(), 12u);  // everything before the damage
  const size_t want_series = GetParam() == Damage::kGarbageInPadding ? 2 : 1;
  EXPECT_EQ(v.series.size(), want_series);
}

INSTANTIATE_TEST_SUITE_P(AllDamage, PromWalTornTailTest,
                         ::testing::Values(Damage::kCutInData, Damage::kCutInHeader, Damage::kCutAfterFirstFragment,
                                           Damage::kBadCrc, Damage::kGarbageInPadding));

std::string CleanSegment(uint64_t ref) {
  PromSegmentBuilder b;
  b.Log(PromSamplesRecord(Samples(ref, 1000, 3)));
  return b.Finish(true);
}

std::string SegmentWithBadCrc(uint64_t ref) {
  PromSegmentBuilder b;
  b.Log(PromSamplesRecord(Samples(ref, 1000, 3)));
  const uint64_t bad = b.Log(PromSamplesRecord(Samples(ref, 2000, 3)));
  b.Log(PromSamplesRecord(Samples(ref, 3000, 3)));
  std::string bytes = b.Finish(true);
  bytes[bad + kWlogFragmentHeaderSize + 2] ^= 0x01;
  return bytes;
}

TEST_F(PromWalTest, DamageBeforeTheLastSegmentIsCorruption) {
  Put("00000000", CleanSegment(1));
  Put("00000001", SegmentWithBadCrc(1));
  Put("00000002", CleanSegment(1));
  CollectingVisitor v;
  auto stats = Read(&v);
  ASSERT_EQ(stats.status().code(), Status::Code::kCorruption) << stats.status().ToString();
  EXPECT_NE(stats.status().message().find(Path("00000001")), std::string::npos) << stats.status().ToString();
  EXPECT_NE(stats.status().message().find("at offset"), std::string::npos) << stats.status().ToString();
  EXPECT_NE(stats.status().message().find("CRC32C mismatch"), std::string::npos) << stats.status().ToString();
}

TEST_F(PromWalTest, DamageInTheLastSegmentWithDataIsATornTailEvenBeforeEmptySegments) {
  Put("00000000", CleanSegment(1));
  Put("00000001", SegmentWithBadCrc(1));
  Put("00000002", "");  // opened by a restart that then stopped
  CollectingVisitor v;
  auto stats = Read(&v);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->torn_tail_segment, Path("00000001"));
  EXPECT_EQ(v.samples.size(), 6u);
  EXPECT_EQ(stats->segments_read, 2u);
  EXPECT_EQ(stats->last_segment, 2);
}

TEST_F(PromWalTest, DamagedCheckpointIsCorruption) {
  std::string cp = CleanSegment(1);
  cp.resize(20);  // even a torn tail is fatal in a checkpoint
  Put("checkpoint.00000004/00000000", cp);
  Put("00000005", CleanSegment(1));
  CollectingVisitor v;
  auto stats = Read(&v);
  ASSERT_EQ(stats.status().code(), Status::Code::kCorruption) << stats.status().ToString();
  EXPECT_NE(stats.status().message().find(Path("checkpoint.00000004/00000000")), std::string::npos)
      << stats.status().ToString();
}

TEST_F(PromWalTest, GapAfterTheCheckpointIsCorruption) {
  Put("checkpoint.00000003/00000000", CleanSegment(1));
  Put("00000005", CleanSegment(1));
  Put("00000006", CleanSegment(1));
  CollectingVisitor v;
  auto stats = Read(&v);
  ASSERT_EQ(stats.status().code(), Status::Code::kCorruption) << stats.status().ToString();
  EXPECT_NE(stats.status().message().find("checkpoint.00000003"), std::string::npos) << stats.status().ToString();
  EXPECT_NE(stats.status().message().find(Path("00000004") + " is missing"), std::string::npos)
      << stats.status().ToString();
}

TEST_F(PromWalTest, GapBetweenSegmentsIsCorruption) {
  for (const char* name : {"00000002", "00000003", "00000005"}) Put(name, CleanSegment(1));
  CollectingVisitor v;
  auto stats = Read(&v);
  ASSERT_EQ(stats.status().code(), Status::Code::kCorruption) << stats.status().ToString();
  EXPECT_NE(stats.status().message().find(Path("00000003") + " is followed by " + Path("00000005")), std::string::npos)
      << stats.status().ToString();
}

TEST_F(PromWalTest, ReadsOnlyTheNewestCheckpointAndTheSegmentsAfterIt) {
  const std::string garbage(100, '\x55');  // would be Corruption if read
  Put("checkpoint.00000001/00000000", garbage);
  std::vector<wal::RefSeries> series{{7, Labels{{"__name__", "in_checkpoint"}}}};
  PromSegmentBuilder cp;
  cp.Log(PromSeriesRecord(series));
  Put("checkpoint.00000002/00000000", cp.Finish(true));
  Put("checkpoint.00000002/00000001", CleanSegment(7));
  Put("checkpoint.00000003.tmp/00000000", garbage);  // an unfinished checkpoint
  Put("00000001", garbage);                          // not deleted yet, covered by the checkpoint
  Put("00000002", garbage);
  Put("00000003", CleanSegment(7));
  Put("00000004", CleanSegment(7));

  CollectingVisitor v;
  auto stats = Read(&v);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->checkpoint_index, 2);
  EXPECT_EQ(stats->checkpoint_segments, 2u);
  EXPECT_EQ(stats->segments_read, 2u);
  EXPECT_EQ(stats->first_segment, 3);
  ASSERT_EQ(v.series.size(), 1u);
  EXPECT_EQ(v.series[0].labels.MetricName(), "in_checkpoint");
  EXPECT_EQ(v.samples.size(), 9u);
}

class PromWalUnsupportedTest : public PromWalTest, public ::testing::WithParamInterface<int> {};

TEST_P(PromWalUnsupportedTest, RefusesRecordsItCannotReplay) {
  const auto type = static_cast<uint8_t>(GetParam());
  PromSegmentBuilder b;
  b.Log(SeriesRecord(1, "a"));
  b.Log(PromSamplesRecord(Samples(1, 0, 3)));
  const uint64_t offset = b.Log(PromHistogramRecord(type, 1, 60000), TestCodec::kSnappy);
  Put("00000000", b.Finish(true));
  for (bool as_wbl : {false, true}) {
    CollectingVisitor v;
    auto stats = Read(&v, as_wbl);
    ASSERT_EQ(stats.status().code(), Status::Code::kUnsupported) << stats.status().ToString();
    const std::string& msg = stats.status().message();
    const std::string kind = as_wbl ? "WBL" : "WAL";
    const std::string want =
        type > 14 ? fmt::format("unsupported: unknown record type {} in Prometheus {} segment {} at offset {};", type,
                                kind, Path("00000000"), offset)
                  : fmt::format("unsupported: {} (record type {}) in Prometheus {} segment {} at offset {};",
                                PromRecordTypeName(type), type, kind, Path("00000000"), offset);
    EXPECT_EQ(msg.substr(0, want.size()), want) << msg;
  }
}

// Histogram records 7 to 10 are decoded (prometheus_wal_histogram_test.cc).
INSTANTIATE_TEST_SUITE_P(Types, PromWalUnsupportedTest, ::testing::Values(11, 12, 13, 14, 15, 200));

TEST(PromRecordTypeNameTest, NamesHistograms) {
  EXPECT_EQ(PromRecordTypeName(7), "native histogram samples");
  EXPECT_EQ(PromRecordTypeName(10), "native float histogram samples with custom buckets");
  EXPECT_EQ(PromRecordTypeName(99), "unknown record type");
}

TEST_F(PromWalTest, MetadataAndMmapMarkersAreSkippedAndExemplarsDelivered) {
  PromSegmentBuilder b;
  b.Log(SeriesRecord(4, "x"));
  b.Log(PromMetadataRecord(4, 1, "seconds", "How long it took."));
  const std::pair<uint64_t, uint64_t> markers[] = {{4, 0x100000010}, {5, 0x100000400}};
  b.Log(PromMmapMarkersRecord(markers));
  const wal::RefExemplar ex[] = {{4, 5000, 0.25, Labels{{"trace_id", "abc"}}},
                                 {3, 4000, -1.0, Labels{{"span_id", "s"}, {"trace_id", "d"}}}};
  b.Log(PromExemplarsRecord(ex));
  const wal::Tombstone stones[] = {{4, -100, 2000}, {6, 0, 1}};
  b.Log(PromTombstonesRecord(stones));
  Put("00000000", b.Finish(true));

  CollectingVisitor v;
  auto stats = Read(&v);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->metadata_records_skipped, 1u);
  EXPECT_EQ(stats->mmap_marker_records_skipped, 1u);
  EXPECT_EQ(stats->records, 5u);
  ASSERT_EQ(v.exemplars.size(), 2u);
  EXPECT_EQ(v.exemplars[1].ref, 3u);
  EXPECT_EQ(v.exemplars[1].t, 4000);
  EXPECT_EQ(v.exemplars[1].v, -1.0);
  EXPECT_EQ(v.exemplars[1].labels.ToString(), "{span_id=\"s\", trace_id=\"d\"}");
  ASSERT_EQ(v.tombstones.size(), 2u);
  EXPECT_EQ(v.tombstones[0].mint, -100);
  EXPECT_EQ(v.tombstones[1].ref, 6u);
}

TEST_F(PromWalTest, VisitorErrorsStopTheReplay) {
  Put("00000000", CleanSegment(1));
  CollectingVisitor v;
  v.fail_samples = Status::ResourceExhausted("head full");
  auto stats = Read(&v);
  ASSERT_EQ(stats.status().code(), Status::Code::kResourceExhausted);
  EXPECT_NE(stats.status().message().find(Path("00000000")), std::string::npos) << stats.status().ToString();
}

TEST_F(PromWalTest, MissingDirectories) {
  CollectingVisitor v;
  EXPECT_EQ(ReadPrometheusWal(env_, root_ + "/nope", &v).status().code(), Status::Code::kNotFound);
  auto wbl = ReadPrometheusWbl(env_, root_ + "/nope", &v);
  ASSERT_TRUE(wbl.ok());
  EXPECT_EQ(wbl->records, 0u);
  auto empty = Read(&v);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->segments_read, 0u);
}

// ---- record decoders ---------------------------------------------------------

TEST(PromRecordsTest, DecodesSamplesFromLiteralBytes) {
  // Base ref 5, base time 1700000000000 (0x18BCFE56800); sample 2 has ref +1
  // (zigzag 2) and time +30000 (zigzag 60000 = varint e0 d4 03).
  const std::string rec = std::string("\x02", 1) + std::string("\0\0\0\0\0\0\0\x05", 8) +
                          std::string("\0\0\x01\x8b\xcf\xe5\x68\x00", 8) + std::string("\0\0", 2) +
                          std::string("\x3f\xf0\0\0\0\0\0\0", 8) + "\x02\xe0\xd4\x03" +
                          std::string("\x40\0\0\0\0\0\0\0", 8);
  std::vector<wal::RefSample> out;
  ASSERT_TRUE(DecodePromSamples(rec, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].ref, 5u);
  EXPECT_EQ(out[0].t, 1700000000000);
  EXPECT_EQ(out[0].v, 1.0);
  EXPECT_EQ(out[1].ref, 6u);
  EXPECT_EQ(out[1].t, 1700000030000);
  EXPECT_EQ(out[1].v, 2.0);
}

TEST(PromRecordsTest, SamplesKeepValueBitsAndNegativeDeltas) {
  const std::vector<wal::RefSample> in{{10, 5000, std::bit_cast<double>(uint64_t{0x7ff0000000000002})},  // stale
                                       {3, -7000, -INFINITY},
                                       {12, 4999, std::bit_cast<double>(uint64_t{0x7ff8000000000001})}};
  std::vector<wal::RefSample> out;
  ASSERT_TRUE(DecodePromSamples(PromSamplesRecord(in), &out).ok());
  EXPECT_EQ(Keys(out), Keys(in));
  ASSERT_TRUE(DecodePromSamples(std::string("\x02", 1), &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(DecodePromSamples(PromSamplesRecord(in) + "x", &out).code(), Status::Code::kCorruption);
  EXPECT_EQ(DecodePromSamples(PromSamplesRecord(in).substr(0, 12), &out).code(), Status::Code::kCorruption);
  EXPECT_EQ(DecodePromSamples(PromTombstonesRecord({}), &out).code(), Status::Code::kInvalidArgument);
}

TEST(PromRecordsTest, SeriesLabels) {
  std::string rec(1, '\x01');
  PutBe(&rec, 42, 8);
  PutUvarint(&rec, 2);
  for (const char* s : {"job", "x", "__name__", "up"}) PutString(&rec, s);  // unsorted
  std::vector<wal::RefSeries> out;
  ASSERT_TRUE(DecodePromSeries(rec, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ref, 42u);
  EXPECT_EQ(out[0].labels.ToString(), "{__name__=\"up\", job=\"x\"}");

  std::string dup(1, '\x01');
  PutBe(&dup, 1, 8);
  PutUvarint(&dup, 2);
  for (const char* s : {"a", "1", "a", "2"}) PutString(&dup, s);
  EXPECT_EQ(DecodePromSeries(dup, &out).code(), Status::Code::kCorruption);
  EXPECT_EQ(DecodePromSeries(rec.substr(0, rec.size() - 1), &out).code(), Status::Code::kCorruption);
}

TEST(PromRecordsTest, MalformedSkippedRecordsAreCorruption) {
  const std::pair<uint64_t, uint64_t> m[] = {{1, 2}};
  EXPECT_EQ(CountPromMmapMarkers(PromMmapMarkersRecord(m) + "z").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(*CountPromMetadata(PromMetadataRecord(1, 2, "u", "h")), 1u);
  const std::string md = PromMetadataRecord(1, 2, "u", "h");
  EXPECT_EQ(CountPromMetadata(md.substr(0, md.size() - 1)).status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace promethium::tsdb::prometheus_format
