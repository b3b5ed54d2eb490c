// Remote read server with native histograms: the SAMPLES answer carries
// them in TimeSeries.histograms (Prometheus's FromIntHistogram /
// FromFloatHistogram), the streamed answer in histogram and float-histogram
// chunks. Answers are decoded with the generated protobuf classes and the
// chunk iterators, and compared with what was stored.
#include <gtest/gtest.h>
#include <snappy.h>

#include <map>
#include <string>
#include <vector>

#include "remote/proto/remote.pb.h"
#include "tsdb/api/memory_storage.h"
#include "tsdb/base/varint.h"
#include "tsdb/chunkenc/chunk_encoding.h"
#include "web/remote/read_encoding.h"
#include "web/remote/read_handler.h"

namespace promethium::web {
namespace {

// An integer histogram of schema 0 with two positive buckets and one
// negative; `k` scales the counts so successive samples grow.
Histogram IntHistogram(uint64_t k) {
  Histogram h;
  h.counter_reset_hint = CounterResetHint::kNotCounterReset;
  h.schema = 0;
  h.zero_threshold = 0.001;
  h.zero_count = k;
  h.count = 6 * k;
  h.sum = 10.5 * static_cast<double>(k);
  h.positive_spans = {{1, 2}};
  h.positive_buckets = {static_cast<int64_t>(2 * k), -static_cast<int64_t>(k)};  // 2k, k
  h.negative_spans = {{-1, 1}};
  h.negative_buckets = {static_cast<int64_t>(2 * k)};
  return h;
}

FloatHistogram CustomBucketsHistogram(double k) {
  FloatHistogram fh;
  fh.counter_reset_hint = CounterResetHint::kGauge;
  fh.schema = kCustomBucketsSchema;
  fh.count = 3 * k;
  fh.sum = 4.25 * k;
  fh.positive_spans = {{0, 2}};
  fh.positive_buckets = {k, 2 * k};
  fh.custom_values = {0.5, 2};
  return fh;
}

std::string Snappy(const std::string& raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

HttpRequest ReadAll(int64_t start, int64_t end, prometheus::ReadRequest::ResponseType type) {
  prometheus::ReadRequest req;
  prometheus::Query* q = req.add_queries();
  q->set_start_timestamp_ms(start);
  q->set_end_timestamp_ms(end);
  prometheus::LabelMatcher* m = q->add_matchers();
  m->set_type(prometheus::LabelMatcher::RE);
  m->set_name("__name__");
  m->set_value(".+");
  req.add_accepted_response_types(type);
  HttpRequest http;
  http.method = "POST";
  http.target = "/api/v1/read";
  http.body = Snappy(req.SerializeAsString());
  return http;
}

std::string NameOf(const google::protobuf::RepeatedPtrField<prometheus::Label>& labels) {
  for (const auto& l : labels) {
    if (l.name() == "__name__") return l.value();
  }
  return "";
}

std::vector<HistogramSpan> Spans(const google::protobuf::RepeatedPtrField<prometheus::BucketSpan>& in) {
  std::vector<HistogramSpan> out;
  for (const auto& s : in) out.push_back({s.offset(), s.length()});
  return out;
}

class RemoteReadHistogramTest : public ::testing::Test {
 protected:
  RemoteReadHistogramTest() {
    for (int i = 0; i < 3; ++i) storage_.AddHistogram(Labels{{"__name__", "ih"}}, 1000 * (i + 1), IntHistogram(i + 1));
    storage_.AddFloatHistogram(Labels{{"__name__", "fh"}}, 1000, CustomBucketsHistogram(1.5));
    // A series that changes type: floats, then histograms, then a float.
    storage_.Add(Labels{{"__name__", "mixed"}}, 1000, 1);
    storage_.Add(Labels{{"__name__", "mixed"}}, 2000, 2);
    storage_.AddHistogram(Labels{{"__name__", "mixed"}}, 3000, IntHistogram(1));
    storage_.AddHistogram(Labels{{"__name__", "mixed"}}, 4000, IntHistogram(2));
    storage_.Add(Labels{{"__name__", "mixed"}}, 5000, 3);
  }

  HttpResponse Serve(const HttpRequest& req, RemoteReadOptions opts = {}) {
    RemoteReadHandler h(&storage_, nullptr, opts, nullptr);
    return h.Serve(req);
  }

  MemoryStorage storage_;
};

TEST_F(RemoteReadHistogramTest, SamplesAnswerCarriesHistogramsAsPrometheusEncodesThem) {
  HttpResponse resp = Serve(ReadAll(0, 10000, prometheus::ReadRequest::SAMPLES));
  ASSERT_EQ(resp.status, 200) << resp.body;
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(resp.body.data(), resp.body.size(), &raw));
  prometheus::ReadResponse msg;
  ASSERT_TRUE(msg.ParseFromString(raw));
  ASSERT_EQ(msg.results_size(), 1);
  std::map<std::string, prometheus::TimeSeries> by_name;
  for (const auto& ts : msg.results(0).timeseries()) by_name[NameOf(ts.labels())] = ts;
  ASSERT_EQ(by_name.size(), 3u);

  const prometheus::TimeSeries& ih = by_name["ih"];
  EXPECT_EQ(ih.samples_size(), 0);
  ASSERT_EQ(ih.histograms_size(), 3);
  for (int i = 0; i < 3; ++i) {
    const prometheus::Histogram& p = ih.histograms(i);
    const Histogram want = IntHistogram(i + 1);
    EXPECT_EQ(p.timestamp(), 1000 * (i + 1));
    EXPECT_EQ(p.count_case(), prometheus::Histogram::kCountInt);
    EXPECT_EQ(p.count_int(), want.count);
    EXPECT_EQ(p.zero_count_case(), prometheus::Histogram::kZeroCountInt);
    EXPECT_EQ(p.zero_count_int(), want.zero_count);
    EXPECT_EQ(p.sum(), want.sum);
    EXPECT_EQ(p.schema(), 0);
    EXPECT_EQ(p.zero_threshold(), 0.001);
    EXPECT_EQ(Spans(p.positive_spans()), want.positive_spans);
    EXPECT_EQ(std::vector<int64_t>(p.positive_deltas().begin(), p.positive_deltas().end()), want.positive_buckets);
    EXPECT_EQ(Spans(p.negative_spans()), want.negative_spans);
    EXPECT_EQ(std::vector<int64_t>(p.negative_deltas().begin(), p.negative_deltas().end()), want.negative_buckets);
    EXPECT_EQ(p.positive_counts_size(), 0);
    // The hint the storage reads back (MemoryStorage mimics the TSDB's
    // read-side hints), carried with Prometheus's numbers.
    const auto& stored = storage_.histograms().at(Labels{{"__name__", "ih"}});
    EXPECT_EQ(static_cast<int>(p.reset_hint()), static_cast<int>(stored[static_cast<size_t>(i)].h->counter_reset_hint));
  }

  const prometheus::TimeSeries& fh = by_name["fh"];
  ASSERT_EQ(fh.histograms_size(), 1);
  const prometheus::Histogram& p = fh.histograms(0);
  EXPECT_EQ(p.count_case(), prometheus::Histogram::kCountFloat);
  EXPECT_EQ(p.count_float(), 4.5);
  EXPECT_EQ(p.zero_count_case(), prometheus::Histogram::kZeroCountFloat);  // set even at 0
  EXPECT_EQ(p.schema(), kCustomBucketsSchema);
  EXPECT_EQ(std::vector<double>(p.positive_counts().begin(), p.positive_counts().end()), (std::vector<double>{1.5, 3}));
  EXPECT_EQ(std::vector<double>(p.custom_values().begin(), p.custom_values().end()), (std::vector<double>{0.5, 2}));
  EXPECT_EQ(p.reset_hint(), prometheus::Histogram::GAUGE);

  const prometheus::TimeSeries& mixed = by_name["mixed"];
  ASSERT_EQ(mixed.samples_size(), 3);
  EXPECT_EQ(mixed.samples(2).timestamp(), 5000);
  ASSERT_EQ(mixed.histograms_size(), 2);
  EXPECT_EQ(mixed.histograms(0).timestamp(), 3000);
}

TEST_F(RemoteReadHistogramTest, HistogramsCountAgainstTheSampleLimit) {
  RemoteReadOptions opts;
  opts.sample_limit = 8;  // 3 + 1 + 5 samples and histograms in all
  HttpResponse resp = Serve(ReadAll(0, 10000, prometheus::ReadRequest::SAMPLES), opts);
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body, "exceeded sample limit (8)\n");
  opts.sample_limit = 9;
  EXPECT_EQ(Serve(ReadAll(0, 10000, prometheus::ReadRequest::SAMPLES), opts).status, 200);
}

struct DecodedChunk {
  prometheus::Chunk::Encoding type;
  int64_t min_t, max_t;
  int samples;
};

// Every chunk of a streamed answer per series name, decoded with the chunk
// iterators: its encoding, bounds and sample count; the decoded histograms
// (as float histograms) and floats appended to *histograms / *floats.
std::map<std::string, std::vector<DecodedChunk>> DecodeStream(
    std::string_view body, std::map<std::string, std::vector<std::pair<int64_t, FloatHistogram>>>* histograms,
    std::map<std::string, std::vector<Sample>>* floats) {
  std::map<std::string, std::vector<DecodedChunk>> out;
  while (!body.empty()) {
    uint64_t size = 0;
    EXPECT_TRUE(GetUvarint(&body, &size));
    EXPECT_GE(body.size(), 4 + size);
    prometheus::ChunkedReadResponse msg;
    EXPECT_TRUE(msg.ParseFromString(std::string(body.substr(4, size))));
    body.remove_prefix(4 + size);
    for (const auto& cs : msg.chunked_series()) {
      const std::string name = NameOf(cs.labels());
      for (const auto& c : cs.chunks()) {
        Result<std::unique_ptr<SampleIterator>> it = tsdb::NewChunkIterator(static_cast<uint8_t>(c.type()), c.data());
        EXPECT_TRUE(it.ok()) << it.status().ToString();
        if (!it.ok()) continue;
        int n = 0;
        for (ValueType vt = (*it)->Next(); vt != ValueType::kNone; vt = (*it)->Next(), ++n) {
          if (vt == ValueType::kFloat) {
            (*floats)[name].push_back((*it)->At());
            continue;
          }
          FloatHistogram fh;
          const int64_t t = (*it)->AtFloatHistogram(&fh);
          (*histograms)[name].emplace_back(t, fh);
        }
        EXPECT_TRUE((*it)->Err().ok()) << (*it)->Err().ToString();
        out[name].push_back({c.type(), c.min_time_ms(), c.max_time_ms(), n});
      }
    }
  }
  return out;
}

TEST_F(RemoteReadHistogramTest, StreamedAnswerCarriesHistogramChunks) {
  HttpResponse resp = Serve(ReadAll(0, 10000, prometheus::ReadRequest::STREAMED_XOR_CHUNKS));
  ASSERT_EQ(resp.status, 200) << resp.body;
  ASSERT_EQ(resp.stream, nullptr);  // small enough for the first batch
  std::map<std::string, std::vector<std::pair<int64_t, FloatHistogram>>> histograms;
  std::map<std::string, std::vector<Sample>> floats;
  auto chunks = DecodeStream(resp.body, &histograms, &floats);

  ASSERT_EQ(chunks["ih"].size(), 1u);
  EXPECT_EQ(chunks["ih"][0].type, prometheus::Chunk::HISTOGRAM);
  EXPECT_EQ(chunks["ih"][0].min_t, 1000);
  EXPECT_EQ(chunks["ih"][0].max_t, 3000);
  ASSERT_EQ(histograms["ih"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(histograms["ih"][i].first, 1000 * (i + 1));
    FloatHistogram want = IntHistogram(i + 1).ToFloat();
    EXPECT_EQ(histograms["ih"][i].second.count, want.count);
    EXPECT_EQ(histograms["ih"][i].second.sum, want.sum);
    EXPECT_EQ(histograms["ih"][i].second.positive_buckets, want.positive_buckets);
    EXPECT_EQ(histograms["ih"][i].second.negative_buckets, want.negative_buckets);
  }

  ASSERT_EQ(chunks["fh"].size(), 1u);
  EXPECT_EQ(chunks["fh"][0].type, prometheus::Chunk::FLOAT_HISTOGRAM);
  ASSERT_EQ(histograms["fh"].size(), 1u);
  EXPECT_EQ(histograms["fh"][0].second.custom_values, (std::vector<double>{0.5, 2}));
  EXPECT_EQ(histograms["fh"][0].second.positive_buckets, (std::vector<double>{1.5, 3}));

  // A chunk holds one type: the mixed series is cut where its type changes.
  const auto& mixed = chunks["mixed"];
  ASSERT_EQ(mixed.size(), 3u);
  EXPECT_EQ(mixed[0].type, prometheus::Chunk::XOR);
  EXPECT_EQ(mixed[0].samples, 2);
  EXPECT_EQ(mixed[1].type, prometheus::Chunk::HISTOGRAM);
  EXPECT_EQ(mixed[1].min_t, 3000);
  EXPECT_EQ(mixed[1].max_t, 4000);
  EXPECT_EQ(mixed[2].type, prometheus::Chunk::XOR);
  EXPECT_EQ(floats["mixed"].size(), 3u);
}

// A counter reset cannot continue a histogram chunk (Prometheus cuts a new
// one); nor can more than kSamplesPerReadChunk samples.
TEST_F(RemoteReadHistogramTest, StreamedHistogramChunksAreCutAtResetsAndAtTheSampleBound) {
  MemoryStorage storage;
  const Labels series{{"__name__", "resets"}};
  for (int i = 0; i < 5; ++i) storage.AddHistogram(series, 1000 * (i + 1), IntHistogram(10 + i));
  for (int i = 5; i < 5 + kSamplesPerReadChunk + 3; ++i) {
    storage.AddHistogram(series, 1000 * (i + 1), IntHistogram(i - 4));  // counts fall at i=5
  }
  RemoteReadHandler h(&storage, nullptr, {}, nullptr);
  HttpResponse resp = h.Serve(ReadAll(0, 1000000, prometheus::ReadRequest::STREAMED_XOR_CHUNKS));
  ASSERT_EQ(resp.status, 200) << resp.body;
  std::string body = resp.body;
  while (resp.stream != nullptr && resp.stream->Next(&body)) {
  }
  std::map<std::string, std::vector<std::pair<int64_t, FloatHistogram>>> histograms;
  std::map<std::string, std::vector<Sample>> floats;
  auto chunks = DecodeStream(body, &histograms, &floats);
  const auto& got = chunks["resets"];
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].samples, 5);
  EXPECT_EQ(got[1].samples, kSamplesPerReadChunk);
  EXPECT_EQ(got[1].min_t, 6000);
  EXPECT_EQ(got[2].samples, 3);
  EXPECT_EQ(histograms["resets"].size(), static_cast<size_t>(5 + kSamplesPerReadChunk + 3));
}

}  // namespace
}  // namespace promethium::web
