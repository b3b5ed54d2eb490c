// Agent mode (--agent) pieces of the server that are not wiring: the
// config sections agent mode refuses and the agent storage options the
// storage.agent.* flags ask for, as Prometheus's main.go and config.LoadFile
// decide them.
// Thread-safety: pure functions over plain values.
#pragma once

#include "server/config.h"
#include "server/flags.h"
#include "tsdb/agent/agent_db.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"

namespace promethium::server {

// Prometheus's agent refuses alerting (alertmanagers or relabel configs),
// rule_files and remote_read: "field rule_files is not allowed in agent mode".
Status CheckAgentConfig(const Config& cfg);

// The AgentDB options of the flags, with Prometheus's agent defaults for
// zero values (truncate frequency 2h, min-time 5m, max-time 4h) and its
// adjustments: max-time at least min-time and at least the truncate
// frequency. The out-of-order window comes from the config.
Result<tsdb::agent::AgentOptions> AgentOptionsFromFlags(const ServerFlags& flags, const Config& cfg);

}  // namespace promethium::server
