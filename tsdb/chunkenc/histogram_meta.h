// The shared parts of the histogram chunk encodings (Prometheus's chunkenc
// histogram_meta.go): the chunk header's counter-reset bits, the layout
// section written before the first sample, and the bucket-index arithmetic
// the appenders use to widen a chunk's spans (inserts).
//
// Thread-safety: free functions and plain values.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tsdb/base/status.h"
#include "tsdb/chunkenc/bstream.h"
#include "tsdb/histogram/histogram.h"

namespace promethium::tsdb {

// Both histogram chunk encodings start with a 2-byte big-endian sample
// count and a flags byte whose top two bits are the counter-reset header.
inline constexpr size_t kHistogramChunkHeaderSize = 3;
inline constexpr size_t kHistogramFlagsPos = 2;
inline constexpr uint8_t kCounterResetHeaderMask = 0b11000000;
// The size the head aims for before cutting a histogram chunk, and the
// fewest samples it puts in one (Prometheus's TargetBytesPerHistogramChunk,
// MinSamplesPerHistogramChunk).
inline constexpr size_t kTargetBytesPerHistogramChunk = 1024;
inline constexpr int kMinSamplesPerHistogramChunk = 10;
// A chunk holds at most this many samples (the 16-bit count).
inline constexpr int kMaxSamplesPerChunk = 65535;

// The header's counter-reset bits (Prometheus's CounterResetHeader).
enum class CounterResetHeader : uint8_t {
  kUnknown = 0b00000000,          // detect resets at query time
  kCounterReset = 0b10000000,     // the chunk was cut because of a reset
  kNotCounterReset = 0b01000000,  // certainly no reset before the first sample
  kGauge = 0b11000000,            // gauge histograms: resets do not apply
};

// The header fields of a histogram chunk of either encoding, read from and
// written into its bytes (at least kHistogramChunkHeaderSize long).
inline int HistogramChunkSampleCount(const std::string& b) {
  return (static_cast<uint8_t>(b[0]) << 8) | static_cast<uint8_t>(b[1]);
}
inline void SetHistogramChunkSampleCount(std::string* b, int n) {
  (*b)[0] = static_cast<char>((n >> 8) & 0xff);
  (*b)[1] = static_cast<char>(n & 0xff);
}
inline CounterResetHeader HistogramChunkCounterResetHeader(const std::string& b) {
  return static_cast<CounterResetHeader>(static_cast<uint8_t>(b[kHistogramFlagsPos]) & kCounterResetHeaderMask);
}
inline void SetHistogramChunkCounterResetHeader(std::string* b, CounterResetHeader header) {
  char& flags = (*b)[kHistogramFlagsPos];
  flags = static_cast<char>((static_cast<uint8_t>(flags) & ~kCounterResetHeaderMask) | static_cast<uint8_t>(header));
}

CounterResetHeader CounterResetHeaderFromHint(CounterResetHint hint);
// The hint an iterator reports for its `num_read`-th sample (1-based):
// gauge chunks say gauge, later samples of a counter chunk say "not a
// reset", and the first sample says "unknown" because the previous chunk may
// not be the one the header was computed against (Prometheus does the same).
CounterResetHint HintForSample(CounterResetHeader header, int num_read);

// The layout section: zero threshold, schema, positive and negative spans,
// and for the custom-bucket schema the custom bounds.
struct HistogramChunkLayout {
  int32_t schema = 0;
  double zero_threshold = 0;
  std::vector<HistogramSpan> positive_spans, negative_spans;
  std::vector<double> custom_values;
};
void WriteHistogramChunkLayout(int32_t schema, double zero_threshold, std::span<const HistogramSpan> positive,
                               std::span<const HistogramSpan> negative, std::span<const double> custom_values,
                               BitWriter* w);
Status ReadHistogramChunkLayout(BitReader* r, HistogramChunkLayout* layout);

// A chunk's schema must be one we can decode: a valid schema passes, and
// so do schemas 9..52 (reserved for newer Prometheus versions, whose chunks
// iterators read reduced to schema 8, as Prometheus does); the reserved
// schemas -9..-5 are Unsupported; anything else is Corruption with
// Prometheus's "unknown schema" text.
Status CheckChunkSchema(int32_t schema);

// Merges buckets of `from_schema` into the coarser `to_schema` (exponential
// schemas, to_schema < from_schema), as Prometheus's reduceResolution does:
// bucket i goes to ((i - 1) >> (from - to)) + 1, counts are summed, and
// every target bucket that receives a source bucket is kept. Counts are
// absolute.
void ReduceResolution(int32_t from_schema, int32_t to_schema, std::vector<HistogramSpan>* spans,
                      std::vector<double>* counts);
void ReduceResolution(int32_t from_schema, int32_t to_schema, std::vector<HistogramSpan>* spans,
                      std::vector<int64_t>* counts);

// Checks what Append requires of a histogram: a valid schema (or a stale
// marker) and spans that cover exactly as many buckets as are given.
Status CheckHistogramShape(int32_t schema, double sum, std::span<const HistogramSpan> positive_spans,
                           size_t positive_buckets, std::span<const HistogramSpan> negative_spans,
                           size_t negative_buckets);

// Single fields of the layout, exposed for tests of their encodings.
void PutZeroThreshold(double threshold, BitWriter* w);
bool ReadZeroThreshold(BitReader* r, double* out);
void PutCustomBound(double bound, BitWriter* w);
bool ReadCustomBound(BitReader* r, double* out);

// The total number of buckets the spans cover.
size_t CountSpanBuckets(std::span<const HistogramSpan> spans);

// Walks the absolute bucket indexes covered by spans, in order.
class BucketIndexIterator {
 public:
  explicit BucketIndexIterator(std::span<const HistogramSpan> spans);
  // The next bucket index; false when the spans are exhausted.
  bool Next(int64_t* index);

