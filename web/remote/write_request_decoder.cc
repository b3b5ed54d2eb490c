#include "web/remote/write_request_decoder.h"

#include <cstring>
#include <string>

namespace promethium::web {

namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

// A cursor over one message's bytes. Every read checks bounds; the first
// failure sets error_ and makes later reads fail too.
class Reader {
 public:
  explicit Reader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}

  bool done() const { return p_ == end_; }
  const char* error() const { return error_; }

  bool Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return Fail("truncated varint");
      uint8_t b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return Fail("varint too long");
  }

  // A field key: field number and wire type.
  bool Key(uint32_t* field, uint32_t* wire_type) {
    uint64_t key = 0;
    if (!Varint(&key)) return false;
    *field = static_cast<uint32_t>(key >> 3);
    *wire_type = static_cast<uint32_t>(key & 7);
    if (*field == 0 || (key >> 3) > 0x1fffffff) return Fail("invalid field number");
    return true;
  }

  bool Bytes(std::string_view* out) {
    uint64_t len = 0;
    if (!Varint(&len)) return false;
    if (len > static_cast<uint64_t>(end_ - p_)) return Fail("length past the end of the message");
    *out = std::string_view(p_, static_cast<size_t>(len));
    p_ += len;
    return true;
  }

  bool Fixed64(uint64_t* out) {
    if (end_ - p_ < 8) return Fail("truncated fixed64");
    std::memcpy(out, p_, 8);  // little-endian on every supported target
    p_ += 8;
    return true;
  }

  // Skips a field of the given wire type. Groups (deprecated) are refused.
  bool Skip(uint32_t wire_type) {
    uint64_t ignored = 0;
    std::string_view bytes;
    switch (wire_type) {
      case kVarint: return Varint(&ignored);
      case kFixed64: return Fixed64(&ignored);
      case kLen: return Bytes(&bytes);
      case kFixed32:
        if (end_ - p_ < 4) return Fail("truncated fixed32");
        p_ += 4;
        return true;
      default: return Fail("unsupported wire type");
    }
  }

  bool Fail(const char* why) {
    if (error_ == nullptr) error_ = why;
    p_ = end_;
    return false;
  }

 private:
  const char* p_;
  const char* end_;
  const char* error_ = nullptr;
};

bool DecodeLabel(std::string_view msg, DecodedWriteRequest::LabelView* label, const char** error) {
  Reader r(msg);
  while (!r.done()) {
    uint32_t field = 0, type = 0;
    if (!r.Key(&field, &type)) break;
    if ((field == 1 || field == 2) && type == kLen) {
      r.Bytes(field == 1 ? &label->name : &label->value);
    } else {
      r.Skip(type);
    }
  }
  *error = r.error();
  return *error == nullptr;
}

bool DecodeSample(std::string_view msg, Sample* sample, const char** error) {
  Reader r(msg);
  while (!r.done()) {
    uint32_t field = 0, type = 0;
    if (!r.Key(&field, &type)) break;
    if (field == 1 && type == kFixed64) {
      uint64_t bits = 0;
      if (r.Fixed64(&bits)) std::memcpy(&sample->v, &bits, 8);
    } else if (field == 2 && type == kVarint) {
      uint64_t t = 0;
      if (r.Varint(&t)) sample->t = static_cast<int64_t>(t);
    } else {
      r.Skip(type);
    }
  }
  *error = r.error();
  return *error == nullptr;
}

// prometheus.Exemplar (1.0: labels = 1) and io.prometheus.write.v2.Exemplar
// (2.0: labels_refs = 1, resolved against `symbols`); value = 2, timestamp
// = 3 in both.
bool DecodeExemplar(std::string_view msg, const std::vector<std::string_view>* symbols, DecodedWriteRequest* out,
                    const char** error);

int64_t ZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

