// Test helpers for protobuf exposition bodies: builds MetricFamily messages
// with the generated classes of metrics.proto and encodes them the way
// client libraries send them (each message preceded by its varint length).
// For tests and fuzzer seeds only.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scrape/textparse/metrics.pb.h"

namespace promethium::scrape::textparse::testing {

namespace pb = ::io::prometheus::client;

inline std::string Delimited(const std::vector<pb::MetricFamily>& families) {
  std::string out;
  for (const pb::MetricFamily& mf : families) {
    std::string msg = mf.SerializeAsString();
    uint64_t n = msg.size();
    while (n >= 0x80) {
      out += static_cast<char>((n & 0x7f) | 0x80);
      n >>= 7;
    }
    out += static_cast<char>(n);
    out += msg;
  }
  return out;
}

inline pb::MetricFamily Family(const std::string& name, pb::MetricType type, const std::string& help = "") {
  pb::MetricFamily mf;
  mf.set_name(name);
  mf.set_type(type);
  mf.set_help(help);
  return mf;
}

inline void AddLabel(pb::Metric* m, const std::string& name, const std::string& value) {
  pb::LabelPair* l = m->add_label();
  l->set_name(name);
  l->set_value(value);
}

// An exemplar {id="<id>"} <value>, with a timestamp unless ts_ms < 0.
inline void SetExemplar(pb::Exemplar* e, const std::string& id, double value, int64_t ts_ms = -1) {
  pb::LabelPair* l = e->add_label();
  l->set_name("id");
  l->set_value(id);
  e->set_value(value);
  if (ts_ms >= 0) {
    e->mutable_timestamp()->set_seconds(ts_ms / 1000);
    e->mutable_timestamp()->set_nanos(static_cast<int32_t>((ts_ms % 1000) * 1'000'000));
  }
}

inline void AddSpan(google::protobuf::RepeatedPtrField<pb::BucketSpan>* spans, int32_t offset, uint32_t length) {
  pb::BucketSpan* s = spans->Add();
  s->set_offset(offset);
  s->set_length(length);
}

inline void AddBucket(pb::Histogram* h, double upper_bound, uint64_t cumulative_count) {
  pb::Bucket* b = h->add_bucket();
  b->set_upper_bound(upper_bound);
  b->set_cumulative_count(cumulative_count);
}

}  // namespace promethium::scrape::textparse::testing