 private:
  std::span<const HistogramSpan> spans_;
  size_t span_ = 0;
  int bucket_ = -1;  // position inside spans_[span_] of the last index
  int64_t index_ = -1;
};

// `num` new buckets go before the bucket at position `pos` of the original
// bucket list (pos == size appends); bucket_index is the first new bucket's
// absolute index (used to adjust spans).
struct BucketInsert {
  int pos = 0;
  int num = 0;
  int64_t bucket_index = 0;
  friend bool operator==(const BucketInsert&, const BucketInsert&) = default;
};

// The result of comparing a chunk's spans (a) with a new sample's (b) for a
// counter histogram: forward inserts widen the chunk to b's new buckets;
// backward inserts widen the sample to the chunk's buckets that it lacks and
// that are empty in the chunk. ok is false when a bucket of a is missing in b
// while non-empty, or decreased: a counter reset.
struct SpanExpansion {
  std::vector<BucketInsert> forward, backward;
  bool ok = true;
};
// a_buckets are delta-encoded (integer histograms).
SpanExpansion ExpandIntSpansAndBuckets(std::span<const HistogramSpan> a, std::span<const HistogramSpan> b,
                                       std::span<const int64_t> a_buckets, std::span<const int64_t> b_buckets);
// a_buckets and b_buckets are absolute (float histograms).
SpanExpansion ExpandFloatSpansAndBuckets(std::span<const HistogramSpan> a, std::span<const HistogramSpan> b,
                                         std::span<const double> a_buckets, std::span<const double> b_buckets);

// For gauge histograms (no reset detection): the forward inserts widening a
// to cover b, the backward inserts widening b to cover a, and the union of
// both span sets.
struct BothWaysExpansion {
  std::vector<BucketInsert> forward, backward;
  std::vector<HistogramSpan> merged;
};
BothWaysExpansion ExpandSpansBothWays(std::span<const HistogramSpan> a, std::span<const HistogramSpan> b);

// Applies inserts to a bucket list. With deltas, the values are
// delta-encoded and the inserted buckets are empty (absolute 0), adjusting
// the following delta; without, the values are absolute and zeros are
// inserted. Returns the widened list.
std::vector<int64_t> InsertBuckets(std::span<const int64_t> in, std::span<const BucketInsert> inserts, bool deltas);
std::vector<double> InsertBuckets(std::span<const double> in, std::span<const BucketInsert> inserts);

// The spans after inserting the buckets named by the inserts' bucket_index.
std::vector<HistogramSpan> AdjustSpansForInserts(std::span<const HistogramSpan> spans,
                                                 std::span<const BucketInsert> inserts);

// What an appender's Append did with a sample (Prometheus's AppendHistogram
// results): appended to the current chunk; appended after the chunk was
// re-encoded with more buckets (the returned chunk replaces the current
// one: same samples, wider layout, same header); or started a new chunk
// that follows the current one (the current chunk is complete; the new
// one's header says why it was cut).
enum class AppendKind { kAppended, kRecoded, kNewChunk };

template <typename Chunk>
struct ChunkAppendOutcome {
  AppendKind kind = AppendKind::kAppended;
  // Null for kAppended. Otherwise the chunk now holding the sample; the
  // appender that returned it now appends to it (its address is stable).
  std::unique_ptr<Chunk> chunk;
};

// Prometheus's CustomBucketBoundsMatch: same length, equal values.
bool CustomBoundsMatch(std::span<const double> a, std::span<const double> b);

}  // namespace promethium::tsdb
