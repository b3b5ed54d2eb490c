// Decoding of the `alerting:` section of prometheus.yml into
// rules::AlertingConfig (Prometheus's config.AlertingConfig and
// AlertmanagerConfig): alert_relabel_configs and alertmanagers with
// static_configs, file_sd_configs, http_sd_configs, dns_sd_configs, scheme,
// path_prefix, timeout (default 10s), api_version (v2 only, as Prometheus
// 3), relabel_configs, alert_relabel_configs and the inlined HTTP client
// options. sigv4, oauth2, http_headers and the other service discoveries
// fail with "unsupported: <key> (line N)".
//
// The target parts (static and SD configs, scheme, relabel rules) are
// decoded by the scrape config decoder through `scrape_field`, so they get
// exactly the scrape configs' checks and messages.
//
// Internal to server/ (used by config.cc). Thread-safety: pure functions.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/notifier/notifier_config.h"
#include "scrape/scrape_config.h"
#include "server/config_decoder.h"

namespace promethium::server::config_internal {

// Decodes one scrape config key into `sc` (config.cc's scrape field decoder).
using ScrapeFieldFn = std::function<Status(const std::string& key, const YAML::Node& v, scrape::ScrapeConfig* sc)>;

Status DecodeAlerting(YamlDecoder& dec, const YAML::Node& v, const ScrapeFieldFn& scrape_field,
                      rules::AlertingConfig* out);

// A relabel rule list (also remote_write's write_relabel_configs): a null
// entry fails with `message`, then the scrape decoder's rules and checks.
Status DecodeRelabelList(const YAML::Node& v, std::string_view message, const ScrapeFieldFn& scrape_field,
                         std::vector<scrape::RelabelConfig>* out);

// SetDirectory: relative file_sd, TLS and secret file paths become relative
// to `dir` ("" or ending in '/').
void ResolveAlertingPaths(const std::string& dir, rules::AlertingConfig* cfg);

}  // namespace promethium::server::config_internal
