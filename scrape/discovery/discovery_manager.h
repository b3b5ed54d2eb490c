// DiscoveryManager: runs the discoverers (file_sd, http_sd, docker_sd, dns_sd) of every job
// and reports each job's combined target groups whenever they change.
//
// Run(configs) replaces the discoverers with those the configs ask for,
// keeping (with their state) those of a job whose discovery configs did not
// change, as Prometheus keeps unchanged providers across a reload; it polls
// them on one thread of its own every `tick_ms`; after a poll in which
// a job's groups changed (and always after the first poll of a job), it
// calls on_update(job, groups) on that thread with the groups of all the
// job's discoverers, in config order. The ScrapeManager uses this to rebuild
// the job's targets and sync its scrape loops.
//
// Self-metrics (when `metrics` is given): prometheus_sd_file_read_errors_total
// prometheus_sd_http_failures_total and
// prometheus_sd_refresh_failures_total{mechanism="docker"}.
//
// Ownership: `metrics` is borrowed and must outlive the manager. The manager
// owns its discoverers and thread.
// Thread-safety: Run and Stop may be called from any thread but not
// concurrently with each other (the ScrapeManager serializes them). Stop
// returns only after the thread has left on_update, so on_update must not
// wait for anything the caller of Stop holds. Stop may wait for an
// in-flight http_sd fetch (at most 10 s) to finish.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "scrape/discovery/discoverer.h"
#include "tsdb/base/cond_var.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::scrape {

class DiscoveryManager {
 public:
  using UpdateFn = std::function<void(const std::string& job, std::vector<TargetGroup> groups)>;

  DiscoveryManager(MetricsRegistry* metrics, UpdateFn on_update, int64_t tick_ms = 1000);
  ~DiscoveryManager();
  DiscoveryManager(const DiscoveryManager&) = delete;
  DiscoveryManager& operator=(const DiscoveryManager&) = delete;

  // Whether a config has any dynamic discovery.
  static bool HasDiscovery(const ScrapeConfig& config);
  // Whether two configs discover the same way (their *_sd_configs are equal).
  static bool SameDiscovery(const ScrapeConfig& a, const ScrapeConfig& b);

  // Stops polling, keeps the discoverers of jobs whose discovery did not
  // change, replaces the others with those of `configs`, and polls again.
  void Run(const std::vector<ScrapeConfig>& configs);
  // Stops polling and joins the thread. Idempotent.
  void Stop();

 private:
  struct Job {
    std::string name;
    ScrapeConfig config;  // what the discoverers were built from (SameDiscovery)
    std::vector<std::unique_ptr<Discoverer>> discoverers;
    std::vector<std::vector<TargetGroup>> groups;  // per discoverer, latest
    bool reported = false;
    std::vector<TargetGroup> last_reported;
  };
  void PollLoop();
  void PollJob(Job* job);

  const UpdateFn on_update_;
  const int64_t tick_ms_;
  Counter* file_read_errors_ = nullptr;
  Counter* http_failures_ = nullptr;
  Counter* docker_failures_ = nullptr;
  Counter* dns_failures_ = nullptr;

  std::vector<Job> jobs_;  // only the polling thread touches it while it runs
  Mutex mu_;
  CondVar cv_;  // with mu_: stop_requested_ was set
  bool stop_requested_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace promethium::scrape
