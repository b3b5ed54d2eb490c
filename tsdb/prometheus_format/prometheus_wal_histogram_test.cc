// Native-histogram records of Prometheus's WAL and WBL (record types 7 to
// 10): a WAL a real Prometheus 2.42 wrote (testdata/prometheus-2.42-
// histogram-wal), literal bytes worked out from Prometheus's
// tsdb/record/record.go (EncodeHistogram / EncodeFloatHistogram), records
// built with the same encoding, delivery to the visitor in log order, a
// visitor that keeps no histograms refusing them, and histograms of unknown
// schemas refused.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <filesystem>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "tsdb/prometheus_format/prometheus_wal_for_test.h"
#include "tsdb/prometheus_format/wal_reader.h"
#include "tsdb/prometheus_format/wal_records.h"

#ifndef PROMETHEUS_WAL_FIXTURE_DIR
#error "PROMETHEUS_WAL_FIXTURE_DIR must name testdata/prometheus-2.42-wal"
#endif

namespace promethium::tsdb::prometheus_format {
namespace {

std::string Literal(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

void PutSpans(std::string* out, const std::vector<HistogramSpan>& spans) {
  PutUvarint(out, spans.size());
  for (const HistogramSpan& s : spans) {
    PutVarint(out, s.offset);
    PutUvarint(out, s.length);
  }
}

void PutBeFloats(std::string* out, const std::vector<double>& values) {
  PutUvarint(out, values.size());
  for (double v : values) PutBe(out, std::bit_cast<uint64_t>(v), 8);
}

// record.go's Encoder.HistogramSamples frame with EncodeHistogram entries.
std::string PromHistogramSamplesRecord(uint8_t type, std::span<const wal::RefHistogramSample> samples) {
  std::string out(1, static_cast<char>(type));
  if (samples.empty()) return out;
  PutBe(&out, samples[0].ref, 8);
  PutBe(&out, static_cast<uint64_t>(samples[0].t), 8);
  for (const auto& s : samples) {
    PutVarint(&out, static_cast<int64_t>(s.ref - samples[0].ref));
    PutVarint(&out, s.t - samples[0].t);
    const Histogram& h = s.h;
    out.push_back(static_cast<char>(h.counter_reset_hint));
    PutVarint(&out, h.schema);
    PutBe(&out, std::bit_cast<uint64_t>(h.zero_threshold), 8);
    PutUvarint(&out, h.zero_count);
    PutUvarint(&out, h.count);
    PutBe(&out, std::bit_cast<uint64_t>(h.sum), 8);
    PutSpans(&out, h.positive_spans);
    PutSpans(&out, h.negative_spans);
    for (const auto* buckets : {&h.positive_buckets, &h.negative_buckets}) {
      PutUvarint(&out, buckets->size());
      for (int64_t b : *buckets) PutVarint(&out, b);
    }
    if (IsCustomBucketsSchema(h.schema)) PutBeFloats(&out, h.custom_values);
  }
  return out;
}

// Encoder.FloatHistogramSamples with EncodeFloatHistogram entries.
std::string PromFloatHistogramSamplesRecord(uint8_t type, std::span<const wal::RefFloatHistogramSample> samples) {
  std::string out(1, static_cast<char>(type));
  if (samples.empty()) return out;
  PutBe(&out, samples[0].ref, 8);
  PutBe(&out, static_cast<uint64_t>(samples[0].t), 8);
  for (const auto& s : samples) {
    PutVarint(&out, static_cast<int64_t>(s.ref - samples[0].ref));
    PutVarint(&out, s.t - samples[0].t);
    const FloatHistogram& h = s.fh;
    out.push_back(static_cast<char>(h.counter_reset_hint));
    PutVarint(&out, h.schema);
    for (double v : {h.zero_threshold, h.zero_count, h.count, h.sum}) PutBe(&out, std::bit_cast<uint64_t>(v), 8);
    PutSpans(&out, h.positive_spans);
    PutSpans(&out, h.negative_spans);
    PutBeFloats(&out, h.positive_buckets);
    PutBeFloats(&out, h.negative_buckets);
    if (IsCustomBucketsSchema(h.schema)) PutBeFloats(&out, h.custom_values);
  }
  return out;
}

Histogram Exponential() {
  Histogram h;
  h.counter_reset_hint = CounterResetHint::kNotCounterReset;
  h.schema = -2;
  h.zero_threshold = 1e-3;
  h.zero_count = 3;
  h.count = 12;
  h.sum = -4.25;
  h.positive_spans = {{-3, 1}, {2, 2}};
  h.positive_buckets = {2, 1, -1};
  h.negative_spans = {{0, 1}};
  h.negative_buckets = {4};
  return h;
}

Histogram CustomBuckets() {
  Histogram h;
  h.schema = kCustomBucketsSchema;
  h.count = 4;
  h.sum = 3;
  h.positive_spans = {{0, 3}};
  h.positive_buckets = {1, 1, -2};
  h.custom_values = {0.25, 0.5, 1};
  return h;
}

FloatHistogram FloatCustomBuckets() {
  FloatHistogram h;
  h.counter_reset_hint = CounterResetHint::kGauge;
  h.schema = kCustomBucketsSchema;
  h.count = 2.5;
  h.sum = 1.25;
  h.positive_spans = {{1, 1}};
  h.positive_buckets = {2.5};
  h.custom_values = {10, 20};
  return h;
}

std::string SpansText(const std::vector<HistogramSpan>& spans) {
  std::string out;
  for (const HistogramSpan& s : spans) out += fmt::format("{}{}:{}", out.empty() ? "" : ",", s.offset, s.length);
  return out;
}

// Everything a histogram holds, as text, floats by value.
template <typename H>
std::string Describe(const H& h) {
  return fmt::format("hint={} schema={} zt={} zc={} c={} sum={} p={} n={} pb={} nb={} cv={}",
                     static_cast<int>(h.counter_reset_hint), h.schema, h.zero_threshold, h.zero_count, h.count, h.sum,
                     SpansText(h.positive_spans), SpansText(h.negative_spans), fmt::join(h.positive_buckets, ","),
                     fmt::join(h.negative_buckets, ","), fmt::join(h.custom_values, ","));
}

// ---- decoders -----------------------------------------------------------

TEST(PromHistogramRecordsTest, DecodesIntegerHistogramFromLiteralBytes) {
  // Worked out by hand from record.go: type 7, BE64 base ref 5, BE64 base t
  // 1700000000000, deltas 0 0, hint 0, schema 0, BE64 zero threshold 0.001,
  // zero count 2, count 5, BE64 sum 10.5, one positive span {1, 2}, no
  // negative span, positive bucket deltas [2, -1] (zigzag 4 1), none negative.
  const std::string rec =
      Literal({0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68,
               0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x50, 0x62, 0x4d, 0xd2, 0xf1, 0xa9, 0xfc, 0x02, 0x05, 0x40,
               0x25, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x02, 0x00, 0x02, 0x04, 0x01, 0x00});
  std::vector<wal::RefHistogramSample> out;
  ASSERT_TRUE(DecodePromHistogramSamples(rec, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ref, 5u);
  EXPECT_EQ(out[0].t, 1700000000000);
  EXPECT_EQ(Describe(out[0].h), "hint=0 schema=0 zt=0.001 zc=2 c=5 sum=10.5 p=1:2 n= pb=2,-1 nb= cv=");
}

TEST(PromHistogramRecordsTest, DecodesCustomBucketRecordsFromLiteralBytes) {
  // Type 9: base ref 1, base t 0, hint 3 (gauge), schema -53 (zigzag 105),
  // zero threshold 0, zero count 0, count 3, sum 0, span {0, 2}, bucket
  // deltas [1, 1], custom values [1.0].
  const std::string rec = Literal({0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x69, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02,
                                   0x00, 0x02, 0x02, 0x02, 0x00, 0x01, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  std::vector<wal::RefHistogramSample> out;
  ASSERT_TRUE(DecodePromHistogramSamples(rec, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Describe(out[0].h), "hint=3 schema=-53 zt=0 zc=0 c=3 sum=0 p=0:2 n= pb=1,1 nb= cv=1");
  // Type 10: the same as floats: count 3.0, bucket counts [1.0, 2.0].
  const std::string frec =
      Literal({0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
               0x00, 0x00, 0x03, 0x69, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
               0x00, 0x00, 0x00, 0x40, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
               0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x02, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00,
               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  std::vector<wal::RefFloatHistogramSample> fout;
  ASSERT_TRUE(DecodePromFloatHistogramSamples(frec, &fout).ok());
  ASSERT_EQ(fout.size(), 1u);
  EXPECT_EQ(Describe(fout[0].fh), "hint=3 schema=-53 zt=0 zc=0 c=3 sum=0 p=0:2 n= pb=1,2 nb= cv=1");
}

TEST(PromHistogramRecordsTest, RoundTripsEveryFieldOfSeveralEntries) {
  Histogram nan_sum = Exponential();
  nan_sum.sum = std::bit_cast<double>(uint64_t{0x7ff8000000000001});
  const std::vector<wal::RefHistogramSample> in = {
      {100, 60000, Exponential()}, {98, 59000, CustomBuckets()}, {std::numeric_limits<uint64_t>::max(), -1, nan_sum}};
  for (uint8_t type : {7, 9}) {
    std::vector<wal::RefHistogramSample> out;
    ASSERT_TRUE(DecodePromHistogramSamples(PromHistogramSamplesRecord(type, in), &out).ok());
    ASSERT_EQ(out.size(), in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      EXPECT_EQ(out[i].ref, in[i].ref) << i;
      EXPECT_EQ(out[i].t, in[i].t) << i;
      EXPECT_EQ(Describe(out[i].h), Describe(in[i].h)) << i;
    }
    EXPECT_EQ(std::bit_cast<uint64_t>(out[2].h.sum), 0x7ff8000000000001u);
  }
  FloatHistogram expo = Exponential().ToFloat();
  const std::vector<wal::RefFloatHistogramSample> fin = {{7, 1, FloatCustomBuckets()}, {9, 2, expo}};
  for (uint8_t type : {8, 10}) {
    std::vector<wal::RefFloatHistogramSample> out;
    ASSERT_TRUE(DecodePromFloatHistogramSamples(PromFloatHistogramSamplesRecord(type, fin), &out).ok());
    ASSERT_EQ(out.size(), fin.size());
    for (size_t i = 0; i < fin.size(); ++i) EXPECT_EQ(Describe(out[i].fh), Describe(fin[i].fh)) << i;
  }
}

TEST(PromHistogramRecordsTest, MalformedAndUnknownSchemas) {
  const wal::RefHistogramSample one{3, 1000, CustomBuckets()};
  const std::string rec = PromHistogramSamplesRecord(7, std::span(&one, 1));
  std::vector<wal::RefHistogramSample> out;
  ASSERT_TRUE(DecodePromHistogramSamples(std::string("\x07", 1), &out).ok());
  EXPECT_TRUE(out.empty());
  for (size_t cut = 2; cut < rec.size(); ++cut) {
    if (cut == 17) continue;  // type, base ref and base time: a record of no entries
    EXPECT_EQ(DecodePromHistogramSamples(rec.substr(0, cut), &out).code(), Status::Code::kCorruption) << cut;
  }
  EXPECT_EQ(DecodePromHistogramSamples(rec + "x", &out).code(), Status::Code::kCorruption);
  // Wrong types for each decoder.
  std::vector<wal::RefFloatHistogramSample> fout;
  EXPECT_EQ(DecodePromFloatHistogramSamples(rec, &fout).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(DecodePromHistogramSamples(std::string("\x08", 1), &out).code(), Status::Code::kInvalidArgument);
  // A schema from a newer Prometheus (9: finer than 8) is refused, not dropped.
  Histogram fine = Exponential();
  fine.schema = 9;
  const wal::RefHistogramSample f{3, 1000, fine};
  const Status st = DecodePromHistogramSamples(PromHistogramSamplesRecord(7, std::span(&f, 1)), &out);
  EXPECT_EQ(st.code(), Status::Code::kUnsupported) << st.ToString();
  EXPECT_NE(st.message().find("schema 9"), std::string::npos) << st.ToString();
  // A counter-reset hint Prometheus never writes.
  std::string bad_hint = rec;
  bad_hint[19] = '\x07';  // after type, base ref, base t and the two one-byte deltas
  EXPECT_EQ(DecodePromHistogramSamples(bad_hint, &out).code(), Status::Code::kCorruption);
}

// ---- replay through the reader ------------------------------------------

class PromWalHistogramTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (std::filesystem::temp_directory_path() /
             fmt::format("promethium_prom_wal_hist_{}_{}",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name(), ::getpid()))
                .string();
    EXPECT_TRUE(env_->RemoveDirRecursively(root_).ok());
    ASSERT_TRUE(env_->CreateDirs(root_).ok());
  }
  void TearDown() override { EXPECT_TRUE(env_->RemoveDirRecursively(root_).ok()); }

  // One segment: a series, floats, an integer histogram record with an
  // exponential and a custom-bucket entry, a custom-bucket float record.
  void WriteSegment() {
    PromSegmentBuilder b;
    const wal::RefSeries s{1, Labels{{"__name__", "h"}}};
    b.Log(PromSeriesRecord(std::span(&s, 1)));
    const wal::RefSample v{1, 500, 2};
    b.Log(PromSamplesRecord(std::span(&v, 1)));
    const wal::RefHistogramSample hs[] = {{1, 1000, Exponential()}, {1, 2000, CustomBuckets()}};
    b.Log(PromHistogramSamplesRecord(7, hs), TestCodec::kSnappy);
    const wal::RefFloatHistogramSample fh{1, 3000, FloatCustomBuckets()};
    b.Log(PromFloatHistogramSamplesRecord(10, std::span(&fh, 1)));
    ASSERT_TRUE(WriteFileForTest(env_, root_ + "/00000000", b.Finish(true)).ok());
  }

  Result<PrometheusWalReadStats> Read(PrometheusWalVisitor* v, bool as_wbl) {
    const auto before = SnapshotTree(root_);
    ReadOnlyCheckEnv env(env_);
    auto r = as_wbl ? ReadPrometheusWbl(&env, root_, v) : ReadPrometheusWal(&env, root_, v);
    EXPECT_EQ(env.mutations(), 0);
    EXPECT_EQ(SnapshotTree(root_), before);
    return r;
  }

  Env* env_ = Env::Default();
  std::string root_;
};

// Keeps floats only: the visitor's default histogram methods apply.
class FloatOnlyVisitor : public PrometheusWalVisitor {
 public:
  Status OnSeries(std::span<const wal::RefSeries>) override { return Status::OK(); }
  Status OnSamples(std::span<const wal::RefSample> s) override {
    samples += s.size();
    return Status::OK();
  }
  Status OnTombstones(std::span<const wal::Tombstone>) override { return Status::OK(); }
  Status OnExemplars(std::span<const wal::RefExemplar>) override { return Status::OK(); }
  size_t samples = 0;
};

class HistogramVisitor : public FloatOnlyVisitor {
 public:
  Status OnHistogramSamples(std::span<const wal::RefHistogramSample> s) override {
    for (const auto& h : s) log.push_back(fmt::format("h ref={} t={} {}", h.ref, h.t, Describe(h.h)));
    return Status::OK();
  }
  Status OnFloatHistogramSamples(std::span<const wal::RefFloatHistogramSample> s) override {
    for (const auto& h : s) log.push_back(fmt::format("fh ref={} t={} {}", h.ref, h.t, Describe(h.fh)));
    return Status::OK();
  }
  std::vector<std::string> log;
};

TEST_F(PromWalHistogramTest, HistogramRecordsReachTheVisitorInLogOrder) {
  WriteSegment();
  for (bool as_wbl : {false, true}) {
    HistogramVisitor v;
    auto stats = Read(&v, as_wbl);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(v.samples, 1u);
    EXPECT_EQ(stats->histogram_records, 2u);
    EXPECT_EQ(stats->histograms, 3u);
    EXPECT_EQ(stats->records, 4u);
    const std::vector<std::string> want = {"h ref=1 t=1000 " + Describe(Exponential()),
                                           "h ref=1 t=2000 " + Describe(CustomBuckets()),
                                           "fh ref=1 t=3000 " + Describe(FloatCustomBuckets())};
    EXPECT_EQ(v.log, want);
  }
}

TEST_F(PromWalHistogramTest, AVisitorWithoutHistogramsRefusesThem) {
  WriteSegment();
  FloatOnlyVisitor v;
  auto stats = Read(&v, false);
  ASSERT_EQ(stats.status().code(), Status::Code::kUnsupported) << stats.status().ToString();
  const std::string& msg = stats.status().message();
  EXPECT_NE(msg.find("2 native histogram samples in Prometheus's WAL"), std::string::npos) << msg;
  EXPECT_NE(msg.find(root_ + "/00000000"), std::string::npos) << msg;
}

// Prometheus 2.42 received our remote write request of ten histograms and
// logged them; reading its WAL must give back exactly what went in
// (expected.txt: labels, t, hint, Prometheus's String()).
TEST(PromHistogramFixtureTest, ReadsTheRealPrometheusWal) {
  const std::string dir = std::string(PROMETHEUS_WAL_FIXTURE_DIR) + "/../prometheus-2.42-histogram-wal";
  Result<std::string> expected = ReadFileToString(Env::Default(), dir + "/expected.txt");
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  struct Collector : FloatOnlyVisitor {
    Status OnSeries(std::span<const wal::RefSeries> s) override {
      for (const auto& x : s) names[x.ref] = x.labels.ToString();
      return Status::OK();
    }
    Status OnHistogramSamples(std::span<const wal::RefHistogramSample> s) override {
      for (const auto& h : s) {
        text += fmt::format("{}\t{}\t{}\t{}\n", names[h.ref], h.t, static_cast<int>(h.h.counter_reset_hint),
                            h.h.ToString());
      }
      return Status::OK();
    }
    std::map<uint64_t, std::string> names;
    std::string text;
  } v;
  ReadOnlyCheckEnv env(Env::Default());
  auto stats = ReadPrometheusWal(&env, dir + "/wal", &v);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(env.mutations(), 0);
  EXPECT_EQ(stats->histogram_records, 1u);
  EXPECT_EQ(stats->histograms, 10u);
  EXPECT_EQ(v.samples, 0u);
  EXPECT_EQ(v.text, *expected);
}

}  // namespace
}  // namespace promethium::tsdb::prometheus_format
