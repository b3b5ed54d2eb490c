#include "tsdb/chunkenc/histogram_chunk.h"

#include <bit>
#include <cmath>
#include <limits>

#include "tsdb/api/sample.h"
#include "tsdb/histogram/float_histogram.h"

namespace promethium::tsdb {

HistogramChunk::HistogramChunk() { stream_.WriteBits(0, 24); }

Result<HistogramChunk> HistogramChunk::FromBytes(std::string bytes) {
  if (bytes.size() < kHistogramChunkHeaderSize) {
    return Status::Corruption("histogram chunk shorter than its 3-byte header");
  }
  return HistogramChunk(BitWriter(std::move(bytes), 0));
}

int HistogramChunk::NumSamples() const { return HistogramChunkSampleCount(stream_.bytes()); }

CounterResetHeader HistogramChunk::counter_reset_header() const {
  return HistogramChunkCounterResetHeader(stream_.bytes());
}

void HistogramChunk::SetNumSamples(int n) { SetHistogramChunkSampleCount(stream_.mutable_bytes(), n); }

void HistogramChunk::SetCounterResetHeader(CounterResetHeader header) {
  SetHistogramChunkCounterResetHeader(stream_.mutable_bytes(), header);
}

Result<HistogramAppender> HistogramAppender::Resume(HistogramChunk* chunk) {
  HistogramAppender app(chunk);
  if (chunk->NumSamples() == 0) return app;
  HistogramIterator it(chunk->Bytes());
  while (it.Next() != ValueType::kNone) {
  }
  if (!it.Err().ok()) return it.Err();
  app.schema_ = it.layout_.schema;
  app.zero_threshold_ = it.layout_.zero_threshold;
  app.positive_spans_ = std::move(it.layout_.positive_spans);
  app.negative_spans_ = std::move(it.layout_.negative_spans);
  app.custom_values_ = std::move(it.layout_.custom_values);
  app.t_ = it.t_;
  app.count_ = it.count_;
  app.zero_count_ = it.zero_count_;
  app.t_delta_ = it.t_delta_;
  app.count_delta_ = it.count_delta_;
  app.zero_count_delta_ = it.zero_count_delta_;
  app.positive_buckets_ = std::move(it.positive_buckets_);
  app.negative_buckets_ = std::move(it.negative_buckets_);
  app.positive_bucket_deltas_ = std::move(it.positive_bucket_deltas_);
  app.negative_bucket_deltas_ = std::move(it.negative_bucket_deltas_);
  app.sum_ = it.sum_;
  return app;
}

Result<ChunkAppendOutcome<HistogramChunk>> HistogramAppender::Append(int64_t t, const Histogram& h, bool append_only,
                                                                     const HistogramAppender* prev) {
  Status shape = CheckHistogramShape(h.schema, h.sum, h.positive_spans, h.positive_buckets.size(), h.negative_spans,
                                     h.negative_buckets.size());
  if (!shape.ok()) return shape;
  const int n = chunk_->NumSamples();
  if (n >= kMaxSamplesPerChunk) return Status::ResourceExhausted("histogram chunk holds 65535 samples");
  if (n > 0) {
    return h.counter_reset_hint == CounterResetHint::kGauge ? AppendGauge(t, h, append_only)
                                                            : AppendCounter(t, h, append_only);
  }
  Write(t, h);
  if (h.counter_reset_hint == CounterResetHint::kGauge) {
    chunk_->SetCounterResetHeader(CounterResetHeader::kGauge);
  } else if (h.counter_reset_hint == CounterResetHint::kCounterReset) {
    chunk_->SetCounterResetHeader(CounterResetHeader::kCounterReset);
  } else if (prev != nullptr && prev->chunk_ != nullptr) {
    // A chunk continuing another: its header says whether h resets
    // relative to the previous chunk's last sample.
    chunk_->SetCounterResetHeader(prev->CheckAppendable(h).header);
  }
  return ChunkAppendOutcome<HistogramChunk>{};
}

HistogramAppender::Appendability HistogramAppender::CheckAppendable(const Histogram& h) const {
  Appendability out;
  // The header stays kNotCounterReset here, as in Prometheus: a counter
  // histogram following a gauge chunk is not a reset.
  if (chunk_->NumSamples() > 0 && chunk_->counter_reset_header() == CounterResetHeader::kGauge) return out;
  if (h.counter_reset_hint == CounterResetHint::kCounterReset) {
    out.header = CounterResetHeader::kCounterReset;
    return out;
  }
  if (IsStaleNaN(h.sum)) {
    out.ok = true;  // a stale marker's buckets do not matter
    return out;
  }
  // After a stale marker only stale markers may follow in this chunk.
  auto reset = [&out](CounterResetHeader header) {
    out.header = header;
    return out;
  };
  if (IsStaleNaN(sum_.value)) return reset(CounterResetHeader::kUnknown);
  if (h.count < count_) return reset(CounterResetHeader::kCounterReset);
  // A schema or threshold change may or may not hide a reset; Prometheus
  // does not look closer and leaves it to query time.
  if (h.schema != schema_ || h.zero_threshold != zero_threshold_) return reset(CounterResetHeader::kUnknown);
  if (IsCustomBucketsSchema(h.schema) && !CustomBoundsMatch(h.custom_values, custom_values_)) {
    return reset(CounterResetHeader::kCounterReset);
  }
  if (h.zero_count < zero_count_) return reset(CounterResetHeader::kCounterReset);
  out.positive = ExpandIntSpansAndBuckets(positive_spans_, h.positive_spans, positive_buckets_, h.positive_buckets);
  if (!out.positive.ok) return reset(CounterResetHeader::kCounterReset);
  out.negative = ExpandIntSpansAndBuckets(negative_spans_, h.negative_spans, negative_buckets_, h.negative_buckets);
  if (!out.negative.ok) return reset(CounterResetHeader::kCounterReset);
  out.ok = true;
  return out;
}

HistogramAppender::GaugeAppendability HistogramAppender::CheckAppendableGauge(const Histogram& h) const {
  GaugeAppendability out;
  if (chunk_->NumSamples() > 0 && chunk_->counter_reset_header() != CounterResetHeader::kGauge) return out;
  if (IsStaleNaN(h.sum)) {
    out.ok = true;
    return out;
  }
  if (IsStaleNaN(sum_.value)) return out;
  if (h.schema != schema_ || h.zero_threshold != zero_threshold_) return out;
  if (IsCustomBucketsSchema(h.schema) && !CustomBoundsMatch(h.custom_values, custom_values_)) return out;
  out.positive = ExpandSpansBothWays(positive_spans_, h.positive_spans);
  out.negative = ExpandSpansBothWays(negative_spans_, h.negative_spans);
  out.ok = true;
  return out;
}

namespace {
std::string InsertsMessage(const char* what, size_t positive, size_t negative, const char* direction) {
  return std::string(what) + " layout change with " + std::to_string(positive) + " positive and " +
         std::to_string(negative) + " negative " + direction + " inserts";
}
}  // namespace

Result<ChunkAppendOutcome<HistogramChunk>> HistogramAppender::AppendCounter(int64_t t, const Histogram& h,
                                                                            bool append_only) {
  Appendability a = CheckAppendable(h);
  if (!a.ok || a.header != CounterResetHeader::kNotCounterReset) {
    if (append_only) {
      return Status::FailedPrecondition(a.header == CounterResetHeader::kCounterReset ? "histogram counter reset"
                                                                                      : "histogram schema change");
    }
    return CutNewChunk(t, h, a.header);
  }
  const bool forward = !a.positive.forward.empty() || !a.negative.forward.empty();
  if (forward && append_only) {
    return Status::FailedPrecondition(
        InsertsMessage("histogram", a.positive.forward.size(), a.negative.forward.size(), "forwards"));
  }
  const Histogram* sample = &h;
  Histogram widened;
  if (!a.positive.backward.empty() || !a.negative.backward.empty()) {
    // h lacks buckets that are empty in the chunk: give it those buckets.
    widened = h;
    if (!forward) {
      widened.positive_spans = positive_spans_;
      widened.negative_spans = negative_spans_;
    } else {
      widened.positive_spans = AdjustSpansForInserts(h.positive_spans, a.positive.backward);
      widened.negative_spans = AdjustSpansForInserts(h.negative_spans, a.negative.backward);
    }
    if (!a.positive.backward.empty()) {
      widened.positive_buckets = InsertBuckets(h.positive_buckets, a.positive.backward, true);
    }
    if (!a.negative.backward.empty()) {
      widened.negative_buckets = InsertBuckets(h.negative_buckets, a.negative.backward, true);
    }
    sample = &widened;
  }
  if (forward) return RecodeAndAppend(t, *sample, a.positive.forward, a.negative.forward);
  Write(t, *sample);
  return ChunkAppendOutcome<HistogramChunk>{};
}

Result<ChunkAppendOutcome<HistogramChunk>> HistogramAppender::AppendGauge(int64_t t, const Histogram& h,
                                                                          bool append_only) {
  GaugeAppendability a = CheckAppendableGauge(h);
  if (!a.ok) {
    if (append_only) return Status::FailedPrecondition("gauge histogram schema change");
    return CutNewChunk(t, h, CounterResetHeader::kGauge);
  }
  const Histogram* sample = &h;
  Histogram widened;
  if (!a.positive.backward.empty() || !a.negative.backward.empty()) {
    if (append_only) {
      return Status::FailedPrecondition(
          InsertsMessage("gauge histogram", a.positive.backward.size(), a.negative.backward.size(), "backwards"));
    }
    widened = h;
    widened.positive_spans = a.positive.merged;
    widened.negative_spans = a.negative.merged;
    if (!a.positive.backward.empty()) {
      widened.positive_buckets = InsertBuckets(h.positive_buckets, a.positive.backward, true);
    }
    if (!a.negative.backward.empty()) {
      widened.negative_buckets = InsertBuckets(h.negative_buckets, a.negative.backward, true);
    }
    sample = &widened;
  }
  if (!a.positive.forward.empty() || !a.negative.forward.empty()) {
    if (append_only) {
      return Status::FailedPrecondition(
          InsertsMessage("gauge histogram", a.positive.forward.size(), a.negative.forward.size(), "forwards"));
    }
    return RecodeAndAppend(t, *sample, a.positive.forward, a.negative.forward);
  }
  Write(t, *sample);
  return ChunkAppendOutcome<HistogramChunk>{};
}

ChunkAppendOutcome<HistogramChunk> HistogramAppender::CutNewChunk(int64_t t, const Histogram& h,
                                                                  CounterResetHeader header) {
  ChunkAppendOutcome<HistogramChunk> out{AppendKind::kNewChunk, std::make_unique<HistogramChunk>()};
  HistogramAppender next(out.chunk.get());
  out.chunk->SetCounterResetHeader(header);
  next.Write(t, h);
  *this = std::move(next);
  return out;
}

Result<ChunkAppendOutcome<HistogramChunk>> HistogramAppender::RecodeAndAppend(
    int64_t t, const Histogram& h, const std::vector<BucketInsert>& positive_inserts,
    const std::vector<BucketInsert>& negative_inserts) {
  ChunkAppendOutcome<HistogramChunk> out{AppendKind::kRecoded, std::make_unique<HistogramChunk>()};
  HistogramAppender next(out.chunk.get());
  HistogramIterator it(chunk_->Bytes());
  Histogram old;
  while (it.Next() != ValueType::kNone) {
    const int64_t t_old = it.AtHistogram(&old);
    // Stale markers carry no layout: they are written as they are.
    if (!IsStaleNaN(old.sum)) {
      old.positive_spans = h.positive_spans;
      old.negative_spans = h.negative_spans;
      if (!positive_inserts.empty()) old.positive_buckets = InsertBuckets(old.positive_buckets, positive_inserts, true);
      if (!negative_inserts.empty()) old.negative_buckets = InsertBuckets(old.negative_buckets, negative_inserts, true);
    }
    next.Write(t_old, old);
  }
  if (!it.Err().ok()) return it.Err();
  out.chunk->SetCounterResetHeader(chunk_->counter_reset_header());
  next.Write(t, h);
  *this = std::move(next);
  return out;
}

void HistogramAppender::WriteFirst(int64_t t, const Histogram& h) {
  BitWriter& w = chunk_->stream_;
  WriteHistogramChunkLayout(h.schema, h.zero_threshold, h.positive_spans, h.negative_spans, h.custom_values, &w);
  schema_ = h.schema;
  zero_threshold_ = h.zero_threshold;
  positive_spans_ = h.positive_spans;
  negative_spans_ = h.negative_spans;
  custom_values_ = h.custom_values;
  positive_buckets_.assign(h.positive_buckets.size(), 0);
  negative_buckets_.assign(h.negative_buckets.size(), 0);
  positive_bucket_deltas_.assign(h.positive_buckets.size(), 0);
  negative_bucket_deltas_.assign(h.negative_buckets.size(), 0);
  PutVarbitInt(t, &w);
  PutVarbitUint(h.count, &w);
  PutVarbitUint(h.zero_count, &w);
  w.WriteBits(std::bit_cast<uint64_t>(h.sum), 64);
  for (int64_t b : h.positive_buckets) PutVarbitInt(b, &w);
  for (int64_t b : h.negative_buckets) PutVarbitInt(b, &w);
}

void HistogramAppender::Write(int64_t t, const Histogram& in) {
  // A stale marker is written as an empty histogram with the stale sum.
  Histogram stale;
  const bool is_stale = IsStaleNaN(in.sum);
  if (is_stale) stale.sum = in.sum;
  const Histogram& h = is_stale ? stale : in;
  const int n = chunk_->NumSamples();
  int64_t t_delta = 0, count_delta = 0, zero_count_delta = 0;
  if (n == 0) {
    WriteFirst(t, h);
  } else {
    // Unsigned arithmetic: wrapping is the encoding, not an overflow.
    BitWriter& w = chunk_->stream_;
    t_delta = static_cast<int64_t>(static_cast<uint64_t>(t) - static_cast<uint64_t>(t_));
    count_delta = static_cast<int64_t>(h.count - count_);
    zero_count_delta = static_cast<int64_t>(h.zero_count - zero_count_);
    int64_t count_dod = static_cast<int64_t>(static_cast<uint64_t>(count_delta) - static_cast<uint64_t>(count_delta_));
    int64_t zero_count_dod =
        static_cast<int64_t>(static_cast<uint64_t>(zero_count_delta) - static_cast<uint64_t>(zero_count_delta_));
    if (is_stale) count_dod = zero_count_dod = 0;
    PutVarbitInt(static_cast<int64_t>(static_cast<uint64_t>(t_delta) - static_cast<uint64_t>(t_delta_)), &w);
    PutVarbitInt(count_dod, &w);
    PutVarbitInt(zero_count_dod, &w);
    XorWrite(h.sum, &sum_, &w);
    auto write_buckets = [&w](const std::vector<int64_t>& buckets, std::vector<int64_t>* last,
                              std::vector<int64_t>* deltas) {
      for (size_t i = 0; i < buckets.size(); ++i) {
        const uint64_t delta = static_cast<uint64_t>(buckets[i]) - static_cast<uint64_t>((*last)[i]);
        PutVarbitInt(static_cast<int64_t>(delta - static_cast<uint64_t>((*deltas)[i])), &w);
        (*deltas)[i] = static_cast<int64_t>(delta);
      }
    };
    write_buckets(h.positive_buckets, &positive_buckets_, &positive_bucket_deltas_);
    write_buckets(h.negative_buckets, &negative_buckets_, &negative_bucket_deltas_);
  }
  t_ = t;
  count_ = h.count;
  zero_count_ = h.zero_count;
  t_delta_ = t_delta;
  count_delta_ = count_delta;
  zero_count_delta_ = zero_count_delta;
  std::copy(h.positive_buckets.begin(), h.positive_buckets.end(), positive_buckets_.begin());
  std::copy(h.negative_buckets.begin(), h.negative_buckets.end(), negative_buckets_.begin());
  sum_.value = h.sum;
  chunk_->SetNumSamples(n + 1);
}

void HistogramIterator::Reset(std::string_view bytes) {
  reader_ = BitReader(bytes);
  err_ = Status::OK();
  header_ = CounterResetHeader::kUnknown;
  num_total_ = 0;
  num_read_ = 0;
  exhausted_ = false;
  t_ = 0;
  count_ = zero_count_ = 0;
  t_delta_ = count_delta_ = zero_count_delta_ = 0;
  sum_ = XorState{};
  uint64_t count, flags;
  if (!reader_.ReadBits(16, &count) || !reader_.ReadBits(8, &flags)) {
    err_ = Status::Corruption("histogram chunk shorter than its 3-byte header");
    return;
  }
  num_total_ = static_cast<int>(count);
  header_ = static_cast<CounterResetHeader>(flags & kCounterResetHeaderMask);
}

ValueType HistogramIterator::Fail(Status status) {
  err_ = std::move(status);
  num_read_ = num_total_;
  exhausted_ = true;
  return ValueType::kNone;
}

ValueType HistogramIterator::Next() {
  if (!err_.ok() || num_read_ >= num_total_) {
    exhausted_ = true;
    return ValueType::kNone;
  }
  Status s = num_read_ == 0 ? ReadFirst() : ReadNext();
  if (!s.ok()) return Fail(std::move(s));
  ++num_read_;
  return ValueType::kHistogram;
}

namespace {
// Bucket counts come from the spans; more buckets than bits left is corrupt
// input and must not drive an allocation.
bool PlausibleBuckets(const BitReader& r, const HistogramChunkLayout& layout) {
  return CountSpanBuckets(layout.positive_spans) + CountSpanBuckets(layout.negative_spans) <= r.bits_left();
}
}  // namespace

Status HistogramIterator::ReadFirst() {
  Status s = ReadHistogramChunkLayout(&reader_, &layout_);
  if (!s.ok()) return s;
  s = CheckChunkSchema(layout_.schema);
  if (!s.ok()) return s;
  if (!PlausibleBuckets(reader_, layout_)) return Status::Corruption("histogram chunk: truncated first sample");
  const size_t np = CountSpanBuckets(layout_.positive_spans), nn = CountSpanBuckets(layout_.negative_spans);
  positive_buckets_.assign(np, 0);
  negative_buckets_.assign(nn, 0);
  positive_bucket_deltas_.assign(np, 0);
  negative_bucket_deltas_.assign(nn, 0);
  uint64_t sum_bits;
  if (!ReadVarbitInt(&reader_, &t_) || !ReadVarbitUint(&reader_, &count_) || !ReadVarbitUint(&reader_, &zero_count_) ||
      !reader_.ReadBits(64, &sum_bits)) {
    return Status::Corruption("histogram chunk: truncated first sample");
  }
  sum_.value = std::bit_cast<double>(sum_bits);
  for (int64_t& b : positive_buckets_) {
    if (!ReadVarbitInt(&reader_, &b)) return Status::Corruption("histogram chunk: truncated first sample");
  }
  for (int64_t& b : negative_buckets_) {
    if (!ReadVarbitInt(&reader_, &b)) return Status::Corruption("histogram chunk: truncated first sample");
  }
  return Status::OK();
}

namespace {
// Adds a delta-of-delta to a delta and the delta to a value, wrapping.
template <typename V>
void ApplyDod(int64_t dod, int64_t* delta, V* value) {
  *delta = static_cast<int64_t>(static_cast<uint64_t>(*delta) + static_cast<uint64_t>(dod));
  *value = static_cast<V>(static_cast<uint64_t>(*value) + static_cast<uint64_t>(*delta));
}
}  // namespace

Status HistogramIterator::ReadNext() {
  const Status truncated = Status::Corruption("histogram chunk: truncated sample");
  int64_t t_dod, count_dod, zero_count_dod;
  if (!ReadVarbitInt(&reader_, &t_dod) || !ReadVarbitInt(&reader_, &count_dod) ||
      !ReadVarbitInt(&reader_, &zero_count_dod) || !XorRead(&reader_, &sum_)) {
    return truncated;
  }
  ApplyDod(t_dod, &t_delta_, &t_);
  ApplyDod(count_dod, &count_delta_, &count_);
  ApplyDod(zero_count_dod, &zero_count_delta_, &zero_count_);
  if (IsStaleNaN(sum_.value)) return Status::OK();  // stale markers store no buckets
  for (size_t i = 0; i < positive_buckets_.size(); ++i) {
    int64_t dod;
    if (!ReadVarbitInt(&reader_, &dod)) return truncated;
    ApplyDod(dod, &positive_bucket_deltas_[i], &positive_buckets_[i]);
  }
  for (size_t i = 0; i < negative_buckets_.size(); ++i) {
    int64_t dod;
    if (!ReadVarbitInt(&reader_, &dod)) return truncated;
    ApplyDod(dod, &negative_bucket_deltas_[i], &negative_buckets_[i]);
  }
  return Status::OK();
}

ValueType HistogramIterator::Seek(int64_t t) {
  if (!err_.ok() || exhausted_) return ValueType::kNone;
  if (num_read_ > 0 && t_ >= t) return ValueType::kHistogram;
  while (num_read_ == 0 || t_ < t) {
    if (Next() == ValueType::kNone) return ValueType::kNone;
  }
  return ValueType::kHistogram;
}

Sample HistogramIterator::At() const { return Sample{t_, std::numeric_limits<double>::quiet_NaN()}; }

int64_t HistogramIterator::AtHistogram(Histogram* h) const {
  if (IsStaleNaN(sum_.value)) {
    *h = Histogram{};
    h->sum = sum_.value;
    return t_;
  }
  h->counter_reset_hint = HintForSample(header_, num_read_);
  h->schema = layout_.schema;
  h->zero_threshold = layout_.zero_threshold;
  h->zero_count = zero_count_;
  h->count = count_;
  h->sum = sum_.value;
  h->positive_spans = layout_.positive_spans;
  h->negative_spans = layout_.negative_spans;
  h->positive_buckets = positive_buckets_;
  h->negative_buckets = negative_buckets_;
  h->custom_values = layout_.custom_values;
  if (h->schema > kMaxExponentialSchema) {
    // A newer Prometheus's finer schema: reduce to ours on absolute counts.
    auto reduce = [this](std::vector<HistogramSpan>* spans, std::vector<int64_t>* buckets) {
      uint64_t v = 0;  // unsigned: corrupt deltas must not overflow
      for (int64_t& b : *buckets) b = static_cast<int64_t>(v += static_cast<uint64_t>(b));
      ReduceResolution(layout_.schema, kMaxExponentialSchema, spans, buckets);
      v = 0;
      for (int64_t& b : *buckets) {
        const uint64_t absolute = static_cast<uint64_t>(b);
        b = static_cast<int64_t>(absolute - v);
        v = absolute;
      }
    };
    reduce(&h->positive_spans, &h->positive_buckets);
    reduce(&h->negative_spans, &h->negative_buckets);
    h->schema = kMaxExponentialSchema;
  }
  return t_;
}

int64_t HistogramIterator::AtFloatHistogram(FloatHistogram* fh) const {
  if (IsStaleNaN(sum_.value)) {
    *fh = FloatHistogram{};
    fh->sum = sum_.value;
    return t_;
  }
  fh->counter_reset_hint = HintForSample(header_, num_read_);
  fh->schema = layout_.schema;
  fh->zero_threshold = layout_.zero_threshold;
  fh->zero_count = static_cast<double>(zero_count_);
  fh->count = static_cast<double>(count_);
  fh->sum = sum_.value;
  fh->positive_spans = layout_.positive_spans;
  fh->negative_spans = layout_.negative_spans;
  auto absolute = [](const std::vector<int64_t>& deltas, std::vector<double>* out) {
    out->resize(deltas.size());
    uint64_t current = 0;  // unsigned: corrupt deltas must not overflow
    for (size_t i = 0; i < deltas.size(); ++i) {
      current += static_cast<uint64_t>(deltas[i]);
      (*out)[i] = static_cast<double>(static_cast<int64_t>(current));
    }
  };
  absolute(positive_buckets_, &fh->positive_buckets);
  absolute(negative_buckets_, &fh->negative_buckets);
  fh->custom_values = layout_.custom_values;
  if (fh->schema > kMaxExponentialSchema) {
    ReduceResolution(fh->schema, kMaxExponentialSchema, &fh->positive_spans, &fh->positive_buckets);
    ReduceResolution(fh->schema, kMaxExponentialSchema, &fh->negative_spans, &fh->negative_buckets);
    fh->schema = kMaxExponentialSchema;
  }
  return t_;
}

}  // namespace promethium::tsdb
