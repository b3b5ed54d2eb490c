// ScrapeManager: owns every scrape pool (one per job) and their loops.
//
// The server builds one ScrapeManager with the storage to write into, then
// calls ApplyConfig on startup and on each config reload. The manager runs
// an io_context on two worker threads of its own; every HTTP request and
// every parse+append runs there. Samples reach the storage only through
// Appendable::NewAppender (one Appender per scrape).
//
// Pools are keyed by job name; within a pool a loop is keyed by its
// target's discovered labels. ApplyConfig keeps loops whose target and pool
// settings are unchanged, restarts (carrying the scrape cache over, so no
// series goes stale) loops whose settings changed, and stops removed
// targets with stale markers.
//
// A job's targets come from its static_configs plus the groups its
// file_sd_configs / http_sd_configs discover (scrape/discovery/). The
// manager runs a DiscoveryManager; whenever a job's discovered groups
// change, it rebuilds that job's targets (relabeling as for static ones)
// and syncs its loops through the same diff as ApplyConfig: unchanged
// targets keep their loop and cache, new ones start, removed ones stop with
// stale markers. An invalid discovered target is logged and skipped (static
// ones fail ApplyConfig). On reload, groups of a job whose discovery config
// did not change stay in force until its new discoverers report.
//
// Self-metrics (when `metrics` is given), under Prometheus's names:
// prometheus_target_scrape_pools_total,
// prometheus_target_scrapes_exceeded_sample_limit_total,
// prometheus_target_scrapes_exceeded_native_histogram_bucket_limit_total,
// prometheus_target_scrapes_sample_out_of_order_total,
// prometheus_target_scrapes_sample_duplicate_timestamp_total,
// prometheus_target_scrapes_sample_out_of_bounds_total and
// prometheus_target_interval_length_seconds{interval} (a histogram here,
// a summary in Prometheus).
//
// Ownership: `storage` and `metrics` are borrowed and must outlive the
// manager (metrics may be null). The manager owns its pools, loops and
// threads; Stop() (or the destructor) joins them.
// Thread-safety: ApplyConfig, Stop and Targets may be called from any
// thread, concurrently; discovery updates run on the discovery thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "scrape/scrape_config.h"
#include "tsdb/api/labels.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/status.h"

namespace promethium::scrape {

// One target as /api/v1/targets reports it.
struct TargetStatus {
  std::string scrape_pool;
  std::string scrape_url;
  Labels labels;             // final target labels (no "__" labels)
  Labels discovered_labels;  // labels before relabeling, incl. "__" ones
  std::string health;        // "up" | "down" | "unknown"
  std::string last_error;
  int64_t last_scrape_ms = 0;  // start of the last scrape, 0 if never
  double last_scrape_duration_seconds = 0;
  int64_t interval_ms = 0;
  int64_t timeout_ms = 0;
  // Identifies the scrape loop serving the target: equal across snapshots
  // while the same loop keeps running (for tests and debugging).
  uintptr_t loop_id = 0;
};

// One metric family's metadata as one target exposes it (for
// /api/v1/targets/metadata and /api/v1/metadata).
struct TargetMetadata {
  std::string scrape_pool;
  Labels target;       // final target labels (job, instance, ...)
  std::string metric;  // family name
  std::string type;    // "counter", "gauge", "histogram", "summary", "unknown", "gaugehistogram", "info", ...
  std::string help;
  std::string unit;
};

class ScrapeManager {
 public:
  ScrapeManager(Appendable* storage, MetricsRegistry* metrics);
  ~ScrapeManager();
  ScrapeManager(const ScrapeManager&) = delete;
  ScrapeManager& operator=(const ScrapeManager&) = delete;

  // Creates, updates and removes scrape pools and their loops so that they
  // match `configs`. Loops of targets whose (job, labels, config) did not
  // change keep running undisturbed. Fails (changing nothing) on an invalid
  // config, e.g. duplicate job names or an unsupported scheme.
  Status ApplyConfig(const std::vector<ScrapeConfig>& configs);

  // Stops every loop (writing stale markers for their series) and joins the
  // worker threads. Idempotent; ApplyConfig after Stop fails.
  void Stop();

  // A snapshot of all targets, sorted by pool then URL.
  std::vector<TargetStatus> Targets() const;
  // Targets that relabel_configs dropped (for /api/v1/targets
  // droppedTargets): only scrape_pool and discovered_labels are set. Sorted
  // by pool, in config order within a pool.
  std::vector<TargetStatus> DroppedTargets() const;
  // Metadata of every active target's metric families, by pool, target and
  // family name. Safe from any thread.
  std::vector<TargetMetadata> TargetsMetadata() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace promethium::scrape
