// The remote read wire format, client side (Prometheus's storage/remote
// codec.go and chunked.go): encoding a ReadRequest and decoding both kinds
// of answer.
//
//  - Request: one prometheus.Query (time range, matchers, hints) in a
//    ReadRequest accepting [STREAMED_XOR_CHUNKS, SAMPLES], protobuf then
//    snappy block compression.
//  - SAMPLES answer: a snappy-compressed ReadResponse with one QueryResult
//    (float samples and native histograms).
//  - STREAMED_XOR_CHUNKS answer: frames of a uvarint length, a big-endian
//    CRC32C of the frame's bytes and the bytes, each a ChunkedReadResponse
//    whose series carry XOR, histogram or float-histogram chunks. A series
//    may span several frames (its chunks continue in the next frame under
//    the same labels).
//
// Decoding is bounded: frames above `frame_limit` bytes, a decompressed
// SAMPLES body above `max_decoded_bytes`, or more than `max_samples` samples
// (floats and histograms) in total fail with ResourceExhausted; a bad CRC,
// truncated frame, bad snappy or protobuf or corrupt chunk fail with
// InvalidArgument, a chunk of another encoding with Unsupported. Samples outside [mint, maxt] are dropped (chunks may
// hold more than was asked for).
//
// Ownership: results are owned by the caller. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/result.h"

namespace promethium::remote {

inline constexpr std::string_view kSampledContentType = "application/x-protobuf";
inline constexpr std::string_view kChunkedContentType =
    "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse";

// The response types a request accepts, in order of preference.
enum class ResponseType { kSamples = 0, kStreamedXorChunks = 1 };

struct ReadQuery {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  Matchers matchers;
  SelectHints hints;  // sent as ReadHints
  bool has_hints = false;
};

// The snappy-compressed ReadRequest for `query`.
std::string EncodeReadRequest(const ReadQuery& query, const std::vector<ResponseType>& accepted);

struct DecodeLimits {
  uint64_t frame_limit = 50'000'000;        // one streamed frame
  uint64_t max_decoded_bytes = 1ULL << 30;  // a SAMPLES body after snappy
  uint64_t max_samples = 50'000'000;        // over the whole answer
};

// One native-histogram sample of an answer: integer counts in `h` unless
// `is_float`, then float counts in `fh`.
struct RemoteHistogram {
  int64_t t = 0;
  bool is_float = false;
  Histogram h;
  FloatHistogram fh;
};

// One answered series: floats and histograms each sorted by time with
// unique timestamps; no histogram shares a timestamp with a float (the
// float wins, as in Prometheus's concreteSeriesIterator).
struct RemoteSeries {
  Labels labels;
  std::vector<Sample> samples;
  std::vector<RemoteHistogram> histograms;
};
// Sorted by labels, labels unique.
using SeriesList = std::vector<RemoteSeries>;

// A SAMPLES answer to a one-query request.
Result<SeriesList> DecodeSampledResponse(std::string_view snappy_body, int64_t mint, int64_t maxt,
                                         const DecodeLimits& limits);

// A STREAMED_XOR_CHUNKS answer to a one-query request.
Result<SeriesList> DecodeChunkedResponse(std::string_view body, int64_t mint, int64_t maxt, const DecodeLimits& limits);

}  // namespace promethium::remote
