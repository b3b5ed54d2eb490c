#include "tsdb/prometheus_format/wal_records.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "tsdb/base/varint.h"

namespace promethium::tsdb::prometheus_format {
namespace {

// A cursor over a record's bytes; every getter fails (and consumes nothing
// useful) when the bytes run out or a varint is malformed.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : b_(bytes) {}
  bool empty() const { return b_.empty(); }
  size_t size() const { return b_.size(); }

  bool Be64(uint64_t* v) {
    if (b_.size() < 8) return false;
    uint64_t x = 0;
    for (int i = 0; i < 8; ++i) x = (x << 8) | static_cast<uint8_t>(b_[i]);
    b_.remove_prefix(8);
    *v = x;
    return true;
  }
  bool Byte(uint8_t* v) {
    if (b_.empty()) return false;
    *v = static_cast<uint8_t>(b_[0]);
    b_.remove_prefix(1);
    return true;
  }
  bool Uvarint(uint64_t* v) { return GetUvarint(&b_, v); }
  bool Varint(int64_t* v) { return GetVarint(&b_, v); }
  // A uvarint length followed by that many bytes.
  bool String(std::string_view* s) {
    uint64_t n = 0;
    if (!Uvarint(&n) || n > b_.size()) return false;
    *s = b_.substr(0, n);
    b_.remove_prefix(n);
    return true;
  }

