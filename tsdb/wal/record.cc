#include "tsdb/wal/record.h"

#include <bit>
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

Result<RecordType> PeekRecordType(std::string_view rec) {
  if (rec.empty()) return Status::Corruption("wal: empty record");
  const auto type = static_cast<uint8_t>(rec[0]);
  if (type == static_cast<uint8_t>(RecordType::kSeries)) return RecordType::kSeries;
  if (type == static_cast<uint8_t>(RecordType::kSamples)) return RecordType::kSamples;
  if (type == static_cast<uint8_t>(RecordType::kTombstones)) return RecordType::kTombstones;
  if (type == static_cast<uint8_t>(RecordType::kExemplars)) return RecordType::kExemplars;
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
