// WAL checkpoints: what a checkpoint keeps, replay from checkpoint +
// segments, a crash injected at every file-system step, damaged
// checkpoints and gaps, and the range planning Prometheus uses.
#include "tsdb/wal/checkpoint.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <set>
#include <tuple>

#include "tsdb/wal/checkpoint_reader.h"
#include "tsdb/wal/fault_env_for_test.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/test_dir_for_test.h"
#include "tsdb/wal/wal.h"
#include "tsdb/wal/wal_reader.h"

namespace promethium::tsdb::wal {
namespace {

constexpr int kSeries = 10;
constexpr int kSteps = 60;
constexpr int64_t kMint = 300;

// What a WAL holds, in a canonical (sorted) form for exact comparison.
struct Content {
  std::set<std::pair<SeriesRef, std::string>> series;
  std::multiset<std::tuple<SeriesRef, int64_t, uint64_t>> samples;
  std::multiset<std::tuple<SeriesRef, int64_t, int64_t>> tombstones;
  std::multiset<std::tuple<SeriesRef, int64_t, uint64_t, std::string>> exemplars;
  // Histogram samples, the histogram written out by Describe.
  std::multiset<std::tuple<SeriesRef, int64_t, std::string>> histograms;
  bool operator==(const Content&) const = default;
};

// A canonical text of every field of a histogram (floats as bits).
std::string Describe(const Histogram& h) {
  std::string s =
      fmt::format("i hint={} schema={} zt={:x} zc={} c={} sum={:x}", static_cast<int>(h.counter_reset_hint), h.schema,
                  std::bit_cast<uint64_t>(h.zero_threshold), h.zero_count, h.count, std::bit_cast<uint64_t>(h.sum));
  for (const auto& sp : h.positive_spans) s += fmt::format(" p{}:{}", sp.offset, sp.length);
  for (const auto& sp : h.negative_spans) s += fmt::format(" n{}:{}", sp.offset, sp.length);
  for (int64_t b : h.positive_buckets) s += fmt::format(" pb{}", b);
  for (int64_t b : h.negative_buckets) s += fmt::format(" nb{}", b);
  for (double v : h.custom_values) s += fmt::format(" cv{}", v);
  return s;
}
std::string Describe(const FloatHistogram& h) {
  std::string s = fmt::format("f hint={} schema={} zt={} zc={} c={} sum={}", static_cast<int>(h.counter_reset_hint),
                              h.schema, h.zero_threshold, h.zero_count, h.count, h.sum);
  for (const auto& sp : h.positive_spans) s += fmt::format(" p{}:{}", sp.offset, sp.length);
  for (const auto& sp : h.negative_spans) s += fmt::format(" n{}:{}", sp.offset, sp.length);
  for (double b : h.positive_buckets) s += fmt::format(" pb{}", b);
  for (double b : h.negative_buckets) s += fmt::format(" nb{}", b);
  for (double v : h.custom_values) s += fmt::format(" cv{}", v);
  return s;
}

// A small integer histogram of `step` observations, and a custom-bucket
// float histogram: both kinds of histogram record and custom values.
Histogram StepHistogram(int step) {
  Histogram h;
  h.schema = 1;
  h.zero_threshold = 0.001;
  h.zero_count = 1;
  h.count = 1 + 2 * static_cast<uint64_t>(step);
  h.sum = step * 1.5;
  h.positive_spans = {{-1, 2}};
  h.positive_buckets = {step, 0};
  return h;
}
FloatHistogram StepFloatHistogram(int step) {
  FloatHistogram h;
  h.counter_reset_hint = CounterResetHint::kGauge;
  h.schema = kCustomBucketsSchema;
  h.count = step + 0.5;
  h.sum = -step;
  h.positive_spans = {{0, 2}};
  h.positive_buckets = {step * 0.25, step * 0.75 + 0.5};
  h.custom_values = {0.5, 1};
  return h;
}

Status AddRecord(std::string_view rec, Content* c) {
  PROMETHIUM_ASSIGN_OR_RETURN(RecordType type, PeekRecordType(rec));
  if (type == RecordType::kSeries) {
    std::vector<RefSeries> v;
    PROMETHIUM_RETURN_IF_ERROR(DecodeSeries(rec, &v));
    for (const auto& s : v) c->series.emplace(s.ref, s.labels.ToString());
  } else if (type == RecordType::kSamples) {
    std::vector<RefSample> v;
    PROMETHIUM_RETURN_IF_ERROR(DecodeSamples(rec, &v));
    for (const auto& s : v) c->samples.emplace(s.ref, s.t, std::bit_cast<uint64_t>(s.v));
  } else if (type == RecordType::kHistogramSamples) {
    std::vector<RefHistogramSample> v;
    PROMETHIUM_RETURN_IF_ERROR(DecodeHistogramSamples(rec, &v));
    for (const auto& s : v) c->histograms.emplace(s.ref, s.t, Describe(s.h));
  } else if (type == RecordType::kFloatHistogramSamples) {
    std::vector<RefFloatHistogramSample> v;
    PROMETHIUM_RETURN_IF_ERROR(DecodeFloatHistogramSamples(rec, &v));
    for (const auto& s : v) c->histograms.emplace(s.ref, s.t, Describe(s.fh));
  } else if (type == RecordType::kExemplars) {
    std::vector<RefExemplar> v;
    PROMETHIUM_RETURN_IF_ERROR(DecodeExemplars(rec, &v));
    for (const auto& e : v) c->exemplars.emplace(e.ref, e.t, std::bit_cast<uint64_t>(e.v), e.labels.ToString());
  } else {
    std::vector<Tombstone> v;
    PROMETHIUM_RETURN_IF_ERROR(DecodeTombstones(rec, &v));
    for (const auto& t : v) c->tombstones.emplace(t.ref, t.mint, t.maxt);
  }
  return Status::OK();
}

bool Keep(SeriesRef ref) { return ref % 2 == 0 || ref == 11; }

class CheckpointTest : public ::testing::Test {
 public:  // CrashAtEveryStep drives the fixture
  void SetUp() override {
    root_ = TestDirForTest("promethium_checkpoint_test_");
    EXPECT_TRUE(env_->RemoveDirRecursively(root_).ok());
    dir_ = root_ + "/wal";
  }
  void TearDown() override { EXPECT_TRUE(env_->RemoveDirRecursively(root_).ok()); }

