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

bool DecodeSeries(std::string_view msg, DecodedWriteRequest* out, const char** error) {
  DecodedWriteRequest::Series series;
  series.first_label = static_cast<uint32_t>(out->labels.size());
  series.first_sample = static_cast<uint32_t>(out->samples.size());
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
      series.has_histograms = true;
      r.Skip(type);
    } else {
      r.Skip(type);  // exemplars (3) and unknown fields
    }
  }
  if (*error == nullptr) *error = r.error();
  series.label_count = static_cast<uint32_t>(out->labels.size()) - series.first_label;
  series.sample_count = static_cast<uint32_t>(out->samples.size()) - series.first_sample;
  out->series.push_back(series);
  return *error == nullptr;
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
  if (error != nullptr) {
    return Status::InvalidArgument(std::string("proto: cannot parse invalid wire-format data: ") + error);
  }
  return Status::OK();
}

}  // namespace promethium::web
