// FloatHistogramChunk: native histograms with float counts, byte for byte
// compatible with Prometheus's chunkenc.FloatHistogramChunk (encoding 3;
// see docs/format/chunks.md).
//
// Layout: the same 3-byte header and layout section as HistogramChunk
// (histogram_meta.h). The first sample stores its timestamp as a varbit
// integer and the count, zero count, sum and each absolute bucket count as
// 64 raw bits; later samples store the timestamp's delta-of-delta as a
// varbit integer and every float XORed with its own predecessor, each with
// its own leading/trailing-zero window.
//
// Ownership and thread-safety as HistogramChunk: the chunk owns its bytes,
// the appender borrows its chunk, the iterator borrows the bytes; no
// internal locking.
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
#include "tsdb/histogram/float_histogram.h"

namespace promethium::tsdb {

class FloatHistogramChunk {
 public:
  FloatHistogramChunk();  // empty: the 3-byte header, count 0, header kUnknown
  static Result<FloatHistogramChunk> FromBytes(std::string bytes);

  std::string_view Bytes() const { return stream_.bytes(); }
  int NumSamples() const;
  CounterResetHeader counter_reset_header() const;
  size_t SizeBytes() const { return stream_.size(); }
  size_t MemoryBytes() const { return stream_.bytes().capacity(); }
  void Shrink() { stream_.mutable_bytes()->shrink_to_fit(); }

 private:
  friend class FloatHistogramAppender;
  explicit FloatHistogramChunk(BitWriter stream) : stream_(std::move(stream)) {}
  void SetNumSamples(int n);
  void SetCounterResetHeader(CounterResetHeader header);

  BitWriter stream_;
};

class FloatHistogramAppender {
 public:
  FloatHistogramAppender() = default;
  explicit FloatHistogramAppender(FloatHistogramChunk* chunk) : chunk_(chunk) {}
  static Result<FloatHistogramAppender> Resume(FloatHistogramChunk* chunk);
  void Rebind(FloatHistogramChunk* chunk) { chunk_ = chunk; }

  // As HistogramAppender::Append, with Prometheus's float differences: a
  // new chunk cut for a schema or threshold change gets header kUnknown,
  // and the first sample after `prev` gets kCounterReset or
  // kNotCounterReset (never kUnknown).
  Result<ChunkAppendOutcome<FloatHistogramChunk>> Append(int64_t t, const FloatHistogram& h, bool append_only,
                                                         const FloatHistogramAppender* prev = nullptr);

  const FloatHistogramChunk* chunk() const { return chunk_; }
  int64_t last_t() const { return t_; }

 private:
  struct Appendability {
    SpanExpansion positive, negative;
    bool ok = false;
    bool counter_reset = false;
  };
  Appendability CheckAppendable(const FloatHistogram& h) const;
  struct GaugeAppendability {
    BothWaysExpansion positive, negative;
    bool ok = false;
  };
  GaugeAppendability CheckAppendableGauge(const FloatHistogram& h) const;

  Result<ChunkAppendOutcome<FloatHistogramChunk>> AppendCounter(int64_t t, const FloatHistogram& h, bool append_only);
  Result<ChunkAppendOutcome<FloatHistogramChunk>> AppendGauge(int64_t t, const FloatHistogram& h, bool append_only);
  ChunkAppendOutcome<FloatHistogramChunk> CutNewChunk(int64_t t, const FloatHistogram& h, CounterResetHeader header);
  Result<ChunkAppendOutcome<FloatHistogramChunk>> RecodeAndAppend(int64_t t, const FloatHistogram& h,
                                                                  const std::vector<BucketInsert>& positive_inserts,
                                                                  const std::vector<BucketInsert>& negative_inserts);
  void Write(int64_t t, const FloatHistogram& h);
  void WriteFirst(int64_t t, const FloatHistogram& h);

  FloatHistogramChunk* chunk_ = nullptr;
  int32_t schema_ = 0;
  double zero_threshold_ = 0;
  std::vector<HistogramSpan> positive_spans_, negative_spans_;
  std::vector<double> custom_values_;
  int64_t t_ = 0;
  int64_t t_delta_ = 0;
  XorState count_, zero_count_, sum_;
  std::vector<XorState> positive_buckets_, negative_buckets_;  // absolute counts
};

// Decodes a chunk's float histograms in order. Next/Seek return
// kFloatHistogram; only AtFloatHistogram and AtT are meaningful
// (AtHistogram yields an empty histogram, At() NaN).
class FloatHistogramIterator final : public SampleIterator {
 public:
  FloatHistogramIterator() = default;
  explicit FloatHistogramIterator(std::string_view bytes) { Reset(bytes); }
  void Reset(std::string_view bytes);

  ValueType Next() override;
  ValueType Seek(int64_t t) override;
  Sample At() const override;
  int64_t AtFloatHistogram(FloatHistogram* fh) const override;
  int64_t AtT() const override { return t_; }
  Status Err() const override { return err_; }

  CounterResetHeader counter_reset_header() const { return header_; }

 private:
  friend class FloatHistogramAppender;
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
  int64_t t_delta_ = 0;
  XorState count_, zero_count_, sum_;
  std::vector<XorState> positive_buckets_, negative_buckets_;
};

}  // namespace promethium::tsdb
