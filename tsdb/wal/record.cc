#include "tsdb/wal/record.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <utility>

namespace promethium::tsdb::wal {
namespace {

void PutFixed64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  out->append(buf, 8);
}

bool GetFixed64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r |= uint64_t{static_cast<uint8_t>((*in)[i])} << (8 * i);
  in->remove_prefix(8);
  *v = r;
  return true;
}

void PutString(std::string* out, std::string_view s) {
  PutUvarint(out, s.size());
  out->append(s);
}

bool GetString(std::string_view* in, std::string* s) {
  uint64_t len = 0;
  if (!GetUvarint(in, &len) || len > in->size()) return false;
  s->assign(in->data(), len);
  in->remove_prefix(len);
  return true;
}

void PutLabels(std::string* out, const Labels& labels) {
  PutUvarint(out, labels.size());
  for (const Label& l : labels) {
    PutString(out, l.name);
    PutString(out, l.value);
  }
}

// Reuses *scratch for the label vector; false when malformed.
bool GetLabels(std::string_view* in, std::vector<Label>* scratch, Labels* labels) {
  uint64_t count = 0;
  // Every label takes at least two bytes, so a bigger count is malformed.
  if (!GetUvarint(in, &count) || count > in->size()) return false;
  scratch->assign(count, Label{});
  for (Label& l : *scratch) {
    if (!GetString(in, &l.name) || !GetString(in, &l.value)) return false;
  }
  *labels = Labels::FromVector(std::move(*scratch));
  return true;
}

Status Malformed(std::string_view what) {
  return Status::Corruption("wal: malformed " + std::string(what) + " record");
}

// The fields every histogram shares, in Prometheus's EncodeHistogram order,
// with our fixed-width byte order (little-endian) and zigzag varints.
void PutSpans(std::string* out, const std::vector<HistogramSpan>& spans) {
  PutUvarint(out, spans.size());
  for (const HistogramSpan& s : spans) {
    PutVarint(out, s.offset);
    PutUvarint(out, s.length);
  }
}

bool GetSpans(std::string_view* in, std::vector<HistogramSpan>* spans) {
  uint64_t n = 0;
  // A span takes at least two bytes.
  if (!GetUvarint(in, &n) || n > in->size() / 2) return false;
  spans->resize(n);
  for (HistogramSpan& s : *spans) {
    int64_t offset = 0;
    uint64_t length = 0;
    if (!GetVarint(in, &offset) || !GetUvarint(in, &length)) return false;
    if (offset < INT32_MIN || offset > INT32_MAX || length > UINT32_MAX) return false;
    s.offset = static_cast<int32_t>(offset);
    s.length = static_cast<uint32_t>(length);
  }
  return true;
}

void PutFloats(std::string* out, const std::vector<double>& values) {
  PutUvarint(out, values.size());
  for (double v : values) PutFixed64(out, std::bit_cast<uint64_t>(v));
}

bool GetFloats(std::string_view* in, std::vector<double>* values) {
  uint64_t n = 0;
  if (!GetUvarint(in, &n) || n > in->size() / 8) return false;
  values->resize(n);
  for (double& v : *values) {
    uint64_t bits = 0;
    if (!GetFixed64(in, &bits)) return false;
    v = std::bit_cast<double>(bits);
  }
  return true;
}

// Hint byte, schema and zero threshold: the head of every encoded histogram.
void PutHistogramHead(std::string* out, CounterResetHint hint, int32_t schema, double zero_threshold) {
  out->push_back(static_cast<char>(hint));
  PutVarint(out, schema);
  PutFixed64(out, std::bit_cast<uint64_t>(zero_threshold));
}

bool GetHistogramHead(std::string_view* in, CounterResetHint* hint, int32_t* schema, double* zero_threshold) {
  if (in->empty()) return false;
  const auto h = static_cast<uint8_t>((*in)[0]);
  if (h > static_cast<uint8_t>(CounterResetHint::kGauge)) return false;
  in->remove_prefix(1);
  *hint = static_cast<CounterResetHint>(h);
  int64_t s = 0;
  uint64_t bits = 0;
  if (!GetVarint(in, &s) || s < INT32_MIN || s > INT32_MAX || !IsValidSchema(static_cast<int32_t>(s))) return false;
  *schema = static_cast<int32_t>(s);
  if (!GetFixed64(in, &bits)) return false;
  *zero_threshold = std::bit_cast<double>(bits);
  return true;
}

