// Discoverer: one service discovery mechanism instance (one file_sd_configs
// or http_sd_configs entry) that produces the target groups of a job.
//
// A DiscoveryManager polls each discoverer on its own thread. Poll decides
// whether a refresh is due (its refresh interval passed, or a watched file
// changed) and, when it refreshed, returns the complete current list of its
// groups. A source that fails to refresh keeps its previous groups (as
// Prometheus does), so a transient error never drops targets.
//
// Ownership: the DiscoveryManager owns its discoverers.
// Thread-safety: a discoverer is used by one thread at a time (the
// manager's); implementations need no locking of their own.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "scrape/scrape_config.h"

namespace promethium::scrape {

class Discoverer {
 public:
  virtual ~Discoverer() = default;
  // Refreshes if due at `now_ms` (a steady clock). Returns every group this
  // discoverer currently knows when it refreshed, nullopt when nothing was
  // due. The first call always refreshes.
  virtual std::optional<std::vector<TargetGroup>> Poll(int64_t now_ms) = 0;
};

}  // namespace promethium::scrape