  // Series 1..10 at step 0, series 11 at step 25; samples of every live
  // series each step at t = 10 * step; a tombstone every 5 steps; every 3
  // steps an exemplars record after the samples, for series step % 11 + 1
  // and 11 (an unknown ref before step 25, which replay skips); every 4
  // steps an integer-histogram record (series step % 11 + 1 and 2) and a
  // float-histogram record (series 11).
  void WriteWal(const std::string& dir, Compression c = Compression::kSnappy) {
    WalOptions opts;
    opts.segment_size = 512;
    opts.compression = c;
    auto w = Wal::Open(env_, dir, opts, nullptr, 0);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (int step = 0; step < kSteps; ++step) {
      std::vector<std::string> recs;
      std::vector<RefSeries> series;
      if (step == 0) {
        for (int i = 1; i <= kSeries; ++i) series.push_back({SeriesRef(i), Labels{{"job", fmt::format("j{}", i)}}});
      }
      if (step == 25) series.push_back({11, Labels{{"job", "late"}}});
      if (!series.empty()) EncodeSeries(series, &recs.emplace_back());
      std::vector<RefSample> samples;
      for (int i = 1; i <= (step >= 25 ? 11 : kSeries); ++i)
        samples.push_back({SeriesRef(i), step * 10, i + step * 0.5});
      EncodeSamples(samples, &recs.emplace_back());
      if (step % 3 == 0) {
        const std::vector<RefExemplar> ex = {
            {SeriesRef(step % 11 + 1), step * 10, step * 0.5, Labels{{"trace_id", fmt::format("t{}", step)}}},
            {11, step * 10 + 1, -1.0 * step, Labels()}};
        EncodeExemplars(ex, &recs.emplace_back());
      }
      if (step % 4 == 1) {
        const std::vector<RefHistogramSample> hs = {{SeriesRef(step % 11 + 1), step * 10 + 2, StepHistogram(step)},
                                                    {2, step * 10 + 3, StepHistogram(step + 1)}};
        EncodeHistogramSamples(hs, &recs.emplace_back());
        const RefFloatHistogramSample fh{11, step * 10 + 4, StepFloatHistogram(step)};
        EncodeFloatHistogramSamples({&fh, 1}, &recs.emplace_back());
      }
      if (step % 5 == 4) {
        const Tombstone t{SeriesRef(step % kSeries + 1), step * 10 - 30, step * 10 - 5};
        EncodeTombstones({&t, 1}, &recs.emplace_back());
      }
      std::vector<std::string_view> views(recs.begin(), recs.end());
      ASSERT_TRUE((*w)->Log(views).ok());
    }
    ASSERT_TRUE((*w)->Close().ok());
  }

