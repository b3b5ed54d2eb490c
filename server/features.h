// Feature flags: `--enable-feature=a,b`, as in Prometheus.
//
// Known PromQL features switch engine options on; any other name is
// reported back so the caller can log it as unsupported (Prometheus also
// only warns about unknown features instead of refusing to start).
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "promql/engine/engine.h"

namespace promethium::server {

// Applies the comma-separated feature list to `opts`. Returns the names it
// does not support, in input order (empty items are ignored).
std::vector<std::string> ApplyFeatureFlags(std::string_view features, promql::EngineOptions* opts);

}  // namespace promethium::server
