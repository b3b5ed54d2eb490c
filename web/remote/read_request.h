// Decoding a remote read request (prometheus.ReadRequest, snappy-compressed)
// and turning its queries into storage selections, as Prometheus's
// storage/remote/read_handler.go and codec.go do.
//
//  - DecodeReadRequest: the body must be at most kMaxRemoteReadBodyBytes,
//    valid snappy (an empty body is not) decompressing to at most
//    kMaxRemoteReadDecodedBytes, and a valid ReadRequest; otherwise an
//    InvalidArgument status whose message the handler answers with 400.
//  - NegotiateResponseType: the first accepted type the server supports
//    (SAMPLES when none is listed); an error when none is supported.
//  - SelectionMatchers: the query's matchers as storage matchers. An unknown
//    matcher type or a regex that does not compile is an error (Prometheus
//    answers it with 500). An equality matcher on an external label with
//    that label's value becomes `name=""`: the stored series lack the label
//    (it is added to the answer). Zero matchers select nothing (Prometheus's
//    TSDB intersects no postings). When every matcher also matches the
//    empty string (Prometheus then starts from all series), `__name__!=""`
//    is added because the storage needs one selective matcher; every stored
//    series has a name, so the selection is the same.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/api/matcher.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/result.h"

namespace promethium::web {

// Prometheus reads at most 32 MiB of a read request body.
inline constexpr size_t kMaxRemoteReadBodyBytes = 32 << 20;
// A bound on the decompressed request (snappy expands up to ~20x).
inline constexpr size_t kMaxRemoteReadDecodedBytes = 64 << 20;

enum class ReadResponseType { kSamples = 0, kStreamedXorChunks = 1 };

// One label matcher as sent (type is LabelMatcher.Type: EQ, NEQ, RE, NRE).
struct ReadMatcher {
  int type = 0;
  std::string name;
  std::string value;
};

struct ReadQuery {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::vector<ReadMatcher> matchers;
  bool has_hints = false;
  SelectHints hints;
};

struct ReadRequest {
  std::vector<ReadQuery> queries;
  std::vector<int> accepted_response_types;  // ReadRequest.ResponseType values, as sent
};

Result<ReadRequest> DecodeReadRequest(std::string_view snappy_body);

Result<ReadResponseType> NegotiateResponseType(const std::vector<int>& accepted);

// The matchers to select with; `*select_nothing` is set when the answer is
// empty without asking the storage (no matchers).
Result<Matchers> SelectionMatchers(const std::vector<ReadMatcher>& matchers, const Labels& external_labels,
                                   bool* select_nothing);

}  // namespace promethium::web
