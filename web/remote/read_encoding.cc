#include "web/remote/read_encoding.h"

#include <bit>
#include <vector>

#include "tsdb/base/varint.h"

namespace promethium::web {

namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2 };

void AppendTag(std::string* out, uint32_t field, WireType type) { PutUvarint(out, (uint64_t{field} << 3) | type); }

size_t UvarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// A bytes/string field as proto3 sizes it: absent when empty.
size_t BytesFieldSize(size_t len) { return len == 0 ? 0 : 1 + UvarintSize(len) + len; }
// An int64 field: absent when zero; negative values take ten bytes.
size_t Int64FieldSize(int64_t v) { return v == 0 ? 0 : 1 + UvarintSize(static_cast<uint64_t>(v)); }

void AppendInt64Field(std::string* out, uint32_t field, int64_t v) {
  if (v == 0) return;
  AppendTag(out, field, kVarint);
  PutUvarint(out, static_cast<uint64_t>(v));
}

// Chunk message fields (remote.proto).
constexpr uint32_t kChunkMinTime = 1, kChunkMaxTime = 2, kChunkType = 3, kChunkData = 4;
// ChunkedSeries and ChunkedReadResponse fields.
constexpr uint32_t kSeriesLabels = 1, kSeriesChunks = 2;
constexpr uint32_t kResponseSeries = 1, kResponseQueryIndex = 2;

void AppendChunkMessage(std::string* out, const ReadChunk& chunk) {
  AppendInt64Field(out, kChunkMinTime, chunk.min_time_ms);
  AppendInt64Field(out, kChunkMaxTime, chunk.max_time_ms);
  AppendTag(out, kChunkType, kVarint);
  PutUvarint(out, chunk.encoding);
  if (!chunk.data.empty()) AppendBytesField(out, kChunkData, chunk.data);
}

}  // namespace

Labels MergeExternalLabels(const Labels& series, const Labels& external) {
  if (external.empty()) return series;
  std::vector<Label> merged;
  merged.reserve(series.size() + external.size());
  auto a = series.begin(), b = external.begin();
  while (a != series.end() && b != external.end()) {
    if (a->name < b->name) {
      merged.push_back(*a++);
    } else if (b->name < a->name) {
      merged.push_back(*b++);
    } else {
      merged.push_back(*a++);
      ++b;
    }
  }
  merged.insert(merged.end(), a, series.end());
  merged.insert(merged.end(), b, external.end());
  return Labels::FromSortedUnchecked(std::move(merged));
}

void AppendFieldHeader(std::string* out, uint32_t field, size_t length) {
  AppendTag(out, field, kLengthDelimited);
  PutUvarint(out, length);
}

void AppendBytesField(std::string* out, uint32_t field, std::string_view bytes) {
  AppendFieldHeader(out, field, bytes.size());
  out->append(bytes);
}

size_t LabelMessageSize(const Label& label) {
  return BytesFieldSize(label.name.size()) + BytesFieldSize(label.value.size());
}

void AppendLabelField(std::string* out, uint32_t field, const Label& label) {
  AppendFieldHeader(out, field, LabelMessageSize(label));
  if (!label.name.empty()) AppendBytesField(out, 1, label.name);
  if (!label.value.empty()) AppendBytesField(out, 2, label.value);
}

