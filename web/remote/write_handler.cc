#include "web/remote/write_handler.h"

#include <snappy.h>

#include <fmt/format.h>

#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/logging.h"
#include "web/remote/write_request_decoder.h"

namespace promethium::web {

namespace {

constexpr std::string_view kLog = "web";
// Prometheus rejects samples further ahead than this (maxAheadTime).
constexpr int64_t kMaxAheadMs = 10 * 60 * 1000;
// The finest exponential schema Prometheus accepts on the wire (it reduces
// 9..52 to 8; ExponentialSchemaMaxReserved).
constexpr int32_t kMaxReservedExponentialSchema = 52;

// What a 2.0 answer reports as written.
struct RemoteWriteStats {
  int64_t samples = 0;
  int64_t histograms = 0;
  int64_t exemplars = 0;
};

// Exemplars the storage refused in one request. Prometheus never fails a
// 1.0 request for them (exemplar storage is experimental there), and in 2.0
// only out-of-order ones and unparsable labels are reported to the sender.
struct ExemplarErrors {
  int64_t out_of_order = 0;
  int64_t other = 0;
  std::string first_other;  // the first non-out-of-order error, for the log

  void Log() const {
    if (out_of_order > 0) LogWarn(kLog, "Error on ingesting out-of-order exemplars num_dropped={}", out_of_order);
    if (other > 0) {
      LogWarn(kLog, "Error on ingesting exemplars from remote write num_dropped={} first_err={}", other, first_other);
    }
  }
};

// ASCII fast path: eight bytes at a time while no byte has its top bit set.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i + 8 <= s.size()) {
    uint64_t chunk;
    std::memcpy(&chunk, s.data() + i, 8);
    if ((chunk & 0x8080808080808080ULL) != 0) break;
    i += 8;
  }
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    static constexpr uint32_t kMinForLen[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLen[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

using Series = DecodedWriteRequest::Series;
using HistogramSample = DecodedWriteRequest::HistogramSample;

// Values longer than this are cut in error messages.
constexpr size_t kMaxValueInError = 64;

std::string QuoteForError(std::string_view value) {
  if (value.size() <= kMaxValueInError) return QuoteLabelValue(value);
  return QuoteLabelValue(value.substr(0, kMaxValueInError)) + "...";
}

// The series' labels as text for error messages: {a="1", b="\xff"}.
std::string DescribeLabels(const DecodedWriteRequest& req, const Series& series) {
  std::string out = "{";
  for (uint32_t i = 0; i < series.label_count; ++i) {
    const auto& l = req.labels[series.first_label + i];
    if (i > 0) out += ", ";
    out += IsValidLabelName(l.name) ? std::string(l.name) : QuoteForError(l.name);
    out.push_back('=');
    out += QuoteForError(l.value);
  }
  out.push_back('}');
  return out;
}

Status CheckLabelLengths(const DecodedWriteRequest& req, const Series& series, const DecodedWriteRequest::LabelView& l,
                         const RemoteWriteLimits& limits) {
  if (limits.label_name_length_limit > 0 && l.name.size() > limits.label_name_length_limit) {
    return Status::InvalidArgument(fmt::format(
        "label name {} is {} bytes long, above the limit of {} (--web.remote-write-receiver.label-name-length-limit), "
        "in series {}",
        QuoteForError(l.name), l.name.size(), limits.label_name_length_limit, DescribeLabels(req, series)));
  }
  if (limits.label_value_length_limit > 0 && l.value.size() > limits.label_value_length_limit) {
    return Status::InvalidArgument(fmt::format(
        "value of label {} is {} bytes long, above the limit of {} "
        "(--web.remote-write-receiver.label-value-length-limit), in series {}",
        QuoteForError(l.name), l.value.size(), limits.label_value_length_limit, DescribeLabels(req, series)));
  }
  return Status::OK();
}

// Checks one series' labels: references resolved (2.0), valid UTF-8,
// sorted unique names, a metric name, lengths within the limits. Empty
// values are allowed here and dropped by BuildLabels.
Status CheckLabels(const DecodedWriteRequest& req, const Series& series, const RemoteWriteLimits& limits) {
  if (series.label_error != nullptr) {
    return Status::InvalidArgument(std::string("parsing labels: ") + series.label_error);
  }
  std::string_view prev;
  bool has_name = false;
  for (uint32_t i = 0; i < series.label_count; ++i) {
    const auto& l = req.labels[series.first_label + i];
    if (l.name.empty() || !IsValidUtf8(l.name) || !IsValidUtf8(l.value)) {
      return Status::InvalidArgument("invalid label name or value in series with labels " +
                                     DescribeLabels(req, series));
    }
    if (i > 0 && l.name <= prev) {
      return Status::InvalidArgument(std::string(l.name == prev ? "duplicate label name " : "labels not sorted at ") +
                                     "\"" + std::string(l.name) + "\"");
    }
    PROMETHIUM_RETURN_IF_ERROR(CheckLabelLengths(req, series, l, limits));
    prev = l.name;
    if (l.name == kMetricName && !l.value.empty()) has_name = true;
  }
  if (!has_name) return Status::InvalidArgument("series without metric name: " + DescribeLabels(req, series));
  return Status::OK();
}

Labels BuildLabels(const DecodedWriteRequest& req, const Series& series) {
  std::vector<Label> out;
  out.reserve(series.label_count);
  for (uint32_t i = 0; i < series.label_count; ++i) {
    const auto& l = req.labels[series.first_label + i];
    if (!l.value.empty()) out.push_back(Label{std::string(l.name), std::string(l.value)});
  }
  return Labels::FromSortedUnchecked(std::move(out));
}

Status TooFarAhead(const std::string& series, int64_t t) {
  return Status::OutOfBounds("out of bounds: timestamp is too far in the future (series " + series + ", timestamp " +
                             std::to_string(t) + ")");
}

// The integer histogram with its absolute counts `fh` (integral values)
// put back as deltas.
void SetIntegerBuckets(const FloatHistogram& fh, Histogram* h) {
  auto deltas = [](const std::vector<double>& counts) {
    std::vector<int64_t> out;
    out.reserve(counts.size());
    int64_t prev = 0;
    for (double c : counts) {
      const auto abs = static_cast<int64_t>(c);
      out.push_back(abs - prev);
      prev = abs;
    }
    return out;
  };
  h->schema = fh.schema;
  h->positive_spans = fh.positive_spans;
  h->negative_spans = fh.negative_spans;
  h->positive_buckets = deltas(fh.positive_buckets);
  h->negative_buckets = deltas(fh.negative_buckets);
}

// Prepares a histogram as Prometheus's receiver and head do: schemas finer
// than the finest stored one (9..52) reduced to 8, then Validate. Failures
// are InvalidArgument (a bad request), naming the series.
Status PrepareHistogram(HistogramSample* hs, const std::string& series) {
  const int32_t schema = hs->is_float ? hs->fh.schema : hs->h.schema;
  if (schema > kMaxExponentialSchema && schema <= kMaxReservedExponentialSchema) {
    if (hs->is_float) {
      hs->fh.ReduceResolution(kMaxExponentialSchema);
    } else {
      // Summing integer counts is exact in doubles far beyond any real count.
      FloatHistogram reduced = hs->h.ToFloat();
      reduced.ReduceResolution(kMaxExponentialSchema);
      SetIntegerBuckets(reduced, &hs->h);
    }
  }
  Status valid = hs->is_float ? hs->fh.Validate() : hs->h.Validate();
  if (!valid.ok()) {
    return Status::InvalidArgument(valid.message() + " (series " + series + ", timestamp " + std::to_string(hs->t) +
                                   ")");
  }
  return Status::OK();
}

// Validates the whole 1.0 request before anything is appended.
Status ValidateV1(DecodedWriteRequest* req, int64_t now_ms, const RemoteWriteLimits& limits) {
  for (const Series& series : req->series) {
    PROMETHIUM_RETURN_IF_ERROR(CheckLabels(*req, series, limits));
    for (uint32_t i = 0; i < series.sample_count; ++i) {
      const Sample& s = req->samples[series.first_sample + i];
      if (s.t > now_ms + kMaxAheadMs) return TooFarAhead(DescribeLabels(*req, series), s.t);
    }
    for (uint32_t i = 0; i < series.histogram_count; ++i) {
      HistogramSample& hs = req->histograms[series.first_histogram + i];
      if (hs.t > now_ms + kMaxAheadMs) return TooFarAhead(DescribeLabels(*req, series), hs.t);
      PROMETHIUM_RETURN_IF_ERROR(PrepareHistogram(&hs, DescribeLabels(*req, series)));
    }
  }
  return Status::OK();
}

Result<SeriesRef> AppendHistogramSample(Appender* app, SeriesRef ref, const Labels& labels, const HistogramSample& hs) {
  return hs.is_float ? app->AppendHistogram(ref, labels, hs.t, nullptr, &hs.fh)
                     : app->AppendHistogram(ref, labels, hs.t, &hs.h, nullptr);
}

Status WithSeries(const Status& s, const Labels& labels, int64_t t) {
  return s.WithContext("series " + labels.ToString() + ", timestamp " + std::to_string(t));
}

Exemplar BuildExemplar(const DecodedWriteRequest& req, const DecodedWriteRequest::ExemplarView& ev) {
  LabelsBuilder lb;
  for (uint32_t i = 0; i < ev.label_count; ++i) {
    const auto& l = req.exemplar_labels[ev.first_label + i];
    lb.Set(std::string(l.name), std::string(l.value));
  }
  return Exemplar{lb.Build(), ev.value, ev.t};
}

// Appends one exemplar of a series (ref: what the series' samples got),
// bounded in time as samples are (Prometheus's remoteWriteAppender). A
// duplicate of the series' newest exemplar is not an error (the head drops
// it silently in Prometheus).
Status AppendOneExemplar(Appender* app, SeriesRef ref, const Labels& labels, const Exemplar& e, int64_t now_ms) {
  if (e.ts > now_ms + kMaxAheadMs) return TooFarAhead(labels.ToString(), e.ts);
  Result<SeriesRef> r = app->AppendExemplar(ref, labels, e);
  if (!r.ok() && r.status().code() != Status::Code::kDuplicate) return r.status();
  return Status::OK();
}

// TooFarAhead already names the series and timestamp; other errors do not.
std::string ExemplarErrorText(const Status& s, const Labels& labels, int64_t t) {
  return s.code() == Status::Code::kOutOfBounds ? s.message() : WithSeries(s, labels, t).message();
}

// Appends the exemplars of a 1.0 series; failures are counted, never fatal.
void AppendExemplarsV1(Appender* app, SeriesRef ref, const Labels& labels, const DecodedWriteRequest& req,
                       const Series& series, int64_t now_ms, ExemplarErrors* errors) {
  for (uint32_t i = 0; i < series.exemplar_count; ++i) {
    const Exemplar e = BuildExemplar(req, req.exemplars[series.first_exemplar + i]);
    const Status s = AppendOneExemplar(app, ref, labels, e, now_ms);
    if (s.ok()) continue;
    if (s.code() == Status::Code::kOutOfOrder) {
      ++errors->out_of_order;
    } else if (errors->other++ == 0) {
      errors->first_other = ExemplarErrorText(s, labels, e.ts);
    }
  }
}

// Appends everything in one batch; any sample or histogram failure rolls
// the batch back (exemplar failures are only counted in *exemplar_errors).
Status AppendAllV1(Appendable* appendable, const DecodedWriteRequest& req, int64_t now_ms,
                   ExemplarErrors* exemplar_errors) {
  std::unique_ptr<Appender> app = appendable->NewAppender();
  Status failed;
  for (const Series& series : req.series) {
    if (series.sample_count == 0 && series.histogram_count == 0 && series.exemplar_count == 0) continue;
    Labels labels = BuildLabels(req, series);
    SeriesRef ref = 0;
    for (uint32_t i = 0; i < series.sample_count; ++i) {
      const Sample& s = req.samples[series.first_sample + i];
      Result<SeriesRef> r = app->Append(ref, labels, s.t, s.v);
      if (!r.ok()) {
        failed = WithSeries(r.status(), labels, s.t);
        break;
      }
      ref = *r;
    }
    for (uint32_t i = 0; i < series.histogram_count && failed.ok(); ++i) {
      const HistogramSample& hs = req.histograms[series.first_histogram + i];
      Result<SeriesRef> r = AppendHistogramSample(app.get(), ref, labels, hs);
      if (!r.ok()) {
        failed = WithSeries(r.status(), labels, hs.t);
        break;
      }
      ref = *r;
    }
    if (!failed.ok()) {
      app->Rollback().IgnoreError();  // the append error is the one the client gets
      return failed;
    }
    AppendExemplarsV1(app.get(), ref, labels, req, series, now_ms, exemplar_errors);
  }
  return app->Commit();
}

// Errors the sender should not retry (Prometheus answers them with 400):
// the sample can never be stored, whatever the retry.
bool IsBadRequest(const Status& s) {
  return s.code() == Status::Code::kOutOfOrder || s.code() == Status::Code::kOutOfBounds ||
         s.code() == Status::Code::kDuplicate || s.code() == Status::Code::kInvalidArgument;
}

HttpResponse AppendErrorResponse(const Status& s) {
  const bool bad_request = IsBadRequest(s);
  if (bad_request) {
    LogWarn(kLog, "Out of order sample from remote write: err={}", s.message());
  } else {
    LogError(kLog, "Error appending remote write: err={}", s.message());
  }
  return GoHttpErrorResponse(bad_request ? 400 : 500, s.message());
}

HttpResponse ServeV1(Appendable* appendable, DecodedWriteRequest* wr, int64_t now_ms, const RemoteWriteLimits& limits) {
  Status valid = ValidateV1(wr, now_ms, limits);
  if (!valid.ok()) {
    LogWarn(kLog, "Rejected remote write request: err={}", valid.message());
    return GoHttpErrorResponse(400, valid.message());
  }
  ExemplarErrors exemplar_errors;
  Status s = AppendAllV1(appendable, *wr, now_ms, &exemplar_errors);
  exemplar_errors.Log();
  if (!s.ok()) return AppendErrorResponse(s);
  HttpResponse resp;
  resp.status = 204;
  return resp;
}

// Appends the exemplars of a 2.0 series as Prometheus's 2.0 handler: labels
// that do not resolve and out-of-order exemplars are reported to the sender
// (in *bad); other refusals are only counted; none ends the request.
void AppendExemplarsV2(Appender* app, SeriesRef ref, const Labels& labels, const DecodedWriteRequest& req,
                       const Series& series, int64_t now_ms, RemoteWriteStats* written, std::vector<std::string>* bad,
                       ExemplarErrors* errors) {
  for (uint32_t i = 0; i < series.exemplar_count; ++i) {
    const DecodedWriteRequest::ExemplarView& ev = req.exemplars[series.first_exemplar + i];
    if (ev.label_error != nullptr) {
      bad->push_back("parsing exemplar for series " + labels.ToString() + ": " + ev.label_error);
      continue;
    }
    const Exemplar e = BuildExemplar(req, ev);
    const Status s = AppendOneExemplar(app, ref, labels, e, now_ms);
    if (s.ok()) {
      ++written->exemplars;
    } else if (s.code() == Status::Code::kOutOfOrder) {
      ++errors->out_of_order;
      bad->push_back(s.message() + " for series " + labels.ToString());
    } else if (errors->other++ == 0) {
      errors->first_other = ExemplarErrorText(s, labels, e.ts);
    }
  }
}

// Appends one 2.0 series, keeping what Prometheus keeps: a refused sample
// (bad request) is recorded in *bad and skipped; any other error is
// returned and ends the request.
Status AppendSeriesV2(Appender* app, const DecodedWriteRequest& req, const Series& series, int64_t now_ms,
                      RemoteWriteStats* written, std::vector<std::string>* bad, ExemplarErrors* exemplar_errors) {
  const Labels labels = BuildLabels(req, series);
  auto refused = [&](const Status& s) {
    if (!IsBadRequest(s)) return false;
    bad->push_back(s.message());
    return true;
  };
  SeriesRef ref = 0;
  for (uint32_t i = 0; i < series.sample_count; ++i) {
    const Sample& s = req.samples[series.first_sample + i];
    Result<SeriesRef> r = s.t > now_ms + kMaxAheadMs ? Result<SeriesRef>(TooFarAhead(labels.ToString(), s.t))
                                                     : app->Append(ref, labels, s.t, s.v);
    if (r.ok()) {
      ref = *r;
      ++written->samples;
    } else if (!refused(WithSeries(r.status(), labels, s.t))) {
      return WithSeries(r.status(), labels, s.t);
    }
  }
  for (uint32_t i = 0; i < series.histogram_count; ++i) {
    HistogramSample hs = req.histograms[series.first_histogram + i];
    Status prepared =
        hs.t > now_ms + kMaxAheadMs ? TooFarAhead(labels.ToString(), hs.t) : PrepareHistogram(&hs, labels.ToString());
    if (!prepared.ok()) {
      bad->push_back(prepared.message());
      continue;
    }
    Result<SeriesRef> r = AppendHistogramSample(app, ref, labels, hs);
    if (r.ok()) {
      ref = *r;
      ++written->histograms;
    } else if (!refused(WithSeries(r.status(), labels, hs.t))) {
      return WithSeries(r.status(), labels, hs.t);
    }
  }
  AppendExemplarsV2(app, ref, labels, req, series, now_ms, written, bad, exemplar_errors);
  return Status::OK();
}

void SetWrittenHeaders(const RemoteWriteStats& written, HttpResponse* resp) {
  resp->headers.emplace_back("X-Prometheus-Remote-Write-Samples-Written", std::to_string(written.samples));
  resp->headers.emplace_back("X-Prometheus-Remote-Write-Histograms-Written", std::to_string(written.histograms));
  resp->headers.emplace_back("X-Prometheus-Remote-Write-Exemplars-Written", std::to_string(written.exemplars));
}

HttpResponse ServeV2(Appendable* appendable, const DecodedWriteRequest& wr, int64_t now_ms,
                     const RemoteWriteLimits& limits) {
  std::unique_ptr<Appender> app = appendable->NewAppender();
  RemoteWriteStats written;
  std::vector<std::string> bad;
  ExemplarErrors exemplar_errors;
  for (const Series& series : wr.series) {
    if (Status labels = CheckLabels(wr, series, limits); !labels.ok()) {
      bad.push_back(labels.message());
      continue;
    }
    if (series.sample_count == 0 && series.histogram_count == 0) {
      bad.push_back("TimeSeries must contain at least one sample or histogram for series " +
                    DescribeLabels(wr, series));
      continue;
    }
    if (Status s = AppendSeriesV2(app.get(), wr, series, now_ms, &written, &bad, &exemplar_errors); !s.ok()) {
      app->Rollback().IgnoreError();  // the append error is the one the client gets
      return AppendErrorResponse(s);
    }
  }
  exemplar_errors.Log();
  if (Status s = app->Commit(); !s.ok()) return AppendErrorResponse(s);
  HttpResponse resp;
  resp.status = 204;
  if (!bad.empty()) {
    std::string text;
    for (const std::string& b : bad) text += (text.empty() ? "" : "\n") + b;
    LogWarn(kLog, "Rejected part of a remote write 2.0 request: err={}", text);
    resp = GoHttpErrorResponse(400, text);
  }
  SetWrittenHeaders(written, &resp);
  return resp;
}

enum class WireVersion { kV1, kV2 };

// Checks Content-Encoding and Content-Type and picks the message type by the
// type's proto= parameter (absent: 1.0); returns a response on refusal.
std::variant<WireVersion, HttpResponse> CheckHeaders(const HttpRequest& req) {
  std::string_view encoding = FindHeader(req.headers, "Content-Encoding");
  if (!encoding.empty() && encoding != "snappy") {
    return GoHttpErrorResponse(415, "unsupported compression: " + std::string(encoding) + ". Only snappy is supported");
  }
  std::string_view type = FindHeader(req.headers, "Content-Type");
  const size_t proto = type.find("proto=");
  if (proto == std::string_view::npos) return WireVersion::kV1;
  std::string_view message = type.substr(proto + 6);
  message = message.substr(0, message.find(';'));
  while (!message.empty() && message.back() == ' ') message.remove_suffix(1);
  if (message == "prometheus.WriteRequest") return WireVersion::kV1;
  if (message == "io.prometheus.write.v2.Request") return WireVersion::kV2;
  return GoHttpErrorResponse(415, "unknown remote write protobuf message " + std::string(message) +
                                      ", supported: prometheus.WriteRequest, io.prometheus.write.v2.Request");
}

}  // namespace

HttpResponse ServeRemoteWrite(Appendable* appendable, const HttpRequest& req, int64_t now_ms,
                              const RemoteWriteLimits& limits) {
  if (appendable == nullptr) {
    return GoHttpErrorResponse(404,
                               "remote write receiver needs to be enabled with --web.enable-remote-write-receiver");
  }
  std::variant<WireVersion, HttpResponse> version = CheckHeaders(req);
  if (HttpResponse* refused = std::get_if<HttpResponse>(&version)) return std::move(*refused);
  size_t decoded_size = 0;
  if (!snappy::GetUncompressedLength(req.body.data(), req.body.size(), &decoded_size)) {
    return GoHttpErrorResponse(400, "snappy: corrupt input");
  }
  if (decoded_size > kMaxRemoteWriteDecodedBytes) {
    return GoHttpErrorResponse(
        400, "decompressed remote write request too large: " + std::to_string(decoded_size) + " bytes");
  }
  // The declared length is only a claim: a few bytes may declare hundreds of
  // MiB. Validating the stream first costs no memory, so a forged header
  // cannot make us allocate the claimed size.
  std::string decoded;
  if (!snappy::IsValidCompressedBuffer(req.body.data(), req.body.size()) ||
      !snappy::Uncompress(req.body.data(), req.body.size(), &decoded)) {
    return GoHttpErrorResponse(400, "snappy: corrupt input");
  }
  const bool v2 = std::get<WireVersion>(version) == WireVersion::kV2;
  DecodedWriteRequest wr;
  Status parsed = v2 ? DecodeWriteRequestV2(decoded, &wr) : DecodeWriteRequest(decoded, &wr);
  if (!parsed.ok()) return GoHttpErrorResponse(400, parsed.message());
  return v2 ? ServeV2(appendable, wr, now_ms, limits) : ServeV1(appendable, &wr, now_ms, limits);
}

}  // namespace promethium::web
