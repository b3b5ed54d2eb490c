// The remote read wire format, client side (see codec.h).
#include "remote/read/codec.h"

#include <fmt/format.h>
#include <snappy.h>

#include <algorithm>
#include <map>

#include "remote/proto/chunked_frame.h"
#include "remote/proto/remote.pb.h"
#include "tsdb/base/varint.h"
#include "tsdb/chunkenc/chunk_encoding.h"

namespace promethium::remote {
namespace {

prometheus::LabelMatcher::Type ToProtoType(MatchType t) {
  switch (t) {
    case MatchType::kEqual: return prometheus::LabelMatcher::EQ;
    case MatchType::kNotEqual: return prometheus::LabelMatcher::NEQ;
    case MatchType::kRegexMatch: return prometheus::LabelMatcher::RE;
    case MatchType::kRegexNoMatch: return prometheus::LabelMatcher::NRE;
  }
  return prometheus::LabelMatcher::EQ;
}

// Labels of an answered series, checked as Prometheus's
// validateLabelsAndMetricName does for the parts that matter here.
Result<Labels> ToLabels(const google::protobuf::RepeatedPtrField<prometheus::Label>& in) {
  std::vector<Label> out;
  out.reserve(static_cast<size_t>(in.size()));
  for (const prometheus::Label& l : in) {
    if (l.name().empty()) return Status::InvalidArgument("invalid label name: \"\"");
    for (const Label& seen : out) {
      if (seen.name == l.name()) return Status::InvalidArgument(fmt::format("duplicate label with name: {}", l.name()));
    }
    out.push_back({l.name(), l.value()});
  }
  return Labels::FromVector(std::move(out));
}

// Collects the samples of the answer per series; a series may arrive in
// several pieces (streamed frames), which are joined here.
class SeriesCollector {
 public:
  SeriesCollector(int64_t mint, int64_t maxt, uint64_t max_samples)
      : mint_(mint), maxt_(maxt), max_samples_(max_samples) {}

  RemoteSeries* For(Labels labels) { return &series_[std::move(labels)]; }

  // Whether a sample at t is kept; fails past the sample bound.
  Result<bool> Keep(int64_t t) {
    if (t < mint_ || t > maxt_) return false;
    if (++total_ > max_samples_) {
      return Status::ResourceExhausted(
          fmt::format("remote read answer holds more than {} samples in the query's range", max_samples_));
    }
    return true;
  }

  Status Add(RemoteSeries* out, int64_t t, double v) {
    PROMETHIUM_ASSIGN_OR_RETURN(bool keep, Keep(t));
    if (keep) out->samples.push_back({t, v});
    return Status::OK();
  }

  // Sorted by labels; each series' samples and histograms sorted by time
  // without duplicates, and no histogram where a float has the timestamp.
  SeriesList Finish() {
    SeriesList out;
    out.reserve(series_.size());
    for (auto& entry : series_) {
      // Not a structured binding: clang 14 cannot capture one in a lambda.
      RemoteSeries& series = entry.second;
      SortUnique(&series.samples, [](const Sample& s) { return s.t; });
      SortUnique(&series.histograms, [](const RemoteHistogram& h) { return h.t; });
      const std::vector<Sample>& samples = series.samples;
      std::erase_if(series.histograms, [&samples](const RemoteHistogram& h) {
        return std::binary_search(samples.begin(), samples.end(), Sample{h.t, 0},
                                  [](const Sample& a, const Sample& b) { return a.t < b.t; });
      });
      series.labels = entry.first;
      out.push_back(std::move(series));
    }
    return out;
  }

 private:
  template <typename T, typename TimeOf>
  static void SortUnique(std::vector<T>* v, TimeOf time_of) {
    auto before = [&](const T& a, const T& b) { return time_of(a) < time_of(b); };
    if (!std::is_sorted(v->begin(), v->end(), before)) std::stable_sort(v->begin(), v->end(), before);
    v->erase(std::unique(v->begin(), v->end(), [&](const T& a, const T& b) { return time_of(a) == time_of(b); }),
             v->end());
  }

