#include "remote/write/codec.h"

#include <snappy.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <limits>

#include "remote/proto/remote.pb.h"
#include "remote/proto/write_v2.pb.h"
#include "tsdb/base/varint.h"

namespace promethium::remote {
namespace {

namespace v1 = ::prometheus;
namespace v2 = ::io::prometheus::write::v2;

std::string Compress(const std::string& raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

// The exposition type's number in both protocols' MetricType enums, which
// share their numbering (0: unknown / unspecified ... 7: stateset).
int MetricTypeNumber(std::string_view type) {
  constexpr std::string_view kTypes[] = {"unknown",        "counter", "gauge", "histogram",
                                         "gaugehistogram", "summary", "info",  "stateset"};
  for (int i = 1; i < 8; ++i) {
    if (type == kTypes[i]) return i;
  }
  return 0;
}

// The metadata of `metric`: its own family, else the family it is a
// sample of (foo_total of counter foo, foo_bucket of histogram foo, ...).
const MetricMetadataEntry* FindMetadata(const MetadataIndex& index, std::string_view metric) {
  if (auto it = index.find(std::string(metric)); it != index.end()) return &it->second;
  for (std::string_view suffix : {"_total", "_bucket", "_count", "_sum", "_info", "_created"}) {
    if (metric.size() > suffix.size() && metric.ends_with(suffix)) {
      auto it = index.find(std::string(metric.substr(0, metric.size() - suffix.size())));
      if (it != index.end()) return &it->second;
    }
  }
  return nullptr;
}

// Counts what `items` would send and what the age limit drops.
struct Tally {
  EncodedBatch* out;
  bool first = true;
  bool Keep(const QueueItem& item, int64_t min_timestamp) {
    const bool too_old = item.t < min_timestamp;
    switch (item.kind) {
      case QueueItem::Kind::kSample: ++(too_old ? out->dropped_samples : out->samples); break;
      case QueueItem::Kind::kExemplar: ++(too_old ? out->dropped_exemplars : out->exemplars); break;
      case QueueItem::Kind::kHistogram:
      case QueueItem::Kind::kFloatHistogram: ++(too_old ? out->dropped_histograms : out->histograms); break;
    }
    if (too_old) return false;
    out->highest_timestamp = first ? item.t : std::max(out->highest_timestamp, item.t);
    out->lowest_timestamp = first ? item.t : std::min(out->lowest_timestamp, item.t);
    first = false;
    return true;
  }
};

// Fills a 1.0 or 2.0 Histogram message (their fields share names and
// numbers) from the item's histogram, as Prometheus's
// HistogramToHistogramProto / FloatHistogramToHistogramProto: integer
// histograms set the *_int counts and deltas, float ones the *_float counts
// and absolute counts.
template <typename Msg>
void FillHistogram(const QueueItem& item, Msg* m) {
  m->set_timestamp(item.t);
  auto add_spans = [](const std::vector<HistogramSpan>& spans, auto* out) {
    for (const HistogramSpan& s : spans) {
      auto* ps = out->Add();
      ps->set_offset(s.offset);
      ps->set_length(s.length);
    }
  };
  auto fill_common = [&](const auto& h) {
    m->set_reset_hint(static_cast<typename Msg::ResetHint>(h.counter_reset_hint));
    m->set_schema(h.schema);
    m->set_zero_threshold(h.zero_threshold);
    m->set_sum(h.sum);
    add_spans(h.negative_spans, m->mutable_negative_spans());
    add_spans(h.positive_spans, m->mutable_positive_spans());
    for (double v : h.custom_values) m->add_custom_values(v);
  };
  if (item.kind == QueueItem::Kind::kHistogram) {
    const Histogram& h = *item.h;
    fill_common(h);
    m->set_count_int(h.count);
    m->set_zero_count_int(h.zero_count);
    for (int64_t d : h.negative_buckets) m->add_negative_deltas(d);
    for (int64_t d : h.positive_buckets) m->add_positive_deltas(d);
  } else {
    const FloatHistogram& h = *item.fh;
    fill_common(h);
    m->set_count_float(h.count);
    m->set_zero_count_float(h.zero_count);
    for (double c : h.negative_buckets) m->add_negative_counts(c);
    for (double c : h.positive_buckets) m->add_positive_counts(c);
  }
}

bool IsHistogram(const QueueItem& item) {
  return item.kind == QueueItem::Kind::kHistogram || item.kind == QueueItem::Kind::kFloatHistogram;
}

// prometheus.WriteRequest written directly in the protobuf wire format:
// the generated classes would copy every label string into a message
// object first, which costs three times the encoding (bench/
// remote_write_send_bench). Field numbers are remote.proto's; codec_test
// parses the result with the generated classes.
constexpr uint8_t kTagLabelName = 0x0A;      // Label.name = 1, bytes
constexpr uint8_t kTagLabelValue = 0x12;     // Label.value = 2, bytes
constexpr uint8_t kTagSeries = 0x0A;         // WriteRequest.timeseries = 1
constexpr uint8_t kTagLabels = 0x0A;         // TimeSeries.labels = 1, Exemplar.labels = 1
constexpr uint8_t kTagSample = 0x12;         // TimeSeries.samples = 2
constexpr uint8_t kTagExemplar = 0x1A;       // TimeSeries.exemplars = 3
constexpr uint8_t kTagHistogram = 0x22;      // TimeSeries.histograms = 4
constexpr uint8_t kTagSampleValue = 0x09;    // Sample.value = 1, fixed64
constexpr uint8_t kTagSampleTime = 0x10;     // Sample.timestamp = 2, varint
constexpr uint8_t kTagExemplarValue = 0x11;  // Exemplar.value = 2, fixed64
constexpr uint8_t kTagExemplarTime = 0x18;   // Exemplar.timestamp = 3, varint

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}
size_t LenFieldSize(size_t len) { return 1 + VarintSize(len) + len; }  // one-byte tags only
size_t LabelSize(const Label& l) { return LenFieldSize(l.name.size()) + LenFieldSize(l.value.size()); }
size_t LabelsSize(const Labels& labels) {
  size_t n = 0;
  for (const Label& l : labels) n += LenFieldSize(LabelSize(l));
  return n;
}
// A value (fixed64) and a timestamp (int64 varint: two's complement).
size_t PointSize(int64_t t) { return 1 + 8 + 1 + VarintSize(static_cast<uint64_t>(t)); }

void PutLen(std::string* out, uint8_t tag, size_t len) {
  out->push_back(static_cast<char>(tag));
  PutUvarint(out, len);
}
void PutLabels(std::string* out, const Labels& labels) {
  for (const Label& l : labels) {
    PutLen(out, kTagLabels, LabelSize(l));
    PutLen(out, kTagLabelName, l.name.size());
    out->append(l.name);
    PutLen(out, kTagLabelValue, l.value.size());
    out->append(l.value);
  }
}
void PutPoint(std::string* out, uint8_t value_tag, uint8_t time_tag, double v, int64_t t) {
  out->push_back(static_cast<char>(value_tag));
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(bits >> (8 * i)));
  out->push_back(static_cast<char>(time_tag));
  PutUvarint(out, static_cast<uint64_t>(t));
}

// One TimeSeries holding the histogram of `item`. Histograms are few and
// nested, so the generated class encodes the Histogram message itself.
void PutHistogramSeriesV1(std::string* out, const QueueItem& item, std::string* scratch) {
  v1::Histogram h;
  FillHistogram(item, &h);
  scratch->clear();
  h.SerializeToString(scratch);
  PutLen(out, kTagSeries, LabelsSize(item.series->labels) + LenFieldSize(scratch->size()));
  PutLabels(out, item.series->labels);
  PutLen(out, kTagHistogram, scratch->size());
  out->append(*scratch);
}

// One TimeSeries holding `item`.
void PutSeriesV1(std::string* out, const QueueItem& item) {
  const size_t labels = LabelsSize(item.series->labels);
  const bool sample = item.kind == QueueItem::Kind::kSample;
  const size_t inner = sample ? PointSize(item.t) : LabelsSize(item.exemplar_labels) + PointSize(item.t);
  PutLen(out, kTagSeries, labels + LenFieldSize(inner));
  PutLabels(out, item.series->labels);
  PutLen(out, sample ? kTagSample : kTagExemplar, inner);
  if (!sample) PutLabels(out, item.exemplar_labels);
  PutPoint(out, sample ? kTagSampleValue : kTagExemplarValue, sample ? kTagSampleTime : kTagExemplarTime, item.v,
           item.t);
}

Result<EncodedBatch> EncodeV1(std::span<const QueueItem> items, int64_t min_timestamp) {
  EncodedBatch out;
  Tally tally{&out};
  std::string raw;
  std::string scratch;
  raw.reserve(items.size() * 256);
  for (const QueueItem& item : items) {
    if (!tally.Keep(item, min_timestamp)) continue;
    if (IsHistogram(item)) {
      PutHistogramSeriesV1(&raw, item, &scratch);
    } else {
      PutSeriesV1(&raw, item);
    }
  }
  out.body = Compress(raw);
  return out;
}

// The 2.0 symbols table: each distinct string once, "" first.
class SymbolTable {
 public:
  explicit SymbolTable(v2::Request* req) : req_(req) { Ref(""); }
  uint32_t Ref(std::string_view s) {
    auto [it, inserted] = refs_.try_emplace(std::string(s), static_cast<uint32_t>(refs_.size()));
    if (inserted) req_->add_symbols(it->first);
    return it->second;
  }
  void AddLabels(const Labels& labels, google::protobuf::RepeatedField<uint32_t>* out) {
    out->Reserve(static_cast<int>(labels.size() * 2));
    for (const Label& l : labels) {
      out->Add(Ref(l.name));
      out->Add(Ref(l.value));
    }
  }

