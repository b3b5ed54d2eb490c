// Remote read server: requests built with the generated protobuf classes,
// answers decoded with them (and stream frames by hand, chunks with the XOR
// iterator) and compared with the stored samples.
#include "web/remote/read_handler.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <bit>
#include <cmath>
#include <map>
#include <random>

#include "remote/proto/remote.pb.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/varint.h"
#include "tsdb/chunkenc/xor_chunk.h"
#include "tsdb/encoding/crc32c.h"
#include "web/api_handler.h"
#include "web/remote/read_chunked_stream.h"
#include "web/testing_storage.h"

namespace promethium::web {
namespace {

using SeriesMap = std::map<Labels, std::vector<Sample>>;

struct QuerySpec {
  int64_t start = 0;
  int64_t end = 0;
  std::vector<std::tuple<prometheus::LabelMatcher::Type, std::string, std::string>> matchers;
};

std::string Snappy(const std::string& raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

std::string RequestBody(const std::vector<QuerySpec>& queries, std::vector<int> accepted) {
  prometheus::ReadRequest req;
  for (const QuerySpec& q : queries) {
    prometheus::Query* pq = req.add_queries();
    pq->set_start_timestamp_ms(q.start);
    pq->set_end_timestamp_ms(q.end);
    for (const auto& [type, name, value] : q.matchers) {
      prometheus::LabelMatcher* m = pq->add_matchers();
      m->set_type(type);
      m->set_name(name);
      m->set_value(value);
    }
  }
  for (int t : accepted) req.add_accepted_response_types(static_cast<prometheus::ReadRequest::ResponseType>(t));
  return Snappy(req.SerializeAsString());
}

HttpRequest Post(std::string body) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/read";
  req.body = std::move(body);
  return req;
}

constexpr int kSamples = prometheus::ReadRequest::SAMPLES;
constexpr int kStreamed = prometheus::ReadRequest::STREAMED_XOR_CHUNKS;
constexpr auto EQ = prometheus::LabelMatcher::EQ;
constexpr auto NEQ = prometheus::LabelMatcher::NEQ;
constexpr auto RE = prometheus::LabelMatcher::RE;

// Samples every 15 s from t=0; value patterns that make XOR chunks of
// different sizes, plus a stale marker and special values.
std::vector<MemoryQueryable::Data> TestData() {
  std::vector<MemoryQueryable::Data> out;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> noise(-1e6, 1e6);
  for (int s = 0; s < 5; ++s) {
    MemoryQueryable::Data d;
    d.labels = Labels{{"__name__", s < 3 ? "http_requests_total" : "memory_bytes"},
                      {"instance", "i" + std::to_string(s)},
                      {"job", s % 2 == 0 ? "api" : "web"}};
    const int n = 100 + 250 * s;
    for (int i = 0; i < n; ++i) {
      double v = s == 4 ? noise(rng) : i * 1.5 + s;
      d.samples.push_back({int64_t{i} * 15000 + (s == 2 ? i % 3 : 0), v});
    }
    if (s == 1) d.samples.push_back({int64_t{n} * 15000, StaleNaN()});
    if (s == 3) d.samples[5].v = -0.0, d.samples[6].v = INFINITY, d.samples[7].v = NAN;
    out.push_back(std::move(d));
  }
  return out;
}

SeriesMap Expected(const std::vector<MemoryQueryable::Data>& data, int64_t start, int64_t end,
                   const std::function<bool(const Labels&)>& match, const Labels& external = Labels()) {
  SeriesMap out;
  for (const auto& d : data) {
    if (!match(d.labels)) continue;
    std::vector<Sample> in_range;
    for (const Sample& s : d.samples) {
      if (s.t >= start && s.t <= end) in_range.push_back(s);
    }
    if (!in_range.empty()) out[MergeExternalLabels(d.labels, external)] = in_range;
  }
  return out;
}

Labels FromProto(const google::protobuf::RepeatedPtrField<prometheus::Label>& labels) {
  std::vector<Label> out;
  for (const auto& l : labels) out.push_back({l.name(), l.value()});
  return Labels::FromVector(std::move(out));
}

void ExpectSameSamples(const SeriesMap& got, const SeriesMap& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [labels, samples] : want) {
    auto it = got.find(labels);
    ASSERT_NE(it, got.end()) << labels.ToString();
    ASSERT_EQ(it->second.size(), samples.size()) << labels.ToString();
    for (size_t i = 0; i < samples.size(); ++i) {
      EXPECT_EQ(it->second[i].t, samples[i].t);
      EXPECT_EQ(std::bit_cast<uint64_t>(it->second[i].v), std::bit_cast<uint64_t>(samples[i].v));
    }
  }
}

// A SAMPLES answer, one map per query.
std::vector<SeriesMap> DecodeSamples(const HttpResponse& resp) {
  EXPECT_EQ(resp.status, 200) << resp.body;
  EXPECT_EQ(resp.Header("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(resp.Header("Content-Encoding"), "snappy");
  std::string raw;
  EXPECT_TRUE(snappy::Uncompress(resp.body.data(), resp.body.size(), &raw));
  prometheus::ReadResponse msg;
  EXPECT_TRUE(msg.ParseFromString(raw));
  std::vector<SeriesMap> out;
  for (const auto& result : msg.results()) {
    SeriesMap m;
    for (const auto& ts : result.timeseries()) {
      std::vector<Sample>& samples = m[FromProto(ts.labels())];
      for (const auto& s : ts.samples()) samples.push_back({s.timestamp(), s.value()});
    }
    out.push_back(std::move(m));
  }
  return out;
}

struct Frame {
  prometheus::ChunkedReadResponse msg;
  size_t chunk_bytes = 0;
};

// The whole streamed body: resp.body then every piece of resp.stream.
std::string DrainBody(HttpResponse* resp) {
  std::string body = resp->body;
  for (int i = 0; resp->stream != nullptr && i < 100000; ++i) {
    if (!resp->stream->Next(&body)) break;
  }
  resp->stream.reset();
  return body;
}

// Parses frames as Prometheus's ChunkedReader does: uvarint size,
// big-endian CRC32C, message; fails the test on a bad frame.
std::vector<Frame> ParseFrames(std::string_view body) {
  std::vector<Frame> frames;
  while (!body.empty()) {
    uint64_t size = 0;
    EXPECT_TRUE(GetUvarint(&body, &size));
    if (body.size() < 4 + size) {
      ADD_FAILURE() << "truncated frame";
      break;
    }
    uint32_t crc = 0;
    for (int i = 0; i < 4; ++i) crc = (crc << 8) | static_cast<uint8_t>(body[static_cast<size_t>(i)]);
    std::string_view msg = body.substr(4, size);
    EXPECT_EQ(crc, tsdb::encoding::Crc32c(msg));
    Frame f;
    EXPECT_TRUE(f.msg.ParseFromString(std::string(msg)));
    for (const auto& s : f.msg.chunked_series()) {
      for (const auto& c : s.chunks()) f.chunk_bytes += c.ByteSizeLong();
    }
    frames.push_back(std::move(f));
    body.remove_prefix(4 + size);
  }
  return frames;
}

// Decodes every frame's chunks into samples, per query index; checks each
// chunk's encoding, sample count and time bounds.
std::map<int64_t, SeriesMap> DecodeFrames(const std::vector<Frame>& frames) {
  std::map<int64_t, SeriesMap> out;
  for (const Frame& f : frames) {
    EXPECT_EQ(f.msg.chunked_series_size(), 1);
    for (const auto& cs : f.msg.chunked_series()) {
      std::vector<Sample>& samples = out[f.msg.query_index()][FromProto(cs.labels())];
      for (const auto& c : cs.chunks()) {
        EXPECT_EQ(c.type(), prometheus::Chunk::XOR);
        tsdb::XorIterator it(c.data());
        int n = 0;
        int64_t first = 0, last = 0;
        while (it.Next() != ValueType::kNone) {
          Sample s = it.At();
          if (n == 0) first = s.t;
          last = s.t;
          ++n;
          samples.push_back(s);
        }
        EXPECT_TRUE(it.Err().ok()) << it.Err().message();
        EXPECT_GE(n, 1);
        EXPECT_LE(n, kSamplesPerReadChunk);
        EXPECT_EQ(c.min_time_ms(), first);
        EXPECT_EQ(c.max_time_ms(), last);
      }
    }
  }
  return out;
}

class RemoteReadTest : public ::testing::Test {
 protected:
  RemoteReadHandler Handler(RemoteReadOptions opts = {}, Labels external = Labels()) {
    return RemoteReadHandler(
        &storage_, [external] { return external; }, opts, &registry_);
  }
  std::vector<MemoryQueryable::Data> data_ = TestData();
  MemoryQueryable storage_{data_};
  MetricsRegistry registry_;
};

bool IsRequests(const Labels& l) { return l.MetricName() == "http_requests_total"; }

TEST_F(RemoteReadTest, SamplesAnswerHasTheStoredSamples) {
  RemoteReadHandler h = Handler();
  std::vector<QuerySpec> queries = {
      {0, 3000000, {{EQ, "__name__", "http_requests_total"}}},
      {600000, 900000, {{RE, "__name__", "http_.*|memory_bytes"}, {NEQ, "job", "web"}}},
      {0, 1, {{EQ, "__name__", "nonexistent"}}},
  };
  std::vector<SeriesMap> got = DecodeSamples(h.Serve(Post(RequestBody(queries, {}))));
  ASSERT_EQ(got.size(), 3u);
  ExpectSameSamples(got[0], Expected(data_, 0, 3000000, IsRequests));
  ExpectSameSamples(got[1], Expected(data_, 600000, 900000, [](const Labels& l) { return l.Get("job") != "web"; }));
  EXPECT_TRUE(got[2].empty());
  // SAMPLES listed first wins over the streamed type.
  got = DecodeSamples(h.Serve(Post(RequestBody({queries[0]}, {kSamples, kStreamed}))));
  ASSERT_EQ(got.size(), 1u);
  ExpectSameSamples(got[0], Expected(data_, 0, 3000000, IsRequests));
}

TEST_F(RemoteReadTest, ExternalLabelsAreAddedAndMatchedAsPrometheusDoes) {
  RemoteReadHandler h = Handler({}, Labels{{"region", "eu"}, {"job", "ignored"}});
  // region="eu" matches the external label: the stored series lack it.
  std::vector<QuerySpec> queries = {{0, 3000000, {{EQ, "__name__", "memory_bytes"}, {EQ, "region", "eu"}}},
                                    {0, 3000000, {{EQ, "__name__", "memory_bytes"}, {EQ, "region", "us"}}}};
  std::vector<SeriesMap> got = DecodeSamples(h.Serve(Post(RequestBody(queries, {}))));
  ASSERT_EQ(got.size(), 2u);
  auto memory = [](const Labels& l) { return l.MetricName() == "memory_bytes"; };
  ExpectSameSamples(got[0], Expected(data_, 0, 3000000, memory, Labels{{"region", "eu"}, {"job", "ignored"}}));
  EXPECT_TRUE(got[1].empty());
  for (const auto& [labels, samples] : got[0]) {
    EXPECT_EQ(labels.Get("region"), "eu");
    EXPECT_NE(labels.Get("job"), "ignored");  // stored labels win
  }
}

TEST_F(RemoteReadTest, StreamedAnswerDecodesToTheStoredSamples) {
  RemoteReadHandler h = Handler({}, Labels{{"region", "eu"}});
  std::vector<QuerySpec> queries = {{0, 100000000, {{RE, "__name__", ".+"}}}, {300000, 600000, {{EQ, "job", "api"}}}};
  HttpResponse resp = h.Serve(Post(RequestBody(queries, {kStreamed, kSamples})));
  ASSERT_EQ(resp.status, 200) << resp.body;
  EXPECT_EQ(resp.Header("Content-Type"), "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse");
  EXPECT_EQ(resp.Header("Content-Encoding"), "");
  std::string body = DrainBody(&resp);
  std::vector<Frame> frames = ParseFrames(body);
  std::map<int64_t, SeriesMap> got = DecodeFrames(frames);
  ASSERT_EQ(got.size(), 2u);
  Labels ext{{"region", "eu"}};
  ExpectSameSamples(got[0], Expected(
                                data_, 0, 100000000, [](const Labels&) { return true; }, ext));
  ExpectSameSamples(got[1], Expected(
                                data_, 300000, 600000, [](const Labels& l) { return l.Get("job") == "api"; }, ext));
  // Series come sorted within each query, each series' frames together.
  Labels prev;
  int64_t prev_query = -1;
  for (const Frame& f : frames) {
    Labels l = FromProto(f.msg.chunked_series(0).labels());
    if (f.msg.query_index() == prev_query) {
      EXPECT_LE(prev, l);
    }
    prev = l;
    prev_query = f.msg.query_index();
  }
}

TEST_F(RemoteReadTest, StreamedFramesRespectMaxBytesInFrame) {
  for (int64_t max_bytes : {int64_t{0}, int64_t{300}, int64_t{2000}, int64_t{1} << 20}) {
    RemoteReadOptions opts;
    opts.max_bytes_in_frame = max_bytes;
    RemoteReadHandler h = Handler(opts);
    HttpResponse resp = h.Serve(Post(RequestBody({{0, 100000000, {{RE, "__name__", ".+"}}}}, {kStreamed})));
    ASSERT_EQ(resp.status, 200);
    std::vector<Frame> frames = ParseFrames(DrainBody(&resp));
    size_t chunks = 0;
    for (const Frame& f : frames) {
      const auto& series = f.msg.chunked_series(0);
      size_t label_bytes = 0;
      for (const auto& l : series.labels()) label_bytes += l.ByteSizeLong();
      size_t last_chunk = series.chunks(series.chunks_size() - 1).ByteSizeLong();
      // A frame takes another chunk only while under budget, so it is over
      // budget by at most the chunk that crossed it.
      if (series.chunks_size() > 1) {
        EXPECT_LT(static_cast<int64_t>(f.chunk_bytes + label_bytes - last_chunk), max_bytes) << max_bytes;
      }
      if (max_bytes <= 0) {
        EXPECT_EQ(series.chunks_size(), 1);
      }
      chunks += static_cast<size_t>(series.chunks_size());
    }
    // 120 samples per chunk: series of 100, 350 (+1 stale marker), 600,
    // 850 and 1100 samples.
    EXPECT_EQ(chunks, 1u + 3u + 5u + 8u + 10u);
    ExpectSameSamples(DecodeFrames(frames)[0], Expected(data_, 0, 100000000, [](const Labels&) { return true; }));
    if (max_bytes == (int64_t{1} << 20)) {
      EXPECT_EQ(frames.size(), 5u);  // one frame per series
    }
  }
}

TEST_F(RemoteReadTest, SampleLimitFailsSamplesAnswersOnly) {
  RemoteReadOptions opts;
  opts.sample_limit = 100;
  RemoteReadHandler h = Handler(opts);
  // Exactly 100 samples: allowed. The limit counts per query.
  std::vector<QuerySpec> exact = {{0, 99 * 15000, {{EQ, "instance", "i0"}}}, {0, 99 * 15000, {{EQ, "instance", "i1"}}}};
  EXPECT_EQ(h.Serve(Post(RequestBody(exact, {}))).status, 200);
  std::vector<QuerySpec> over = {{0, 100 * 15000, {{EQ, "instance", "i1"}}}};
  HttpResponse resp = h.Serve(Post(RequestBody(over, {})));
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body, "exceeded sample limit (100)\n");
  EXPECT_EQ(resp.Header("Content-Type"), "text/plain; charset=utf-8");
  // Streamed answers ignore it, as in Prometheus.
  resp = h.Serve(Post(RequestBody(over, {kStreamed})));
  EXPECT_EQ(resp.status, 200);
  // 0 means no limit.
  opts.sample_limit = 0;
  EXPECT_EQ(Handler(opts).Serve(Post(RequestBody({{0, 100000000, {{RE, "__name__", ".+"}}}}, {}))).status, 200);
}

TEST_F(RemoteReadTest, ConcurrencyLimitCountsOpenStreams) {
  // A large series so the streamed answer does not fit in the first batch.
  std::vector<MemoryQueryable::Data> big(1);
  big[0].labels = Labels{{"__name__", "noise"}};
  std::mt19937_64 rng(1);
  for (int i = 0; i < 50000; ++i) big[0].samples.push_back({i, std::bit_cast<double>(rng() >> 2)});
  MemoryQueryable storage(big);
  RemoteReadOptions opts;
  opts.concurrency_limit = 1;
  RemoteReadHandler h(&storage, nullptr, opts, &registry_);
  std::string streamed = RequestBody({{0, 100000, {{EQ, "__name__", "noise"}}}}, {kStreamed});
  HttpResponse open = h.Serve(Post(streamed));
  ASSERT_EQ(open.status, 200);
  ASSERT_NE(open.stream, nullptr);
  EXPECT_EQ(registry_.GetGauge("prometheus_remote_read_handler_queries", "")->Value(), 1);
  HttpResponse refused = h.Serve(Post(streamed));
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.body, "too many concurrent remote read requests (--storage.remote.read-concurrent-limit=1)\n");
  std::string body = DrainBody(&open);  // finishing the stream frees the slot
  EXPECT_EQ(registry_.GetGauge("prometheus_remote_read_handler_queries", "")->Value(), 0);
  ExpectSameSamples(DecodeFrames(ParseFrames(body))[0], SeriesMap{{big[0].labels, big[0].samples}});
  EXPECT_EQ(h.Serve(Post(streamed)).status, 200);
  // 0 means no limit.
  opts.concurrency_limit = 0;
  RemoteReadHandler unlimited(&storage, nullptr, opts, nullptr);
  std::vector<HttpResponse> held;
  for (int i = 0; i < 20; ++i) held.push_back(unlimited.Serve(Post(streamed)));
  for (const HttpResponse& r : held) EXPECT_EQ(r.status, 200);
}

TEST_F(RemoteReadTest, BadBodiesAnswer400) {
  RemoteReadHandler h = Handler();
  auto serve = [&](std::string body) { return h.Serve(Post(std::move(body))); };
  HttpResponse resp = serve("");
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body, "snappy: corrupt input\n");
  EXPECT_EQ(serve("definitely not snappy \xff\xff\xff\xff\xff").status, 400);
  resp = serve(Snappy("\xff\xff\xff garbage that is not protobuf"));
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("proto:"), std::string::npos) << resp.body;
  EXPECT_EQ(serve(std::string(kMaxRemoteReadBodyBytes + 1, '\0')).status, 400);
  // A length header claiming a huge decompressed size.
  EXPECT_EQ(serve(std::string("\xff\xff\xff\xff\x0f", 5)).status, 400);
  // Only unknown response types.
  resp = serve(RequestBody({{0, 1, {{EQ, "__name__", "up"}}}}, {7, 9}));
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body,
            "server does not support any of the requested response types: [7 9]; supported: map[SAMPLES:{} "
            "STREAMED_XOR_CHUNKS:{}]\n");
  // An unknown type before a supported one is skipped.
  EXPECT_EQ(serve(RequestBody({{0, 1, {{EQ, "__name__", "up"}}}}, {7, kStreamed})).status, 200);
  // A valid empty request has an empty answer.
  EXPECT_TRUE(DecodeSamples(serve(Snappy(""))).empty());
}