  Result<Content> ReplayContent(const std::string& dir, ReplayResult* result = nullptr) {
    Content c;
    auto r = ReplayAndRepair(
        env_, dir, [&](std::string_view rec) { return AddRecord(rec, &c); }, nullptr);
    if (!r.ok()) return r.status();
    if (result != nullptr) *result = *r;
    return c;
  }

  // What a checkpoint up to segment `to` should leave: kept series and
  // their samples >= mint and tombstones reaching mint from segments <= to,
  // everything from later segments.
  static Content Expected(const Content& before_to, const Content& after_to) {
    Content c = after_to;
    const Content kept = Filtered(before_to);
    c.series.insert(kept.series.begin(), kept.series.end());
    c.samples.insert(kept.samples.begin(), kept.samples.end());
    c.tombstones.insert(kept.tombstones.begin(), kept.tombstones.end());
    c.exemplars.insert(kept.exemplars.begin(), kept.exemplars.end());
    c.histograms.insert(kept.histograms.begin(), kept.histograms.end());
    return c;
  }
  // What a checkpoint keeps of `in`.
  static Content Filtered(const Content& in) {
    Content c;
    for (const auto& s : in.series)
      if (Keep(s.first)) c.series.insert(s);
    for (const auto& s : in.samples)
      if (Keep(std::get<0>(s)) && std::get<1>(s) >= kMint) c.samples.insert(s);
    for (const auto& t : in.tombstones)
      if (Keep(std::get<0>(t)) && std::get<2>(t) >= kMint) c.tombstones.insert(t);
    for (const auto& e : in.exemplars)
      if (Keep(std::get<0>(e)) && std::get<1>(e) >= kMint) c.exemplars.insert(e);
    for (const auto& h : in.histograms)
      if (Keep(std::get<0>(h)) && std::get<1>(h) >= kMint) c.histograms.insert(h);
    return c;
  }

  // Contents of segments [from, to] and (to, end] of dir, read directly.
  void SplitAt(const std::string& dir, uint64_t to, Content* before, Content* after) {
    const std::vector<uint64_t> segments = *ListSegments(env_, dir);
    for (uint64_t s : segments) {
      Content* c = s <= to ? before : after;
      SegmentReadOutcome outcome;
      ASSERT_TRUE(ReadSegmentRecords(
                      env_, SegmentPath(dir, s), [&](std::string_view r) { return AddRecord(r, c); }, &outcome)
                      .ok());
      ASSERT_TRUE(outcome.problem.empty());
    }
  }

  std::pair<uint64_t, uint64_t> Plan(const std::string& dir) {
    auto range = SegmentRange(env_, dir);
    EXPECT_TRUE(range.ok());
    auto plan = CheckpointSegmentsFor(range->first, range->second);
    EXPECT_TRUE(plan.has_value());
    return plan.value_or(std::make_pair(uint64_t{0}, uint64_t{0}));
  }

  const std::string& dir() const { return dir_; }

