#include "server/agent_mode.h"

#include <fmt/format.h>

#include <algorithm>

namespace promethium::server {

Status CheckAgentConfig(const Config& cfg) {
  if (!cfg.alerting.alertmanagers.empty() || !cfg.alerting.alert_relabel_configs.empty()) {
    return Status::InvalidArgument("field alerting is not allowed in agent mode");
  }
  if (!cfg.rule_files.empty()) return Status::InvalidArgument("field rule_files is not allowed in agent mode");
  if (!cfg.remote_read.empty()) return Status::InvalidArgument("field remote_read is not allowed in agent mode");
  return Status::OK();
}

Result<tsdb::agent::AgentOptions> AgentOptionsFromFlags(const ServerFlags& flags, const Config& cfg) {
  tsdb::agent::AgentOptions o;
  if (flags.storage_agent_wal_segment_size_bytes > 0) {
    o.wal_segment_size = static_cast<uint64_t>(flags.storage_agent_wal_segment_size_bytes);
  }
  if (!flags.storage_agent_wal_compression) {
    o.compression = tsdb::wal::Compression::kNone;
  } else if (flags.storage_agent_wal_compression_type == "zstd") {
    o.compression = tsdb::wal::Compression::kZstd;
  } else if (flags.storage_agent_wal_compression_type != "snappy") {
    return Status::InvalidArgument(fmt::format("invalid --storage.agent.wal-compression-type \"{}\" (snappy or zstd)",
                                               flags.storage_agent_wal_compression_type));
  }
  if (flags.storage_agent_wal_truncate_frequency_ms > 0) {
    o.truncate_frequency_ms = flags.storage_agent_wal_truncate_frequency_ms;
  }
  if (flags.storage_agent_retention_min_time_ms > 0) o.min_wal_time_ms = flags.storage_agent_retention_min_time_ms;
  if (flags.storage_agent_retention_max_time_ms > 0) o.max_wal_time_ms = flags.storage_agent_retention_max_time_ms;
  o.max_wal_time_ms = std::max({o.max_wal_time_ms, o.min_wal_time_ms, o.truncate_frequency_ms});
  o.no_lockfile = flags.storage_agent_no_lockfile;
  o.out_of_order_window_ms = std::max<int64_t>(0, cfg.storage.tsdb.out_of_order_time_window_ms);
  return o;
}

}  // namespace promethium::server