void PutHistogram(std::string* out, const Histogram& h) {
  PutHistogramHead(out, h.counter_reset_hint, h.schema, h.zero_threshold);
  PutUvarint(out, h.zero_count);
  PutUvarint(out, h.count);
  PutFixed64(out, std::bit_cast<uint64_t>(h.sum));
  PutSpans(out, h.positive_spans);
  PutSpans(out, h.negative_spans);
  for (const std::vector<int64_t>* buckets : {&h.positive_buckets, &h.negative_buckets}) {
    PutUvarint(out, buckets->size());
    for (int64_t b : *buckets) PutVarint(out, b);
  }
  if (IsCustomBucketsSchema(h.schema)) PutFloats(out, h.custom_values);
}

bool GetIntBuckets(std::string_view* in, std::vector<int64_t>* buckets) {
  uint64_t n = 0;
  if (!GetUvarint(in, &n) || n > in->size()) return false;
  buckets->resize(n);
  for (int64_t& b : *buckets) {
    if (!GetVarint(in, &b)) return false;
  }
  return true;
}

bool GetHistogram(std::string_view* in, Histogram* h) {
  uint64_t bits = 0;
  h->custom_values.clear();
  if (!GetHistogramHead(in, &h->counter_reset_hint, &h->schema, &h->zero_threshold) ||
      !GetUvarint(in, &h->zero_count) || !GetUvarint(in, &h->count) || !GetFixed64(in, &bits) ||
      !GetSpans(in, &h->positive_spans) || !GetSpans(in, &h->negative_spans) ||
      !GetIntBuckets(in, &h->positive_buckets) || !GetIntBuckets(in, &h->negative_buckets)) {
    return false;
  }
  h->sum = std::bit_cast<double>(bits);
  return !IsCustomBucketsSchema(h->schema) || GetFloats(in, &h->custom_values);
}

void PutFloatHistogram(std::string* out, const FloatHistogram& h) {
  PutHistogramHead(out, h.counter_reset_hint, h.schema, h.zero_threshold);
  PutFixed64(out, std::bit_cast<uint64_t>(h.zero_count));
  PutFixed64(out, std::bit_cast<uint64_t>(h.count));
  PutFixed64(out, std::bit_cast<uint64_t>(h.sum));
  PutSpans(out, h.positive_spans);
  PutSpans(out, h.negative_spans);
  // Counts are lists of floats: the custom values' encoding.
  PutFloats(out, h.positive_buckets);
  PutFloats(out, h.negative_buckets);
  if (IsCustomBucketsSchema(h.schema)) PutFloats(out, h.custom_values);
}

bool GetFloatHistogram(std::string_view* in, FloatHistogram* h) {
  uint64_t zero_count = 0, count = 0, sum = 0;
  h->custom_values.clear();
  if (!GetHistogramHead(in, &h->counter_reset_hint, &h->schema, &h->zero_threshold) || !GetFixed64(in, &zero_count) ||
      !GetFixed64(in, &count) || !GetFixed64(in, &sum) || !GetSpans(in, &h->positive_spans) ||
      !GetSpans(in, &h->negative_spans) || !GetFloats(in, &h->positive_buckets) ||
      !GetFloats(in, &h->negative_buckets)) {
    return false;
  }
  h->zero_count = std::bit_cast<double>(zero_count);
  h->count = std::bit_cast<double>(count);
  h->sum = std::bit_cast<double>(sum);
  return !IsCustomBucketsSchema(h->schema) || GetFloats(in, &h->custom_values);
}

// The record frame shared by samples, exemplars and histograms: type byte,
// then (if any entry) the first entry's ref and t as base, then per entry
// its deltas followed by `put_value(entry)`.
template <typename Entry, typename PutValue>
void EncodeDeltaRecord(RecordType type, std::span<const Entry> entries, std::string* out, PutValue put_value) {
  out->push_back(static_cast<char>(type));
  if (entries.empty()) return;
  const Entry& base = entries.front();
  PutUvarint(out, base.ref);
  PutVarint(out, base.t);
  for (const Entry& e : entries) {
    // Wrapping subtraction: the decoder adds it back modulo 2^64.
    PutVarint(out, static_cast<int64_t>(e.ref - base.ref));
    PutVarint(out, static_cast<int64_t>(static_cast<uint64_t>(e.t) - static_cast<uint64_t>(base.t)));
    put_value(e);
  }
}

