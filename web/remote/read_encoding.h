// The remote read server's wire encodings (Prometheus's storage/remote
// codec.go and chunked.go, server side), written straight to bytes.
//
//  - SAMPLES: TimeSeries messages (labels, samples, then native
//    histograms) inside one
//    QueryResult per query of a ReadResponse, snappy-compressed by the
//    handler.
//  - STREAMED_XOR_CHUNKS: frames, each a uvarint length, the big-endian
//    CRC32-Castagnoli of the message and the message: one
//    ChunkedReadResponse holding one series (or part of it) whose samples
//    are re-encoded as chunks of at most kSamplesPerReadChunk samples: XOR
//    for floats, Prometheus's histogram and float-histogram chunks for
//    native histograms.
//
// Why hand-encoded: a SAMPLES answer may hold tens of millions of samples;
// generated message objects cost several times the encoded size in memory.
// The generated classes (remote/proto/remote.pb.h) decode these bytes in
// the tests.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "tsdb/api/labels.h"
#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram.h"

namespace promethium::web {

// The samples per XOR chunk of a streamed answer (Prometheus's head cuts
// chunks at the same count).
inline constexpr int kSamplesPerReadChunk = 120;

// One chunk of a streamed series.
struct ReadChunk {
  int64_t min_time_ms = 0;  // first sample's timestamp
  int64_t max_time_ms = 0;  // last sample's timestamp
  std::string data;         // the chunk's bytes in Prometheus's encoding
  // prometheus.Chunk.Encoding, the same numbers as the chunk encoding byte:
  // 1 XOR (floats), 2 HISTOGRAM, 3 FLOAT_HISTOGRAM.
  uint8_t encoding = 1;
};

// The stored labels plus every external label the series lacks (stored
// values win on a name clash), sorted: Prometheus's MergeLabels.
Labels MergeExternalLabels(const Labels& series, const Labels& external);

// Protobuf wire helpers: the tag and length of a length-delimited field
// (its `length` bytes follow), a length-delimited field, a Label, a Sample.
void AppendFieldHeader(std::string* out, uint32_t field, size_t length);
void AppendBytesField(std::string* out, uint32_t field, std::string_view bytes);
void AppendLabelField(std::string* out, uint32_t field, const Label& label);
void AppendSampleField(std::string* out, uint32_t field, int64_t t_ms, double v);

// A prometheus.Histogram field (TimeSeries.histograms) for the sample at
// `t_ms`: exactly one of `h` (written with count_int, zero_count_int and
// deltas) and `fh` (count_float, zero_count_float and absolute counts) is
// non-null, as Prometheus's FromIntHistogram / FromFloatHistogram. The
// count oneofs are written even when zero, so a reader can tell the kinds
// apart.
void AppendHistogramField(std::string* out, uint32_t field, int64_t t_ms, const Histogram* h, const FloatHistogram* fh);

// Encoded sizes, as Prometheus counts them against the frame budget
// (a Label's or Chunk's message size, without its own tag and length).
size_t LabelMessageSize(const Label& label);
size_t ChunkMessageSize(const ReadChunk& chunk);

// A ChunkedReadResponse with one ChunkedSeries.
std::string EncodeChunkedReadResponse(const Labels& labels, std::span<const ReadChunk> chunks, int64_t query_index);

}  // namespace promethium::web
