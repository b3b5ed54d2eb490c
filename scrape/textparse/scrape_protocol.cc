#include "scrape/textparse/scrape_protocol.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace promethium::scrape {
namespace {

struct ProtocolInfo {
  ScrapeProtocol protocol;
  std::string_view name;
  std::string_view header;
};

constexpr std::array<ProtocolInfo, 5> kProtocols = {{
    {ScrapeProtocol::kPrometheusProto, "PrometheusProto",
     "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"},
    {ScrapeProtocol::kPrometheusText0_0_4, "PrometheusText0.0.4", "text/plain;version=0.0.4"},
    {ScrapeProtocol::kPrometheusText1_0_0, "PrometheusText1.0.0", "text/plain;version=1.0.0"},
    {ScrapeProtocol::kOpenMetricsText0_0_1, "OpenMetricsText0.0.1", "application/openmetrics-text;version=0.0.1"},
    {ScrapeProtocol::kOpenMetricsText1_0_0, "OpenMetricsText1.0.0", "application/openmetrics-text;version=1.0.0"},
}};

// The escaping scheme for legacy (non-UTF-8) metric names.
constexpr std::string_view kEscaping = "underscores";

const ProtocolInfo& Info(ScrapeProtocol p) {
  for (const ProtocolInfo& i : kProtocols) {
    if (i.protocol == p) return i;
  }
  return kProtocols[0];  // unreachable: every enumerator is listed
}

// RFC 2045 token characters (what Go's mime package accepts).
bool IsTokenChar(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// The lower-cased "type/subtype" of a Content-Type, or nullopt when it is
// not one. Parameters are not validated.
std::optional<std::string> MediaType(std::string_view content_type) {
  std::string_view mt = content_type.substr(0, content_type.find(';'));
  while (!mt.empty() && (mt.front() == ' ' || mt.front() == '\t')) mt.remove_prefix(1);
  while (!mt.empty() && (mt.back() == ' ' || mt.back() == '\t')) mt.remove_suffix(1);
  size_t slash = mt.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == mt.size()) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < mt.size(); ++i) {
    char c = mt[i];
    if (i != slash && !IsTokenChar(c)) return std::nullopt;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

Result<FormatChoice> FormatOfMediaType(std::string_view media_type) {
  if (media_type == "application/openmetrics-text") return FormatChoice{ExpositionFormat::kOpenMetrics, ""};
  if (media_type == "text/plain") return FormatChoice{ExpositionFormat::kPrometheusText, ""};
  return FormatChoice{ExpositionFormat::kProtobuf, ""};  // application/vnd.google.protobuf
}

}  // namespace

std::string_view ScrapeProtocolName(ScrapeProtocol p) { return Info(p).name; }
std::string_view ScrapeProtocolHeader(ScrapeProtocol p) { return Info(p).header; }

bool ParseScrapeProtocolName(std::string_view name, ScrapeProtocol* out) {
  for (const ProtocolInfo& i : kProtocols) {
    if (i.name == name) {
      *out = i.protocol;
      return true;
    }
  }
  return false;
}

std::string SupportedScrapeProtocolNames() {
  std::vector<std::string_view> names;
  for (const ProtocolInfo& i : kProtocols) names.push_back(i.name);
  std::sort(names.begin(), names.end());
  return fmt::format("[{}]", fmt::join(names, " "));
}

const std::vector<ScrapeProtocol>& DefaultScrapeProtocols() {
  static const std::vector<ScrapeProtocol> kDefault = {
      ScrapeProtocol::kOpenMetricsText1_0_0, ScrapeProtocol::kOpenMetricsText0_0_1,
      ScrapeProtocol::kPrometheusText1_0_0, ScrapeProtocol::kPrometheusText0_0_4};
  return kDefault;
}

const std::vector<ScrapeProtocol>& DefaultProtoFirstScrapeProtocols() {
  static const std::vector<ScrapeProtocol> kProtoFirst = {
      ScrapeProtocol::kPrometheusProto, ScrapeProtocol::kOpenMetricsText1_0_0, ScrapeProtocol::kOpenMetricsText0_0_1,
      ScrapeProtocol::kPrometheusText1_0_0, ScrapeProtocol::kPrometheusText0_0_4};
  return kProtoFirst;
}

std::string ScrapeAcceptHeader(const std::vector<ScrapeProtocol>& protocols) {
  const std::vector<ScrapeProtocol>& list = protocols.empty() ? DefaultScrapeProtocols() : protocols;
  // q-values count down from 0.<n+1>, n being the number of known protocols.
  size_t weight = kProtocols.size() + 1;
  std::string out;
  for (ScrapeProtocol p : list) {
    out += Info(p).header;
    // Only the 1.0.0 text formats define the escaping parameter.
    if (p == ScrapeProtocol::kPrometheusText1_0_0 || p == ScrapeProtocol::kOpenMetricsText1_0_0) {
      out += fmt::format(";escaping={}", kEscaping);
    }
    out += fmt::format(";q=0.{},", weight);
    if (weight > 1) --weight;
  }
  out += fmt::format("*/*;q=0.{}", weight);
  return out;
}

Result<FormatChoice> SelectExpositionFormat(std::string_view content_type, std::optional<ScrapeProtocol> fallback) {
  auto use_fallback = [&](std::string warning) -> Result<FormatChoice> {
    PROMETHIUM_ASSIGN_OR_RETURN(FormatChoice choice, FormatOfMediaType(*MediaType(Info(*fallback).header)));
    choice.warning = std::move(warning);
    return choice;
  };
  if (content_type.empty()) {
    if (!fallback) {
      return Status::InvalidArgument(
          "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for "
          "target");
    }
    return use_fallback(
        fmt::format("non-compliant scrape target sending blank Content-Type, using "
                    "fallback_scrape_protocol \"{}\"",
                    *MediaType(Info(*fallback).header)));
  }
  std::optional<std::string> media_type = MediaType(content_type);
  if (!media_type) {
    if (!fallback) {
      return Status::InvalidArgument(
          fmt::format("cannot parse Content-Type \"{}\" and no fallback_scrape_protocol for target", content_type));
    }
    return use_fallback(
        fmt::format("could not parse received Content-Type \"{}\", using fallback_scrape_protocol \"{}\"", content_type,
                    *MediaType(Info(*fallback).header)));
  }
  if (*media_type == "application/openmetrics-text" || *media_type == "text/plain" ||
      *media_type == "application/vnd.google.protobuf") {
    return FormatOfMediaType(*media_type);
  }
  if (!fallback) {
    return Status::InvalidArgument(fmt::format(
        "received unsupported Content-Type \"{}\" and no fallback_scrape_protocol specified for target", content_type));
  }
  return use_fallback(fmt::format("received unsupported Content-Type \"{}\", using fallback_scrape_protocol \"{}\"",
                                  content_type, *MediaType(Info(*fallback).header)));
}

}  // namespace promethium::scrape
