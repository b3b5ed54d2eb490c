// Command-line flags of the promethium binary, parsed the way Prometheus's
// kingpin parser does.
//
// Accepted forms: `--name=value`, `--name value`, booleans as `--flag` and
// `--no-flag`, `-h`/`--help` and `--version`. Errors use kingpin's wording
// ("unknown long flag '--x'", "expected argument for flag '--x'",
// "unexpected x", "flag 'x' cannot be repeated") and exit codes: 1 for a
// malformed command line, 2 for a well-formed flag with a bad value.
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tsdb/base/logging.h"

namespace promethium::server {

// Every flag's value after parsing; the initialisers are the defaults.
struct ServerFlags {
  std::string config_file = "prometheus.yml";
  std::string storage_tsdb_path = "data/";
  int64_t storage_tsdb_retention_time_ms = 15LL * 24 * 3600 * 1000;
  int64_t storage_tsdb_retention_size_bytes = 0;                   // 0: no size limit
  int64_t storage_tsdb_min_block_duration_ms = 2LL * 3600 * 1000;  // hidden in Prometheus
  int64_t storage_tsdb_max_block_duration_ms = 0;                  // 0: 10% of retention, at most 31d
  bool storage_tsdb_wal_compression = true;
  std::string storage_tsdb_wal_compression_type = "snappy";  // snappy | zstd
  std::string storage_tsdb_block_format = "promethium";      // promethium | prometheus
  int64_t storage_remote_read_sample_limit = 50'000'000;     // per query, SAMPLES answers; 0: none
  int64_t storage_remote_read_concurrent_limit = 10;         // 0: none
  int64_t storage_remote_read_max_bytes_in_frame = 1048576;  // streamed answers
  int64_t storage_remote_flush_deadline_ms = 60 * 1000;      // remote write queues' flush on stop/reload
  int64_t rules_alert_for_outage_tolerance_ms = 60 * 60 * 1000;
  int64_t rules_alert_for_grace_period_ms = 10 * 60 * 1000;
  int64_t rules_alert_resend_delay_ms = 60 * 1000;
  int64_t alertmanager_notification_queue_capacity = 10000;
  int64_t alertmanager_notification_batch_size = 256;  // <= 0: 256
  bool alertmanager_drain_notification_queue_on_shutdown = true;
  std::string web_listen_address = "0.0.0.0:9090";
  std::string web_config_file;  // TLS, basic auth, headers (docs/SECURITY.md); "" means none
  int64_t web_max_connections = 512;
  int64_t web_read_timeout_ms = 5 * 60 * 1000;  // a whole request (docs/SECURITY.md, "Limits and timeouts")
  int64_t web_read_header_timeout_ms = 10 * 1000;
  int64_t web_idle_timeout_ms = 5 * 1000;  // kept-alive connections between requests
  int64_t web_min_body_rate = 500;         // bytes/s a request body must average (ours; 0: none)
  std::string web_external_url;            // "" derives http://<hostname>:<port>/ (web/web_urls.h)
  std::string web_route_prefix;            // "" means the external URL's path
  std::string web_cors_origin = ".*";      // RE2, fully anchored
  bool web_enable_lifecycle = false;
  bool web_enable_admin_api = false;
  bool web_enable_remote_write_receiver = false;
  // Receiver bounds on one label (ours; Prometheus has none); 0: none.
  int64_t web_remote_write_receiver_label_name_length_limit = 1024;
  int64_t web_remote_write_receiver_label_value_length_limit = 16384;
  int64_t query_lookback_delta_ms = 5 * 60 * 1000;
  int64_t query_timeout_ms = 2 * 60 * 1000;
  int64_t query_max_samples = 50'000'000;
  int64_t query_max_memory_bytes = int64_t{2} << 30;  // --query.max-memory (2GB); 0: unlimited
  int64_t query_max_concurrency = 20;
  LogLevel log_level = LogLevel::kInfo;
  std::string enable_feature;  // comma-separated, see server/features.h
  // --agent (docs/REMOTE.md, "Agent mode"): scrape and remote write only, on
  // the WAL-only storage of tsdb/agent. The storage.agent.* flags are
  // accepted only with it and the server-only flags only without it.
  bool agent = false;
  std::string storage_agent_path = "data-agent/";
  bool storage_agent_wal_compression = true;
  std::string storage_agent_wal_compression_type = "snappy";  // snappy | zstd
  int64_t storage_agent_wal_segment_size_bytes = 0;           // 0: 128MiB
  int64_t storage_agent_wal_truncate_frequency_ms = 0;        // 0: 2h
  int64_t storage_agent_retention_min_time_ms = 0;            // 0: 5m
  int64_t storage_agent_retention_max_time_ms = 0;            // 0: 4h
  bool storage_agent_no_lockfile = false;
};

struct CommandLine {
  enum class Action { kRun, kPrintHelp, kPrintVersion, kFail };
  Action action = Action::kRun;
  ServerFlags flags;
  std::string error;  // kFail only: kingpin's message, e.g. "unknown long flag '--x'"
  // kFail only: 1 (malformed command line), 2 (bad value), or 3 (flags of
  // the other mode, as Prometheus: "The following flag(s) can not be used in
  // agent mode: [...]", printed without the "promethium: error: " prefix).
  int exit_code = 0;
};

// A size as kingpin's units.Base2Bytes renders it: "512MiB", "0B".
std::string FormatBase2Bytes(int64_t bytes);

// Parses the arguments after argv[0]. Errors win over --help/--version, as in
// kingpin, which parses the whole line before acting on it.
CommandLine ParseCommandLine(const std::vector<std::string>& args);

// kingpin-style usage: every flag with its default and help text.
std::string HelpText(const std::string& program);

// Every flag (name without dashes, value) in name order, as Prometheus's
// /api/v1/status/flags reports them.
std::vector<std::pair<std::string, std::string>> FlagValues(const ServerFlags& flags);

}  // namespace promethium::server
