#include "web/remote/write_handler.h"

#include <snappy.h>

#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/logging.h"
#include "web/remote/write_request_decoder.h"

namespace promethium::web {

namespace {

constexpr std::string_view kLog = "web";
// Prometheus rejects samples further ahead than this (maxAheadTime).
constexpr int64_t kMaxAheadMs = 10 * 60 * 1000;

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

// The series' labels as text for error messages: {a="1", b="\xff"}.
std::string DescribeLabels(const DecodedWriteRequest& req, const Series& series) {
  std::string out = "{";
  for (uint32_t i = 0; i < series.label_count; ++i) {
    const auto& l = req.labels[series.first_label + i];
    if (i > 0) out += ", ";
    out += IsValidLabelName(l.name) ? std::string(l.name) : QuoteLabelValue(l.name);
    out.push_back('=');
    out += QuoteLabelValue(l.value);
  }
  out.push_back('}');
  return out;
}

// Checks one series' labels: valid UTF-8, sorted unique names, a metric
// name. Empty values are allowed here and dropped by BuildLabels.
Status CheckLabels(const DecodedWriteRequest& req, const Series& series) {
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

// Validates the whole request before anything is appended.
Status Validate(const DecodedWriteRequest& req, int64_t now_ms) {
  for (const Series& series : req.series) {
    PROMETHIUM_RETURN_IF_ERROR(CheckLabels(req, series));
    if (series.has_histograms) {
      return Status::Unsupported("native histograms in remote write (series " + DescribeLabels(req, series) + ")");
    }
    for (uint32_t i = 0; i < series.sample_count; ++i) {
      const Sample& s = req.samples[series.first_sample + i];
      if (s.t > now_ms + kMaxAheadMs) {
        return Status::OutOfBounds("out of bounds: timestamp is too far in the future (series " +
                                   DescribeLabels(req, series) + ", timestamp " + std::to_string(s.t) + ")");
      }
    }
  }
  return Status::OK();
}

// Appends everything in one batch; any failure rolls the batch back.
Status AppendAll(Appendable* appendable, const DecodedWriteRequest& req) {
  std::unique_ptr<Appender> app = appendable->NewAppender();
  for (const Series& series : req.series) {
    if (series.sample_count == 0) continue;
    Labels labels = BuildLabels(req, series);
    SeriesRef ref = 0;
    for (uint32_t i = 0; i < series.sample_count; ++i) {
      const Sample& s = req.samples[series.first_sample + i];
      Result<SeriesRef> r = app->Append(ref, labels, s.t, s.v);
      if (!r.ok()) {
        app->Rollback().IgnoreError();  // the append error is the one the client gets
        return r.status().WithContext("series " + labels.ToString() + ", timestamp " + std::to_string(s.t));
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
    return GoHttpErrorResponse(415, "unsupported compression: " + std::string(encoding) + ". Only snappy is supported");
  }
  std::string_view type = FindHeader(req.headers, "Content-Type");
  if (type.find("io.prometheus.write.v2.Request") != std::string_view::npos) {
    return GoHttpErrorResponse(415,
                               "unsupported: remote write 2.0 (io.prometheus.write.v2.Request); send 1.0 messages");
  }
  return std::nullopt;
}

}  // namespace

HttpResponse ServeRemoteWrite(Appendable* appendable, const HttpRequest& req, int64_t now_ms) {
  if (appendable == nullptr) {
    return GoHttpErrorResponse(404,
                               "remote write receiver needs to be enabled with --web.enable-remote-write-receiver");
  }
  if (std::optional<HttpResponse> refused = CheckHeaders(req)) return *refused;
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
  DecodedWriteRequest wr;
  Status parsed = DecodeWriteRequest(decoded, &wr);
  if (!parsed.ok()) return GoHttpErrorResponse(400, parsed.message());
  Status valid = Validate(wr, now_ms);
  if (!valid.ok()) {
    LogWarn(kLog, "Rejected remote write request: err={}", valid.message());
    return GoHttpErrorResponse(400, valid.message());
  }
  Status s = AppendAll(appendable, wr);
  if (!s.ok()) {
    bool bad_request = s.code() == Status::Code::kOutOfOrder || s.code() == Status::Code::kOutOfBounds ||
                       s.code() == Status::Code::kDuplicate;
    if (bad_request) {
      LogWarn(kLog, "Out of order sample from remote write: err={}", s.message());
    } else {
      LogError(kLog, "Error appending remote write: err={}", s.message());
    }
    return GoHttpErrorResponse(bad_request ? 400 : 500, s.message());
  }
  HttpResponse resp;
  resp.status = 204;
  return resp;
}

}  // namespace promethium::web