 private:
  v2::Request* req_;
  std::unordered_map<std::string, uint32_t> refs_;
};

Result<EncodedBatch> EncodeV2(std::span<const QueueItem> items, const MetadataIndex* metadata, int64_t min_timestamp) {
  EncodedBatch out;
  Tally tally{&out};
  v2::Request req;
  SymbolTable symbols(&req);
  req.mutable_timeseries()->Reserve(static_cast<int>(items.size()));
  for (const QueueItem& item : items) {
    if (!tally.Keep(item, min_timestamp)) continue;
    v2::TimeSeries* ts = req.add_timeseries();
    symbols.AddLabels(item.series->labels, ts->mutable_labels_refs());
    const MetricMetadataEntry* md =
        metadata == nullptr ? nullptr : FindMetadata(*metadata, item.series->labels.MetricName());
    v2::Metadata* pm = ts->mutable_metadata();
    if (md != nullptr) {
      pm->set_type(static_cast<v2::Metadata::MetricType>(MetricTypeNumber(md->type)));
      pm->set_help_ref(symbols.Ref(md->help));
      pm->set_unit_ref(symbols.Ref(md->unit));
      ++out.metadata;
    }
    if (IsHistogram(item)) {
      FillHistogram(item, ts->add_histograms());
    } else if (item.kind == QueueItem::Kind::kSample) {
      v2::Sample* s = ts->add_samples();
      s->set_value(item.v);
      s->set_timestamp(item.t);
    } else {
      v2::Exemplar* e = ts->add_exemplars();
      symbols.AddLabels(item.exemplar_labels, e->mutable_labels_refs());
      e->set_value(item.v);
      e->set_timestamp(item.t);
    }
  }
  std::string raw;
  if (!req.SerializeToString(&raw)) return Status::Internal("serializing io.prometheus.write.v2.Request failed");
  out.body = Compress(raw);
  return out;
}

int64_t ParseCount(std::string_view v, bool* ok) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  *ok = ec == std::errc() && end == v.data() + v.size();
  return *ok ? n : 0;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);  // header names are ASCII letters, digits and '-'
         });
}

}  // namespace

