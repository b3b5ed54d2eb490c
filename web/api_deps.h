// ApiDeps: what the HTTP API reads from the rest of the process.
//
// Ownership: every pointer is borrowed; the pointees must outlive the
// ApiHandler/WebServer that holds the ApiDeps. storage, engine and metrics
// may be null (the endpoints that need them then answer 503/500 errors).
// Thread-safety: the callbacks are invoked from server threads, concurrently;
// they must be thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/base/status.h"
#include "web/target_info.h"
#include "web/tsdb_status.h"

namespace promethium {
class Appendable;
class MetricsRegistry;
class Queryable;
}  // namespace promethium

namespace promethium::promql {
class Engine;
}

namespace promethium::web {

struct ApiDeps {
  Queryable* storage = nullptr;
  promql::Engine* engine = nullptr;
  MetricsRegistry* metrics = nullptr;
  std::function<bool()> ready;                       // /-/ready; null means ready
  std::function<std::vector<TargetInfo>()> targets;  // /api/v1/targets; may be null
  // Targets that relabeling dropped (only scrape_pool and discovered_labels
  // are meaningful); may be null.
  std::function<std::vector<TargetInfo>()> dropped_targets;
  std::function<std::string()> config_yaml;                // /api/v1/status/config; may be null
  std::vector<std::pair<std::string, std::string>> flags;  // /api/v1/status/flags

  // /api/v1/status/tsdb: head statistics with top-`limit` cardinality lists.
  // Null answers 503 unavailable.
  std::function<TsdbStatus(size_t limit)> tsdb_status;

  // Lifecycle (/-/reload, /-/quit), behind --web.enable-lifecycle. reload
  // re-reads the config and reports the outcome; quit asks the process to
  // shut down and returns at once (the answer is sent before the stop); it
  // returns false when termination was already requested.
  bool enable_lifecycle = false;
  std::function<Status()> reload;
  std::function<bool()> quit;

  // --web.enable-admin-api: the /api/v1/admin/* endpoints.
  bool enable_admin_api = false;

  // POST /api/v1/write (remote write 1.0 receiver): null means disabled
  // (--web.enable-remote-write-receiver not given).
  Appendable* remote_write_appendable = nullptr;

  // global.external_labels of the current config, attached by /federate to
  // series that lack them. Read per request so reloads take effect; null
  // means none.
  std::function<Labels()> external_labels;
};

}  // namespace promethium::web
