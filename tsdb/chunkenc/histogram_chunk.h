// HistogramChunk: native histograms with integer counts, byte for byte
// compatible with Prometheus's chunkenc.HistogramChunk (encoding 2; see
// docs/format/chunks.md).
//
// Layout: a 2-byte big-endian sample count and a flags byte whose top two
// bits are the CounterResetHeader (histogram_meta.h); then the layout
// section (zero threshold, schema, spans, custom bounds) written with the
// first sample; then the samples. The first sample stores its timestamp,
// count and zero count as varbit numbers, the sum as 64 raw bits and each
// bucket's delta-encoded value as a varbit; later samples store
// delta-of-deltas of the timestamp, counts and bucket values as varbit
// integers and the sum XORed with its predecessor. All samples of a chunk
// share its layout: a sample with more buckets re-encodes the chunk.
//
// Ownership: a HistogramChunk owns its bytes. A HistogramAppender borrows
// the chunk it writes to (and, for the first sample of a new chunk, the
// previous chunk's appender); a HistogramIterator borrows the bytes it
// decodes, which must outlive it.
// Thread-safety: none. Readers of a chunk being appended to decode a copy
// of Bytes() taken under the caller's lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/result.h"
#include "tsdb/chunkenc/bstream.h"
#include "tsdb/chunkenc/histogram_meta.h"
#include "tsdb/chunkenc/varbit.h"
#include "tsdb/histogram/histogram.h"

namespace promethium::tsdb {

class HistogramChunk {
 public:
  HistogramChunk();  // empty: the 3-byte header, count 0, header kUnknown
  // Adopts encoded bytes (from a block file or a copy). Fails when they are
  // shorter than the header; the body is validated lazily by iterators.
  static Result<HistogramChunk> FromBytes(std::string bytes);

  std::string_view Bytes() const { return stream_.bytes(); }
  int NumSamples() const;
  CounterResetHeader counter_reset_header() const;
  size_t SizeBytes() const { return stream_.size(); }
  size_t MemoryBytes() const { return stream_.bytes().capacity(); }
  void Shrink() { stream_.mutable_bytes()->shrink_to_fit(); }

 private:
  friend class HistogramAppender;
  explicit HistogramChunk(BitWriter stream) : stream_(std::move(stream)) {}
  void SetNumSamples(int n);
  void SetCounterResetHeader(CounterResetHeader header);

  BitWriter stream_;
};

class HistogramAppender {
 public:
  HistogramAppender() = default;
  // Starts appending to an empty chunk.
  explicit HistogramAppender(HistogramChunk* chunk) : chunk_(chunk) {}
  // Continues a chunk that may hold samples by decoding it to the end.
  static Result<HistogramAppender> Resume(HistogramChunk* chunk);
  // Points the appender at its chunk after the chunk moved in memory.
  void Rebind(HistogramChunk* chunk) { chunk_ = chunk; }

  // Appends h at t (timestamps must increase; the head checks). A counter
  // histogram (hint not kGauge) that shows a reset, a schema, zero
  // threshold or custom bounds change, or follows a stale sample, starts a
  // new chunk; new buckets re-encode the chunk. Gauge histograms never
  // reset; they cut only on schema, threshold or bounds changes, or after a
  // stale sample. With append_only, those cases fail with
  // FailedPrecondition instead and leave the chunk unchanged. `prev` is the
  // appender of the chunk before this one, consulted only for the first
  // sample (to set the header); it may be null.
  // Fails with InvalidArgument when h's spans and buckets disagree or its
  // schema is invalid (stale markers excepted), and with ResourceExhausted
  // when the chunk holds kMaxSamplesPerChunk samples.
  Result<ChunkAppendOutcome<HistogramChunk>> Append(int64_t t, const Histogram& h, bool append_only,
                                                    const HistogramAppender* prev = nullptr);

  const HistogramChunk* chunk() const { return chunk_; }
  int64_t last_t() const { return t_; }

