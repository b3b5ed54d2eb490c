#include "web/federate.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "promql/engine/engine.h"
#include "promql/parser/parser.h"
#include "tsdb/base/duration.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/varint.h"
#include "web/form_values.h"
#include "web/remote/read_encoding.h"

namespace promethium::web {

namespace {

// How many series to read between two deadline/cancellation checks.
constexpr int kCheckEvery = 256;

struct FederatedSample {
  Labels labels;
  Sample sample;                            // t always; v for a float sample
  std::shared_ptr<const FloatHistogram> h;  // set for a histogram sample
};

// Sort key of the output: metric name first, then the full label set.
bool FederatedLess(const FederatedSample& a, const FederatedSample& b) {
  int by_name = a.labels.MetricName().compare(b.labels.MetricName());
  if (by_name != 0) return by_name < 0;
  return a.labels < b.labels;
}

// Go's model.isValidLegacyRune: what the "underscores" escaping keeps.
bool IsLegacyNameChar(char c, size_t i) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (c >= '0' && c <= '9' && i > 0);
}

// Prometheus 3.x's "underscores" name escaping for names the 0.0.4 format
// cannot carry (UTF-8 names): each offending character becomes '_'.
std::string EscapeName(std::string_view name, bool valid) {
  if (valid) return std::string(name);
  std::string out;
  size_t rune_index = 0;
  for (size_t i = 0; i < name.size(); ++rune_index) {
    unsigned char lead = static_cast<unsigned char>(name[i]);
    size_t len = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (len == 1 && IsLegacyNameChar(name[i], rune_index)) {
      out.push_back(name[i]);
    } else {
      out.push_back('_');
    }
    i += std::min(len, name.size() - i);
  }
  return out;
}

// Label value escaping of the text format: backslash, double quote, newline.
void AppendEscapedLabelValue(std::string* out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '"': out->append("\\\""); break;
      case '\n': out->append("\\n"); break;
      default: out->push_back(c);
    }
  }
}

// The labels one series is written with: its own (without __name__) plus
// every external label it lacks, instance="" included as Prometheus does.
std::vector<Label> ExpositionLabels(const Labels& series, const Labels& external) {
  std::vector<Label> out;
  for (const Label& l : series) {
    if (l.name != kMetricName) out.push_back(l);
  }
  auto add_missing = [&](std::string_view name, std::string_view value) {
    if (!series.Has(name)) out.push_back(Label{std::string(name), std::string(value)});
  };
  for (const Label& l : external) add_missing(l.name, l.value);
  if (!external.Has("instance")) add_missing("instance", "");
  std::sort(out.begin(), out.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
  return out;
}

// One exposition line: name{labels[,extra_name="extra_value"]} value timestamp.
void AppendLine(std::string* out, std::string_view name, const std::vector<Label>& labels, std::string_view extra_name,
                std::string_view extra_value, double v, int64_t t) {
  out->append(name);
  if (!labels.empty() || !extra_name.empty()) {
    out->push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out->push_back(',');
      out->append(EscapeName(labels[i].name, IsValidLabelName(labels[i].name)));
      out->append("=\"");
      AppendEscapedLabelValue(out, labels[i].value);
      out->push_back('"');
    }
    if (!extra_name.empty()) {
      if (!labels.empty()) out->push_back(',');
      out->append(extra_name).append("=\"").append(extra_value).push_back('"');
    }
    out->push_back('}');
  }
  out->push_back(' ');
  out->append(FormatPromFloat(v));
  out->push_back(' ');
  out->append(std::to_string(t));
  out->push_back('\n');
}

// A custom-buckets (NHCB) histogram as the classic histogram Prometheus's
// federation turns it into (makeClassicHistogram, then the text encoder):
// one cumulative _bucket line per custom bound, the +Inf bucket with the
// total count, then _sum and _count.
void AppendClassicHistogram(std::string* out, const std::string& name, const std::vector<Label>& labels,
                            const FloatHistogram& h, int64_t t) {
  const std::string bucket = name + "_bucket";
  // Absolute bucket index -> count, from the spans.
  std::vector<double> counts(h.custom_values.size(), 0);
  int64_t index = 0;
  size_t next = 0;
  for (const HistogramSpan& span : h.positive_spans) {
    index += span.offset;
    for (uint32_t k = 0; k < span.length && next < h.positive_buckets.size(); ++k, ++index, ++next) {
      if (index >= 0 && static_cast<size_t>(index) < counts.size())
        counts[static_cast<size_t>(index)] = h.positive_buckets[next];
    }
  }
  double cumulative = 0;
  for (size_t i = 0; i < h.custom_values.size(); ++i) {
    cumulative += counts[i];
    AppendLine(out, bucket, labels, "le", FormatPromFloat(h.custom_values[i]), cumulative, t);
  }
  AppendLine(out, bucket, labels, "le", "+Inf", h.count, t);
  AppendLine(out, name + "_sum", labels, "", "", h.sum, t);
  AppendLine(out, name + "_count", labels, "", "", h.count, t);
}