 private:
  std::string_view b_;
};

// Adds with wrap-around, as Go's int64 arithmetic does.
int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

Status Malformed(std::string_view record, std::string_view what) {
  return Status::Corruption(fmt::format("Prometheus {} record: {}", record, what));
}

Status EntryMalformed(std::string_view record, size_t entry) {
  return Malformed(record, fmt::format("entry {} is truncated or malformed", entry));
}

// Checks the type byte and returns the bytes after it.
Status Body(std::string_view rec, PromRecordType want, std::string_view* body) {
  if (rec.empty() || static_cast<uint8_t>(rec[0]) != static_cast<uint8_t>(want)) {
    return Status::InvalidArgument(
        fmt::format("not a Prometheus {} record", PromRecordTypeName(static_cast<uint8_t>(want))));
  }
  *body = rec.substr(1);
  return Status::OK();
}

// A label set: uvarint count, then length-prefixed names and values.
// Prometheus writes labels sorted by name; duplicate names are refused
// rather than silently merged. Empty values mean "no label", as in Prometheus.
bool ReadLabels(Cursor* c, Labels* out, std::string* why) {
  uint64_t n = 0;
  if (!c->Uvarint(&n) || n > c->size() / 2) {  // every label takes at least two bytes
    *why = "bad label count";
    return false;
  }
  std::vector<Label> labels(n);
  for (Label& l : labels) {
    std::string_view name;
    std::string_view value;
    if (!c->String(&name) || !c->String(&value)) {
      *why = "truncated label";
      return false;
    }
    l.name.assign(name);
    l.value.assign(value);
  }
  auto by_name = [](const Label& a, const Label& b) { return a.name < b.name; };
  std::stable_sort(labels.begin(), labels.end(), by_name);
  auto same_name = [](const Label& a, const Label& b) { return a.name == b.name; };
  if (auto dup = std::adjacent_find(labels.begin(), labels.end(), same_name); dup != labels.end()) {
    *why = "duplicate label name \"" + dup->name + "\"";
    return false;
  }
  *out = Labels::FromVector(std::move(labels));
  return true;
}

// The header of a samples or exemplars record: base ref and base time.
bool ReadBase(Cursor* c, uint64_t* base_ref, int64_t* base_t) {
  uint64_t t = 0;
  if (!c->Be64(base_ref) || !c->Be64(&t)) return false;
  *base_t = static_cast<int64_t>(t);
  return true;
}

// One delta-encoded entry: ref and time against the base, then value bits.
bool ReadDeltaEntry(Cursor* c, uint64_t base_ref, int64_t base_t, uint64_t* ref, int64_t* t, double* v) {
  int64_t dref = 0;
  int64_t dt = 0;
  uint64_t bits = 0;
  if (!c->Varint(&dref) || !c->Varint(&dt) || !c->Be64(&bits)) return false;
  *ref = base_ref + static_cast<uint64_t>(dref);
  *t = WrapAdd(base_t, dt);
  *v = std::bit_cast<double>(bits);
  return true;
}

// Spans: uvarint count, then per span varint offset and uvarint length.
bool ReadSpans(Cursor* c, std::vector<HistogramSpan>* spans) {
  uint64_t n = 0;
  if (!c->Uvarint(&n) || n > c->size() / 2) return false;  // a span takes at least two bytes
  spans->resize(n);
  for (HistogramSpan& s : *spans) {
    int64_t offset = 0;
    uint64_t length = 0;
    if (!c->Varint(&offset) || !c->Uvarint(&length)) return false;
    if (offset < INT32_MIN || offset > INT32_MAX || length > UINT32_MAX) return false;
    s.offset = static_cast<int32_t>(offset);
    s.length = static_cast<uint32_t>(length);
  }
  return true;
}

// uvarint count, then that many BE64 float bits.
bool ReadFloats(Cursor* c, std::vector<double>* values) {
  uint64_t n = 0;
  if (!c->Uvarint(&n) || n > c->size() / 8) return false;
  values->resize(n);
  for (double& v : *values) {
    uint64_t bits = 0;
    if (!c->Be64(&bits)) return false;
    v = std::bit_cast<double>(bits);
  }
  return true;
}

bool ReadFloat(Cursor* c, double* v) {
  uint64_t bits = 0;
  if (!c->Be64(&bits)) return false;
  *v = std::bit_cast<double>(bits);
  return true;
}

// The hint byte, the schema and the zero threshold that open every encoded
// histogram; *known tells whether we know the schema.
bool ReadHistogramHead(Cursor* c, CounterResetHint* hint, int32_t* schema, double* zero_threshold, bool* known) {
  uint8_t h = 0;
  int64_t s = 0;
  if (!c->Byte(&h) || h > static_cast<uint8_t>(CounterResetHint::kGauge) || !c->Varint(&s) || s < INT32_MIN ||
      s > INT32_MAX || !ReadFloat(c, zero_threshold)) {
    return false;
  }
  *hint = static_cast<CounterResetHint>(h);
  *schema = static_cast<int32_t>(s);
  *known = IsValidSchema(*schema);
  return true;
}

// Prometheus's DecodeHistogram. Custom values follow only for schema -53,
// whatever the record type: Prometheus decodes both types alike.
bool ReadHistogram(Cursor* c, Histogram* h, bool* known) {
  h->custom_values.clear();
  if (!ReadHistogramHead(c, &h->counter_reset_hint, &h->schema, &h->zero_threshold, known) ||
      !c->Uvarint(&h->zero_count) || !c->Uvarint(&h->count) || !ReadFloat(c, &h->sum) ||
      !ReadSpans(c, &h->positive_spans) || !ReadSpans(c, &h->negative_spans)) {
    return false;
  }
  for (std::vector<int64_t>* buckets : {&h->positive_buckets, &h->negative_buckets}) {
    uint64_t n = 0;
    if (!c->Uvarint(&n) || n > c->size()) return false;
    buckets->resize(n);
    for (int64_t& b : *buckets) {
      if (!c->Varint(&b)) return false;
    }
  }
  return !IsCustomBucketsSchema(h->schema) || ReadFloats(c, &h->custom_values);
}

// Prometheus's DecodeFloatHistogram.
bool ReadFloatHistogram(Cursor* c, FloatHistogram* h, bool* known) {
  h->custom_values.clear();
  return ReadHistogramHead(c, &h->counter_reset_hint, &h->schema, &h->zero_threshold, known) &&
         ReadFloat(c, &h->zero_count) && ReadFloat(c, &h->count) && ReadFloat(c, &h->sum) &&
         ReadSpans(c, &h->positive_spans) && ReadSpans(c, &h->negative_spans) && ReadFloats(c, &h->positive_buckets) &&
         ReadFloats(c, &h->negative_buckets) && (!IsCustomBucketsSchema(h->schema) || ReadFloats(c, &h->custom_values));
}

// Checks that the type byte is one of the two and returns the bytes after it.
Status HistogramBody(std::string_view rec, PromRecordType plain, PromRecordType custom, std::string_view* body) {
  const uint8_t type = rec.empty() ? 0 : static_cast<uint8_t>(rec[0]);
  if (type != static_cast<uint8_t>(plain) && type != static_cast<uint8_t>(custom)) {
    return Status::InvalidArgument(
        fmt::format("not a Prometheus {} record", PromRecordTypeName(static_cast<uint8_t>(plain))));
  }
  *body = rec.substr(1);
  return Status::OK();
}

int32_t SchemaOf(const wal::RefHistogramSample& s) { return s.h.schema; }
int32_t SchemaOf(const wal::RefFloatHistogramSample& s) { return s.fh.schema; }

// Both histogram records: a samples record whose values are histograms,
// read by `read(cursor, &sample.h or .fh, &known_schema)`.
template <typename Sample, typename ReadValue>
Status DecodeHistogramRecord(std::string_view body, std::string_view what, std::vector<Sample>* out, ReadValue read) {
  out->clear();
  if (body.empty()) return Status::OK();
  Cursor c(body);
  uint64_t base_ref = 0;
  int64_t base_t = 0;
  if (!ReadBase(&c, &base_ref, &base_t)) return Malformed(what, "truncated base ref and time");
  while (!c.empty()) {
    Sample s;
    int64_t dref = 0;
    int64_t dt = 0;
    bool known = true;
    if (!c.Varint(&dref) || !c.Varint(&dt) || !read(&c, &s, &known)) return EntryMalformed(what, out->size());
    s.ref = base_ref + static_cast<uint64_t>(dref);
    s.t = WrapAdd(base_t, dt);
    if (!known) {
      return Status::Unsupported(fmt::format(
          "Prometheus {} record: entry {} (series ref {}, t {}) has histogram schema {}, which Promethium does not "
          "know (written by a newer Prometheus?); refusing it rather than dropping it",
          what, out->size(), s.ref, s.t, SchemaOf(s)));
    }
    out->push_back(std::move(s));
  }
  return Status::OK();
}

}  // namespace