TEST_F(RemoteReadTest, RandomBodiesNeverCrash) {
  RemoteReadHandler h = Handler();
  std::mt19937 rng(3);
  std::string valid = RequestBody({{0, 3000000, {{RE, "__name__", ".+"}}}}, {kStreamed});
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(valid.data(), valid.size(), &raw));
  for (int i = 0; i < 300; ++i) {
    std::string body = i % 2 == 0 ? valid : raw;
    for (int k = 0; k < 1 + i % 5; ++k) body[rng() % body.size()] = static_cast<char>(rng());
    if (i % 2 == 1) body = Snappy(body.substr(0, rng() % (body.size() + 1)));
    HttpResponse resp = h.Serve(Post(body));
    EXPECT_TRUE(resp.status == 200 || resp.status == 400 || resp.status == 500) << resp.status;
    DrainBody(&resp);
  }
}

TEST_F(RemoteReadTest, MatcherErrorsAnswer500AsPrometheus) {
  RemoteReadHandler h = Handler();
  HttpResponse resp = h.Serve(Post(RequestBody({{0, 1, {{RE, "__name__", "("}}}}, {})));
  EXPECT_EQ(resp.status, 500);
  resp = h.Serve(Post(RequestBody({{0, 1, {{static_cast<prometheus::LabelMatcher::Type>(9), "a", "b"}}}}, {})));
  EXPECT_EQ(resp.status, 500);
  EXPECT_EQ(resp.body, "invalid matcher type\n");
  resp = h.Serve(Post(RequestBody({{0, 1, {{RE, "__name__", "("}}}}, {kStreamed})));
  EXPECT_EQ(resp.status, 500);
}

