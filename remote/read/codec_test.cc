#include "remote/read/codec.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include "remote/proto/chunked_frame.h"
#include "remote/proto/remote.pb.h"
#include "tsdb/chunkenc/chunk_encoding.h"

namespace promethium::remote {
namespace {

std::string Snappy(const std::string& raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

void AddLabel(google::protobuf::RepeatedPtrField<prometheus::Label>* ls, const std::string& n, const std::string& v) {
  prometheus::Label* l = ls->Add();
  l->set_name(n);
  l->set_value(v);
}

// An XOR chunk holding samples t=from..to-1 step 1000 ms with value t/1000.
prometheus::Chunk XorChunkOf(int64_t from_s, int64_t to_s) {
  tsdb::XorChunk chunk;
  tsdb::XorAppender app(&chunk);
  for (int64_t t = from_s; t < to_s; ++t) app.Append(t * 1000, static_cast<double>(t));
  prometheus::Chunk out;
  out.set_min_time_ms(from_s * 1000);
  out.set_max_time_ms((to_s - 1) * 1000);
  out.set_type(prometheus::Chunk::XOR);
  out.set_data(std::string(chunk.Bytes()));
  return out;
}

using Pairs = std::vector<std::pair<int64_t, double>>;
Pairs ToPairs(const std::vector<Sample>& samples) {
  Pairs out;
  for (const Sample& s : samples) out.emplace_back(s.t, s.v);
  return out;
}

std::string Frame(const prometheus::ChunkedReadResponse& msg) {
  std::string out;
  AppendChunkedFrame(&out, msg.SerializeAsString());
  return out;
}

TEST(EncodeReadRequest, CarriesQueryMatchersHintsAndTypes) {
  ReadQuery q;
  q.start_ms = 1000;
  q.end_ms = 5000;
  q.matchers.push_back(Matcher::Make(MatchType::kEqual, "__name__", "up").value());
  q.matchers.push_back(Matcher::Make(MatchType::kRegexNoMatch, "job", "a|b").value());
  q.hints.step = 15000;
  q.hints.func = "rate";
  q.hints.range = 60000;
  q.hints.grouping = {"job"};
  q.hints.by = true;
  q.has_hints = true;
  const std::string body = EncodeReadRequest(q, {ResponseType::kStreamedXorChunks, ResponseType::kSamples});
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  prometheus::ReadRequest req;
  ASSERT_TRUE(req.ParseFromString(raw));
  ASSERT_EQ(req.queries_size(), 1);
  const prometheus::Query& pq = req.queries(0);
  EXPECT_EQ(pq.start_timestamp_ms(), 1000);
  EXPECT_EQ(pq.end_timestamp_ms(), 5000);
  ASSERT_EQ(pq.matchers_size(), 2);
  EXPECT_EQ(pq.matchers(0).type(), prometheus::LabelMatcher::EQ);
  EXPECT_EQ(pq.matchers(1).type(), prometheus::LabelMatcher::NRE);
  EXPECT_EQ(pq.matchers(1).name(), "job");
  EXPECT_EQ(pq.matchers(1).value(), "a|b");
  EXPECT_EQ(pq.hints().step_ms(), 15000);
  EXPECT_EQ(pq.hints().func(), "rate");
  EXPECT_EQ(pq.hints().range_ms(), 60000);
  EXPECT_TRUE(pq.hints().by());
  ASSERT_EQ(req.accepted_response_types_size(), 2);
  EXPECT_EQ(req.accepted_response_types(0), prometheus::ReadRequest::STREAMED_XOR_CHUNKS);
  EXPECT_EQ(req.accepted_response_types(1), prometheus::ReadRequest::SAMPLES);
}

TEST(DecodeSampledResponse, SortsSeriesAndKeepsTheRange) {
  prometheus::ReadResponse resp;
  prometheus::QueryResult* r = resp.add_results();
  prometheus::TimeSeries* b = r->add_timeseries();
  AddLabel(b->mutable_labels(), "__name__", "m");
  AddLabel(b->mutable_labels(), "job", "b");
  for (int64_t t : {1000, 2000, 9000}) {
    prometheus::Sample* s = b->add_samples();
    s->set_timestamp(t);
    s->set_value(static_cast<double>(t));
  }
  prometheus::TimeSeries* a = r->add_timeseries();
  AddLabel(a->mutable_labels(), "job", "a");  // labels out of order on the wire
  AddLabel(a->mutable_labels(), "__name__", "m");
  prometheus::Sample* s = a->add_samples();
  s->set_timestamp(3000);
  s->set_value(1.5);
  Result<SeriesList> got = DecodeSampledResponse(Snappy(resp.SerializeAsString()), 1500, 5000, {});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].labels, (Labels{{"__name__", "m"}, {"job", "a"}}));
  EXPECT_EQ(ToPairs((*got)[0].samples), (Pairs{{3000, 1.5}}));
  EXPECT_EQ((*got)[1].labels, (Labels{{"__name__", "m"}, {"job", "b"}}));
  EXPECT_EQ(ToPairs((*got)[1].samples), (Pairs{{2000, 2000}}));
}

TEST(DecodeSampledResponse, Errors) {
  EXPECT_EQ(DecodeSampledResponse("not snappy", 0, 1, {}).status().message(),
            "error reading response: snappy: corrupt input");
  prometheus::ReadResponse two;
  two.add_results();
  two.add_results();
  EXPECT_EQ(DecodeSampledResponse(Snappy(two.SerializeAsString()), 0, 1, {}).status().message(),
            "responses: want 1, got 2");
  prometheus::ReadResponse dup;
  prometheus::TimeSeries* ts = dup.add_results()->add_timeseries();
  AddLabel(ts->mutable_labels(), "a", "1");
  AddLabel(ts->mutable_labels(), "a", "2");
  EXPECT_EQ(DecodeSampledResponse(Snappy(dup.SerializeAsString()), 0, 1, {}).status().message(),
            "duplicate label with name: a");
  DecodeLimits small;
  small.max_decoded_bytes = 4;
  EXPECT_EQ(DecodeSampledResponse(Snappy(dup.SerializeAsString()), 0, 1, small).status().code(),
            Status::Code::kResourceExhausted);
}

TEST(DecodeChunkedResponse, JoinsSeriesAcrossFramesAndTrimsToRange) {
  prometheus::ChunkedReadResponse f1;
  prometheus::ChunkedSeries* s1 = f1.add_chunked_series();
  AddLabel(s1->mutable_labels(), "__name__", "m");
  *s1->add_chunks() = XorChunkOf(0, 120);
  prometheus::ChunkedReadResponse f2;  // the same series continues
  prometheus::ChunkedSeries* s2 = f2.add_chunked_series();
  AddLabel(s2->mutable_labels(), "__name__", "m");
  *s2->add_chunks() = XorChunkOf(120, 200);
  prometheus::ChunkedReadResponse f3;
  prometheus::ChunkedSeries* s3 = f3.add_chunked_series();
  AddLabel(s3->mutable_labels(), "__name__", "a");
  *s3->add_chunks() = XorChunkOf(0, 10);
  const std::string body = Frame(f1) + Frame(f2) + Frame(f3);
  Result<SeriesList> got = DecodeChunkedResponse(body, 5000, 150'000, {});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].labels, (Labels{{"__name__", "a"}}));
  EXPECT_EQ((*got)[0].samples.size(), 5u);  // 5..9
  EXPECT_EQ(ToPairs({(*got)[0].samples.front()}), (Pairs{{5000, 5}}));
  const std::vector<Sample>& m = (*got)[1].samples;
  ASSERT_EQ(m.size(), 146u);  // 5..150
  EXPECT_EQ(ToPairs({m.front()}), (Pairs{{5000, 5}}));
  EXPECT_EQ(ToPairs({m.back()}), (Pairs{{150'000, 150}}));
  for (size_t i = 1; i < m.size(); ++i) ASSERT_EQ(m[i].t - m[i - 1].t, 1000);
}

TEST(DecodeChunkedResponse, RejectsCorruptFramesAndChunks) {
  prometheus::ChunkedReadResponse f;
  prometheus::ChunkedSeries* s = f.add_chunked_series();
  AddLabel(s->mutable_labels(), "__name__", "m");
  *s->add_chunks() = XorChunkOf(0, 10);
  std::string good = Frame(f);

  std::string bad_crc = good;
  bad_crc[bad_crc.size() - 1] ^= 0x01;
  EXPECT_EQ(DecodeChunkedResponse(bad_crc, 0, 100'000, {}).status().message(),
            "chunkedReader: corrupted frame; checksum mismatch");
  EXPECT_EQ(DecodeChunkedResponse(good.substr(0, good.size() - 3), 0, 100'000, {}).status().message(),
            "chunkedReader: unexpected EOF");
  DecodeLimits tiny;
  tiny.frame_limit = 10;
  EXPECT_EQ(DecodeChunkedResponse(good, 0, 100'000, tiny).status().code(), Status::Code::kResourceExhausted);
  DecodeLimits few;
  few.max_samples = 3;
  EXPECT_EQ(DecodeChunkedResponse(good, 0, 100'000, few).status().code(), Status::Code::kResourceExhausted);

  prometheus::ChunkedReadResponse xor2 = f;  // Prometheus's start-timestamp encodings are not read
  xor2.mutable_chunked_series(0)->mutable_chunks(0)->set_type(static_cast<prometheus::Chunk::Encoding>(4));
  EXPECT_EQ(DecodeChunkedResponse(Frame(xor2), 0, 100'000, {}).status().code(), Status::Code::kUnsupported);

  prometheus::ChunkedReadResponse garbage = f;
  garbage.mutable_chunked_series(0)->mutable_chunks(0)->set_data(std::string("\x00\x05\x01", 3));
  EXPECT_FALSE(DecodeChunkedResponse(Frame(garbage), 0, 100'000, {}).ok());

  Result<SeriesList> empty = DecodeChunkedResponse("", 0, 1, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

// Prometheus's FromIntHistogram / FromFloatHistogram shapes: the count
// oneof says which kind it is.
TEST(DecodeSampledResponse, DecodesHistogramsAndPrefersFloatsOnTheSameTimestamp) {
  prometheus::ReadResponse resp;
  prometheus::TimeSeries* ts = resp.add_results()->add_timeseries();
  AddLabel(ts->mutable_labels(), "__name__", "h");
  prometheus::Sample* s = ts->add_samples();
  s->set_timestamp(3000);
  s->set_value(7);
  for (int64_t t : {1000, 3000, 9000}) {  // 3000 clashes with the float, 9000 is out of range
    prometheus::Histogram* h = ts->add_histograms();
    h->set_count_int(4);
    h->set_zero_count_int(1);
    h->set_sum(2.5);
    h->set_schema(2);
    h->set_zero_threshold(0.5);
    prometheus::BucketSpan* span = h->add_positive_spans();
    span->set_offset(-2);
    span->set_length(2);
    h->add_positive_deltas(2);
    h->add_positive_deltas(-1);
    h->set_reset_hint(prometheus::Histogram::YES);
    h->set_timestamp(t);
  }
  prometheus::Histogram* f = ts->add_histograms();
  f->set_count_float(1.5);
  f->set_schema(-53);
  f->add_positive_spans()->set_length(1);
  f->add_positive_counts(1.5);
  f->add_custom_values(10);
  f->set_timestamp(2000);
  Result<SeriesList> got = DecodeSampledResponse(Snappy(resp.SerializeAsString()), 0, 5000, {});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  const RemoteSeries& series = (*got)[0];
  EXPECT_EQ(ToPairs(series.samples), (Pairs{{3000, 7}}));
  ASSERT_EQ(series.histograms.size(), 2u);
  const RemoteHistogram& ih = series.histograms[0];
  EXPECT_EQ(ih.t, 1000);
  EXPECT_FALSE(ih.is_float);
  EXPECT_EQ(ih.h.count, 4u);
  EXPECT_EQ(ih.h.zero_count, 1u);
  EXPECT_EQ(ih.h.sum, 2.5);
  EXPECT_EQ(ih.h.schema, 2);
  EXPECT_EQ(ih.h.zero_threshold, 0.5);
  EXPECT_EQ(ih.h.positive_spans, (std::vector<HistogramSpan>{{-2, 2}}));
  EXPECT_EQ(ih.h.positive_buckets, (std::vector<int64_t>{2, -1}));
  EXPECT_EQ(ih.h.counter_reset_hint, CounterResetHint::kCounterReset);
  const RemoteHistogram& fh = series.histograms[1];
  EXPECT_EQ(fh.t, 2000);
  EXPECT_TRUE(fh.is_float);
  EXPECT_EQ(fh.fh.count, 1.5);
  EXPECT_EQ(fh.fh.schema, -53);
  EXPECT_EQ(fh.fh.positive_buckets, (std::vector<double>{1.5}));
  EXPECT_EQ(fh.fh.custom_values, (std::vector<double>{10}));

  DecodeLimits few;  // histograms count against the sample bound
  few.max_samples = 2;
  EXPECT_EQ(DecodeSampledResponse(Snappy(resp.SerializeAsString()), 0, 5000, few).status().code(),
            Status::Code::kResourceExhausted);
}

TEST(DecodeChunkedResponse, DecodesHistogramChunks) {
  tsdb::HistogramChunk chunk;
  tsdb::HistogramAppender app(&chunk);
  for (int64_t i = 1; i <= 3; ++i) {
    Histogram h;
    h.count = static_cast<uint64_t>(2 * i);
    h.sum = static_cast<double>(i);
    h.positive_spans = {{0, 2}};
    h.positive_buckets = {i, 0};  // i, i
    ASSERT_TRUE(app.Append(i * 1000, h, /*append_only=*/true).ok());
  }
  tsdb::FloatHistogramChunk fchunk;
  tsdb::FloatHistogramAppender fapp(&fchunk);
  FloatHistogram fh;
  fh.count = 0.5;
  fh.positive_spans = {{1, 1}};
  fh.positive_buckets = {0.5};
  ASSERT_TRUE(fapp.Append(5000, fh, /*append_only=*/true).ok());

  prometheus::ChunkedReadResponse frame;
  prometheus::ChunkedSeries* cs = frame.add_chunked_series();
  AddLabel(cs->mutable_labels(), "__name__", "h");
  prometheus::Chunk* c = cs->add_chunks();
  c->set_min_time_ms(1000);
  c->set_max_time_ms(3000);
  c->set_type(prometheus::Chunk::HISTOGRAM);
  c->set_data(std::string(chunk.Bytes()));
  c = cs->add_chunks();
  c->set_min_time_ms(5000);
  c->set_max_time_ms(5000);
  c->set_type(prometheus::Chunk::FLOAT_HISTOGRAM);
  c->set_data(std::string(fchunk.Bytes()));
  Result<SeriesList> got = DecodeChunkedResponse(Frame(frame), 2000, 10'000, {});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  const auto& hs = (*got)[0].histograms;
  ASSERT_EQ(hs.size(), 3u);  // 2000, 3000 and the float one; 1000 is before the range
  EXPECT_EQ(hs[0].t, 2000);
  EXPECT_FALSE(hs[0].is_float);
  EXPECT_EQ(hs[0].h.count, 4u);
  EXPECT_EQ(hs[1].h.sum, 3);
  EXPECT_TRUE(hs[2].is_float);
  EXPECT_EQ(hs[2].t, 5000);
  EXPECT_EQ(hs[2].fh.positive_buckets, (std::vector<double>{0.5}));
}

TEST(ChunkedFrameReader, ReadsFramesInOrder) {
  std::string body;
  AppendChunkedFrame(&body, "hello");
  AppendChunkedFrame(&body, "");
  AppendChunkedFrame(&body, std::string(300, 'x'));  // two-byte length
  ChunkedFrameReader r(body, 1000);
  std::string_view frame;
  ASSERT_TRUE(r.Next(&frame).value());
  EXPECT_EQ(frame, "hello");
  ASSERT_TRUE(r.Next(&frame).value());
  EXPECT_EQ(frame, "");
  ASSERT_TRUE(r.Next(&frame).value());
  EXPECT_EQ(frame.size(), 300u);
  EXPECT_FALSE(r.Next(&frame).value());
  // Big-endian CRC32C of "hello" (0x9a71bb4c) follows the length byte.
  EXPECT_EQ(body.substr(0, 5), std::string("\x05\x9a\x71\xbb\x4c", 5));
}

}  // namespace
}  // namespace promethium::remote
