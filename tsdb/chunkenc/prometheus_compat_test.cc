// Compatibility with chunks written by a real Prometheus (2.42):
// testdata/prometheus_2_42_histogram_chunks.txt holds native histograms
// pushed to it by remote write and the chunk bytes it wrote for them: those
// of a TSDB snapshot ("chunk") and, for gauge histograms, which its snapshot
// cannot handle, the completed chunks of its head ("headchunk"; the open
// last chunk, holding the last two samples, is not on disk). Generator:
// testdata/gen_prometheus_histogram_chunks.py. We must decode those bytes to
// the pushed samples, and our appenders, given the same samples, must write
// the same bytes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tsdb/chunkenc/chunk_encoding.h"

namespace promethium::tsdb {
namespace {

struct PromSample {
  bool is_float = false;
  int64_t t = 0;
  Histogram h;        // when !is_float
  FloatHistogram fh;  // when is_float
};

struct PromCase {
  bool from_head = false;  // chunks lack the open last chunk (2 samples)
  std::vector<PromSample> samples;
  std::vector<std::pair<int, std::string>> chunks;  // encoding, bytes
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  if (s == "-") return out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, sep)) out.push_back(item);
  return out;
}

std::vector<HistogramSpan> ParseSpans(const std::string& s) {
  std::vector<HistogramSpan> out;
  for (const std::string& span : Split(s, ',')) {
    const size_t colon = span.find(':');
    out.push_back(
        HistogramSpan{std::stoi(span.substr(0, colon)), static_cast<uint32_t>(std::stoul(span.substr(colon + 1)))});
  }
  return out;
}

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

template <typename T, typename Parse>
std::vector<T> ParseList(const std::string& s, Parse parse) {
  std::vector<T> out;
  for (const std::string& v : Split(s, ',')) out.push_back(parse(v));
  return out;
}

std::map<std::string, PromCase> LoadCases() {
  std::map<std::string, PromCase> cases;
  std::ifstream in(std::string(TSDB_CHUNKENC_TESTDATA) + "/prometheus_2_42_histogram_chunks.txt");
  EXPECT_TRUE(in.good());
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string kind, name;
    fields >> kind >> name;
    if (kind == "chunk" || kind == "headchunk") {
      cases[name].from_head = kind == "headchunk";
      int encoding;
      std::string hex;
      fields >> encoding >> hex;
      cases[name].chunks.emplace_back(encoding, Unhex(hex));
    } else if (kind == "sample") {
      std::string type, zt, zc, count, sum, ps, pb, ns, nb;
      int hint, schema;
      PromSample s;
      fields >> type >> s.t >> hint >> schema >> zt >> zc >> count >> sum >> ps >> pb >> ns >> nb;
      s.is_float = type == "float";
      auto as_double = [](const std::string& v) { return std::strtod(v.c_str(), nullptr); };
      if (s.is_float) {
        s.fh = FloatHistogram{static_cast<CounterResetHint>(hint),
                              schema,
                              as_double(zt),
                              as_double(zc),
                              as_double(count),
                              as_double(sum),
                              ParseSpans(ps),
                              ParseSpans(ns),
                              ParseList<double>(pb, as_double),
                              ParseList<double>(nb, as_double),
                              {}};
      } else {
        auto as_int = [](const std::string& v) { return std::stoll(v); };
        s.h = Histogram{static_cast<CounterResetHint>(hint),
                        schema,
                        as_double(zt),
                        std::stoull(zc),
                        std::stoull(count),
                        as_double(sum),
                        ParseSpans(ps),
                        ParseSpans(ns),
                        ParseList<int64_t>(pb, as_int),
                        ParseList<int64_t>(nb, as_int),
                        {}};
      }
      cases[name].samples.push_back(std::move(s));
    }
  }
  return cases;
}

// Absolute count per bucket index, empty buckets left out: the bucket
// contents independent of the span layout (recoding adds empty buckets).
std::map<int, double> BucketMap(const std::vector<HistogramSpan>& spans, const std::vector<double>& counts) {
  std::map<int, double> out;
  BucketIndexIterator it(spans);
  int64_t index;
  for (size_t i = 0; i < counts.size() && it.Next(&index); ++i) {
    if (counts[i] != 0) out[index] = counts[i];
  }
  return out;
}

std::vector<double> Absolute(const std::vector<int64_t>& deltas) {
  std::vector<double> out;
  int64_t v = 0;
  for (int64_t d : deltas) out.push_back(static_cast<double>(v += d));
  return out;
}

FloatHistogram AsFloat(const PromSample& s) {
  if (s.is_float) return s.fh;
  const Histogram& h = s.h;
  return FloatHistogram{h.counter_reset_hint,
                        h.schema,
                        h.zero_threshold,
                        static_cast<double>(h.zero_count),
                        static_cast<double>(h.count),
                        h.sum,
                        h.positive_spans,
                        h.negative_spans,
                        Absolute(h.positive_buckets),
                        Absolute(h.negative_buckets),
                        {}};
}

class PrometheusCompatTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cases_ = new std::map<std::string, PromCase>(LoadCases()); }
  static void TearDownTestSuite() { delete cases_; }
  static std::map<std::string, PromCase>* cases_;
};
std::map<std::string, PromCase>* PrometheusCompatTest::cases_ = nullptr;

TEST_F(PrometheusCompatTest, TestdataCoversBothEncodings) {
  int encodings[4] = {0, 0, 0, 0};
  for (const auto& [name, c] : *cases_) {
    EXPECT_FALSE(c.samples.empty()) << name;
    EXPECT_FALSE(c.chunks.empty()) << name;
    for (const auto& [encoding, bytes] : c.chunks) ++encodings[encoding & 3];
  }
  EXPECT_GT(encodings[2], 0);
  EXPECT_GT(encodings[3], 0);
  EXPECT_EQ(6u, cases_->size());
}