std::string_view PromRecordTypeName(uint8_t type) {
  switch (static_cast<PromRecordType>(type)) {
    case PromRecordType::kSeries: return "series";
    case PromRecordType::kSamples: return "float samples";
    case PromRecordType::kTombstones: return "tombstones";
    case PromRecordType::kExemplars: return "exemplars";
    case PromRecordType::kMmapMarkers: return "m-map markers";
    case PromRecordType::kMetadata: return "metadata";
    case PromRecordType::kHistogramSamples: return "native histogram samples";
    case PromRecordType::kFloatHistogramSamples: return "native float histogram samples";
    case PromRecordType::kCustomBucketsHistogramSamples: return "native histogram samples with custom buckets";
    case PromRecordType::kCustomBucketsFloatHistogramSamples:
      return "native float histogram samples with custom buckets";
    case PromRecordType::kSamplesV2: return "float samples v2 (with start timestamps)";
    case PromRecordType::kHistogramSamplesV2: return "native histogram samples v2 (with start timestamps)";
    case PromRecordType::kFloatHistogramSamplesV2: return "native float histogram samples v2 (with start timestamps)";
    case PromRecordType::kMinValidTime: return "min valid time";
  }
  return "unknown record type";
}

Result<PromRecordType> ReplayableRecordType(std::string_view rec, std::string_view where) {
  if (rec.empty()) return Status::Corruption(fmt::format("empty record in {}", where));
  const auto type = static_cast<uint8_t>(rec[0]);
  if (type >= 1 && type <= 10) return static_cast<PromRecordType>(type);
  const std::string_view name = PromRecordTypeName(type);
  if (type <= 14) {
    return Status::Unsupported(
        fmt::format("{} (record type {}) in {}; written by a newer Prometheus (or with a feature flag) whose records "
                    "Promethium cannot read yet",
                    name, type, where));
  }
  return Status::Unsupported(fmt::format(
      "unknown record type {} in {}; written by a Prometheus newer than Promethium knows, or damaged", type, where));
}

Status DecodePromSeries(std::string_view rec, std::vector<wal::RefSeries>* out) {
  out->clear();
  std::string_view body;
  PROMETHIUM_RETURN_IF_ERROR(Body(rec, PromRecordType::kSeries, &body));
  Cursor c(body);
  while (!c.empty()) {
    wal::RefSeries s;
    std::string why;
    if (!c.Be64(&s.ref)) return EntryMalformed("series", out->size());
    if (!ReadLabels(&c, &s.labels, &why)) {
      return Malformed("series", fmt::format("series {} (ref {}): {}", out->size(), s.ref, why));
    }
    out->push_back(std::move(s));
  }
  return Status::OK();
}

Status DecodePromSamples(std::string_view rec, std::vector<wal::RefSample>* out) {
  out->clear();
  std::string_view body;
  PROMETHIUM_RETURN_IF_ERROR(Body(rec, PromRecordType::kSamples, &body));
  if (body.empty()) return Status::OK();
  Cursor c(body);
  uint64_t base_ref = 0;
  int64_t base_t = 0;
  if (!ReadBase(&c, &base_ref, &base_t)) return Malformed("samples", "truncated base ref and time");
  out->reserve(c.size() / 10);  // at least 1 + 1 + 8 bytes a sample
  while (!c.empty()) {
    wal::RefSample s;
    if (!ReadDeltaEntry(&c, base_ref, base_t, &s.ref, &s.t, &s.v)) return EntryMalformed("samples", out->size());
    out->push_back(s);
  }
  return Status::OK();
}