double DoubleOf(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

// Reads one element (unpacked) or all elements (packed, kLen) of a repeated
// numeric field; `read` consumes one element from the given reader.
template <typename ReadOne>
bool Repeated(Reader* r, uint32_t type, uint32_t element_type, ReadOne read) {
  if (type == element_type) return read(r);
  if (type != kLen) return r->Skip(type);
  std::string_view packed;
  if (!r->Bytes(&packed)) return false;
  Reader inner(packed);
  while (!inner.done()) {
    if (!read(&inner)) return r->Fail(inner.error());
  }
  return true;
}

bool Zigzags(Reader* r, uint32_t type, std::vector<int64_t>* out) {
  return Repeated(r, type, kVarint, [out](Reader* in) {
    uint64_t v = 0;
    if (!in->Varint(&v)) return false;
    out->push_back(ZigZag(v));
    return true;
  });
}

bool Doubles(Reader* r, uint32_t type, std::vector<double>* out) {
  return Repeated(r, type, kFixed64, [out](Reader* in) {
    uint64_t bits = 0;
    if (!in->Fixed64(&bits)) return false;
    out->push_back(DoubleOf(bits));
    return true;
  });
}

bool DecodeSpan(std::string_view msg, std::vector<HistogramSpan>* out, const char** error) {
  HistogramSpan span;
  Reader r(msg);
  while (!r.done()) {
    uint32_t field = 0, type = 0;
    uint64_t v = 0;
    if (!r.Key(&field, &type)) break;
    if (field == 1 && type == kVarint) {
      if (r.Varint(&v)) span.offset = static_cast<int32_t>(ZigZag(v));
    } else if (field == 2 && type == kVarint) {
      if (r.Varint(&v)) span.length = static_cast<uint32_t>(v);
    } else {
      r.Skip(type);
    }
  }
  *error = r.error();
  if (*error == nullptr) out->push_back(span);
  return *error == nullptr;
}

// The fields of prometheus.Histogram (1.0) and io.prometheus.write.v2.Histogram
// (same numbers; 2.0's start_timestamp, 17, is skipped). Both the integer and
// the float variants of each field are read; the count oneof picks which the
// sample keeps, as Prometheus's ToIntHistogram / ToFloatHistogram do.
struct HistogramFields {
  bool count_is_float = false;
  uint64_t count_int = 0, zero_count_int = 0;
  double count_float = 0, zero_count_float = 0;
  std::vector<int64_t> negative_deltas, positive_deltas;
  std::vector<double> negative_counts, positive_counts;
};

// A scalar field whose value `v` (a varint, or a fixed64's bits) was read
// with the wire type the field is declared with.
void StoreHistogramScalar(uint32_t field, uint64_t v, HistogramFields* f, DecodedWriteRequest::HistogramSample* out) {
  Histogram& h = out->h;
  switch (field) {
    case 1: f->count_is_float = false, f->count_int = v; break;
    case 2: f->count_is_float = true, f->count_float = DoubleOf(v); break;
    case 3: h.sum = DoubleOf(v); break;
    case 4: h.schema = static_cast<int32_t>(ZigZag(v)); break;
    case 5: h.zero_threshold = DoubleOf(v); break;
    case 6: f->zero_count_int = v, f->zero_count_float = 0; break;  // a oneof: the last one set wins
    case 7: f->zero_count_float = DoubleOf(v), f->zero_count_int = 0; break;
    case 14: h.counter_reset_hint = static_cast<CounterResetHint>(v <= 3 ? v : 0); break;  // unknown: kUnknown
    case 15: out->t = static_cast<int64_t>(v); break;
    default: break;
  }
}

bool DecodeHistogramField(Reader* r, uint32_t field, uint32_t type, HistogramFields* f,
                          DecodedWriteRequest::HistogramSample* out, const char** error) {
  static constexpr uint32_t kVarintFields = (1u << 1) | (1u << 4) | (1u << 6) | (1u << 14) | (1u << 15);
  static constexpr uint32_t kFixed64Fields = (1u << 2) | (1u << 3) | (1u << 5) | (1u << 7);
  const uint32_t bit = field < 32 ? 1u << field : 0;
  uint64_t v = 0;
  if (type == kVarint && (kVarintFields & bit) != 0) {
    if (!r->Varint(&v)) return false;
    StoreHistogramScalar(field, v, f, out);
    return true;
  }
  if (type == kFixed64 && (kFixed64Fields & bit) != 0) {
    if (!r->Fixed64(&v)) return false;
    StoreHistogramScalar(field, v, f, out);
    return true;
  }
  std::string_view sub;
  switch (field) {
    case 8:
    case 11:
      if (type != kLen) break;
      if (!r->Bytes(&sub)) return false;
      return DecodeSpan(sub, field == 8 ? &out->h.negative_spans : &out->h.positive_spans, error);
    case 9: return Zigzags(r, type, &f->negative_deltas);
    case 10: return Doubles(r, type, &f->negative_counts);
    case 12: return Zigzags(r, type, &f->positive_deltas);
    case 13: return Doubles(r, type, &f->positive_counts);
    case 16: return Doubles(r, type, &out->h.custom_values);
    default: break;
  }
  return r->Skip(type);
}

// Moves the decoded fields into the integer or the float histogram.
void FinishHistogram(HistogramFields* f, DecodedWriteRequest::HistogramSample* out) {
  Histogram& h = out->h;
  if (!f->count_is_float) {
    h.count = f->count_int;
    h.zero_count = f->zero_count_int;
    h.negative_buckets = std::move(f->negative_deltas);
    h.positive_buckets = std::move(f->positive_deltas);
    return;
  }
  out->is_float = true;
  FloatHistogram& fh = out->fh;
  fh.counter_reset_hint = h.counter_reset_hint;
  fh.schema = h.schema;
  fh.zero_threshold = h.zero_threshold;
  fh.zero_count = f->zero_count_float;
  fh.count = f->count_float;
  fh.sum = h.sum;
  fh.positive_spans = std::move(h.positive_spans);
  fh.negative_spans = std::move(h.negative_spans);
  fh.positive_buckets = std::move(f->positive_counts);
  fh.negative_buckets = std::move(f->negative_counts);
  fh.custom_values = std::move(h.custom_values);
  h = Histogram{};
}

bool DecodeHistogram(std::string_view msg, DecodedWriteRequest* out, const char** error) {
  DecodedWriteRequest::HistogramSample sample;
  HistogramFields fields;
  Reader r(msg);
  *error = nullptr;
  while (!r.done() && *error == nullptr) {
    uint32_t field = 0, type = 0;
    if (!r.Key(&field, &type)) break;
    DecodeHistogramField(&r, field, type, &fields, &sample, error);
  }
  if (*error == nullptr) *error = r.error();
  if (*error != nullptr) return false;
  FinishHistogram(&fields, &sample);
  out->histograms.push_back(std::move(sample));
  return true;
}

bool DecodeExemplar(std::string_view msg, const std::vector<std::string_view>* symbols, DecodedWriteRequest* out,
                    const char** error) {
  DecodedWriteRequest::ExemplarView ex;
  ex.first_label = static_cast<uint32_t>(out->exemplar_labels.size());
  std::vector<uint64_t> refs;
  Reader r(msg);
  *error = nullptr;
  while (!r.done() && *error == nullptr) {
    uint32_t field = 0, type = 0;
    if (!r.Key(&field, &type)) break;
    std::string_view sub;
    uint64_t v = 0;
    if (field == 1 && symbols == nullptr && type == kLen) {
      if (!r.Bytes(&sub)) break;
      DecodedWriteRequest::LabelView label;
      if (DecodeLabel(sub, &label, error)) out->exemplar_labels.push_back(label);
    } else if (field == 1 && symbols != nullptr) {
      Repeated(&r, type, kVarint, [&refs](Reader* in) {
        uint64_t ref = 0;
        if (!in->Varint(&ref)) return false;
        refs.push_back(ref);
        return true;
      });
    } else if (field == 2 && type == kFixed64) {
      if (r.Fixed64(&v)) ex.value = DoubleOf(v);
    } else if (field == 3 && type == kVarint) {
      if (r.Varint(&v)) ex.t = static_cast<int64_t>(v);
    } else {
      r.Skip(type);
    }
  }
  if (*error == nullptr) *error = r.error();
  if (*error != nullptr) return false;
  if (symbols != nullptr) {
    if (refs.size() % 2 != 0) ex.label_error = "odd number of label references";
    for (uint64_t ref : refs) {
      if (ref >= symbols->size() && ex.label_error == nullptr) {
        ex.label_error = "label reference past the end of the symbols table";
      }
    }
    for (size_t i = 0; ex.label_error == nullptr && i < refs.size(); i += 2) {
      out->exemplar_labels.push_back({(*symbols)[refs[i]], (*symbols)[refs[i + 1]]});
    }
  }
  ex.label_count = static_cast<uint32_t>(out->exemplar_labels.size()) - ex.first_label;
  out->exemplars.push_back(ex);
  return true;
}

bool DecodeSeries(std::string_view msg, DecodedWriteRequest* out, const char** error) {
  DecodedWriteRequest::Series series;
  series.first_label = static_cast<uint32_t>(out->labels.size());
  series.first_sample = static_cast<uint32_t>(out->samples.size());
  series.first_histogram = static_cast<uint32_t>(out->histograms.size());
  series.first_exemplar = static_cast<uint32_t>(out->exemplars.size());
  Reader r(msg);
  *error = nullptr;
  while (!r.done() && *error == nullptr) {
    uint32_t field = 0, type = 0;
    if (!r.Key(&field, &type)) break;
    std::string_view sub;
    if (field == 1 && type == kLen) {
      if (!r.Bytes(&sub)) break;
      DecodedWriteRequest::LabelView label;
      if (DecodeLabel(sub, &label, error)) out->labels.push_back(label);
    } else if (field == 2 && type == kLen) {
      if (!r.Bytes(&sub)) break;
      Sample sample{0, 0};
      if (DecodeSample(sub, &sample, error)) out->samples.push_back(sample);
    } else if (field == 4 && type == kLen) {
      if (!r.Bytes(&sub)) break;
      DecodeHistogram(sub, out, error);
    } else if (field == 3 && type == kLen) {
      if (!r.Bytes(&sub)) break;
      DecodeExemplar(sub, nullptr, out, error);
    } else {
      r.Skip(type);  // unknown fields
    }
  }
  if (*error == nullptr) *error = r.error();
  series.label_count = static_cast<uint32_t>(out->labels.size()) - series.first_label;
  series.sample_count = static_cast<uint32_t>(out->samples.size()) - series.first_sample;
  series.histogram_count = static_cast<uint32_t>(out->histograms.size()) - series.first_histogram;
  series.exemplar_count = static_cast<uint32_t>(out->exemplars.size()) - series.first_exemplar;
  out->series.push_back(series);
  return *error == nullptr;
}

// Resolves a 2.0 series' (name, value) reference pairs against the symbols
// table into out->labels; on failure the series keeps no labels and gets
// label_error (Prometheus refuses that series alone).
void ResolveLabelRefs(const std::vector<uint64_t>& refs, const std::vector<std::string_view>& symbols,
                      DecodedWriteRequest* out, DecodedWriteRequest::Series* series) {
  if (refs.size() % 2 != 0) {
    series->label_error = "odd number of label references";
    return;
  }
  for (uint64_t ref : refs) {
    if (ref >= symbols.size()) {
      series->label_error = "label reference past the end of the symbols table";
      return;
    }
  }
  for (size_t i = 0; i < refs.size(); i += 2) out->labels.push_back({symbols[refs[i]], symbols[refs[i + 1]]});
}

bool DecodeSeriesV2(std::string_view msg, const std::vector<std::string_view>& symbols, std::vector<uint64_t>* refs,
                    DecodedWriteRequest* out, const char** error) {
  DecodedWriteRequest::Series series;
  series.first_label = static_cast<uint32_t>(out->labels.size());
  series.first_sample = static_cast<uint32_t>(out->samples.size());
  series.first_histogram = static_cast<uint32_t>(out->histograms.size());
  series.first_exemplar = static_cast<uint32_t>(out->exemplars.size());
  refs->clear();
  Reader r(msg);
  *error = nullptr;
  while (!r.done() && *error == nullptr) {
    uint32_t field = 0, type = 0;
    if (!r.Key(&field, &type)) break;
    std::string_view sub;
    if (field == 1) {
      Repeated(&r, type, kVarint, [refs](Reader* in) {
        uint64_t v = 0;
        if (!in->Varint(&v)) return false;
        refs->push_back(v);
        return true;
      });
    } else if (field == 2 && type == kLen) {
      if (!r.Bytes(&sub)) break;
      Sample sample{0, 0};
      if (DecodeSample(sub, &sample, error)) out->samples.push_back(sample);
    } else if (field == 3 && type == kLen) {
      if (!r.Bytes(&sub)) break;
      DecodeHistogram(sub, out, error);
    } else if (field == 4 && type == kLen) {
      if (!r.Bytes(&sub)) break;
      DecodeExemplar(sub, &symbols, out, error);
    } else {
      r.Skip(type);  // metadata (5), created timestamp (6), unknown fields
    }
  }
  if (*error == nullptr) *error = r.error();
  ResolveLabelRefs(*refs, symbols, out, &series);
  series.label_count = static_cast<uint32_t>(out->labels.size()) - series.first_label;
  series.sample_count = static_cast<uint32_t>(out->samples.size()) - series.first_sample;
  series.histogram_count = static_cast<uint32_t>(out->histograms.size()) - series.first_histogram;
  series.exemplar_count = static_cast<uint32_t>(out->exemplars.size()) - series.first_exemplar;
  out->series.push_back(series);
  return *error == nullptr;
}

Status WireError(const char* error) {
  return Status::InvalidArgument(std::string("proto: cannot parse invalid wire-format data: ") + error);
}

}  // namespace

