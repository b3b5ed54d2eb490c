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
#include <utility>
#include <vector>

#include "scrape/http_client_config.h"
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
// groups, over http or https.
struct HttpSDConfig {
  std::string url;
  int64_t refresh_interval_ms = 60'000;  // Prometheus's default 60s
  HttpClientConfig http_client;          // TLS and auth for the GET
  friend bool operator==(const HttpSDConfig&, const HttpSDConfig&) = default;
};

// A docker_sd_configs entry (Prometheus's moby.DockerSDConfig): containers
// listed by the Docker Engine API at `host`. No HTTP client options (TLS,
// auth) for the Engine API in this slice: the loader rejects them.
struct DockerSDConfig {
  std::string host;  // unix:///path, tcp://host:port or http://host:port
  int port = 80;     // for containers without published ports
  std::string host_networking_host = "localhost";
  // Docker list filters, e.g. {"label", {"prometheus.io/scrape=true"}}, in config order.
  std::vector<std::pair<std::string, std::vector<std::string>>> filters;
  bool match_first_network = true;
  int64_t refresh_interval_ms = 60'000;
  friend bool operator==(const DockerSDConfig&, const DockerSDConfig&) = default;
};

// A dns_sd_configs entry (Prometheus's dns.SDConfig). A and AAAA use the
// system resolver (getaddrinfo, so /etc/hosts applies); SRV uses res_query.
struct DnsSDConfig {
  std::vector<std::string> names;
  std::string type = "SRV";  // "SRV", "A" or "AAAA" (MX and NS are rejected by the loader)
  int port = 0;              // required for A and AAAA
  int64_t refresh_interval_ms = 30'000;
  friend bool operator==(const DnsSDConfig&, const DnsSDConfig&) = default;
};

struct ScrapeConfig {
  std::string job_name;
  int64_t scrape_interval_ms = 60'000;  // after applying global.scrape_interval
  int64_t scrape_timeout_ms = 10'000;   // after applying global.scrape_timeout; <= interval
  std::string metrics_path = "/metrics";
  std::string scheme = "http";                             // "http" or "https"
  HttpClientConfig http_client;                            // TLS, auth and redirects for scrapes
  std::map<std::string, std::vector<std::string>> params;  // URL query parameters
  bool honor_labels = false;
  bool honor_timestamps = true;
  uint64_t sample_limit = 0;              // 0: unlimited
  uint64_t label_limit = 0;               // 0: unlimited
  uint64_t label_name_length_limit = 0;   // bytes, 0: unlimited
  uint64_t label_value_length_limit = 0;  // bytes, 0: unlimited
  uint64_t body_size_limit = 0;           // bytes, 0: unlimited
  // More active targets than this fails every target of the job with
  // "target_limit exceeded ..." (no scrapes, up 0); 0: unlimited.
  uint64_t target_limit = 0;
  // At most this many dropped targets are kept for the targets API; 0: all.
  uint64_t keep_dropped_targets = 0;
  // Accept-header preference order (after applying global.scrape_protocols,
  // or DefaultProtoFirstScrapeProtocols() with scrape_native_histograms);
  // empty means DefaultScrapeProtocols().
  std::vector<ScrapeProtocol> scrape_protocols;
  // Native histograms (Prometheus 3.x keys): read protobuf native
  // histograms (off: histograms are read as classic); also keep the classic
  // series of histograms exposed both ways; convert classic histograms to
  // custom-bucket native histograms. Unset (as Prometheus's *bool) until
  // the loader applies `global`; unset reads as false.
  std::optional<bool> scrape_native_histograms;
  std::optional<bool> always_scrape_classic_histograms;
  std::optional<bool> convert_classic_histograms_to_nhcb;
  // More buckets than this: the resolution is reduced until it fits, or the
  // scrape fails; 0: no limit.
  uint64_t native_histogram_bucket_limit = 0;
  // Buckets growing by less than this factor are merged (the schema is
  // capped, see histogram_limits.h); 0: no cap.
  double native_histogram_min_bucket_factor = 0;
  // The parser for a missing or unknown response Content-Type; unset: such
  // scrapes fail.
  std::optional<ScrapeProtocol> fallback_scrape_protocol;
  std::vector<TargetGroup> static_configs;
  // Dynamic target groups (scrape/discovery/), merged with static_configs.
  std::vector<FileSDConfig> file_sd_configs;
  std::vector<HttpSDConfig> http_sd_configs;
  std::vector<DockerSDConfig> docker_sd_configs;
  std::vector<DnsSDConfig> dns_sd_configs;
  // Applied to each target's discovered labels when targets are built.
  std::vector<RelabelConfig> relabel_configs;
  // Applied to each scraped series' labels (after merging target labels).
  std::vector<RelabelConfig> metric_relabel_configs;

  friend bool operator==(const ScrapeConfig&, const ScrapeConfig&) = default;
};

}  // namespace promethium::scrape