// The decoding counterpart: `get_value(&rest, &entry)` reads the value part.
template <typename Entry, typename GetValue>
Status DecodeDeltaRecord(RecordType type, std::string_view what, std::string_view rec, std::vector<Entry>* out,
                         GetValue get_value) {
  out->clear();
  if (rec.empty() || rec[0] != static_cast<char>(type)) return Malformed(what);
  rec.remove_prefix(1);
  if (rec.empty()) return Status::OK();
  uint64_t base_ref = 0;
  int64_t base_t = 0;
  if (!GetUvarint(&rec, &base_ref) || !GetVarint(&rec, &base_t)) return Malformed(what);
  while (!rec.empty()) {
    int64_t dref = 0, dt = 0;
    Entry e;
    if (!GetVarint(&rec, &dref) || !GetVarint(&rec, &dt) || !get_value(&rec, &e)) return Malformed(what);
    e.ref = base_ref + static_cast<uint64_t>(dref);
    e.t = static_cast<int64_t>(static_cast<uint64_t>(base_t) + static_cast<uint64_t>(dt));
    out->push_back(std::move(e));
  }
  return Status::OK();
}

}  // namespace

void EncodeSeries(std::span<const RefSeries> series, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kSeries));
  for (const RefSeries& s : series) {
    PutUvarint(out, s.ref);
    PutLabels(out, s.labels);
  }
}

void EncodeSamples(std::span<const RefSample> samples, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kSamples));
  if (samples.empty()) return;
  const RefSample& base = samples.front();
  PutUvarint(out, base.ref);
  PutVarint(out, base.t);
  for (const RefSample& s : samples) {
    // Wrapping subtraction: the decoder adds it back modulo 2^64.
    PutVarint(out, static_cast<int64_t>(s.ref - base.ref));
    PutVarint(out, static_cast<int64_t>(static_cast<uint64_t>(s.t) - static_cast<uint64_t>(base.t)));
    PutFixed64(out, std::bit_cast<uint64_t>(s.v));
  }
}

void EncodeTombstones(std::span<const Tombstone> tombstones, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kTombstones));
  for (const Tombstone& t : tombstones) {
    PutUvarint(out, t.ref);
    PutVarint(out, t.mint);
    PutVarint(out, t.maxt);
  }
}

void EncodeExemplars(std::span<const RefExemplar> exemplars, std::string* out) {
  out->push_back(static_cast<char>(RecordType::kExemplars));
  if (exemplars.empty()) return;
  const RefExemplar& base = exemplars.front();
  PutUvarint(out, base.ref);
  PutVarint(out, base.t);
  for (const RefExemplar& e : exemplars) {
    // Wrapping subtraction, as for samples.
    PutVarint(out, static_cast<int64_t>(e.ref - base.ref));
    PutVarint(out, static_cast<int64_t>(static_cast<uint64_t>(e.t) - static_cast<uint64_t>(base.t)));
    PutFixed64(out, std::bit_cast<uint64_t>(e.v));
    PutLabels(out, e.labels);
  }
}

void EncodeHistogramSamples(std::span<const RefHistogramSample> samples, std::string* out) {
  EncodeDeltaRecord(RecordType::kHistogramSamples, samples, out,
                    [out](const RefHistogramSample& s) { PutHistogram(out, s.h); });
}

void EncodeFloatHistogramSamples(std::span<const RefFloatHistogramSample> samples, std::string* out) {
  EncodeDeltaRecord(RecordType::kFloatHistogramSamples, samples, out,
                    [out](const RefFloatHistogramSample& s) { PutFloatHistogram(out, s.fh); });
}

Result<RecordType> PeekRecordType(std::string_view rec) {
  if (rec.empty()) return Status::Corruption("wal: empty record");
  const auto type = static_cast<uint8_t>(rec[0]);
  if (type == static_cast<uint8_t>(RecordType::kSeries)) return RecordType::kSeries;
  if (type == static_cast<uint8_t>(RecordType::kSamples)) return RecordType::kSamples;
  if (type == static_cast<uint8_t>(RecordType::kTombstones)) return RecordType::kTombstones;
  if (type == static_cast<uint8_t>(RecordType::kExemplars)) return RecordType::kExemplars;
  if (type == static_cast<uint8_t>(RecordType::kHistogramSamples)) return RecordType::kHistogramSamples;
  if (type == static_cast<uint8_t>(RecordType::kFloatHistogramSamples)) return RecordType::kFloatHistogramSamples;
  return Status::Corruption("wal: unknown record type " + std::to_string(type));
}

