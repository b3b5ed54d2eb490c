// Scrape protocols: the exposition formats a scrape may ask for
// (Prometheus's config.ScrapeProtocol), the Accept header built from a
// job's `scrape_protocols`, and the choice of parser from a response's
// Content-Type (Prometheus's textparse.New / extractMediaType).
//
// Negotiation as in Prometheus 3.x: the Accept header lists the protocols in
// preference order with q-values 0.6, 0.5, ... (one step per protocol, from
// len(all protocols)+1), then "*/*" with the next q-value. The default list
// is OpenMetricsText1.0.0, OpenMetricsText0.0.1, PrometheusText1.0.0,
// PrometheusText0.0.4. The response's media type picks the parser:
// application/openmetrics-text -> OpenMetrics, text/plain -> text format;
// a missing, unparsable or unknown Content-Type uses the job's
// fallback_scrape_protocol, or fails the scrape with Prometheus's message.
// Promethium parses only legacy metric and label names, so it requests the
// `escaping=underscores` scheme (Prometheus does the same when its name
// validation is legacy; with UTF-8 validation it sends allow-utf-8).
// application/vnd.google.protobuf -> the protobuf parser (PrometheusProto,
// protobuf_parser.h). Jobs with scrape_native_histograms and no
// scrape_protocols ask for DefaultProtoFirstScrapeProtocols(), as
// Prometheus 3.x does.
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/base/result.h"

namespace promethium::scrape {

enum class ScrapeProtocol {
  kPrometheusProto,
  kPrometheusText0_0_4,
  kPrometheusText1_0_0,
  kOpenMetricsText0_0_1,
  kOpenMetricsText1_0_0,
};

// The config spelling, e.g. "OpenMetricsText1.0.0".
std::string_view ScrapeProtocolName(ScrapeProtocol p);
// Exact (case-sensitive) config spelling to protocol; false if unknown.
bool ParseScrapeProtocolName(std::string_view name, ScrapeProtocol* out);
// "[OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto ...]": the
// sorted names, as Prometheus lists them in "unknown scrape protocol" errors.
std::string SupportedScrapeProtocolNames();
// The media type with parameters, e.g. "text/plain;version=0.0.4".
std::string_view ScrapeProtocolHeader(ScrapeProtocol p);

const std::vector<ScrapeProtocol>& DefaultScrapeProtocols();
// PrometheusProto, then DefaultScrapeProtocols() (Prometheus's
// DefaultProtoFirstScrapeProtocols).
const std::vector<ScrapeProtocol>& DefaultProtoFirstScrapeProtocols();

// The Accept header for `protocols` (empty: DefaultScrapeProtocols()).
std::string ScrapeAcceptHeader(const std::vector<ScrapeProtocol>& protocols);

enum class ExpositionFormat { kPrometheusText, kOpenMetrics, kProtobuf };

struct FormatChoice {
  ExpositionFormat format = ExpositionFormat::kPrometheusText;
  // Set when the fallback protocol was used (Prometheus logs it as a
  // warning and scrapes on).
  std::string warning;
};

// Picks the parser for a response's Content-Type. Fails with
// InvalidArgument when there is no usable type and no fallback.
Result<FormatChoice> SelectExpositionFormat(std::string_view content_type, std::optional<ScrapeProtocol> fallback);

}  // namespace promethium::scrape