  int64_t mint_, maxt_;
  uint64_t max_samples_;
  uint64_t total_ = 0;
  std::map<Labels, RemoteSeries> series_;
};

std::vector<HistogramSpan> SpansOf(const google::protobuf::RepeatedPtrField<prometheus::BucketSpan>& in) {
  std::vector<HistogramSpan> out;
  out.reserve(static_cast<size_t>(in.size()));
  for (const prometheus::BucketSpan& s : in) out.push_back({s.offset(), s.length()});
  return out;
}

// Prometheus's ToIntHistogram / ToFloatHistogram: the count oneof decides.
RemoteHistogram FromProto(const prometheus::Histogram& p) {
  RemoteHistogram out;
  out.t = p.timestamp();
  const auto hint = static_cast<CounterResetHint>(p.reset_hint() <= 3 ? p.reset_hint() : 0);
  if (p.count_case() == prometheus::Histogram::kCountFloat) {
    out.is_float = true;
    FloatHistogram& fh = out.fh;
    fh.counter_reset_hint = hint;
    fh.schema = p.schema();
    fh.zero_threshold = p.zero_threshold();
    fh.zero_count = p.zero_count_float();
    fh.count = p.count_float();
    fh.sum = p.sum();
    fh.positive_spans = SpansOf(p.positive_spans());
    fh.negative_spans = SpansOf(p.negative_spans());
    fh.positive_buckets.assign(p.positive_counts().begin(), p.positive_counts().end());
    fh.negative_buckets.assign(p.negative_counts().begin(), p.negative_counts().end());
    fh.custom_values.assign(p.custom_values().begin(), p.custom_values().end());
    return out;
  }
  Histogram& h = out.h;
  h.counter_reset_hint = hint;
  h.schema = p.schema();
  h.zero_threshold = p.zero_threshold();
  h.zero_count = p.zero_count_int();
  h.count = p.count_int();
  h.sum = p.sum();
  h.positive_spans = SpansOf(p.positive_spans());
  h.negative_spans = SpansOf(p.negative_spans());
  h.positive_buckets.assign(p.positive_deltas().begin(), p.positive_deltas().end());
  h.negative_buckets.assign(p.negative_deltas().begin(), p.negative_deltas().end());
  h.custom_values.assign(p.custom_values().begin(), p.custom_values().end());
  return out;
}

Status DecodeChunk(const prometheus::Chunk& chunk, SeriesCollector* c, RemoteSeries* out) {
  const auto type = static_cast<uint32_t>(chunk.type());
  if (type != prometheus::Chunk::XOR && type != prometheus::Chunk::HISTOGRAM &&
      type != prometheus::Chunk::FLOAT_HISTOGRAM) {
    return Status::Unsupported(
        fmt::format("remote read chunk encoding {} ({})", type, prometheus::Chunk::Encoding_Name(chunk.type())));
  }
  if (chunk.data().size() < 2) return Status::InvalidArgument("remote read chunk too short");
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<SampleIterator> it,
                              tsdb::NewChunkIterator(static_cast<uint8_t>(type), chunk.data()));
  for (ValueType vt = it->Next(); vt != ValueType::kNone; vt = it->Next()) {
    PROMETHIUM_ASSIGN_OR_RETURN(bool keep, c->Keep(it->AtT()));
    if (!keep) continue;
    if (vt == ValueType::kFloat) {
      out->samples.push_back(it->At());
      continue;
    }
    RemoteHistogram& h = out->histograms.emplace_back();
    h.is_float = vt == ValueType::kFloatHistogram;
    h.t = h.is_float ? it->AtFloatHistogram(&h.fh) : it->AtHistogram(&h.h);
  }
  if (!it->Err().ok()) return Status::InvalidArgument(it->Err().WithContext("remote read chunk").message());
  return Status::OK();
}

}  // namespace