TEST_F(RemoteReadTest, StreamedErrorAfterFramesEndsTheBodyWithItsText) {
  RemoteReadHandler h = Handler();
  // The first query's frames are sent; the second query's bad regex then
  // fails: the status is already 200, so the text ends the body (Prometheus
  // writes it after the frames the same way).
  HttpResponse resp = h.Serve(
      Post(RequestBody({{0, 3000000, {{EQ, "instance", "i0"}}}, {0, 3000000, {{RE, "__name__", "("}}}}, {kStreamed})));
  ASSERT_EQ(resp.status, 200);
  std::string body = DrainBody(&resp);
  ASSERT_EQ(body.back(), '\n');
  std::string_view rest = body;
  uint64_t size = 0;
  ASSERT_TRUE(GetUvarint(&rest, &size));
  std::vector<Frame> frames = ParseFrames(body.substr(0, body.size() - rest.size() + 4 + size));
  ASSERT_EQ(frames.size(), 1u);
  ExpectSameSamples(DecodeFrames(frames)[0],
                    Expected(data_, 0, 3000000, [](const Labels& l) { return l.Get("instance") == "i0"; }));
  std::string tail = body.substr(body.size() - rest.size() + 4 + size);
  EXPECT_NE(tail.find("missing"), std::string::npos) << tail;  // RE2's "missing ): ("
}