// ---- the delimited protobuf format (io.prometheus.client.MetricFamily) ----

// Field numbers of metrics.proto.
constexpr uint32_t kFamilyName = 1, kFamilyType = 3, kFamilyMetric = 4;
constexpr uint32_t kMetricLabel = 1, kMetricUntyped = 5, kMetricTimestamp = 6, kMetricHistogram = 7;
constexpr uint64_t kTypeUntyped = 3, kTypeHistogram = 4, kTypeGaugeHistogram = 5;

void PutTag(std::string* out, uint32_t field, uint32_t wire_type) {
  PutUvarint(out, (uint64_t{field} << 3) | wire_type);
}

// Proto2-style optional scalars: written even when zero, as Prometheus sets
// every field it fills.
void PutDouble(std::string* out, uint32_t field, double v) {
  PutTag(out, field, 1);
  const auto bits = std::bit_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

void PutVarint(std::string* out, uint32_t field, uint64_t v) {
  PutTag(out, field, 0);
  PutUvarint(out, v);
}

uint64_t ZigZag32(int32_t v) {
  return static_cast<uint32_t>((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
}

void PutSpans(std::string* out, uint32_t field, const std::vector<HistogramSpan>& spans) {
  std::string span;
  for (const HistogramSpan& sp : spans) {
    span.clear();
    PutVarint(&span, 1, ZigZag32(sp.offset));
    PutVarint(&span, 2, sp.length);
    AppendBytesField(out, field, span);
  }
}

void PutPackedDoubles(std::string* out, uint32_t field, const std::vector<double>& values) {
  if (values.empty()) return;
  AppendFieldHeader(out, field, 8 * values.size());
  for (double v : values) {
    const auto bits = std::bit_cast<uint64_t>(v);
    for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
}

// Prometheus's makeNativeHistogram (exponential schemas) and
// makeClassicHistogram (custom buckets: cumulative buckets, no +Inf).
std::string EncodeHistogram(const FloatHistogram& h) {
  std::string out;
  PutDouble(&out, 4, h.count);  // sample_count_float
  PutDouble(&out, 2, h.sum);    // sample_sum
  if (IsCustomBucketsSchema(h.schema)) {
    std::vector<double> counts(h.custom_values.size(), 0);
    int64_t index = 0;
    size_t next = 0;
    for (const HistogramSpan& span : h.positive_spans) {
      index += span.offset;
      for (uint32_t k = 0; k < span.length && next < h.positive_buckets.size(); ++k, ++index, ++next) {
        if (index >= 0 && static_cast<size_t>(index) < counts.size()) {
          counts[static_cast<size_t>(index)] = h.positive_buckets[next];
        }
      }
    }
    double cumulative = 0;
    std::string bucket;
    for (size_t i = 0; i < counts.size(); ++i) {
      cumulative += counts[i];
      bucket.clear();
      PutDouble(&bucket, 4, cumulative);          // cumulative_count_float
      PutDouble(&bucket, 2, h.custom_values[i]);  // upper_bound
      AppendBytesField(&out, 3, bucket);
    }
    return out;
  }
  PutVarint(&out, 5, ZigZag32(h.schema));
  PutDouble(&out, 6, h.zero_threshold);
  PutDouble(&out, 8, h.zero_count);  // zero_count_float
  PutSpans(&out, 9, h.negative_spans);
  PutPackedDoubles(&out, 11, h.negative_buckets);
  PutSpans(&out, 12, h.positive_spans);
  PutPackedDoubles(&out, 14, h.positive_buckets);
  return out;
}

std::string EncodeMetric(const std::vector<Label>& labels, const FederatedSample& s) {
  std::string out;
  for (const Label& l : labels) {
    AppendLabelField(&out, kMetricLabel, Label{EscapeName(l.name, IsValidLabelName(l.name)), l.value});
  }
  if (s.h == nullptr) {
    std::string untyped;
    PutDouble(&untyped, 1, s.sample.v);
    AppendBytesField(&out, kMetricUntyped, untyped);
  } else {
    AppendBytesField(&out, kMetricHistogram, EncodeHistogram(*s.h));
  }
  PutVarint(&out, kMetricTimestamp, static_cast<uint64_t>(s.sample.t));
  return out;
}

// One MetricFamily, length-delimited (uvarint size, then the message).
void AppendDelimitedFamily(std::string* out, const std::string& family) {
  PutUvarint(out, family.size());
  out->append(family);
}

std::string FamilyHeader(const std::string& name, uint64_t type) {
  std::string family;
  AppendBytesField(&family, kFamilyName, name);
  PutVarint(&family, kFamilyType, type);
  return family;
}

// The newest sample in [mint, maxt], or false when there is none or it is a
// stale marker (the exposition formats cannot carry stale markers; a stale
// histogram has a stale-marker sum).
Result<bool> NewestSample(const Series& series, int64_t mint, int64_t maxt, FederatedSample* out) {
  std::unique_ptr<SampleIterator> it = series.Iterator(nullptr);
  ValueType newest = ValueType::kNone;
  FloatHistogram histogram;  // its buffers are reused from sample to sample
  for (ValueType vt = it->Seek(mint); vt != ValueType::kNone; vt = it->Next()) {
    const int64_t t = it->AtT();
    if (t > maxt) break;
    newest = vt;
    out->sample.t = t;
    if (vt == ValueType::kFloat) {
      out->sample.v = it->At().v;
    } else {
      it->AtFloatHistogram(&histogram);
    }
  }
  if (!it->Err().ok()) return it->Err();
  if (newest == ValueType::kNone) return false;
  if (newest == ValueType::kFloat) return !IsStaleNaN(out->sample.v);
  if (IsStaleNaN(histogram.sum)) return false;
  out->h = std::make_shared<const FloatHistogram>(std::move(histogram));
  return true;
}

// What a metric family holds; a gauge histogram and a counter histogram
// of one name are separate families, as in Prometheus (both are written
// "histogram" in the text format, which has no gauge-histogram type).
enum class FamilyKind { kUntyped, kHistogram, kGaugeHistogram };

FamilyKind KindOf(const FederatedSample& s) {
  if (s.h == nullptr) return FamilyKind::kUntyped;
  return s.h->counter_reset_hint == CounterResetHint::kGauge ? FamilyKind::kGaugeHistogram : FamilyKind::kHistogram;
}

// Reads the newest sample of every series matched by any selector.
Status CollectSamples(Querier& querier, const std::vector<Matchers>& matcher_sets, int64_t mint, int64_t maxt,
                      const FederateOptions& opts, const std::atomic<bool>* canceled,
                      std::vector<FederatedSample>* out) {
  auto deadline = std::chrono::steady_clock::now() + opts.timeout;
  SelectHints hints;
  hints.start = mint;
  hints.end = maxt;
  int64_t read = 0;
  for (const Matchers& matchers : matcher_sets) {
    std::unique_ptr<SeriesSet> set = querier.Select(/*sorted=*/false, &hints, matchers);
    while (set->Next()) {
      if (++read % kCheckEvery == 0) {
        if (canceled != nullptr && canceled->load(std::memory_order_relaxed)) {
          return Status::Canceled("context canceled");
        }
        if (std::chrono::steady_clock::now() > deadline) {
          return Status::DeadlineExceeded(
              fmt::format("federation timed out after {} (--query.timeout)", FormatDuration(opts.timeout.count())));
        }
      }
      const Series& series = set->At();
      FederatedSample sample;
      PROMETHIUM_ASSIGN_OR_RETURN(bool keep, NewestSample(series, mint, maxt, &sample));
      if (!keep) continue;
      if (static_cast<int64_t>(out->size()) >= opts.max_series) {
        return Status::ResourceExhausted(
            fmt::format("federation matched more than {} series (--query.max-samples); narrow the match[] selectors",
                        opts.max_series));
      }
      sample.labels = series.labels();
      out->push_back(std::move(sample));
    }
    PROMETHIUM_RETURN_IF_ERROR(set->Err());
  }
  return Status::OK();
}

// Go's http.Error: plain text plus a newline, and nosniff.
HttpResponse PlainError(int status, std::string_view text) {
  HttpResponse resp;
  resp.status = status;
  resp.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
  resp.body = std::string(text) + "\n";
  return resp;
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kCanceled: return 499;
    case Status::Code::kDeadlineExceeded: return 503;
    case Status::Code::kResourceExhausted: return 422;
    default: return 500;
  }
}

void CountFederationError(const ApiDeps& deps) {
  if (deps.metrics == nullptr) return;
  deps.metrics
      ->GetCounter("prometheus_web_federation_errors_total",
                   "Total number of errors that occurred while sending federation responses.")
      ->Inc();
}

// The text format 0.0.4 body of the sorted samples.
std::string RenderText(const std::vector<FederatedSample>& samples, const Labels& external_labels) {
  std::string body;
  std::string last_name;
  FamilyKind last_kind = FamilyKind::kUntyped;
  for (const FederatedSample& s : samples) {
    std::string_view raw_name = s.labels.MetricName();
    if (raw_name.empty()) continue;  // nameless series are skipped, as Prometheus does
    // The text format cannot carry a native histogram: Prometheus leaves
    // exponential ones out and federates custom-bucket ones as classic.
    if (s.h != nullptr && !IsCustomBucketsSchema(s.h->schema)) continue;
    std::string name = EscapeName(raw_name, IsValidMetricName(raw_name));
    const FamilyKind kind = KindOf(s);
    // A new family where the name or the kind changes (Prometheus's rule,
    // which may repeat a name with another type).
    if (body.empty() || name != last_name || kind != last_kind) {
      body.append("# TYPE ").append(name).append(kind == FamilyKind::kUntyped ? " untyped\n" : " histogram\n");
      last_name = name;
      last_kind = kind;
    }
    std::vector<Label> labels = ExpositionLabels(s.labels, external_labels);
    if (s.h == nullptr) {
      AppendLine(&body, name, labels, "", "", s.sample.v, s.sample.t);
    } else {
      AppendClassicHistogram(&body, name, labels, *s.h, s.sample.t);
    }
  }
  return body;
}

// The delimited protobuf body: MetricFamily messages, families split as in
// the text format; native histograms included.
std::string RenderProtobuf(const std::vector<FederatedSample>& samples, const Labels& external_labels) {
  std::string body, family, last_name;
  FamilyKind last_kind = FamilyKind::kUntyped;
  for (const FederatedSample& s : samples) {
    std::string_view raw_name = s.labels.MetricName();
    if (raw_name.empty()) continue;
    std::string name = EscapeName(raw_name, IsValidMetricName(raw_name));
    const FamilyKind kind = KindOf(s);
    if (family.empty() || name != last_name || kind != last_kind) {
      if (!family.empty()) AppendDelimitedFamily(&body, family);
      family = FamilyHeader(name, kind == FamilyKind::kUntyped     ? kTypeUntyped
                                  : kind == FamilyKind::kHistogram ? kTypeHistogram
                                                                   : kTypeGaugeHistogram);
      last_name = name;
      last_kind = kind;
    }
    AppendBytesField(&family, kFamilyMetric, EncodeMetric(ExpositionLabels(s.labels, external_labels), s));
  }
  if (!family.empty()) AppendDelimitedFamily(&body, family);
  return body;
}

}  // namespace

FederateOptions FederateOptionsFromDeps(const ApiDeps& deps) {
  FederateOptions opts;
  if (deps.engine != nullptr) {
    const promql::EngineOptions& eopts = deps.engine->options();
    if (eopts.lookback_delta_ms > 0) opts.lookback_delta_ms = eopts.lookback_delta_ms;
    if (eopts.timeout.count() > 0) opts.timeout = eopts.timeout;
    if (eopts.max_samples > 0) opts.max_series = eopts.max_samples;
  }
  return opts;
}

Result<std::string> RenderFederation(Queryable& storage, const std::vector<Matchers>& matcher_sets,
                                     const Labels& external_labels, int64_t now_ms, const FederateOptions& opts,
                                     const std::atomic<bool>* canceled) {
  if (matcher_sets.empty()) return std::string();
  int64_t mint = now_ms - opts.lookback_delta_ms;
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<Querier> querier, storage.NewQuerier(mint, now_ms));
  std::vector<FederatedSample> samples;
  PROMETHIUM_RETURN_IF_ERROR(CollectSamples(*querier, matcher_sets, mint, now_ms, opts, canceled, &samples));
  std::sort(samples.begin(), samples.end(), FederatedLess);
  // Overlapping selectors select a series more than once: keep one.
  samples.erase(std::unique(samples.begin(), samples.end(),
                            [](const FederatedSample& a, const FederatedSample& b) { return a.labels == b.labels; }),
                samples.end());

  return opts.protobuf ? RenderProtobuf(samples, external_labels) : RenderText(samples, external_labels);
}

bool AcceptsDelimitedProtobuf(std::string_view accept) {
  struct Range {
    double q = 1;
    bool protobuf = false, delimited = false, text = false;
  };
  std::vector<Range> ranges;
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  };
  for (std::string_view rest = accept; !rest.empty();) {
    const size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t semi = part.find(';');
    std::string_view type = trim(part.substr(0, semi));
    std::string_view params = semi == std::string_view::npos ? std::string_view() : part.substr(semi + 1);
    Range r;
    std::string_view proto, encoding, version;
    for (std::string_view p = params; !p.empty();) {
      const size_t next = p.find(';');
      std::string_view kv = p.substr(0, next);
      p = next == std::string_view::npos ? std::string_view() : p.substr(next + 1);
      const size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view key = trim(kv.substr(0, eq)), value = trim(kv.substr(eq + 1));
      if (key == "q") r.q = std::strtod(std::string(value).c_str(), nullptr);
      if (key == "proto") proto = value;
      if (key == "encoding") encoding = value;
      if (key == "version") version = value;
    }
    r.protobuf = type == "application/vnd.google.protobuf" && proto == "io.prometheus.client.MetricFamily";
    r.delimited = r.protobuf && encoding == "delimited";
    r.text = type == "text/plain" && (version.empty() || version == "0.0.4");
    ranges.push_back(r);
  }
  // Most preferred first; equal preferences keep their order.
  std::stable_sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.q > b.q; });
  for (const Range& r : ranges) {
    if (r.delimited) return true;
    if (r.text) return false;
  }
  return false;
}