  Env* env_ = Env::Default();
  std::string root_;
  std::string dir_;
};

TEST(CheckpointNames, FormatAndParse) {
  EXPECT_EQ(CheckpointName(42), "checkpoint.00000042");
  uint64_t i = 0;
  EXPECT_TRUE(ParseCheckpointName("checkpoint.00000042", &i));
  EXPECT_EQ(i, 42u);
  EXPECT_FALSE(ParseCheckpointName("checkpoint.00000042.tmp", &i));
  EXPECT_FALSE(ParseCheckpointName("00000042", &i));
  EXPECT_FALSE(ParseCheckpointName("checkpoint.", &i));
}

TEST(CheckpointPlan, LowerTwoThirdsOfOldSegmentsAsPrometheus) {
  EXPECT_FALSE(CheckpointSegmentsFor(0, 0).has_value());
  EXPECT_FALSE(CheckpointSegmentsFor(0, 1).has_value());
  EXPECT_FALSE(CheckpointSegmentsFor(0, 2).has_value());  // old: 0..1 -> to = 0
  EXPECT_EQ(CheckpointSegmentsFor(0, 4), std::make_pair(uint64_t{0}, uint64_t{2}));
  EXPECT_EQ(CheckpointSegmentsFor(5, 15), std::make_pair(uint64_t{5}, uint64_t{11}));
}

TEST_F(CheckpointTest, KeepsOnlyKeptSeriesAndSamplesFromMint) {
  WriteWal(dir_);
  const auto [from, to] = Plan(dir_);
  ASSERT_GE(to, from + 3);
  Content before, after;
  SplitAt(dir_, to, &before, &after);
  const Content original = *ReplayContent(dir_);

  MetricsRegistry metrics;
  auto stats = Checkpoint(env_, dir_, from, to, Keep, kMint, &metrics);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_TRUE(stats->created);
  EXPECT_EQ(stats->index, to);
  EXPECT_EQ(stats->segments_deleted, to - from + 1);
  EXPECT_GT(stats->dropped_samples, 0u);
  EXPECT_GT(stats->dropped_series, 0u);
  // Exemplars: dropped for dropped series and below mint, kept otherwise.
  EXPECT_GT(stats->dropped_exemplars, 0u);
  EXPECT_LT(stats->dropped_exemplars, stats->total_exemplars);
  EXPECT_EQ(stats->total_exemplars, before.exemplars.size());
  const Content kept = Filtered(before);
  EXPECT_FALSE(kept.exemplars.empty());
  EXPECT_EQ(stats->total_exemplars - stats->dropped_exemplars, kept.exemplars.size());
  // Histogram samples count as samples (as Prometheus's checkpoint counts
  // them); some of both kinds are kept, some dropped.
  EXPECT_EQ(stats->total_samples - stats->dropped_samples, kept.samples.size() + kept.histograms.size());
  EXPECT_GT(kept.histograms.size(), 0u);
  EXPECT_LT(kept.histograms.size(), before.histograms.size());
  const auto is_float = [](const auto& h) { return std::get<2>(h).starts_with("f "); };
  EXPECT_TRUE(std::ranges::any_of(kept.histograms, is_float));
  EXPECT_FALSE(std::ranges::all_of(kept.histograms, is_float));
  EXPECT_TRUE(env_->FileExists(dir_ + "/" + CheckpointName(to)));
  EXPECT_FALSE(env_->FileExists(dir_ + "/" + CheckpointName(to) + ".tmp"));
  const auto left = *ListSegments(env_, dir_);
  ASSERT_FALSE(left.empty());
  EXPECT_EQ(left.front(), to + 1);

  ReplayResult result;
  auto got = ReplayContent(dir_, &result);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, Expected(before, after));
  EXPECT_NE(*got, original);
  EXPECT_EQ(result.checkpoint, std::optional<uint64_t>(to));
  EXPECT_GT(result.checkpoint_records, 0u);
  EXPECT_EQ(result.next_segment, left.back() + 1);
  // Nothing of a dropped series, no sample below mint from the old part.
  for (const auto& s : got->series) EXPECT_TRUE(Keep(s.first) || after.series.count(s)) << s.second;
  EXPECT_EQ(metrics.GetCounter("prometheus_tsdb_checkpoint_creations_total", "")->Value(), 1);
  EXPECT_EQ(metrics.GetCounter("prometheus_tsdb_checkpoint_creations_failed_total", "")->Value(), 0);
  EXPECT_EQ(metrics.GetCounter("prometheus_tsdb_wal_truncations_total", "")->Value(), 1);
  EXPECT_EQ(metrics.GetCounter("prometheus_tsdb_checkpoint_deletions_total", "")->Value(), 1);
}

TEST_F(CheckpointTest, SecondCheckpointCarriesTheFirstAndDeletesIt) {
  WriteWal(dir_, Compression::kNone);
  const auto [from, to] = Plan(dir_);
  ASSERT_TRUE(Checkpoint(env_, dir_, from, to, Keep, kMint, nullptr).ok());
  const Content after_first = *ReplayContent(dir_);

  // More WAL after a restart, then the next checkpoint over it all.
  ReplayResult r;
  ASSERT_TRUE(ReplayContent(dir_, &r).ok());
  {
    auto w = Wal::Open(env_, dir_, WalOptions{}, nullptr, r.next_segment);
    ASSERT_TRUE(w.ok());
    std::string rec;
    const RefSample s{4, 10000, 1.5};
    EncodeSamples({&s, 1}, &rec);
    const std::string_view v = rec;
    ASSERT_TRUE((*w)->Log({&v, 1}).ok());
    auto cut = (*w)->CutSegment();
    ASSERT_TRUE(cut.ok());
    EXPECT_EQ(*cut, r.next_segment + 1);
    ASSERT_TRUE((*w)->Close().ok());
  }
  auto range = *SegmentRange(env_, dir_);
  auto stats = Checkpoint(env_, dir_, range.first, range.second, Keep, kMint, nullptr);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->checkpoints_deleted, 1u);
  EXPECT_FALSE(env_->FileExists(dir_ + "/" + CheckpointName(to)));
  EXPECT_TRUE(ListSegments(env_, dir_)->empty());

