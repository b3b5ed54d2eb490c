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
  if (type >= 1 && type <= 6) return static_cast<PromRecordType>(type);
  const std::string_view name = PromRecordTypeName(type);
  const bool histogram = (type >= 7 && type <= 10) || type == 12 || type == 13;
  if (histogram) {
    return Status::Unsupported(fmt::format(
        "{} (record type {}) in {}; Promethium does not store native histograms, so it refuses to replay this "
        "WAL rather than drop them",
        name, type, where));
  }
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
