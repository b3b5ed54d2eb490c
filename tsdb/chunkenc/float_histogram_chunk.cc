#include "tsdb/chunkenc/float_histogram_chunk.h"

#include <bit>
#include <limits>

#include "tsdb/api/sample.h"

namespace promethium::tsdb {

FloatHistogramChunk::FloatHistogramChunk() { stream_.WriteBits(0, 24); }

Result<FloatHistogramChunk> FloatHistogramChunk::FromBytes(std::string bytes) {
  if (bytes.size() < kHistogramChunkHeaderSize) {
    return Status::Corruption("float histogram chunk shorter than its 3-byte header");
  }
  return FloatHistogramChunk(BitWriter(std::move(bytes), 0));
}

int FloatHistogramChunk::NumSamples() const { return HistogramChunkSampleCount(stream_.bytes()); }

CounterResetHeader FloatHistogramChunk::counter_reset_header() const {
  return HistogramChunkCounterResetHeader(stream_.bytes());
}

void FloatHistogramChunk::SetNumSamples(int n) { SetHistogramChunkSampleCount(stream_.mutable_bytes(), n); }

void FloatHistogramChunk::SetCounterResetHeader(CounterResetHeader header) {
  SetHistogramChunkCounterResetHeader(stream_.mutable_bytes(), header);
}

Result<FloatHistogramAppender> FloatHistogramAppender::Resume(FloatHistogramChunk* chunk) {
  FloatHistogramAppender app(chunk);
  if (chunk->NumSamples() == 0) return app;
  FloatHistogramIterator it(chunk->Bytes());
  while (it.Next() != ValueType::kNone) {
  }
  if (!it.Err().ok()) return it.Err();
  app.schema_ = it.layout_.schema;
  app.zero_threshold_ = it.layout_.zero_threshold;
  app.positive_spans_ = std::move(it.layout_.positive_spans);
  app.negative_spans_ = std::move(it.layout_.negative_spans);
  app.custom_values_ = std::move(it.layout_.custom_values);
  app.t_ = it.t_;
  app.t_delta_ = it.t_delta_;
  app.count_ = it.count_;
  app.zero_count_ = it.zero_count_;
  app.sum_ = it.sum_;
  app.positive_buckets_ = std::move(it.positive_buckets_);
  app.negative_buckets_ = std::move(it.negative_buckets_);
  return app;
}

Result<ChunkAppendOutcome<FloatHistogramChunk>> FloatHistogramAppender::Append(int64_t t, const FloatHistogram& h,
                                                                               bool append_only,
                                                                               const FloatHistogramAppender* prev) {
  Status shape = CheckHistogramShape(h.schema, h.sum, h.positive_spans, h.positive_buckets.size(), h.negative_spans,
                                     h.negative_buckets.size());
  if (!shape.ok()) return shape;
  const int n = chunk_->NumSamples();
  if (n >= kMaxSamplesPerChunk) return Status::ResourceExhausted("float histogram chunk holds 65535 samples");
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
    chunk_->SetCounterResetHeader(prev->CheckAppendable(h).counter_reset ? CounterResetHeader::kCounterReset
                                                                         : CounterResetHeader::kNotCounterReset);
  }
  return ChunkAppendOutcome<FloatHistogramChunk>{};
}

FloatHistogramAppender::Appendability FloatHistogramAppender::CheckAppendable(const FloatHistogram& h) const {
  Appendability out;
  if (chunk_->NumSamples() > 0 && chunk_->counter_reset_header() == CounterResetHeader::kGauge) return out;
  auto reset = [&out] {
    out.counter_reset = true;
    return out;
  };
  if (h.counter_reset_hint == CounterResetHint::kCounterReset) return reset();
  if (IsStaleNaN(h.sum)) {
    out.ok = true;
    return out;
  }
  if (IsStaleNaN(sum_.value)) return out;  // only stale markers may follow one
  if (h.count < count_.value) return reset();
  if (h.schema != schema_ || h.zero_threshold != zero_threshold_) return out;
  if (IsCustomBucketsSchema(h.schema) && !CustomBoundsMatch(h.custom_values, custom_values_)) return reset();
  if (h.zero_count < zero_count_.value) return reset();
  std::vector<double> last(positive_buckets_.size());
  for (size_t i = 0; i < last.size(); ++i) last[i] = positive_buckets_[i].value;
  out.positive = ExpandFloatSpansAndBuckets(positive_spans_, h.positive_spans, last, h.positive_buckets);
  if (!out.positive.ok) return reset();
  last.resize(negative_buckets_.size());
  for (size_t i = 0; i < last.size(); ++i) last[i] = negative_buckets_[i].value;
  out.negative = ExpandFloatSpansAndBuckets(negative_spans_, h.negative_spans, last, h.negative_buckets);
  if (!out.negative.ok) return reset();
  out.ok = true;
  return out;
}

