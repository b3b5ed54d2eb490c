// Chunk rewriting for any encoding: decoding a chunk (XOR, histogram or
// float histogram) into typed samples, and encoding a sorted run of such
// samples back into chunks, a new chunk at every change of sample type.
// Compaction (merging overlapping chunks, clipping to a block's range),
// block tombstones (dropping deleted samples) and the head's range reader
// (clipping) use it for chunks that cannot be copied as they are, so a
// series whose samples switch between floats and histograms keeps every
// sample with its type.
//
// It sits in the querier layer, the lowest one that sees both the chunk
// encodings (chunkenc/) and ChunkMeta, so the head and blocks share it.
//
// Ownership: plain values; EncodeTypedSamples hands each chunk to a
// callback, which copies what it keeps. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/status.h"
#include "tsdb/chunkenc/chunk_encoding.h"

namespace promethium::tsdb {

// One decoded sample of any type. Only the member of `type` is meaningful.
struct TypedSample {
  int64_t t = 0;
  ValueType type = ValueType::kNone;
  uint64_t v_bits = 0;  // kFloat: the IEEE-754 bits, so NaN payloads survive
  Histogram h;          // kHistogram
  FloatHistogram fh;    // kFloatHistogram
  uint32_t source = 0;  // for merges: which input it came from
};

// Decodes the samples of a chunk with lo <= t <= hi and appends them to
// *out (tagged with `source`); *clipped is set when a sample was left out.
// Corrupt bytes are the iterator's error.
Status DecodeTypedChunk(ChunkEncoding encoding, std::string_view bytes, int64_t lo, int64_t hi, uint32_t source,
                        std::vector<TypedSample>* out, bool* clipped);

// Receives one encoded chunk: its encoding, bytes and first/last sample
// times. The bytes are valid only during the call.
using ChunkSink =
    std::function<Status(ChunkEncoding encoding, std::string_view bytes, int64_t min_time, int64_t max_time)>;

// Encodes samples (ascending t, no duplicates) into chunks of at most
// `per_chunk` samples each, cutting a new chunk whenever the sample type
// changes, and whenever the histogram appenders cut one (a counter reset,
// a schema change: Prometheus's rules, in chunkenc/). Each chunk goes to
// `sink` in order.
Status EncodeTypedSamples(std::span<const TypedSample> samples, int per_chunk, const ChunkSink& sink);

// Rewrites one chunk keeping only the samples `keep` accepts, in its own
// encoding where possible (a histogram chunk whose samples the appenders
// split is re-encoded into several chunks, which a single chunk cannot
// hold: FailedPrecondition, so the caller never serves a partial chunk).
// *bytes and *encoding are replaced; *dropped tells whether anything went.
Status FilterChunk(const std::function<bool(int64_t t)>& keep, ChunkEncoding* encoding, std::string* bytes,
                   bool* dropped);

}  // namespace promethium::tsdb