HttpResponse ServeFederate(const ApiDeps& deps, const HttpRequest& req, int64_t now_ms,
                           const std::atomic<bool>* canceled) {
  bool head = req.method == "HEAD";
  if (req.method != "GET" && !head) {
    HttpResponse resp = PlainError(405, "Method Not Allowed");
    resp.headers.emplace_back("Allow", "GET, HEAD");
    return resp;
  }
  if (deps.ready && !deps.ready()) {
    HttpResponse resp = PlainError(503, "");
    resp.body = "Service Unavailable";  // Prometheus's readyf writes no newline
    return resp;
  }
  FormValues form = FormValues::FromRequest(req);
  if (!form.parse_error().empty()) return PlainError(400, "error parsing form values: " + form.parse_error());
  std::vector<Matchers> matcher_sets;
  for (const std::string& selector : form.GetAll("match[]")) {
    Result<Matchers> matchers = promql::ParseMetricSelector(selector);
    if (!matchers.ok()) return PlainError(400, matchers.status().message());
    matcher_sets.push_back(std::move(matchers).value());
  }
  if (deps.storage == nullptr) return PlainError(503, "unsupported: no storage configured");

  Labels external = deps.external_labels ? deps.external_labels() : Labels();
  FederateOptions opts = FederateOptionsFromDeps(deps);
  opts.protobuf = AcceptsDelimitedProtobuf(FindHeader(req.headers, "Accept"));
  Result<std::string> body = RenderFederation(*deps.storage, matcher_sets, external, now_ms, opts, canceled);
  if (!body.ok()) {
    CountFederationError(deps);
    return PlainError(HttpStatusFor(body.status()), body.status().message());
  }
  HttpResponse resp;
  resp.headers.emplace_back("Content-Type",
                            std::string(opts.protobuf ? kFederateProtobufContentType : kFederateContentType));
  if (!head) resp.body = std::move(body).value();
  return resp;
}

}  // namespace promethium::web