TEST_F(RemoteReadTest, NoMatchersSelectNothingAndEmptyMatchersSelectAll) {
  RemoteReadHandler h = Handler();
  std::vector<SeriesMap> got = DecodeSamples(h.Serve(Post(RequestBody({{0, 3000000, {}}}, {}))));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].empty());
  // {job=""}: every series without a job label... none here; {zone=""}: all.
  got = DecodeSamples(
      h.Serve(Post(RequestBody({{0, 3000000, {{EQ, "zone", ""}}}, {0, 3000000, {{EQ, "job", ""}}}}, {}))));
  ASSERT_EQ(got.size(), 2u);
  ExpectSameSamples(got[0], Expected(data_, 0, 3000000, [](const Labels&) { return true; }));
  EXPECT_TRUE(got[1].empty());
}

// Storage whose queriers fail to open, or whose series sets fail.
class FailingQueryable final : public Queryable {
 public:
  explicit FailingQueryable(bool fail_open) : fail_open_(fail_open) {}
  Result<std::unique_ptr<Querier>> NewQuerier(int64_t, int64_t) override {
    if (fail_open_) return Status::IOError("disk on fire");
    return std::unique_ptr<Querier>(new FailingQuerier());
  }

 private:
  class FailingQuerier final : public Querier {
   public:
    std::unique_ptr<SeriesSet> Select(bool, const SelectHints*, const Matchers&) override {
      return std::make_unique<ListSeriesSet>(std::vector<std::unique_ptr<ListSeries>>{},
                                             Status::Corruption("bad chunk"));
    }
    Result<std::vector<std::string>> LabelValues(std::string_view, const Matchers&) override {
      return std::vector<std::string>{};
    }
    Result<std::vector<std::string>> LabelNames(const Matchers&) override { return std::vector<std::string>{}; }
  };
  bool fail_open_;
};

