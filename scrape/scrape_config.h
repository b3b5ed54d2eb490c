// ScrapeConfig: one `scrape_configs` entry of prometheus.yml, resolved.
//
// server/ parses YAML into these plain structs (applying `global` defaults),
// so scrape/ never sees YAML. Field names follow Prometheus's config keys.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tsdb/api/labels.h"

namespace promethium::scrape {

// A static_configs entry: targets ("host:port") sharing extra labels.
struct TargetGroup {
  std::vector<std::string> targets;
  Labels labels;
  std::string source;  // where it came from, e.g. "static_configs/0"
  friend bool operator==(const TargetGroup&, const TargetGroup&) = default;
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
  std::vector<TargetGroup> static_configs;

  friend bool operator==(const ScrapeConfig&, const ScrapeConfig&) = default;
};

}  // namespace promethium::scrape
