// Config: prometheus.yml, loaded and validated as Prometheus 3.x does.
//
// LoadConfigFile/ParseConfig turn YAML text into plain structs with every
// default applied: `global` defaults (scrape_interval 1m, scrape_timeout
// 10s, evaluation_interval 1m), per-job inheritance from `global`, and the
// scrape_timeout rule (defaults to min(global timeout, job interval); an
// explicit timeout above the interval is an error). The result carries
// ready-to-use scrape::ScrapeConfig values, so scrape/ never sees YAML.
//
// Errors follow Prometheus's wording: unknown keys are reported with their
// line ("yaml: unmarshal errors:\n  line 12: field foo not found in type
// config.ScrapeConfig"), duplicate jobs as `found multiple scrape configs with
// job name "x"`, and so on. relabel_configs and metric_relabel_configs are
// decoded into scrape::RelabelConfig with Prometheus's defaults and checked
// with relabel.Config.Validate's messages. Keys Prometheus knows but
// Promethium does not implement yet (the *_sd_configs not listed in
// config_decoder.cc, oauth2, ...) fail with
// "unsupported: <key> (line N)";
// nothing is ignored silently. An empty list or null value for such a key
// is accepted, since it asks for nothing.
//
// The decoding primitives live in config_decoder.cc, the inlined HTTP client
// options (auth, TLS, proxies) in config_http_client.cc.
//
// yaml-cpp exceptions never escape: they become Status values here.
// Thread-safety: pure functions over plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "remote/read/read_config.h"
#include "remote/write/remote_write_config.h"
#include "rules/notifier/notifier_config.h"
#include "scrape/scrape_config.h"
#include "tsdb/api/labels.h"
#include "tsdb/base/result.h"

namespace promethium::server {

struct GlobalConfig {
  int64_t scrape_interval_ms = 60'000;
  int64_t scrape_timeout_ms = 10'000;
  int64_t evaluation_interval_ms = 60'000;
  // Attached to data leaving this server (federation, remote write, alerts),
  // not to local queries, as in Prometheus. $VAR/${VAR} are expanded.
  Labels external_labels;
  // Defaults for the per-job limits of the same names; 0 means unlimited.
  uint64_t body_size_limit = 0;
  uint64_t sample_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  uint64_t target_limit = 0;
  uint64_t keep_dropped_targets = 0;
  // Default scrape_protocols of every job; empty: unset, jobs then use
  // scrape::DefaultScrapeProtocols().
  std::vector<scrape::ScrapeProtocol> scrape_protocols;
  // Defaults of the scrape_config keys of the same names (Prometheus 3.x;
  // all false by default).
  bool scrape_native_histograms = false;
  bool always_scrape_classic_histograms = false;
  bool convert_classic_histograms_to_nhcb = false;
  // Subtracted from the evaluation time of every rule group that sets no
  // query_offset of its own (Prometheus 3.x's rule_query_offset).
  int64_t rule_query_offset_ms = 0;

  friend bool operator==(const GlobalConfig&, const GlobalConfig&) = default;
};

// storage: in the config file (Prometheus's config.StorageConfig).
struct StorageConfig {
  struct Tsdb {
    // Out-of-order samples up to this much older than the newest sample are
    // accepted; 0 (the default) rejects them.
    int64_t out_of_order_time_window_ms = 0;
  };
  Tsdb tsdb;
  struct Exemplars {
    // Capacity of the in-memory exemplar ring buffer, as Prometheus's
    // storage.exemplars.max_exemplars (default 100000); 0 or less disables
    // exemplar storage. Read at startup only: a reload does not resize.
    int64_t max_exemplars = 100000;
  };
  Exemplars exemplars;
};

struct Config {
  GlobalConfig global;
  StorageConfig storage;
  std::vector<scrape::ScrapeConfig> scrape_configs;  // in file order, job names unique
  // Glob patterns; LoadConfigFile resolves them (relative to the config
  // file) and appends their jobs to scrape_configs. ParseConfig only records
  // them.
  std::vector<std::string> scrape_config_files;
  // rule_files globs as written, and the directory they are relative to
  // (the config file's, set by LoadConfigFile; empty for ParseConfig).
  std::vector<std::string> rule_files;
  std::string config_dir;
  // alerting: (config_alerting.cc): where alerts are sent.
  rules::AlertingConfig alerting;
  // remote_read: (config_remote_read.cc): remote storages PromQL also reads.
  std::vector<remote::RemoteReadConfig> remote_read;
  // remote_write: (config_remote_write.cc): where samples are sent (remote/write/).
  std::vector<remote::RemoteWriteConfig> remote_write;
};

// Parses and validates YAML text. An empty document is the default config.
Result<Config> ParseConfig(std::string_view yaml_text);

// Reads `path` and parses it. Errors name the file as Prometheus does:
// "parsing YAML file <path>: <error>".
Result<Config> LoadConfigFile(const std::string& path);

// Parses a size with a unit as Prometheus's body_size_limit does: "512MB",
// "1GB", "100KB", "0"; units B, KB, MB, GB, TB, PB, EB (powers of 1024).
Result<uint64_t> ParseByteSize(std::string_view text);

// The effective configuration (every default filled in) as YAML, for
// /api/v1/status/config.
std::string ConfigToYaml(const Config& config);

}  // namespace promethium::server