Status DecodePromTombstones(std::string_view rec, std::vector<wal::Tombstone>* out) {
  out->clear();
  std::string_view body;
  PROMETHIUM_RETURN_IF_ERROR(Body(rec, PromRecordType::kTombstones, &body));
  Cursor c(body);
  while (!c.empty()) {
    wal::Tombstone t;
    if (!c.Be64(&t.ref) || !c.Varint(&t.mint) || !c.Varint(&t.maxt)) {
      return EntryMalformed("tombstones", out->size());
    }
    out->push_back(t);
  }
  return Status::OK();
}

Status DecodePromExemplars(std::string_view rec, std::vector<wal::RefExemplar>* out) {
  out->clear();
  std::string_view body;
  PROMETHIUM_RETURN_IF_ERROR(Body(rec, PromRecordType::kExemplars, &body));
  if (body.empty()) return Status::OK();
  Cursor c(body);
  uint64_t base_ref = 0;
  int64_t base_t = 0;
  if (!ReadBase(&c, &base_ref, &base_t)) return Malformed("exemplars", "truncated base ref and time");
  while (!c.empty()) {
    wal::RefExemplar e;
    std::string why;
    if (!ReadDeltaEntry(&c, base_ref, base_t, &e.ref, &e.t, &e.v)) return EntryMalformed("exemplars", out->size());
    if (!ReadLabels(&c, &e.labels, &why)) {
      return Malformed("exemplars", fmt::format("exemplar {}: {}", out->size(), why));
    }
    out->push_back(std::move(e));
  }
  return Status::OK();
}

Status DecodePromHistogramSamples(std::string_view rec, std::vector<wal::RefHistogramSample>* out) {
  out->clear();
  std::string_view body;
  PROMETHIUM_RETURN_IF_ERROR(
      HistogramBody(rec, PromRecordType::kHistogramSamples, PromRecordType::kCustomBucketsHistogramSamples, &body));
  return DecodeHistogramRecord(body, "histogram samples", out, [](Cursor* c, wal::RefHistogramSample* s, bool* known) {
    return ReadHistogram(c, &s->h, known);
  });
}

Status DecodePromFloatHistogramSamples(std::string_view rec, std::vector<wal::RefFloatHistogramSample>* out) {
  out->clear();
  std::string_view body;
  PROMETHIUM_RETURN_IF_ERROR(HistogramBody(rec, PromRecordType::kFloatHistogramSamples,
                                           PromRecordType::kCustomBucketsFloatHistogramSamples, &body));
  return DecodeHistogramRecord(
      body, "float histogram samples", out,
      [](Cursor* c, wal::RefFloatHistogramSample* s, bool* known) { return ReadFloatHistogram(c, &s->fh, known); });
}

Result<size_t> CountPromMmapMarkers(std::string_view rec) {
  std::string_view body;
  PROMETHIUM_RETURN_IF_ERROR(Body(rec, PromRecordType::kMmapMarkers, &body));
  constexpr size_t kEntry = 16;  // BE64 series ref, BE64 chunk reference
  if (body.size() % kEntry != 0) {
    return Malformed("m-map markers", fmt::format("{} bytes is not a whole number of 16-byte entries", body.size()));
  }
  return body.size() / kEntry;
}

Result<size_t> CountPromMetadata(std::string_view rec) {
  std::string_view body;
  PROMETHIUM_RETURN_IF_ERROR(Body(rec, PromRecordType::kMetadata, &body));
  Cursor c(body);
  size_t n = 0;
  for (; !c.empty(); ++n) {
    uint64_t ref = 0;
    uint8_t type = 0;
    uint64_t fields = 0;
    if (!c.Uvarint(&ref) || !c.Byte(&type) || !c.Uvarint(&fields) || fields > c.size() / 2) {
      return EntryMalformed("metadata", n);
    }
    for (uint64_t i = 0; i < fields; ++i) {
      std::string_view name;
      std::string_view value;
      if (!c.String(&name) || !c.String(&value)) return EntryMalformed("metadata", n);
    }
  }
  return n;
}

}  // namespace promethium::tsdb::prometheus_format
