#include "scrape/textparse/protobuf_parser.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "scrape/textparse/metrics.pb.h"
#include "tsdb/base/metrics.h"
#include "tsdb/histogram/classic_to_nhcb.h"

namespace promethium::scrape::textparse {
namespace {

namespace pb = ::io::prometheus::client;

bool IsLegacyMetricName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsLegacyLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Prometheus's labels.FormatOpenMetricsFloat: integral values get ".0".
std::string FormatOpenMetricsFloat(double f) {
  std::string s = FormatPromFloat(f);
  if (std::isfinite(f) && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// Milliseconds of a protobuf Timestamp, saturated at the int64 range: Go
// wraps such values around silently, which would be undefined behaviour here
// (found by protobuf_parse_fuzzer); no real timestamp comes near either end.
int64_t TimestampMs(const google::protobuf::Timestamp& ts) {
  int64_t ms = 0;
  if (__builtin_mul_overflow(ts.seconds(), int64_t{1000}, &ms)) {
    return ts.seconds() < 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  }
  int64_t out = 0;
  if (__builtin_add_overflow(ms, int64_t{ts.nanos() / 1'000'000}, &out)) {
    return ms < 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  }
  return out;
}

MetricType TypeOf(pb::MetricType t) {
  switch (t) {
    case pb::COUNTER: return MetricType::kCounter;
    case pb::GAUGE: return MetricType::kGauge;
    case pb::SUMMARY: return MetricType::kSummary;
    case pb::HISTOGRAM: return MetricType::kHistogram;
    case pb::GAUGE_HISTOGRAM: return MetricType::kGaugeHistogram;
    default: return MetricType::kUnknown;
  }
}

bool IsKnownType(int t) { return t >= pb::COUNTER && t <= pb::GAUGE_HISTOGRAM; }

// Prometheus's isNativeHistogram.
bool IsNative(const pb::Histogram& h) {
  return h.positive_span_size() > 0 || h.negative_span_size() > 0 || h.zero_threshold() > 0 || h.zero_count() > 0;
}

bool IsFloatNative(const pb::Histogram& h) { return h.sample_count_float() > 0 || h.zero_count_float() > 0; }

ParsedExemplar ToExemplar(const pb::Exemplar& e) {
  ParsedExemplar out;
  for (const pb::LabelPair& l : e.label()) out.labels.emplace_back(l.name(), l.value());
  out.value = e.value();
  if (e.has_timestamp()) {
    out.has_timestamp = true;
    out.timestamp_ms = TimestampMs(e.timestamp());
  }
  return out;
}

// Prometheus's checkProtoSpanBucketConsistency.
Status CheckSpans(std::string_view side, const google::protobuf::RepeatedPtrField<pb::BucketSpan>& spans, int buckets) {
  int64_t total = 0;
  for (const pb::BucketSpan& s : spans) total += s.length();
  if (total != buckets) {
    return Status::InvalidArgument(fmt::format("{} side: spans require {} buckets, have {}", side, total, buckets));
  }
  return Status::OK();
}

std::vector<HistogramSpan> Spans(const google::protobuf::RepeatedPtrField<pb::BucketSpan>& in) {
  std::vector<HistogramSpan> out;
  out.reserve(in.size());
  for (const pb::BucketSpan& s : in) out.push_back({s.offset(), s.length()});
  return out;
}

// Absolute counts of delta-encoded buckets must not go negative.
Status CheckDeltas(std::string_view side, const google::protobuf::RepeatedField<int64_t>& deltas, uint64_t* total) {
  int64_t abs = 0;
  for (int i = 0; i < deltas.size(); ++i) {
    abs += deltas[i];
    if (abs < 0) {
      return Status::InvalidArgument(
          fmt::format("{} side: bucket {} has a negative observation count {}", side, i, abs));
    }
    *total += static_cast<uint64_t>(abs);
  }
  return Status::OK();
}

Status CheckCounts(std::string_view side, const google::protobuf::RepeatedField<double>& counts) {
  for (int i = 0; i < counts.size(); ++i) {
    if (counts[i] < 0) {
      return Status::InvalidArgument(
          fmt::format("{} side: bucket {} has a negative observation count {}", side, i, counts[i]));
    }
  }
  return Status::OK();
}

Status CheckNative(const pb::Histogram& h) {
  if (!IsExponentialSchema(h.schema())) {
    return Status::InvalidArgument(fmt::format(
        "unknown schema {}: it must be between {} and {} for exponential buckets (the protobuf format cannot carry "
        "custom buckets)",
        h.schema(), kMinExponentialSchema, kMaxExponentialSchema));
  }
  if (IsFloatNative(h)) {
    PROMETHIUM_RETURN_IF_ERROR(CheckSpans("positive", h.positive_span(), h.positive_count_size()));
    PROMETHIUM_RETURN_IF_ERROR(CheckSpans("negative", h.negative_span(), h.negative_count_size()));
    PROMETHIUM_RETURN_IF_ERROR(CheckCounts("positive", h.positive_count()));
    return CheckCounts("negative", h.negative_count());
  }
  PROMETHIUM_RETURN_IF_ERROR(CheckSpans("positive", h.positive_span(), h.positive_delta_size()));
  PROMETHIUM_RETURN_IF_ERROR(CheckSpans("negative", h.negative_span(), h.negative_delta_size()));
  uint64_t in_buckets = h.zero_count();
  PROMETHIUM_RETURN_IF_ERROR(CheckDeltas("positive", h.positive_delta(), &in_buckets));
  PROMETHIUM_RETURN_IF_ERROR(CheckDeltas("negative", h.negative_delta(), &in_buckets));
  if (in_buckets > h.sample_count()) {
    return Status::InvalidArgument(
        fmt::format("{} observations found in buckets, but the Count field is {}", in_buckets, h.sample_count()));
  }
  return Status::OK();
}

void FillNative(const pb::Histogram& h, bool gauge, std::optional<Histogram>* ih, std::optional<FloatHistogram>* fh) {
  const CounterResetHint hint = gauge ? CounterResetHint::kGauge : CounterResetHint::kUnknown;
  if (IsFloatNative(h)) {
    FloatHistogram& f = fh->emplace();
    f.counter_reset_hint = hint;
    f.schema = h.schema();
    f.zero_threshold = h.zero_threshold();
    f.zero_count = h.zero_count_float();
    f.count = h.sample_count_float();
    f.sum = h.sample_sum();
    f.positive_spans = Spans(h.positive_span());
    f.negative_spans = Spans(h.negative_span());
    f.positive_buckets.assign(h.positive_count().begin(), h.positive_count().end());
    f.negative_buckets.assign(h.negative_count().begin(), h.negative_count().end());
    f.Compact(0);  // as Prometheus: also drops client libraries' {0, 0} no-op span
    return;
  }
  Histogram& i = ih->emplace();
  i.counter_reset_hint = hint;
  i.schema = h.schema();
  i.zero_threshold = h.zero_threshold();
  i.zero_count = h.zero_count();
  i.count = h.sample_count();
  i.sum = h.sample_sum();
  i.positive_spans = Spans(h.positive_span());
  i.negative_spans = Spans(h.negative_span());
  i.positive_buckets.assign(h.positive_delta().begin(), h.positive_delta().end());
  i.negative_buckets.assign(h.negative_delta().begin(), h.negative_delta().end());
  i.Compact(0);
}

double ClassicCount(const pb::Histogram& h) {
  return h.sample_count_float() > 0 ? h.sample_count_float() : static_cast<double>(h.sample_count());
}
double BucketCount(const pb::Bucket& b) {
  return b.cumulative_count_float() > 0 ? b.cumulative_count_float() : static_cast<double>(b.cumulative_count());
}

}  // namespace

// Turns one decoded MetricFamily into the parser's pending entries.
class ProtobufParser::FamilyExpander {
 public:
  FamilyExpander(const pb::MetricFamily& mf, const Options& opts, std::vector<Pending>* out)
      : mf_(mf), opts_(opts), out_(out) {}

  Status Expand() {
    for (const pb::Metric& m : mf_.metric()) PROMETHIUM_RETURN_IF_ERROR(ExpandMetric(m));
    return Status::OK();
  }

 private:
  Status ExpandMetric(const pb::Metric& m) {
    base_labels_.clear();
    for (const pb::LabelPair& l : m.label()) {
      if (!IsLegacyLabelName(l.name())) {
        return Status::InvalidArgument(fmt::format(
            "unsupported: label name \"{}\" of metric \"{}\" (only legacy label names)", l.name(), mf_.name()));
      }
      if (!l.value().empty()) base_labels_.emplace_back(l.name(), l.value());
    }
    ts_ = m.timestamp_ms();
    switch (mf_.type()) {
      case pb::COUNTER: {
        Pending& p = Add(mf_.name(), {}, {}, m.counter().value());
        if (m.counter().has_exemplar()) p.exemplars.push_back(ToExemplar(m.counter().exemplar()));
        if (m.counter().has_created_timestamp()) p.created_ms = TimestampMs(m.counter().created_timestamp());
        return Status::OK();
      }
      case pb::GAUGE: Add(mf_.name(), {}, {}, m.gauge().value()); return Status::OK();
      case pb::UNTYPED: Add(mf_.name(), {}, {}, m.untyped().value()); return Status::OK();
      case pb::SUMMARY: ExpandSummary(m.summary()); return Status::OK();
      default: return ExpandHistogram(m.histogram());
    }
  }

  void ExpandSummary(const pb::Summary& s) {
    created_ = s.has_created_timestamp() ? TimestampMs(s.created_timestamp()) : 0;
    Add(mf_.name() + "_count", {}, {}, static_cast<double>(s.sample_count()));
    Add(mf_.name() + "_sum", {}, {}, s.sample_sum());
    for (const pb::Quantile& q : s.quantile()) {
      Add(mf_.name(), "quantile", FormatOpenMetricsFloat(q.quantile()), q.value());
    }
    created_ = 0;
  }

  Status ExpandHistogram(const pb::Histogram& h) {
    created_ = h.has_created_timestamp() ? TimestampMs(h.created_timestamp()) : 0;
    const bool gauge = mf_.type() == pb::GAUGE_HISTOGRAM;
    Status st;
    if (opts_.parse_native_histograms && IsNative(h)) {
      st = CheckNative(h);
      if (st.ok()) {
        Pending& p = Add(mf_.name(), {}, {}, 0);
        p.kind = Entry::kHistogram;
        FillNative(h, gauge, &p.h, &p.fh);
        NativeExemplars(h, &p);
        if (opts_.keep_classic_histograms && h.bucket_size() > 0) ExpandClassic(h);
      }
    } else if (opts_.convert_classic_to_nhcb) {
      if (opts_.keep_classic_histograms) ExpandClassic(h);
      st = ConvertToNhcb(h, gauge);
    } else {
      ExpandClassic(h);
    }
    created_ = 0;
    if (!st.ok()) return Status::InvalidArgument(fmt::format("histogram \"{}\": {}", mf_.name(), st.message()));
    return Status::OK();
  }

  void ExpandClassic(const pb::Histogram& h) {
    Add(mf_.name() + "_count", {}, {}, ClassicCount(h));
    Add(mf_.name() + "_sum", {}, {}, h.sample_sum());
    for (const pb::Bucket& b : h.bucket()) {
      Pending& p = Add(mf_.name() + "_bucket", "le", FormatOpenMetricsFloat(b.upper_bound()), BucketCount(b));
      if (b.has_exemplar()) p.exemplars.push_back(ToExemplar(b.exemplar()));
      if (std::isinf(b.upper_bound()) && b.upper_bound() > 0) return;
    }
    Add(mf_.name() + "_bucket", "le", "+Inf", ClassicCount(h));
  }

  // Prometheus keeps only timestamped exemplars of native histograms: from
  // the histogram's own list, or if that is empty from its classic buckets.
  static void NativeExemplars(const pb::Histogram& h, Pending* p) {
    if (h.exemplars_size() > 0) {
      for (const pb::Exemplar& e : h.exemplars()) {
        if (e.has_timestamp()) p->exemplars.push_back(ToExemplar(e));
      }
      return;
    }
    for (const pb::Bucket& b : h.bucket()) {
      if (b.has_exemplar() && b.exemplar().has_timestamp()) p->exemplars.push_back(ToExemplar(b.exemplar()));
    }
  }

  // Prometheus's convertToNHCB: the classic buckets as a custom-bucket
  // native histogram.
  Status ConvertToNhcb(const pb::Histogram& h, bool gauge) {
    ClassicHistogramConverter conv;
    for (const pb::Bucket& b : h.bucket())
      PROMETHIUM_RETURN_IF_ERROR(conv.SetBucketCount(b.upper_bound(), BucketCount(b)));
    PROMETHIUM_RETURN_IF_ERROR(conv.SetCount(ClassicCount(h)));
    PROMETHIUM_RETURN_IF_ERROR(conv.SetSum(h.sample_sum()));
    PROMETHIUM_ASSIGN_OR_RETURN(ConvertedNhcb converted, conv.Convert());
    Pending& p = Add(mf_.name(), {}, {}, 0);
    p.kind = Entry::kHistogram;
    const CounterResetHint hint = gauge ? CounterResetHint::kGauge : CounterResetHint::kUnknown;
    if (converted.integer) {
      p.h = std::move(converted.integer);
      p.h->counter_reset_hint = hint;
    } else {
      p.fh = std::move(converted.floating);
      p.fh->counter_reset_hint = hint;
    }
    return Status::OK();
  }

  Pending& Add(std::string name, std::string_view magic_name, std::string magic_value, double value) {
    Pending& p = out_->emplace_back();
    p.name = std::move(name);
    p.labels = base_labels_;
    if (!magic_name.empty()) p.labels.emplace_back(std::string(magic_name), std::move(magic_value));
    std::sort(p.labels.begin(), p.labels.end());
    p.key = p.name;
    for (const auto& [n, v] : p.labels) {
      p.key += '\xff';
      p.key += n;
      p.key += '\xff';
      p.key += v;
    }
    p.value = value;
    p.timestamp_ms = ts_;
    p.created_ms = created_;
    return p;
  }

  const pb::MetricFamily& mf_;
  const Options& opts_;
  std::vector<Pending>* out_;
  std::vector<std::pair<std::string, std::string>> base_labels_;
  int64_t ts_ = 0;
  int64_t created_ = 0;
};

ProtobufParser::ProtobufParser(std::string_view body, Options options) : body_(body), options_(options) {}

ProtobufParser::~ProtobufParser() = default;

Status ProtobufParser::ReadFamily(bool* eof) {
  pb::MetricFamily mf;
  for (;;) {
    if (pos_ >= body_.size()) {
      *eof = true;
      return Status::OK();
    }
    const auto* data = reinterpret_cast<const uint8_t*>(body_.data()) + pos_;
    const int avail = static_cast<int>(std::min<size_t>(body_.size() - pos_, std::numeric_limits<int>::max()));
    google::protobuf::io::CodedInputStream in(data, avail);
    uint32_t len = 0;
    if (!in.ReadVarint32(&len)) {
      return Status::InvalidArgument(fmt::format("protobuf parsing error: bad message length at byte {}", pos_));
    }
    const size_t header = static_cast<size_t>(in.CurrentPosition());
    if (len > body_.size() - pos_ - header) {
      return Status::InvalidArgument(fmt::format("protobuf parsing error: message at byte {} needs {} bytes, {} left",
                                                 pos_, len, body_.size() - pos_ - header));
    }
    mf.Clear();
    if (!mf.ParseFromArray(data + header, static_cast<int>(len))) {
      return Status::InvalidArgument(
          fmt::format("protobuf parsing error: invalid MetricFamily message at byte {}", pos_));
    }
    pos_ += header + len;
    if (mf.metric_size() > 0) break;  // as Prometheus, empty families yield nothing
  }
  if (!IsLegacyMetricName(mf.name())) {
    if (mf.name().empty()) return Status::InvalidArgument("invalid metric name: ");
    return Status::InvalidArgument(
        fmt::format("unsupported: metric name \"{}\" (only legacy metric names)", mf.name()));
  }
  if (!IsKnownType(mf.type())) {
    return Status::InvalidArgument(
        fmt::format("unknown metric type for metric \"{}\": {}", mf.name(), static_cast<int>(mf.type())));
  }
  family_name_ = mf.name();
  family_help_ = mf.help();
  family_unit_ = mf.unit();
  family_type_ = TypeOf(mf.type());
  pending_.clear();
  next_ = 0;
  pending_.emplace_back().kind = Entry::kHelp;
  if (!family_unit_.empty()) pending_.emplace_back().kind = Entry::kUnit;
  pending_.emplace_back().kind = Entry::kType;
  PROMETHIUM_RETURN_IF_ERROR(FamilyExpander(mf, options_, &pending_).Expand());
  for (Pending& p : pending_) {  // the vector is final: views may point into it now
    p.views.reserve(p.labels.size());
    for (const auto& [n, v] : p.labels) p.views.push_back({n, v, false});
  }
  return Status::OK();
}

Result<Entry> ProtobufParser::Next() {
  if (next_ >= pending_.size()) {
    bool eof = false;
    PROMETHIUM_RETURN_IF_ERROR(ReadFamily(&eof));
    if (eof) {
      pending_.clear();
      next_ = 0;
      cur_ = nullptr;
      return Entry::kEof;
    }
  }
  cur_ = &pending_[next_++];
  return cur_->kind;
}

}  // namespace promethium::scrape::textparse
