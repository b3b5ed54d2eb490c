#include "web/remote/read_request.h"

#include <snappy.h>

#include <algorithm>
#include <utility>

#include "remote/proto/remote.pb.h"

namespace promethium::web {

namespace {

ReadQuery FromProto(const prometheus::Query& q) {
  ReadQuery out;
  out.start_ms = q.start_timestamp_ms();
  out.end_ms = q.end_timestamp_ms();
  out.matchers.reserve(static_cast<size_t>(q.matchers_size()));
  for (const prometheus::LabelMatcher& m : q.matchers()) {
    out.matchers.push_back(ReadMatcher{static_cast<int>(m.type()), m.name(), m.value()});
  }
  if (q.has_hints()) {
    const prometheus::ReadHints& h = q.hints();
    out.has_hints = true;
    out.hints.start = h.start_ms();
    out.hints.end = h.end_ms();
    out.hints.step = h.step_ms();
    out.hints.range = h.range_ms();
    out.hints.func = h.func();
    out.hints.grouping.assign(h.grouping().begin(), h.grouping().end());
    out.hints.by = h.by();
  }
  return out;
}

Result<MatchType> MatchTypeFromProto(int type) {
  switch (type) {
    case prometheus::LabelMatcher::EQ: return MatchType::kEqual;
    case prometheus::LabelMatcher::NEQ: return MatchType::kNotEqual;
    case prometheus::LabelMatcher::RE: return MatchType::kRegexMatch;
    case prometheus::LabelMatcher::NRE: return MatchType::kRegexNoMatch;
    default: return Status::InvalidArgument("invalid matcher type");
  }
}

}  // namespace

Result<ReadRequest> DecodeReadRequest(std::string_view snappy_body) {
  if (snappy_body.size() > kMaxRemoteReadBodyBytes) {
    return Status::InvalidArgument("remote read request body larger than " + std::to_string(kMaxRemoteReadBodyBytes) +
                                   " bytes");
  }
  size_t decoded_size = 0;
  if (!snappy::GetUncompressedLength(snappy_body.data(), snappy_body.size(), &decoded_size)) {
    return Status::InvalidArgument("snappy: corrupt input");
  }
  if (decoded_size > kMaxRemoteReadDecodedBytes) {
    return Status::InvalidArgument("decompressed remote read request too large: " + std::to_string(decoded_size) +
                                   " bytes (limit " + std::to_string(kMaxRemoteReadDecodedBytes) + ")");
  }
  // Validate before allocating the declared size (see write_handler.cc).
  std::string decoded;
  if (!snappy::IsValidCompressedBuffer(snappy_body.data(), snappy_body.size()) ||
      !snappy::Uncompress(snappy_body.data(), snappy_body.size(), &decoded)) {
    return Status::InvalidArgument("snappy: corrupt input");
  }
  prometheus::ReadRequest msg;
  if (!msg.ParseFromString(decoded)) {
    return Status::InvalidArgument("proto: cannot parse invalid wire-format data (prometheus.ReadRequest)");
  }
  ReadRequest out;
  out.queries.reserve(static_cast<size_t>(msg.queries_size()));
  for (const prometheus::Query& q : msg.queries()) out.queries.push_back(FromProto(q));
  out.accepted_response_types.assign(msg.accepted_response_types().begin(), msg.accepted_response_types().end());
  return out;
}

Result<ReadResponseType> NegotiateResponseType(const std::vector<int>& accepted) {
  if (accepted.empty()) return ReadResponseType::kSamples;
  for (int type : accepted) {
    if (type == prometheus::ReadRequest::SAMPLES) return ReadResponseType::kSamples;
    if (type == prometheus::ReadRequest::STREAMED_XOR_CHUNKS) return ReadResponseType::kStreamedXorChunks;
  }
  // Go prints the slice of unknown enum values as numbers: [7 9].
  std::string listed = "[";
  for (size_t i = 0; i < accepted.size(); ++i) listed += (i > 0 ? " " : "") + std::to_string(accepted[i]);
  listed += "]";
  return Status::InvalidArgument("server does not support any of the requested response types: " + listed +
                                 "; supported: map[SAMPLES:{} STREAMED_XOR_CHUNKS:{}]");
}

Result<Matchers> SelectionMatchers(const std::vector<ReadMatcher>& matchers, const Labels& external_labels,
                                   bool* select_nothing) {
  *select_nothing = matchers.empty();
  Matchers out;
  out.reserve(matchers.size() + 1);
  for (const ReadMatcher& m : matchers) {
    PROMETHIUM_ASSIGN_OR_RETURN(MatchType type, MatchTypeFromProto(m.type));
    // The stored series lack the external labels, so an equality on one
    // with its value asks for series without it.
    bool on_external = type == MatchType::kEqual && external_labels.Get(m.name) == m.value;
    PROMETHIUM_ASSIGN_OR_RETURN(Matcher matcher, Matcher::Make(type, m.name, on_external ? std::string() : m.value));
    out.push_back(std::move(matcher));
  }
  bool any_selective = std::any_of(out.begin(), out.end(), [](const Matcher& m) { return !m.MatchesEmpty(); });
  if (!any_selective && !out.empty()) {
    PROMETHIUM_ASSIGN_OR_RETURN(Matcher named, Matcher::Make(MatchType::kNotEqual, std::string(kMetricName), ""));
    out.push_back(std::move(named));
  }
  return out;
}

}  // namespace promethium::web
