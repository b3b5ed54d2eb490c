// The remote read wire format, client side (see codec.h).
#include "remote/read/codec.h"

#include <fmt/format.h>
#include <snappy.h>

#include <algorithm>
#include <map>

#include "remote/proto/chunked_frame.h"
#include "remote/proto/remote.pb.h"
#include "tsdb/base/varint.h"
#include "tsdb/chunkenc/xor_chunk.h"

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

  std::vector<Sample>* For(Labels labels) { return &series_[std::move(labels)]; }

  Status Add(std::vector<Sample>* out, int64_t t, double v) {
    if (t < mint_ || t > maxt_) return Status::OK();
    if (++total_ > max_samples_) {
      return Status::ResourceExhausted(
          fmt::format("remote read answer holds more than {} samples in the query's range", max_samples_));
    }
    out->push_back({t, v});
    return Status::OK();
  }

  // Sorted by labels; each series' samples sorted by time without duplicates.
  SeriesList Finish() {
    SeriesList out;
    out.reserve(series_.size());
    for (auto& [labels, samples] : series_) {
      if (!std::is_sorted(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; })) {
        std::stable_sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
      }
      samples.erase(
          std::unique(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.t == b.t; }),
          samples.end());
      out.push_back({labels, std::move(samples)});
    }
    return out;
  }

 private:
  int64_t mint_, maxt_;
  uint64_t max_samples_;
  uint64_t total_ = 0;
  std::map<Labels, std::vector<Sample>> series_;
};

Status DecodeXorChunk(const prometheus::Chunk& chunk, SeriesCollector* c, std::vector<Sample>* out) {
  if (chunk.type() != prometheus::Chunk::XOR) {
    return Status::Unsupported(fmt::format("remote read chunk encoding {} (only XOR float chunks are supported)",
                                           prometheus::Chunk::Encoding_Name(chunk.type())));
  }
  if (chunk.data().size() < tsdb::kXorChunkHeaderSize) return Status::InvalidArgument("remote read chunk too short");
  tsdb::XorIterator it(chunk.data());
  while (it.Next() != ValueType::kNone) {
    const Sample s = it.At();
    PROMETHIUM_RETURN_IF_ERROR(c->Add(out, s.t, s.v));
  }
  if (!it.Err().ok()) return it.Err().WithContext("remote read chunk");
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
    if (ts.histograms_size() > 0) return Status::Unsupported("native histograms in a remote read answer");
    PROMETHIUM_ASSIGN_OR_RETURN(Labels labels, ToLabels(ts.labels()));
    std::vector<Sample>* out = c.For(std::move(labels));
    for (const prometheus::Sample& s : ts.samples()) PROMETHIUM_RETURN_IF_ERROR(c.Add(out, s.timestamp(), s.value()));
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
      std::vector<Sample>* out = c.For(std::move(labels));
      for (const prometheus::Chunk& chunk : cs.chunks()) {
        if (chunk.max_time_ms() < mint || chunk.min_time_ms() > maxt) continue;
        PROMETHIUM_RETURN_IF_ERROR(DecodeXorChunk(chunk, &c, out));
      }
    }
  }
  return c.Finish();
}

}  // namespace promethium::remote
