// AlertingConfig: the `alerting:` section of prometheus.yml, resolved
// (Prometheus's config.AlertingConfig and config.AlertmanagerConfig).
//
// server/ decodes YAML into these plain structs (defaults applied, relative
// file paths resolved), so rules/notifier/ never sees YAML. Header-only, so
// the config loader can fill it without linking the notifier.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scrape/http_client_config.h"
#include "scrape/relabel/relabel_config.h"
#include "scrape/scrape_config.h"

namespace promethium::rules {

// One `alertmanagers` entry: how to find a set of Alertmanagers and how to
// talk to them.
struct AlertmanagerConfig {
  // Where the Alertmanagers are (`targets` are host:port addresses).
  std::vector<scrape::TargetGroup> static_configs;
  std::vector<scrape::FileSDConfig> file_sd_configs;
  std::vector<scrape::HttpSDConfig> http_sd_configs;
  std::vector<scrape::DnsSDConfig> dns_sd_configs;
  // Applied to each discovered Alertmanager's labels (__address__,
  // __scheme__, __alerts_path__ and the discovery's __meta_* labels).
  std::vector<scrape::RelabelConfig> relabel_configs;
  // Applied to the alerts sent to this set only (Prometheus 3).
  std::vector<scrape::RelabelConfig> alert_relabel_configs;
  scrape::HttpClientConfig http_client;  // TLS, auth, proxy
  std::string scheme = "http";           // "http" or "https"
  std::string path_prefix;               // put before /api/v2/alerts
  int64_t timeout_ms = 10'000;           // per POST
  std::string api_version = "v2";        // only v2 exists (v1 was removed)

  friend bool operator==(const AlertmanagerConfig&, const AlertmanagerConfig&) = default;
};

struct AlertingConfig {
  // Applied to every alert before it is queued (after external labels).
  std::vector<scrape::RelabelConfig> alert_relabel_configs;
  std::vector<AlertmanagerConfig> alertmanagers;

  friend bool operator==(const AlertingConfig&, const AlertingConfig&) = default;
};

}  // namespace promethium::rules
