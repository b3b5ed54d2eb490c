#include "web/remote/write_handler.h"

#include <snappy.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/logging.h"
#include "web/remote/remote.pb.h"

namespace promethium::web {

namespace {

constexpr std::string_view kLog = "web";
// Prometheus rejects samples further ahead than this (maxAheadTime).
constexpr int64_t kMaxAheadMs = 10 * 60 * 1000;

// Go's http.Error: the text plus a newline, and nosniff.
HttpResponse PlainError(int status, std::string_view text) {
  HttpResponse resp;
  resp.status = status;
  resp.headers = {{"Content-Type", "text/plain; charset=utf-8"}, {"X-Content-Type-Options", "nosniff"}};
  resp.body = std::string(text) + "\n";
  return resp;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
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

struct DecodedSeries {
  Labels labels;
  std::vector<Sample> samples;
};

// Validates one series' labels and turns them into Labels. Labels with an
// empty value are dropped (an empty value means "absent" in Prometheus).
Result<Labels> ConvertLabels(const prometheus::TimeSeries& ts) {
  std::vector<Label> out;
  out.reserve(ts.labels_size());
  std::string_view prev;
  for (int i = 0; i < ts.labels_size(); ++i) {
    const prometheus::Label& l = ts.labels(i);
    if (l.name().empty() || !IsValidUtf8(l.name()) || !IsValidUtf8(l.value())) {
      return Status::InvalidArgument("invalid label name or value in series with labels " + ts.ShortDebugString());
    }
    if (i > 0 && l.name() <= prev) {
      return Status::InvalidArgument(std::string(l.name() == prev ? "duplicate label name " : "labels not sorted at ") +
                                     "\"" + l.name() + "\"");
    }
    prev = l.name();
    if (!l.value().empty()) out.push_back(Label{l.name(), l.value()});
  }
  Labels labels = Labels::FromSortedUnchecked(std::move(out));
  if (labels.MetricName().empty()) {
    return Status::InvalidArgument("series without metric name: " + labels.ToString());
  }
  return labels;
}

Result<std::vector<DecodedSeries>> Validate(const prometheus::WriteRequest& wr, int64_t now_ms) {
  std::vector<DecodedSeries> out;
  out.reserve(wr.timeseries_size());
  for (const prometheus::TimeSeries& ts : wr.timeseries()) {
    PROMETHIUM_ASSIGN_OR_RETURN(Labels labels, ConvertLabels(ts));
    if (ts.histograms_size() > 0) {
      return Status::Unsupported("native histograms in remote write (series " + labels.ToString() + ")");
    }
    DecodedSeries series{std::move(labels), {}};
    series.samples.reserve(ts.samples_size());
    for (const prometheus::Sample& s : ts.samples()) {
      if (s.timestamp() > now_ms + kMaxAheadMs) {
        return Status::OutOfBounds("out of bounds: timestamp is too far in the future (series " +
                                   series.labels.ToString() + ", timestamp " + std::to_string(s.timestamp()) + ")");
      }
      series.samples.push_back(Sample{s.timestamp(), s.value()});
    }
    out.push_back(std::move(series));
  }
  return out;
}

// Appends everything in one batch; any failure rolls the batch back.
Status AppendAll(Appendable* appendable, const std::vector<DecodedSeries>& batch) {
  std::unique_ptr<Appender> app = appendable->NewAppender();
  for (const DecodedSeries& series : batch) {
    SeriesRef ref = 0;
    for (const Sample& s : series.samples) {
      Result<SeriesRef> r = app->Append(ref, series.labels, s.t, s.v);
      if (!r.ok()) {
        (void)app->Rollback();
        return r.status().WithContext("series " + series.labels.ToString() + ", timestamp " + std::to_string(s.t));
      }
      ref = *r;
    }
  }
  return app->Commit();
}

// Checks Content-Encoding and Content-Type; returns a response on refusal.
std::optional<HttpResponse> CheckHeaders(const HttpRequest& req) {
  std::string_view encoding = FindHeader(req.headers, "Content-Encoding");
  if (!encoding.empty() && encoding != "snappy") {
    return PlainError(415, "unsupported compression: " + std::string(encoding) + ". Only snappy is supported");
  }
  std::string_view type = FindHeader(req.headers, "Content-Type");
  if (type.find("io.prometheus.write.v2.Request") != std::string_view::npos) {
    return PlainError(415, "unsupported: remote write 2.0 (io.prometheus.write.v2.Request); send 1.0 messages");
  }
  return std::nullopt;
}

}  // namespace

HttpResponse ServeRemoteWrite(Appendable* appendable, const HttpRequest& req, int64_t now_ms) {
  if (appendable == nullptr) {
    return PlainError(404, "remote write receiver needs to be enabled with --web.enable-remote-write-receiver");
  }
  if (std::optional<HttpResponse> refused = CheckHeaders(req)) return *refused;
  size_t decoded_size = 0;
  if (!snappy::GetUncompressedLength(req.body.data(), req.body.size(), &decoded_size)) {
    return PlainError(400, "snappy: corrupt input");
  }
  if (decoded_size > kMaxRemoteWriteDecodedBytes) {
    return PlainError(400, "decompressed remote write request too large: " + std::to_string(decoded_size) + " bytes");
  }
  std::string decoded;
  if (!snappy::Uncompress(req.body.data(), req.body.size(), &decoded)) {
    return PlainError(400, "snappy: corrupt input");
  }
  prometheus::WriteRequest wr;
  if (!wr.ParseFromString(decoded)) return PlainError(400, "proto: cannot parse invalid wire-format data");

  Result<std::vector<DecodedSeries>> batch = Validate(wr, now_ms);
  if (!batch.ok()) {
    LogWarn(kLog, "Rejected remote write request: err={}", batch.status().message());
    return PlainError(400, batch.status().message());
  }
  Status s = AppendAll(appendable, *batch);
  if (!s.ok()) {
    bool bad_request = s.code() == Status::Code::kOutOfOrder || s.code() == Status::Code::kOutOfBounds ||
                       s.code() == Status::Code::kDuplicate;
    if (bad_request) {
      LogWarn(kLog, "Out of order sample from remote write: err={}", s.message());
    } else {
      LogError(kLog, "Error appending remote write: err={}", s.message());
    }
    return PlainError(bad_request ? 400 : 500, s.message());
  }
  HttpResponse resp;
  resp.status = 204;
  return resp;
}

}  // namespace promethium::web