void AppendSampleField(std::string* out, uint32_t field, int64_t t_ms, double v) {
  // Sample: value = 1 (double), timestamp = 2 (int64). A zero value is
  // written only when its bits are not all zero, so -0 survives.
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  size_t size = (bits == 0 ? 0 : 9) + Int64FieldSize(t_ms);
  AppendFieldHeader(out, field, size);
  if (bits != 0) {
    AppendTag(out, 1, kFixed64);
    for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  AppendInt64Field(out, 2, t_ms);
}

namespace {

void AppendDoubleField(std::string* out, uint32_t field, double v, bool even_zero) {
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  if (bits == 0 && !even_zero) return;
  AppendTag(out, field, kFixed64);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

void AppendVarintField(std::string* out, uint32_t field, uint64_t v, bool even_zero) {
  if (v == 0 && !even_zero) return;
  AppendTag(out, field, kVarint);
  PutUvarint(out, v);
}

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }

void AppendSpans(std::string* out, uint32_t field, const std::vector<HistogramSpan>& spans) {
  std::string span;
  for (const HistogramSpan& s : spans) {
    span.clear();
    AppendVarintField(&span, 1, ZigZag(s.offset), false);  // sint32 offset
    AppendVarintField(&span, 2, s.length, false);
    AppendBytesField(out, field, span);
  }
}

// Packed repeated fields, as proto3 writes them; absent when empty.
void AppendPackedZigZags(std::string* out, uint32_t field, const std::vector<int64_t>& values) {
  if (values.empty()) return;
  std::string packed;
  for (int64_t v : values) PutUvarint(&packed, ZigZag(v));
  AppendBytesField(out, field, packed);
}

void AppendPackedDoubles(std::string* out, uint32_t field, const std::vector<double>& values) {
  if (values.empty()) return;
  AppendFieldHeader(out, field, 8 * values.size());
  for (double v : values) {
    const uint64_t bits = std::bit_cast<uint64_t>(v);
    for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
}

// prometheus.Histogram's field numbers (remote.proto).
enum HistogramField : uint32_t {
  kCountInt = 1,
  kCountFloat = 2,
  kSum = 3,
  kSchema = 4,
  kZeroThreshold = 5,
  kZeroCountInt = 6,
  kZeroCountFloat = 7,
  kNegativeSpans = 8,
  kNegativeDeltas = 9,
  kNegativeCounts = 10,
  kPositiveSpans = 11,
  kPositiveDeltas = 12,
  kPositiveCounts = 13,
  kResetHint = 14,
  kTimestamp = 15,
  kCustomValues = 16,
};

// The fields both kinds share, from the layout of either.
template <typename H>
void AppendCommonHistogramFields(std::string* body, const H& h) {
  AppendDoubleField(body, kSum, h.sum, false);
  AppendVarintField(body, kSchema, ZigZag(h.schema), false);
  AppendDoubleField(body, kZeroThreshold, h.zero_threshold, false);
}

}  // namespace

void AppendHistogramField(std::string* out, uint32_t field, int64_t t_ms, const Histogram* h,
                          const FloatHistogram* fh) {
  std::string body;
  if (h != nullptr) {
    AppendVarintField(&body, kCountInt, h->count, true);
    AppendCommonHistogramFields(&body, *h);
    AppendVarintField(&body, kZeroCountInt, h->zero_count, true);
    AppendSpans(&body, kNegativeSpans, h->negative_spans);
    AppendPackedZigZags(&body, kNegativeDeltas, h->negative_buckets);
    AppendSpans(&body, kPositiveSpans, h->positive_spans);
    AppendPackedZigZags(&body, kPositiveDeltas, h->positive_buckets);
  } else {
    AppendDoubleField(&body, kCountFloat, fh->count, true);
    AppendCommonHistogramFields(&body, *fh);
    AppendDoubleField(&body, kZeroCountFloat, fh->zero_count, true);
    AppendSpans(&body, kNegativeSpans, fh->negative_spans);
    AppendPackedDoubles(&body, kNegativeCounts, fh->negative_buckets);
    AppendSpans(&body, kPositiveSpans, fh->positive_spans);
    AppendPackedDoubles(&body, kPositiveCounts, fh->positive_buckets);
  }
  const CounterResetHint hint = h != nullptr ? h->counter_reset_hint : fh->counter_reset_hint;
  AppendVarintField(&body, kResetHint, static_cast<uint64_t>(hint), false);
  AppendVarintField(&body, kTimestamp, static_cast<uint64_t>(t_ms), false);
  AppendPackedDoubles(&body, kCustomValues, h != nullptr ? h->custom_values : fh->custom_values);
  AppendBytesField(out, field, body);
}

size_t ChunkMessageSize(const ReadChunk& chunk) {
  return Int64FieldSize(chunk.min_time_ms) + Int64FieldSize(chunk.max_time_ms) + 2 + BytesFieldSize(chunk.data.size());
}

std::string EncodeChunkedReadResponse(const Labels& labels, std::span<const ReadChunk> chunks, int64_t query_index) {
  size_t series_size = 0;
  for (const Label& l : labels) {
    size_t n = LabelMessageSize(l);
    series_size += 1 + UvarintSize(n) + n;
  }
  for (const ReadChunk& c : chunks) {
    size_t n = ChunkMessageSize(c);
    series_size += 1 + UvarintSize(n) + n;
  }
  std::string out;
  out.reserve(series_size + 24);
  AppendFieldHeader(&out, kResponseSeries, series_size);
  for (const Label& l : labels) AppendLabelField(&out, kSeriesLabels, l);
  for (const ReadChunk& c : chunks) {
    AppendFieldHeader(&out, kSeriesChunks, ChunkMessageSize(c));
    AppendChunkMessage(&out, c);
  }
  AppendInt64Field(&out, kResponseQueryIndex, query_index);
  return out;
}

}  // namespace promethium::web