std::string EncodeReadRequest(const ReadQuery& query, const std::vector<ResponseType>& accepted) {
  prometheus::ReadRequest req;
  prometheus::Query* q = req.add_queries();
  q->set_start_timestamp_ms(query.start_ms);
  q->set_end_timestamp_ms(query.end_ms);
  for (const Matcher& m : query.matchers) {
    prometheus::LabelMatcher* pm = q->add_matchers();
    pm->set_type(ToProtoType(m.type()));
    pm->set_name(m.name());
    pm->set_value(m.value());
  }
  if (query.has_hints) {
    prometheus::ReadHints* h = q->mutable_hints();
    h->set_start_ms(query.hints.start);
    h->set_end_ms(query.hints.end);
    h->set_step_ms(query.hints.step);
    h->set_func(query.hints.func);
    for (const std::string& g : query.hints.grouping) h->add_grouping(g);
    h->set_by(query.hints.by);
    h->set_range_ms(query.hints.range);
  }
  for (ResponseType t : accepted) {
    req.add_accepted_response_types(static_cast<prometheus::ReadRequest::ResponseType>(t));
  }
  std::string raw = req.SerializeAsString();
  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

Result<SeriesList> DecodeSampledResponse(std::string_view snappy_body, int64_t mint, int64_t maxt,
                                         const DecodeLimits& limits) {
  size_t size = 0;
  if (!snappy::GetUncompressedLength(snappy_body.data(), snappy_body.size(), &size)) {
    return Status::InvalidArgument("error reading response: snappy: corrupt input");
  }
  if (size > limits.max_decoded_bytes) {
    return Status::ResourceExhausted(fmt::format("remote read response decompresses to {} bytes, above the limit of {}",
                                                 size, limits.max_decoded_bytes));
  }
  // Validate before allocating the declared size: a forged header could
  // otherwise make us allocate up to the limit for a few bytes of body.
  std::string raw;
  if (!snappy::IsValidCompressedBuffer(snappy_body.data(), snappy_body.size()) ||
      !snappy::Uncompress(snappy_body.data(), snappy_body.size(), &raw)) {
    return Status::InvalidArgument("error reading response: snappy: corrupt input");
  }
  prometheus::ReadResponse resp;
  if (!resp.ParseFromString(raw)) return Status::InvalidArgument("unable to unmarshal response body");
  if (resp.results_size() != 1) {
    return Status::InvalidArgument(fmt::format("responses: want 1, got {}", resp.results_size()));
  }
  SeriesCollector c(mint, maxt, limits.max_samples);
  for (const prometheus::TimeSeries& ts : resp.results(0).timeseries()) {
    PROMETHIUM_ASSIGN_OR_RETURN(Labels labels, ToLabels(ts.labels()));
    RemoteSeries* out = c.For(std::move(labels));
    for (const prometheus::Sample& s : ts.samples()) PROMETHIUM_RETURN_IF_ERROR(c.Add(out, s.timestamp(), s.value()));
    for (const prometheus::Histogram& h : ts.histograms()) {
      PROMETHIUM_ASSIGN_OR_RETURN(bool keep, c.Keep(h.timestamp()));
      if (keep) out->histograms.push_back(FromProto(h));
    }
  }
  return c.Finish();
}

Result<SeriesList> DecodeChunkedResponse(std::string_view body, int64_t mint, int64_t maxt,
                                         const DecodeLimits& limits) {
  ChunkedFrameReader reader(body, limits.frame_limit);
  SeriesCollector c(mint, maxt, limits.max_samples);
  prometheus::ChunkedReadResponse frame_msg;
  std::string_view frame;
  for (;;) {
    PROMETHIUM_ASSIGN_OR_RETURN(bool more, reader.Next(&frame));
    if (!more) break;
    if (!frame_msg.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
      return Status::InvalidArgument("unable to unmarshal a streamed remote read frame");
    }
    if (frame_msg.query_index() != 0) {
      return Status::InvalidArgument(
          fmt::format("streamed frame answers query {}, only 0 was asked", frame_msg.query_index()));
    }
    for (const prometheus::ChunkedSeries& cs : frame_msg.chunked_series()) {
      PROMETHIUM_ASSIGN_OR_RETURN(Labels labels, ToLabels(cs.labels()));
      RemoteSeries* out = c.For(std::move(labels));
      for (const prometheus::Chunk& chunk : cs.chunks()) {
        if (chunk.max_time_ms() < mint || chunk.min_time_ms() > maxt) continue;
        PROMETHIUM_RETURN_IF_ERROR(DecodeChunk(chunk, &c, out));
      }
    }
  }
  return c.Finish();
}

}  // namespace promethium::remote