  Content want = Filtered(after_first);  // the later segments are filtered now too
  EXPECT_NE(want, after_first);
  want.samples.emplace(4, 10000, std::bit_cast<uint64_t>(1.5));
  ReplayResult after;
  EXPECT_EQ(*ReplayContent(dir_, &after), want);
  EXPECT_EQ(after.next_segment, range.second + 1);  // the writer goes on after the checkpoint
}

// Copies `pristine` to dir_ and runs Checkpoint(from, to) there with a crash
// injected after 0, 1, 2, ... file-system operations until one run
// completes. After each crash, replay must return exactly `original` (no
// new checkpoint yet) or exactly `checkpointed`, and a second Checkpoint
// call must finish the job.
void CrashAtEveryStep(CheckpointTest* t, const std::string& pristine, uint64_t from, uint64_t to,
                      const Content& original, const Content& checkpointed) {
  Env* env = Env::Default();
  const std::string& dir = t->dir();
  FaultInjectionEnv fault(env);
  int crashes = 0;
  for (int64_t step = 0;; ++step) {
    ASSERT_LT(step, 10000) << "checkpoint never completed";
    EXPECT_TRUE(env->RemoveDirRecursively(dir).ok());
    std::filesystem::copy(pristine, dir, std::filesystem::copy_options::recursive);
    fault.SetCrashAfter(step);
    auto stats = Checkpoint(&fault, dir, from, to, Keep, kMint, nullptr);
    const bool crashed = fault.crashed();
    fault.ClearFaults();
    if (!crashed) {
      ASSERT_TRUE(stats.ok()) << stats.status().ToString();
      break;
    }
    ++crashes;
    // Restart: replay sees either the old WAL or the checkpointed one.
    const bool renamed = env->FileExists(dir + "/" + CheckpointName(to));
    // Only failing to delete old checkpoints (disk space) is not an error.
    if (!renamed) {
      ASSERT_FALSE(stats.ok()) << "step " << step;
    }
    auto got = t->ReplayContent(dir);
    ASSERT_TRUE(got.ok()) << "step " << step << ": " << got.status().ToString();
    EXPECT_EQ(*got, renamed ? checkpointed : original) << "step " << step;
    // The next truncation finishes the job.
    auto again = Checkpoint(env, dir, from, to, Keep, kMint, nullptr);
    ASSERT_TRUE(again.ok()) << "step " << step << ": " << again.status().ToString();
    EXPECT_EQ(*t->ReplayContent(dir), checkpointed) << "step " << step;
    EXPECT_EQ(ListSegments(env, dir)->front(), to + 1) << "step " << step;
    std::vector<std::string> names = *env->GetChildren(dir);
    std::erase_if(names, [](const std::string& n) { return !n.starts_with("checkpoint."); });
    EXPECT_EQ(names, std::vector<std::string>{CheckpointName(to)}) << "step " << step;
  }
  EXPECT_GT(crashes, 10);
  EXPECT_EQ(*t->ReplayContent(dir), checkpointed);
}

