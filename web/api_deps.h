// ApiDeps: what the HTTP API reads from the rest of the process.
//
// Ownership: every pointer is borrowed; the pointees must outlive the
// ApiHandler/WebServer that holds the ApiDeps. storage, engine and metrics
// may be null (the endpoints that need them then answer 503/500 errors).
// Thread-safety: the callbacks are invoked from server threads, concurrently;
// they must be thread-safe.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "web/target_info.h"

namespace promethium {
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
  std::function<bool()> ready;                             // /-/ready; null means ready
  std::function<std::vector<TargetInfo>()> targets;        // /api/v1/targets; may be null
  std::function<std::string()> config_yaml;                // /api/v1/status/config; may be null
  std::vector<std::pair<std::string, std::string>> flags;  // /api/v1/status/flags
};

}  // namespace promethium::web
