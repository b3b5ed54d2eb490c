#include "tsdb/chunkenc/histogram_meta.h"

#include <bit>
#include <cmath>
#include <string>

#include "tsdb/api/sample.h"
#include "tsdb/chunkenc/varbit.h"

namespace promethium::tsdb {

CounterResetHeader CounterResetHeaderFromHint(CounterResetHint hint) {
  switch (hint) {
    case CounterResetHint::kCounterReset: return CounterResetHeader::kCounterReset;
    case CounterResetHint::kNotCounterReset: return CounterResetHeader::kNotCounterReset;
    case CounterResetHint::kGauge: return CounterResetHeader::kGauge;
    case CounterResetHint::kUnknown: break;
  }
  return CounterResetHeader::kUnknown;
}

CounterResetHint HintForSample(CounterResetHeader header, int num_read) {
  if (header == CounterResetHeader::kGauge) return CounterResetHint::kGauge;
  if (num_read > 1) return CounterResetHint::kNotCounterReset;
  return CounterResetHint::kUnknown;
}

// Zero thresholds that are powers of two 2^-243..2^10 take one byte holding
// the IEEE exponent + 243 (frexp's exponent, mantissa 0.5); 0 is byte 0;
// anything else is byte 255 and the 64 raw bits.
void PutZeroThreshold(double threshold, BitWriter* w) {
  if (threshold == 0) {
    w->WriteByte(0);
    return;
  }
  int exp = 0;
  const double frac = std::frexp(threshold, &exp);
  if (frac != 0.5 || exp < -242 || exp > 11) {
    w->WriteByte(255);
    w->WriteBits(std::bit_cast<uint64_t>(threshold), 64);
    return;
  }
  w->WriteByte(static_cast<uint8_t>(exp + 243));
}

bool ReadZeroThreshold(BitReader* r, double* out) {
  uint8_t b;
  if (!r->ReadByte(&b)) return false;
  if (b == 0) {
    *out = 0;
  } else if (b == 255) {
    uint64_t bits;
    if (!r->ReadBits(64, &bits)) return false;
    *out = std::bit_cast<double>(bits);
  } else {
    *out = std::ldexp(0.5, static_cast<int>(b) - 243);
  }
  return true;
}

namespace {
// Whether f*1000 is an exact whole number, as Prometheus checks it: round,
// divide back, compare.
bool IsWholeWhenMultiplied(double f) {
  const auto i = static_cast<uint64_t>(std::round(f * 1000));
  return f == static_cast<double>(i) / 1000;
}
}  // namespace

// Bounds that are multiples of 0.001 in [0, 33554.430] are stored as the
// unsigned varbit bound*1000 + 1 (never 0); others as a 0 bit (varbit 0) and
// the 64 raw bits.
void PutCustomBound(double bound, BitWriter* w) {
  const double scaled = bound * 1000;
  if (scaled < 0 || scaled > 33554430 || !IsWholeWhenMultiplied(bound)) {
    w->WriteBit(false);
    w->WriteBits(std::bit_cast<uint64_t>(bound), 64);
    return;
  }
  PutVarbitUint(static_cast<uint64_t>(std::round(scaled)) + 1, w);
}

bool ReadCustomBound(BitReader* r, double* out) {
  uint64_t v;
  if (!ReadVarbitUint(r, &v)) return false;
  if (v != 0) {
    *out = static_cast<double>(v - 1) / 1000;
    return true;
  }
  uint64_t bits;
  if (!r->ReadBits(64, &bits)) return false;
  *out = std::bit_cast<double>(bits);
  return true;
}

namespace {

void PutSpans(std::span<const HistogramSpan> spans, BitWriter* w) {
  PutVarbitUint(spans.size(), w);
  for (const HistogramSpan& s : spans) {
    PutVarbitUint(s.length, w);
    PutVarbitInt(s.offset, w);
  }
}

// Spans are counted in a varbit; a count beyond this is corrupt input, not
// a histogram (and must not drive an allocation).
constexpr uint64_t kMaxLayoutEntries = 1 << 20;

bool ReadSpans(BitReader* r, std::vector<HistogramSpan>* spans) {
  spans->clear();
  uint64_t num;
  if (!ReadVarbitUint(r, &num) || num > kMaxLayoutEntries || num > r->bits_left()) return false;
  for (uint64_t i = 0; i < num; ++i) {
    uint64_t length;
    int64_t offset;
    if (!ReadVarbitUint(r, &length) || !ReadVarbitInt(r, &offset)) return false;
    spans->push_back(HistogramSpan{static_cast<int32_t>(offset), static_cast<uint32_t>(length)});
  }
  return true;
}

}  // namespace

void WriteHistogramChunkLayout(int32_t schema, double zero_threshold, std::span<const HistogramSpan> positive,
                               std::span<const HistogramSpan> negative, std::span<const double> custom_values,
                               BitWriter* w) {
  PutZeroThreshold(zero_threshold, w);
  PutVarbitInt(schema, w);
  PutSpans(positive, w);
  PutSpans(negative, w);
  if (IsCustomBucketsSchema(schema)) {
    PutVarbitUint(custom_values.size(), w);
    for (double bound : custom_values) PutCustomBound(bound, w);
  }
}

Status ReadHistogramChunkLayout(BitReader* r, HistogramChunkLayout* layout) {
  int64_t schema;
  if (!ReadZeroThreshold(r, &layout->zero_threshold) || !ReadVarbitInt(r, &schema)) {
    return Status::Corruption("histogram chunk: truncated layout");
  }
  layout->schema = static_cast<int32_t>(schema);
  if (!ReadSpans(r, &layout->positive_spans) || !ReadSpans(r, &layout->negative_spans)) {
    return Status::Corruption("histogram chunk: truncated or invalid spans");
  }
  layout->custom_values.clear();
  if (IsCustomBucketsSchema(layout->schema)) {
    uint64_t num;
    if (!ReadVarbitUint(r, &num) || num > kMaxLayoutEntries || num > r->bits_left()) {
      return Status::Corruption("histogram chunk: truncated custom bounds");
    }
    for (uint64_t i = 0; i < num; ++i) {
      double bound;
      if (!ReadCustomBound(r, &bound)) return Status::Corruption("histogram chunk: truncated custom bounds");
      layout->custom_values.push_back(bound);
    }
  }
  return Status::OK();
}

size_t CountSpanBuckets(std::span<const HistogramSpan> spans) {
  size_t n = 0;
  for (const HistogramSpan& s : spans) n += s.length;
  return n;
}

BucketIndexIterator::BucketIndexIterator(std::span<const HistogramSpan> spans) : spans_(spans) {
  if (!spans_.empty()) index_ += spans_[0].offset;
}

bool BucketIndexIterator::Next(int64_t* index) {
  if (span_ >= spans_.size()) return false;
  if (bucket_ < static_cast<int>(spans_[span_].length) - 1) {  // stay in the span
    ++bucket_;
    *index = ++index_;
    return true;
  }
  while (span_ + 1 < spans_.size()) {  // move to the next non-empty span
    ++span_;
    index_ += spans_[span_].offset + 1;
    bucket_ = 0;
    if (spans_[span_].length == 0) {
      --index_;  // an empty span only shifts the following ones
      continue;
    }
    *index = index_;
    return true;
  }
  return false;
}

bool CustomBoundsMatch(std::span<const double> a, std::span<const double> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

Status CheckChunkSchema(int32_t schema) {
  if (IsValidSchema(schema)) return Status::OK();
  if (schema > kMaxExponentialSchema && schema <= 52) return Status::OK();  // reduced when read
  if (schema >= -9 && schema < kMinExponentialSchema) {
    return Status::Unsupported("histogram chunk with reserved schema " + std::to_string(schema));
  }
  return Status::Corruption(
      "histogram chunk: histogram has an unknown schema, which must be between -9 and 52 "
      "for exponential buckets, or -53 for custom buckets, got schema " +
      std::to_string(schema));
}

Status CheckHistogramShape(int32_t schema, double sum, std::span<const HistogramSpan> positive_spans,
                           size_t positive_buckets, std::span<const HistogramSpan> negative_spans,
                           size_t negative_buckets) {
  if (IsStaleNaN(sum)) return Status::OK();  // its layout is not stored
  if (!IsValidSchema(schema)) {
    return Status::InvalidArgument(
        "histogram has an invalid schema, which must be between -4 and 8 for exponential "
        "buckets, or -53 for custom buckets, got schema " +
        std::to_string(schema));
  }
  if (CountSpanBuckets(positive_spans) != positive_buckets || CountSpanBuckets(negative_spans) != negative_buckets) {
    return Status::InvalidArgument("histogram spans specify different number of buckets than provided");
  }
  return Status::OK();
}

namespace {

// Sums wrap for integers: counts from corrupt chunks must not overflow.
double AddCounts(double a, double b) { return a + b; }
int64_t AddCounts(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

template <typename Count>
void ReduceResolutionImpl(int32_t from_schema, int32_t to_schema, std::vector<HistogramSpan>* spans,
                          std::vector<Count>* counts) {
  std::vector<HistogramSpan> target_spans;
  std::vector<Count> target_counts;
  const int shift = from_schema - to_schema;
  BucketIndexIterator it(*spans);
  int64_t index = 0, last_target = 0;
  for (size_t i = 0; i < counts->size() && it.Next(&index); ++i) {
    const int64_t target = ((index - 1) >> shift) + 1;  // arithmetic shift, as Go's
    if (!target_counts.empty() && target == last_target) {
      target_counts.back() = AddCounts(target_counts.back(), (*counts)[i]);
      continue;
    }
    if (!target_counts.empty() && target == last_target + 1) {
      ++target_spans.back().length;
    } else {
      const int64_t offset = target_counts.empty() ? target : target - last_target - 1;
      target_spans.push_back(HistogramSpan{static_cast<int32_t>(offset), 1});
    }
    target_counts.push_back((*counts)[i]);
    last_target = target;
  }
  *spans = std::move(target_spans);
  *counts = std::move(target_counts);
}

}  // namespace

void ReduceResolution(int32_t from_schema, int32_t to_schema, std::vector<HistogramSpan>* spans,
                      std::vector<double>* counts) {
  ReduceResolutionImpl(from_schema, to_schema, spans, counts);
}

void ReduceResolution(int32_t from_schema, int32_t to_schema, std::vector<HistogramSpan>* spans,
                      std::vector<int64_t>* counts) {
  ReduceResolutionImpl(from_schema, to_schema, spans, counts);
}

}  // namespace promethium::tsdb