 private:
  // The verdict of the counter-histogram checks (Prometheus's appendable).
  struct Appendability {
    SpanExpansion positive, negative;
    bool ok = false;
    CounterResetHeader header = CounterResetHeader::kNotCounterReset;
  };
  Appendability CheckAppendable(const Histogram& h) const;
  // The gauge variant (Prometheus's appendableGauge): ok unless the layout
  // changed incompatibly; expansions both ways.
  struct GaugeAppendability {
    BothWaysExpansion positive, negative;
    bool ok = false;
  };
  GaugeAppendability CheckAppendableGauge(const Histogram& h) const;

  Result<ChunkAppendOutcome<HistogramChunk>> AppendCounter(int64_t t, const Histogram& h, bool append_only);
  Result<ChunkAppendOutcome<HistogramChunk>> AppendGauge(int64_t t, const Histogram& h, bool append_only);
  // Starts a new chunk holding h; *this then appends to it.
  ChunkAppendOutcome<HistogramChunk> CutNewChunk(int64_t t, const Histogram& h, CounterResetHeader header);
  // Re-encodes the chunk with the forward inserts and the widened spans,
  // appends h (already in that layout), and makes *this append to the copy.
  Result<ChunkAppendOutcome<HistogramChunk>> RecodeAndAppend(int64_t t, const Histogram& h,
                                                             const std::vector<BucketInsert>& positive_inserts,
                                                             const std::vector<BucketInsert>& negative_inserts);
  // Encodes one sample (Prometheus's appendHistogram); no checks.
  void Write(int64_t t, const Histogram& h);
  void WriteFirst(int64_t t, const Histogram& h);

  HistogramChunk* chunk_ = nullptr;
  // The chunk's layout, fixed by its first sample.
  int32_t schema_ = 0;
  double zero_threshold_ = 0;
  std::vector<HistogramSpan> positive_spans_, negative_spans_;
  std::vector<double> custom_values_;
  // The last sample and its deltas (signed: gauge histograms decrease).
  int64_t t_ = 0;
  uint64_t count_ = 0, zero_count_ = 0;
  int64_t t_delta_ = 0, count_delta_ = 0, zero_count_delta_ = 0;
  std::vector<int64_t> positive_buckets_, negative_buckets_;  // delta-encoded, as in Histogram
  std::vector<int64_t> positive_bucket_deltas_, negative_bucket_deltas_;
  XorState sum_;
};

// Decodes a chunk's histograms in order. Next/Seek return kHistogram; At()
// is not meaningful (it returns the timestamp and NaN); use AtHistogram or
// AtFloatHistogram.
class HistogramIterator final : public SampleIterator {
 public:
  HistogramIterator() = default;
  explicit HistogramIterator(std::string_view bytes) { Reset(bytes); }
  void Reset(std::string_view bytes);

  ValueType Next() override;
  ValueType Seek(int64_t t) override;
  Sample At() const override;
  int64_t AtHistogram(Histogram* h) const override;
  int64_t AtFloatHistogram(FloatHistogram* fh) const override;
  int64_t AtT() const override { return t_; }
  Status Err() const override { return err_; }

  CounterResetHeader counter_reset_header() const { return header_; }

 private:
  friend class HistogramAppender;
  ValueType Fail(Status status);
  Status ReadFirst();
  Status ReadNext();

  BitReader reader_;
  Status err_;
  CounterResetHeader header_ = CounterResetHeader::kUnknown;
  int num_total_ = 0;
  int num_read_ = 0;
  bool exhausted_ = false;
  HistogramChunkLayout layout_;
  int64_t t_ = 0;
  uint64_t count_ = 0, zero_count_ = 0;
  int64_t t_delta_ = 0, count_delta_ = 0, zero_count_delta_ = 0;
  std::vector<int64_t> positive_buckets_, negative_buckets_;
  std::vector<int64_t> positive_bucket_deltas_, negative_bucket_deltas_;
  XorState sum_;
};

}  // namespace promethium::tsdb