Result<EncodedBatch> EncodeBatch(WriteProtocol protocol, std::span<const QueueItem> items,
                                 const MetadataIndex* metadata, int64_t min_timestamp) {
  return protocol == WriteProtocol::kV1 ? EncodeV1(items, min_timestamp) : EncodeV2(items, metadata, min_timestamp);
}

Result<std::string> EncodeMetadataV1(std::span<const MetricMetadataEntry> metadata) {
  v1::WriteRequest req;
  for (const MetricMetadataEntry& m : metadata) {
    v1::MetricMetadata* pm = req.add_metadata();
    pm->set_type(static_cast<v1::MetricMetadata::MetricType>(MetricTypeNumber(m.type)));
    pm->set_metric_family_name(m.family);
    pm->set_help(m.help);
    pm->set_unit(m.unit);
  }
  std::string raw;
  if (!req.SerializeToString(&raw)) return Status::Internal("serializing prometheus.WriteRequest failed");
  return Compress(raw);
}

std::vector<std::pair<std::string, std::string>> ProtocolHeaders(WriteProtocol protocol) {
  const bool v2 = protocol == WriteProtocol::kV2;
  return {
      {"Content-Encoding", "snappy"},
      {"Content-Type", v2 ? "application/x-protobuf;proto=io.prometheus.write.v2.Request" : "application/x-protobuf"},
      {"X-Prometheus-Remote-Write-Version", v2 ? "2.0.0" : "0.1.0"},
  };
}

WriteResponseStats ParseWriteResponseStats(std::span<const std::pair<std::string, std::string>> headers) {
  WriteResponseStats stats;
  for (const auto& [name, value] : headers) {
    int64_t* field = nullptr;
    if (EqualsIgnoreCase(name, "X-Prometheus-Remote-Write-Samples-Written")) field = &stats.samples;
    if (EqualsIgnoreCase(name, "X-Prometheus-Remote-Write-Histograms-Written")) field = &stats.histograms;
    if (EqualsIgnoreCase(name, "X-Prometheus-Remote-Write-Exemplars-Written")) field = &stats.exemplars;
    if (field == nullptr || value.empty()) continue;  // empty means zero
    stats.confirmed = true;
    bool ok = false;
    *field = ParseCount(value, &ok);
  }
  return stats;
}

}  // namespace promethium::remote