FloatHistogramAppender::GaugeAppendability FloatHistogramAppender::CheckAppendableGauge(const FloatHistogram& h) const {
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

Result<ChunkAppendOutcome<FloatHistogramChunk>> FloatHistogramAppender::AppendCounter(int64_t t,
                                                                                      const FloatHistogram& h,
                                                                                      bool append_only) {
  Appendability a = CheckAppendable(h);
  if (!a.ok || a.counter_reset) {
    if (append_only) {
      return Status::FailedPrecondition(a.counter_reset ? "float histogram counter reset"
                                                        : "float histogram schema change");
    }
    return CutNewChunk(t, h, a.counter_reset ? CounterResetHeader::kCounterReset : CounterResetHeader::kUnknown);
  }
  const bool forward = !a.positive.forward.empty() || !a.negative.forward.empty();
  if (forward && append_only) {
    return Status::FailedPrecondition(
        InsertsMessage("float histogram", a.positive.forward.size(), a.negative.forward.size(), "forwards"));
  }
  const FloatHistogram* sample = &h;
  FloatHistogram widened;
  if (!a.positive.backward.empty() || !a.negative.backward.empty()) {
    widened = h;
    if (!forward) {
      widened.positive_spans = positive_spans_;
      widened.negative_spans = negative_spans_;
    } else {
      widened.positive_spans = AdjustSpansForInserts(h.positive_spans, a.positive.backward);
      widened.negative_spans = AdjustSpansForInserts(h.negative_spans, a.negative.backward);
    }
    if (!a.positive.backward.empty()) widened.positive_buckets = InsertBuckets(h.positive_buckets, a.positive.backward);
    if (!a.negative.backward.empty()) widened.negative_buckets = InsertBuckets(h.negative_buckets, a.negative.backward);
    sample = &widened;
  }
  if (forward) return RecodeAndAppend(t, *sample, a.positive.forward, a.negative.forward);
  Write(t, *sample);
  return ChunkAppendOutcome<FloatHistogramChunk>{};
}

Result<ChunkAppendOutcome<FloatHistogramChunk>> FloatHistogramAppender::AppendGauge(int64_t t, const FloatHistogram& h,
                                                                                    bool append_only) {
  GaugeAppendability a = CheckAppendableGauge(h);
  if (!a.ok) {
    if (append_only) return Status::FailedPrecondition("float gauge histogram schema change");
    return CutNewChunk(t, h, CounterResetHeader::kGauge);
  }
  const FloatHistogram* sample = &h;
  FloatHistogram widened;
  if (!a.positive.backward.empty() || !a.negative.backward.empty()) {
    if (append_only) {
      return Status::FailedPrecondition(
          InsertsMessage("float gauge histogram", a.positive.backward.size(), a.negative.backward.size(), "backwards"));
    }
    widened = h;
    widened.positive_spans = a.positive.merged;
    widened.negative_spans = a.negative.merged;
    if (!a.positive.backward.empty()) widened.positive_buckets = InsertBuckets(h.positive_buckets, a.positive.backward);
    if (!a.negative.backward.empty()) widened.negative_buckets = InsertBuckets(h.negative_buckets, a.negative.backward);
    sample = &widened;
  }
  if (!a.positive.forward.empty() || !a.negative.forward.empty()) {
    if (append_only) {
      return Status::FailedPrecondition(
          InsertsMessage("float gauge histogram", a.positive.forward.size(), a.negative.forward.size(), "forwards"));
    }
    return RecodeAndAppend(t, *sample, a.positive.forward, a.negative.forward);
  }
  Write(t, *sample);
  return ChunkAppendOutcome<FloatHistogramChunk>{};
}

ChunkAppendOutcome<FloatHistogramChunk> FloatHistogramAppender::CutNewChunk(int64_t t, const FloatHistogram& h,
                                                                            CounterResetHeader header) {
  ChunkAppendOutcome<FloatHistogramChunk> out{AppendKind::kNewChunk, std::make_unique<FloatHistogramChunk>()};
  FloatHistogramAppender next(out.chunk.get());
  out.chunk->SetCounterResetHeader(header);
  next.Write(t, h);
  *this = std::move(next);
  return out;
}

Result<ChunkAppendOutcome<FloatHistogramChunk>> FloatHistogramAppender::RecodeAndAppend(
    int64_t t, const FloatHistogram& h, const std::vector<BucketInsert>& positive_inserts,
    const std::vector<BucketInsert>& negative_inserts) {
  ChunkAppendOutcome<FloatHistogramChunk> out{AppendKind::kRecoded, std::make_unique<FloatHistogramChunk>()};
  FloatHistogramAppender next(out.chunk.get());
  FloatHistogramIterator it(chunk_->Bytes());
  FloatHistogram old;
  while (it.Next() != ValueType::kNone) {
    const int64_t t_old = it.AtFloatHistogram(&old);
    if (!IsStaleNaN(old.sum)) {
      old.positive_spans = h.positive_spans;
      old.negative_spans = h.negative_spans;
      if (!positive_inserts.empty()) old.positive_buckets = InsertBuckets(old.positive_buckets, positive_inserts);
      if (!negative_inserts.empty()) old.negative_buckets = InsertBuckets(old.negative_buckets, negative_inserts);
    }
    next.Write(t_old, old);
  }
  if (!it.Err().ok()) return it.Err();
  out.chunk->SetCounterResetHeader(chunk_->counter_reset_header());
  next.Write(t, h);
  *this = std::move(next);
  return out;
}

void FloatHistogramAppender::WriteFirst(int64_t t, const FloatHistogram& h) {
  BitWriter& w = chunk_->stream_;
  WriteHistogramChunkLayout(h.schema, h.zero_threshold, h.positive_spans, h.negative_spans, h.custom_values, &w);
  schema_ = h.schema;
  zero_threshold_ = h.zero_threshold;
  positive_spans_ = h.positive_spans;
  negative_spans_ = h.negative_spans;
  custom_values_ = h.custom_values;
  PutVarbitInt(t, &w);
  w.WriteBits(std::bit_cast<uint64_t>(h.count), 64);
  w.WriteBits(std::bit_cast<uint64_t>(h.zero_count), 64);
  w.WriteBits(std::bit_cast<uint64_t>(h.sum), 64);
  count_ = XorState{h.count};
  zero_count_ = XorState{h.zero_count};
  sum_ = XorState{h.sum};
  positive_buckets_.clear();
  negative_buckets_.clear();
  for (double b : h.positive_buckets) {
    w.WriteBits(std::bit_cast<uint64_t>(b), 64);
    positive_buckets_.push_back(XorState{b});
  }
  for (double b : h.negative_buckets) {
    w.WriteBits(std::bit_cast<uint64_t>(b), 64);
    negative_buckets_.push_back(XorState{b});
  }
}

void FloatHistogramAppender::Write(int64_t t, const FloatHistogram& in) {
  // A stale marker is written as an empty histogram with the stale sum.
  FloatHistogram stale;
  const bool is_stale = IsStaleNaN(in.sum);
  if (is_stale) stale.sum = in.sum;
  const FloatHistogram& h = is_stale ? stale : in;
  const int n = chunk_->NumSamples();
  int64_t t_delta = 0;
  if (n == 0) {
    WriteFirst(t, h);
  } else {
    BitWriter& w = chunk_->stream_;
    t_delta = static_cast<int64_t>(static_cast<uint64_t>(t) - static_cast<uint64_t>(t_));
    PutVarbitInt(static_cast<int64_t>(static_cast<uint64_t>(t_delta) - static_cast<uint64_t>(t_delta_)), &w);
    XorWrite(h.count, &count_, &w);
    XorWrite(h.zero_count, &zero_count_, &w);
    XorWrite(h.sum, &sum_, &w);
    for (size_t i = 0; i < h.positive_buckets.size(); ++i) XorWrite(h.positive_buckets[i], &positive_buckets_[i], &w);
    for (size_t i = 0; i < h.negative_buckets.size(); ++i) XorWrite(h.negative_buckets[i], &negative_buckets_[i], &w);
  }
  t_ = t;
  t_delta_ = t_delta;
  chunk_->SetNumSamples(n + 1);
}

void FloatHistogramIterator::Reset(std::string_view bytes) {
  reader_ = BitReader(bytes);
  err_ = Status::OK();
  header_ = CounterResetHeader::kUnknown;
  num_total_ = 0;
  num_read_ = 0;
  exhausted_ = false;
  t_ = t_delta_ = 0;
  count_ = zero_count_ = sum_ = XorState{};
  uint64_t count, flags;
  if (!reader_.ReadBits(16, &count) || !reader_.ReadBits(8, &flags)) {
    err_ = Status::Corruption("float histogram chunk shorter than its 3-byte header");
    return;
  }
  num_total_ = static_cast<int>(count);
  header_ = static_cast<CounterResetHeader>(flags & kCounterResetHeaderMask);
}

ValueType FloatHistogramIterator::Fail(Status status) {
  err_ = std::move(status);
  num_read_ = num_total_;
  exhausted_ = true;
  return ValueType::kNone;
}

ValueType FloatHistogramIterator::Next() {
  if (!err_.ok() || num_read_ >= num_total_) {
    exhausted_ = true;
    return ValueType::kNone;
  }
  Status s = num_read_ == 0 ? ReadFirst() : ReadNext();
  if (!s.ok()) return Fail(std::move(s));
  ++num_read_;
  return ValueType::kFloatHistogram;
}

Status FloatHistogramIterator::ReadFirst() {
  Status s = ReadHistogramChunkLayout(&reader_, &layout_);
  if (!s.ok()) return s;
  s = CheckChunkSchema(layout_.schema);
  if (!s.ok()) return s;
  const Status truncated = Status::Corruption("float histogram chunk: truncated first sample");
  const size_t np = CountSpanBuckets(layout_.positive_spans), nn = CountSpanBuckets(layout_.negative_spans);
  if ((np + nn) * 64 > reader_.bits_left()) return truncated;
  uint64_t count, zero_count, sum;
  if (!ReadVarbitInt(&reader_, &t_) || !reader_.ReadBits(64, &count) || !reader_.ReadBits(64, &zero_count) ||
      !reader_.ReadBits(64, &sum)) {
    return truncated;
  }
  count_ = XorState{std::bit_cast<double>(count)};
  zero_count_ = XorState{std::bit_cast<double>(zero_count)};
  sum_ = XorState{std::bit_cast<double>(sum)};
  auto read_raw = [this](size_t n, std::vector<XorState>* out) {
    out->assign(n, XorState{});
    for (XorState& b : *out) {
      uint64_t bits;
      if (!reader_.ReadBits(64, &bits)) return false;
      b.value = std::bit_cast<double>(bits);
    }
    return true;
  };
  if (!read_raw(np, &positive_buckets_) || !read_raw(nn, &negative_buckets_)) return truncated;
  return Status::OK();
}

Status FloatHistogramIterator::ReadNext() {
  const Status truncated = Status::Corruption("float histogram chunk: truncated sample");
  int64_t t_dod;
  if (!ReadVarbitInt(&reader_, &t_dod) || !XorRead(&reader_, &count_) || !XorRead(&reader_, &zero_count_) ||
      !XorRead(&reader_, &sum_)) {
    return truncated;
  }
  t_delta_ = static_cast<int64_t>(static_cast<uint64_t>(t_delta_) + static_cast<uint64_t>(t_dod));
  t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + static_cast<uint64_t>(t_delta_));
  if (IsStaleNaN(sum_.value)) return Status::OK();  // stale markers store no buckets
  for (XorState& b : positive_buckets_) {
    if (!XorRead(&reader_, &b)) return truncated;
  }
  for (XorState& b : negative_buckets_) {
    if (!XorRead(&reader_, &b)) return truncated;
  }
  return Status::OK();
}