TEST_F(RemoteReadTest, StorageErrorsAnswer500) {
  for (bool fail_open : {true, false}) {
    FailingQueryable storage(fail_open);
    RemoteReadHandler h(&storage, nullptr, {}, nullptr);
    for (int type : {kSamples, kStreamed}) {
      HttpResponse resp = h.Serve(Post(RequestBody({{0, 1, {{EQ, "__name__", "up"}}}}, {type})));
      EXPECT_EQ(resp.status, 500);
      EXPECT_EQ(resp.body, fail_open ? "disk on fire\n" : "bad chunk\n");
      EXPECT_EQ(resp.stream, nullptr);
    }
  }
}

TEST_F(RemoteReadTest, ServedThroughApiHandler) {
  ApiDeps deps;
  deps.storage = &storage_;
  deps.external_labels = [] { return Labels{{"dc", "x"}}; };
  deps.remote_read.sample_limit = 10;
  ApiHandler api(std::move(deps));
  EXPECT_TRUE(ApiHandler::IsSlowEndpoint("/api/v1/read"));
  HttpResponse resp = api.Handle(Post(RequestBody({{0, 15000 * 5, {{EQ, "instance", "i0"}}}}, {})));
  std::vector<SeriesMap> got = DecodeSamples(resp);
  ASSERT_EQ(got.size(), 1u);
  ExpectSameSamples(
      got[0], Expected(
                  data_, 0, 15000 * 5, [](const Labels& l) { return l.Get("instance") == "i0"; }, Labels{{"dc", "x"}}));
  EXPECT_EQ(api.Handle(Post(RequestBody({{0, 3000000, {{EQ, "instance", "i0"}}}}, {}))).status, 400);
  HttpRequest get = Post("");
  get.method = "GET";
  EXPECT_EQ(api.Handle(get).status, 405);
}

}  // namespace
}  // namespace promethium::web