TEST_F(CheckpointTest, CrashAtEveryStepLeavesAWalThatReplays) {
  const std::string pristine = root_ + "/pristine";
  WriteWal(pristine);
  const auto [from, to] = Plan(pristine);
  Content before, after;
  SplitAt(pristine, to, &before, &after);
  const Content original = *ReplayContent(pristine);
  CrashAtEveryStep(this, pristine, from, to, original, Expected(before, after));
}

TEST_F(CheckpointTest, CrashAtEveryStepOfASecondCheckpoint) {
  const std::string pristine = root_ + "/pristine";
  WriteWal(pristine);
  ASSERT_TRUE(Checkpoint(env_, pristine, 0, 1, Keep, kMint, nullptr).ok());
  const auto [from, to] = Plan(pristine);
  ASSERT_EQ(from, 2u);
  Content before, after;
  ASSERT_TRUE(
      ReadCheckpoint(
          env_, pristine + "/" + CheckpointName(1), [&](std::string_view r) { return AddRecord(r, &before); }, nullptr)
          .ok());
  SplitAt(pristine, to, &before, &after);
  const Content original = *ReplayContent(pristine);
  CrashAtEveryStep(this, pristine, from, to, original, Expected(before, after));
}

TEST_F(CheckpointTest, CorruptCheckpointFailsReplayNamingFileAndOffset) {
  WriteWal(dir_, Compression::kNone);
  const auto [from, to] = Plan(dir_);
  ASSERT_TRUE(Checkpoint(env_, dir_, from, to, Keep, kMint, nullptr).ok());
  const std::string seg = SegmentPath(dir_ + "/" + CheckpointName(to), 0);
  std::string bytes = *ReadFileToString(env_, seg);
  ASSERT_GT(bytes.size(), 100u);
  bytes[bytes.size() - 3] ^= 0x40;  // inside the last record's payload
  ASSERT_TRUE(WriteFileAtomically(env_, seg, bytes).ok());

  auto got = ReplayContent(dir_);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
  EXPECT_NE(got.status().ToString().find(seg), std::string::npos) << got.status().ToString();
  EXPECT_NE(got.status().ToString().find("at offset "), std::string::npos) << got.status().ToString();
  EXPECT_TRUE(env_->FileExists(seg));  // nothing was "repaired" away

  // A checkpoint whose segment file is missing is an error too.
  ASSERT_TRUE(env_->RemoveFile(seg).ok());
  EXPECT_FALSE(ReplayContent(dir_).ok());
}

TEST_F(CheckpointTest, GapBetweenCheckpointAndSegmentsFailsReplay) {
  WriteWal(dir_);
  const auto [from, to] = Plan(dir_);
  ASSERT_TRUE(Checkpoint(env_, dir_, from, to, Keep, kMint, nullptr).ok());
  ASSERT_TRUE(env_->RemoveFile(SegmentPath(dir_, to + 1)).ok());
  auto got = ReplayContent(dir_);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
  EXPECT_NE(got.status().ToString().find("missing between"), std::string::npos) << got.status().ToString();
}

TEST_F(CheckpointTest, TmpLeftoverIsIgnoredAndRemoved) {
  WriteWal(dir_);
  const Content original = *ReplayContent(dir_);
  const std::string tmp = dir_ + "/" + CheckpointName(3) + ".tmp";
  ASSERT_TRUE(env_->CreateDirs(tmp).ok());
  // What an interrupted checkpoint of ours leaves: a header and a torn frame.
  ASSERT_TRUE(WriteFileAtomically(env_, SegmentPath(tmp, 0), SegmentHeader() + "\x40\x00\x00").ok());
  EXPECT_EQ(*ReplayContent(dir_), original);
  EXPECT_FALSE(env_->FileExists(tmp));
}