Status DecodeSeries(std::string_view rec, std::vector<RefSeries>* out) {
  out->clear();
  if (rec.empty() || rec[0] != static_cast<char>(RecordType::kSeries)) return Malformed("series");
  rec.remove_prefix(1);
  std::vector<Label> labels;
  while (!rec.empty()) {
    RefSeries s;
    if (!GetUvarint(&rec, &s.ref) || !GetLabels(&rec, &labels, &s.labels)) return Malformed("series");
    out->push_back(std::move(s));
  }
  return Status::OK();
}

Status DecodeSamples(std::string_view rec, std::vector<RefSample>* out) {
  out->clear();
  if (rec.empty() || rec[0] != static_cast<char>(RecordType::kSamples)) return Malformed("samples");
  rec.remove_prefix(1);
  if (rec.empty()) return Status::OK();
  uint64_t base_ref = 0;
  int64_t base_t = 0;
  if (!GetUvarint(&rec, &base_ref) || !GetVarint(&rec, &base_t)) return Malformed("samples");
  while (!rec.empty()) {
    int64_t dref = 0, dt = 0;
    uint64_t bits = 0;
    if (!GetVarint(&rec, &dref) || !GetVarint(&rec, &dt) || !GetFixed64(&rec, &bits)) return Malformed("samples");
    out->push_back(RefSample{base_ref + static_cast<uint64_t>(dref),
                             static_cast<int64_t>(static_cast<uint64_t>(base_t) + static_cast<uint64_t>(dt)),
                             std::bit_cast<double>(bits)});
  }
  return Status::OK();
}

Status DecodeTombstones(std::string_view rec, std::vector<Tombstone>* out) {
  out->clear();
  if (rec.empty() || rec[0] != static_cast<char>(RecordType::kTombstones)) return Malformed("tombstones");
  rec.remove_prefix(1);
  while (!rec.empty()) {
    Tombstone t;
    if (!GetUvarint(&rec, &t.ref) || !GetVarint(&rec, &t.mint) || !GetVarint(&rec, &t.maxt)) {
      return Malformed("tombstones");
    }
    out->push_back(t);
  }
  return Status::OK();
}

Status DecodeExemplars(std::string_view rec, std::vector<RefExemplar>* out) {
  out->clear();
  if (rec.empty() || rec[0] != static_cast<char>(RecordType::kExemplars)) return Malformed("exemplars");
  rec.remove_prefix(1);
  if (rec.empty()) return Status::OK();
  uint64_t base_ref = 0;
  int64_t base_t = 0;
  if (!GetUvarint(&rec, &base_ref) || !GetVarint(&rec, &base_t)) return Malformed("exemplars");
  std::vector<Label> labels;
  while (!rec.empty()) {
    int64_t dref = 0, dt = 0;
    uint64_t bits = 0;
    RefExemplar e;
    if (!GetVarint(&rec, &dref) || !GetVarint(&rec, &dt) || !GetFixed64(&rec, &bits) ||
        !GetLabels(&rec, &labels, &e.labels)) {
      return Malformed("exemplars");
    }
    e.ref = base_ref + static_cast<uint64_t>(dref);
    e.t = static_cast<int64_t>(static_cast<uint64_t>(base_t) + static_cast<uint64_t>(dt));
    e.v = std::bit_cast<double>(bits);
    out->push_back(std::move(e));
  }
  return Status::OK();
}

}  // namespace promethium::tsdb::wal

namespace promethium::tsdb::wal {

Status DecodeHistogramSamples(std::string_view rec, std::vector<RefHistogramSample>* out) {
  return DecodeDeltaRecord(RecordType::kHistogramSamples, "histogram samples", rec, out,
                           [](std::string_view* in, RefHistogramSample* s) { return GetHistogram(in, &s->h); });
}

Status DecodeFloatHistogramSamples(std::string_view rec, std::vector<RefFloatHistogramSample>* out) {
  return DecodeDeltaRecord(
      RecordType::kFloatHistogramSamples, "float histogram samples", rec, out,
      [](std::string_view* in, RefFloatHistogramSample* s) { return GetFloatHistogram(in, &s->fh); });
}

}  // namespace promethium::tsdb::wal
