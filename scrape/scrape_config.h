// ScrapeConfig: one `scrape_configs` entry of prometheus.yml, resolved.
//
// server/ parses YAML into these plain structs (applying `global` defaults),
// so scrape/ never sees YAML. Field names follow Prometheus's config keys.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scrape/relabel/relabel_config.h"
#include "scrape/textparse/scrape_protocol.h"
#include "tsdb/api/labels.h"

namespace promethium::scrape {

// A static_configs entry: targets ("host:port") sharing extra labels.
struct TargetGroup {
  std::vector<std::string> targets;
  Labels labels;
  std::string source;  // where it came from, e.g. "static_configs/0"
  friend bool operator==(const TargetGroup&, const TargetGroup&) = default;
};

// A file_sd_configs entry: files (a "*" allowed in the last path element)
// holding JSON or YAML lists of target groups.
struct FileSDConfig {
  std::vector<std::string> files;
  int64_t refresh_interval_ms = 300'000;  // Prometheus's default 5m
  friend bool operator==(const FileSDConfig&, const FileSDConfig&) = default;
};

// An http_sd_configs entry: a URL answering with a JSON list of target
// groups. Only plain http without auth in this slice.
struct HttpSDConfig {
  std::string url;
  int64_t refresh_interval_ms = 60'000;  // Prometheus's default 60s
  friend bool operator==(const HttpSDConfig&, const HttpSDConfig&) = default;
};

struct ScrapeConfig {
  std::string job_name;
  int64_t scrape_interval_ms = 60'000;  // after applying global.scrape_interval
  int64_t scrape_timeout_ms = 10'000;   // after applying global.scrape_timeout; <= interval
  std::string metrics_path = "/metrics";
  std::string scheme = "http";  // only "http" in this slice; "https" is rejected by the loader
  std::map<std::string, std::vector<std::string>> params;  // URL query parameters
  bool honor_labels = false;
  bool honor_timestamps = true;
  uint64_t sample_limit = 0;     // 0: unlimited
  uint64_t label_limit = 0;      // 0: unlimited
  uint64_t body_size_limit = 0;  // bytes, 0: unlimited
  // Accept-header preference order (after applying global.scrape_protocols);
  // empty means DefaultScrapeProtocols(). Never PrometheusProto.
  std::vector<ScrapeProtocol> scrape_protocols;
  // The parser for a missing or unknown response Content-Type; unset: such
  // scrapes fail.
  std::optional<ScrapeProtocol> fallback_scrape_protocol;
  std::vector<TargetGroup> static_configs;
  // Dynamic target groups (scrape/discovery/), merged with static_configs.
  std::vector<FileSDConfig> file_sd_configs;
  std::vector<HttpSDConfig> http_sd_configs;
  // Applied to each target's discovered labels when targets are built.
  std::vector<RelabelConfig> relabel_configs;
  // Applied to each scraped series' labels (after merging target labels).
  std::vector<RelabelConfig> metric_relabel_configs;

  friend bool operator==(const ScrapeConfig&, const ScrapeConfig&) = default;
};

}  // namespace promethium::scrape