TEST_F(CheckpointTest, ForeignTmpLeftoverStopsReplayAndIsKept) {
  WriteWal(dir_);
  const std::string tmp = dir_ + "/" + CheckpointName(3) + ".tmp";
  ASSERT_TRUE(env_->CreateDirs(tmp).ok());
  ASSERT_TRUE(WriteFileAtomically(env_, SegmentPath(tmp, 0), "garbage that is no frame").ok());
  auto got = ReplayContent(dir_);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(got.status().ToString().find(tmp), std::string::npos) << got.status().ToString();
  EXPECT_EQ(*ReadFileToString(env_, SegmentPath(tmp, 0)), "garbage that is no frame");
}

TEST_F(CheckpointTest, DamagedSegmentFailsTheCheckpointAndDeletesNothing) {
  WriteWal(dir_);
  const auto [from, to] = Plan(dir_);
  const std::string victim = SegmentPath(dir_, from + 1);
  std::string bytes = *ReadFileToString(env_, victim);
  bytes[bytes.size() / 2] ^= 0x01;
  ASSERT_TRUE(WriteFileAtomically(env_, victim, bytes).ok());
  const auto segments = *ListSegments(env_, dir_);

  MetricsRegistry metrics;
  auto stats = Checkpoint(env_, dir_, from, to, Keep, kMint, &metrics);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), Status::Code::kCorruption);
  EXPECT_NE(stats.status().ToString().find(victim), std::string::npos) << stats.status().ToString();
  EXPECT_EQ(*ListSegments(env_, dir_), segments);
  EXPECT_FALSE(LastCheckpoint(env_, dir_)->has_value());
  EXPECT_EQ(metrics.GetCounter("prometheus_tsdb_checkpoint_creations_failed_total", "")->Value(), 1);
}

TEST_F(CheckpointTest, GapToThePreviousCheckpointIsRefused) {
  WriteWal(dir_);
  ASSERT_TRUE(Checkpoint(env_, dir_, 0, 1, Keep, kMint, nullptr).ok());
  auto stats = Checkpoint(env_, dir_, 4, 5, Keep, kMint, nullptr);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(CheckpointTest, SegmentsBelowFromAreNeverDroppedUncheckpointed) {
  WriteWal(dir_);
  auto stats = Checkpoint(env_, dir_, 1, 3, Keep, kMint, nullptr);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ListSegments(env_, dir_)->front(), 0u);
}

TEST_F(CheckpointTest, StorageSizeFollowsTheCheckpoint) {
  WriteWal(dir_);
  ReplayResult r;
  ASSERT_TRUE(ReplayContent(dir_, &r).ok());
  MetricsRegistry metrics;
  auto w = Wal::Open(env_, dir_, WalOptions{}, &metrics, r.next_segment);
  ASSERT_TRUE(w.ok());
  Gauge* size = metrics.GetGauge("prometheus_tsdb_wal_storage_size_bytes", "");
  const double before = size->Value();
  EXPECT_GT(before, 0);
  const auto [from, to] = Plan(dir_);
  auto stats = Checkpoint(env_, dir_, from, to, Keep, kMint, &metrics);
  ASSERT_TRUE(stats.ok());
  ASSERT_TRUE((*w)->RefreshStorageSize().ok());
  uint64_t want = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_)) {
    if (e.is_regular_file()) want += e.file_size();
  }
  EXPECT_EQ(size->Value(), static_cast<double>(want));
  EXPECT_LT(size->Value(), before);
}

TEST_F(CheckpointTest, CutSegmentOnAnEmptySegmentIsANoOp) {
  auto w = Wal::Open(env_, dir_, WalOptions{}, nullptr, 7);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*(*w)->CutSegment(), 7u);
  std::string rec;
  EncodeSamples({}, &rec);
  const std::string_view v = rec;
  ASSERT_TRUE((*w)->Log({&v, 1}).ok());
  EXPECT_EQ(*(*w)->CutSegment(), 8u);
  EXPECT_EQ((*w)->CurrentSegment(), 8u);
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_FALSE((*w)->CutSegment().ok());
}

}  // namespace
}  // namespace promethium::tsdb::wal