TEST_F(PrometheusCompatTest, DecodesPrometheusChunksToThePushedSamples) {
  for (const auto& [name, c] : *cases_) {
    SCOPED_TRACE(name);
    size_t next = 0;
    for (const auto& [encoding, bytes] : c.chunks) {
      auto it = NewChunkIterator(static_cast<uint8_t>(encoding), bytes);
      ASSERT_TRUE(it.ok());
      int in_chunk = 0;
      for (ValueType type; (type = (*it)->Next()) != ValueType::kNone; ++next, ++in_chunk) {
        ASSERT_LT(next, c.samples.size());
        const FloatHistogram want = AsFloat(c.samples[next]);
        EXPECT_EQ(c.samples[next].is_float ? ValueType::kFloatHistogram : ValueType::kHistogram, type);
        FloatHistogram got;
        EXPECT_EQ(c.samples[next].t, (*it)->AtFloatHistogram(&got));
        const CounterResetHint hint = want.counter_reset_hint == CounterResetHint::kGauge ? CounterResetHint::kGauge
                                      : in_chunk == 0                                     ? CounterResetHint::kUnknown
                                                      : CounterResetHint::kNotCounterReset;
        EXPECT_EQ(hint, got.counter_reset_hint);
        EXPECT_EQ(want.schema, got.schema);
        EXPECT_EQ(want.zero_threshold, got.zero_threshold);
        EXPECT_EQ(want.zero_count, got.zero_count);
        EXPECT_EQ(want.count, got.count);
        EXPECT_EQ(want.sum, got.sum);
        EXPECT_EQ(BucketMap(want.positive_spans, want.positive_buckets),
                  BucketMap(got.positive_spans, got.positive_buckets));
        EXPECT_EQ(BucketMap(want.negative_spans, want.negative_buckets),
                  BucketMap(got.negative_spans, got.negative_buckets));
      }
      EXPECT_TRUE((*it)->Err().ok()) << (*it)->Err().ToString();
    }
    EXPECT_EQ(c.samples.size(), next + (c.from_head ? 2 : 0));
  }
}

// Appends the samples, collecting each chunk when it is complete.
template <typename Chunk, typename Appender, typename Sample>
std::vector<std::string> Encode(const std::vector<PromSample>& samples, Sample PromSample::*field) {
  std::vector<std::string> out;
  auto chunk = std::make_unique<Chunk>();
  Appender app(chunk.get());
  for (const PromSample& s : samples) {
    auto r = app.Append(s.t, s.*field, false);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return out;
    if (r->kind == AppendKind::kNewChunk) out.emplace_back(chunk->Bytes());
    if (r->chunk != nullptr) chunk = std::move(r->chunk);
  }
  out.emplace_back(chunk->Bytes());
  return out;
}

TEST_F(PrometheusCompatTest, OurAppendersWriteTheSameBytes) {
  for (const auto& [name, c] : *cases_) {
    SCOPED_TRACE(name);
    std::vector<std::string> theirs;
    for (const auto& [encoding, bytes] : c.chunks) theirs.push_back(bytes);
    std::vector<std::string> ours =
        c.samples[0].is_float ? Encode<FloatHistogramChunk, FloatHistogramAppender>(c.samples, &PromSample::fh)
                              : Encode<HistogramChunk, HistogramAppender>(c.samples, &PromSample::h);
    if (c.from_head) {
      // Our last chunk is the one Prometheus still held open.
      ASSERT_EQ(theirs.size() + 1, ours.size());
      ours.pop_back();
    }
    EXPECT_EQ(theirs, ours);
  }
}

// Every single-bit corruption of Prometheus's chunks either decodes or
// fails with an error, and a chunk that decodes can be resumed and appended
// to (the head does this after a restart): nothing crashes or loops.
TEST_F(PrometheusCompatTest, BitFlippedChunksFailCleanly) {
  Histogram h;
  h.count = 3;
  h.sum = 1.5;
  h.positive_spans = {{0, 2}};
  h.positive_buckets = {1, 1};
  FloatHistogram fh;
  fh.count = 3;
  fh.sum = 1.5;
  fh.positive_spans = {{0, 2}};
  fh.positive_buckets = {1, 2};
  int errors = 0;
  for (const auto& [name, c] : *cases_) {
    for (const auto& [encoding, original] : c.chunks) {
      for (size_t bit = 0; bit < original.size() * 8; ++bit) {
        std::string bytes = original;
        bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (0x80 >> (bit % 8)));
        auto it = NewChunkIterator(static_cast<uint8_t>(encoding), bytes);
        ASSERT_TRUE(it.ok());
        int n = 0;
        while ((*it)->Next() != ValueType::kNone) ++n;
        EXPECT_LE(n, ChunkNumSamples(bytes));
        if (!(*it)->Err().ok()) ++errors;
        if (encoding == 2) {
          auto chunk = HistogramChunk::FromBytes(bytes);
          ASSERT_TRUE(chunk.ok());
          auto app = HistogramAppender::Resume(&*chunk);
          if (app.ok() && app->last_t() < kMaxTime - 1000) app->Append(app->last_t() + 1000, h, false).IgnoreError();
        } else {
          auto chunk = FloatHistogramChunk::FromBytes(bytes);
          ASSERT_TRUE(chunk.ok());
          auto app = FloatHistogramAppender::Resume(&*chunk);
          if (app.ok() && app->last_t() < kMaxTime - 1000) app->Append(app->last_t() + 1000, fh, false).IgnoreError();
        }
      }
    }
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace promethium::tsdb