ValueType FloatHistogramIterator::Seek(int64_t t) {
  if (!err_.ok() || exhausted_) return ValueType::kNone;
  if (num_read_ > 0 && t_ >= t) return ValueType::kFloatHistogram;
  while (num_read_ == 0 || t_ < t) {
    if (Next() == ValueType::kNone) return ValueType::kNone;
  }
  return ValueType::kFloatHistogram;
}

Sample FloatHistogramIterator::At() const { return Sample{t_, std::numeric_limits<double>::quiet_NaN()}; }

int64_t FloatHistogramIterator::AtFloatHistogram(FloatHistogram* fh) const {
  if (IsStaleNaN(sum_.value)) {
    *fh = FloatHistogram{};
    fh->sum = sum_.value;
    return t_;
  }
  fh->counter_reset_hint = HintForSample(header_, num_read_);
  fh->schema = layout_.schema;
  fh->zero_threshold = layout_.zero_threshold;
  fh->zero_count = zero_count_.value;
  fh->count = count_.value;
  fh->sum = sum_.value;
  fh->positive_spans = layout_.positive_spans;
  fh->negative_spans = layout_.negative_spans;
  fh->positive_buckets.resize(positive_buckets_.size());
  for (size_t i = 0; i < positive_buckets_.size(); ++i) fh->positive_buckets[i] = positive_buckets_[i].value;
  fh->negative_buckets.resize(negative_buckets_.size());
  for (size_t i = 0; i < negative_buckets_.size(); ++i) fh->negative_buckets[i] = negative_buckets_[i].value;
  fh->custom_values = layout_.custom_values;
  if (fh->schema > kMaxExponentialSchema) {  // a newer Prometheus's finer schema
    ReduceResolution(fh->schema, kMaxExponentialSchema, &fh->positive_spans, &fh->positive_buckets);
    ReduceResolution(fh->schema, kMaxExponentialSchema, &fh->negative_spans, &fh->negative_buckets);
    fh->schema = kMaxExponentialSchema;
  }
  return t_;
}

}  // namespace promethium::tsdb