Status DecodeWriteRequest(std::string_view wire, DecodedWriteRequest* out) {
  out->Clear();
  Reader r(wire);
  const char* error = nullptr;
  while (!r.done() && error == nullptr) {
    uint32_t field = 0, type = 0;
    if (!r.Key(&field, &type)) break;
    if (field == 1 && type == kLen) {
      std::string_view msg;
      if (!r.Bytes(&msg)) break;
      DecodeSeries(msg, out, &error);
    } else {
      r.Skip(type);  // metadata (3) and unknown fields
    }
  }
  if (error == nullptr) error = r.error();
  if (error != nullptr) return WireError(error);
  return Status::OK();
}

Status DecodeWriteRequestV2(std::string_view wire, DecodedWriteRequest* out) {
  out->Clear();
  // Symbols may follow the series on the wire: collect them first.
  std::vector<std::string_view> symbols;
  Reader r(wire);
  while (!r.done()) {
    uint32_t field = 0, type = 0;
    if (!r.Key(&field, &type)) break;
    std::string_view symbol;
    if (field == 4 && type == kLen) {
      if (r.Bytes(&symbol)) symbols.push_back(symbol);
    } else {
      r.Skip(type);
    }
  }
  if (r.error() != nullptr) return WireError(r.error());
  Reader series(wire);
  std::vector<uint64_t> refs;
  const char* error = nullptr;
  while (!series.done() && error == nullptr) {
    uint32_t field = 0, type = 0;
    if (!series.Key(&field, &type)) break;
    std::string_view msg;
    if (field == 5 && type == kLen) {
      if (!series.Bytes(&msg)) break;
      DecodeSeriesV2(msg, symbols, &refs, out, &error);
    } else {
      series.Skip(type);
    }
  }
  if (error == nullptr) error = series.error();
  if (error != nullptr) return WireError(error);
  return Status::OK();
}

}  // namespace promethium::web
