#include "scrape/discovery/discovery_manager.h"

#include <algorithm>
#include <chrono>

#include "scrape/discovery/dns_sd.h"
#include "scrape/discovery/docker_sd.h"
#include "scrape/discovery/file_sd.h"
#include "scrape/discovery/http_sd.h"

namespace promethium::scrape {
namespace {

int64_t SteadyNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

DiscoveryManager::DiscoveryManager(MetricsRegistry* metrics, UpdateFn on_update, int64_t tick_ms)
    : on_update_(std::move(on_update)), tick_ms_(tick_ms) {
  if (metrics != nullptr) {
    file_read_errors_ =
        metrics->GetCounter("prometheus_sd_file_read_errors_total", "The number of File-SD read errors.");
    http_failures_ =
        metrics->GetCounter("prometheus_sd_http_failures_total", "Number of HTTP service discovery refresh failures.");
    docker_failures_ =
        metrics->GetCounter("prometheus_sd_refresh_failures_total",
                            "Number of refresh failures for the given SD mechanism.", {{"mechanism", "docker"}});
  }
}

DiscoveryManager::~DiscoveryManager() { Stop(); }

bool DiscoveryManager::HasDiscovery(const ScrapeConfig& config) {
  return !config.file_sd_configs.empty() || !config.http_sd_configs.empty() || !config.docker_sd_configs.empty() ||
         !config.dns_sd_configs.empty();
}

bool DiscoveryManager::SameDiscovery(const ScrapeConfig& a, const ScrapeConfig& b) {
  return a.file_sd_configs == b.file_sd_configs && a.http_sd_configs == b.http_sd_configs &&
         a.docker_sd_configs == b.docker_sd_configs && a.dns_sd_configs == b.dns_sd_configs;
}

void DiscoveryManager::Run(const std::vector<ScrapeConfig>& configs) {
  Stop();
  // A job whose discovery is unchanged keeps its discoverers: new ones would
  // start from nothing, so a target file that is broken at the moment of a
  // reload would drop every target the old ones had found.
  std::vector<Job> previous = std::move(jobs_);
  jobs_.clear();
  for (const ScrapeConfig& cfg : configs) {
    if (!HasDiscovery(cfg)) continue;
    auto kept = std::find_if(previous.begin(), previous.end(),
                             [&](const Job& j) { return j.name == cfg.job_name && SameDiscovery(j.config, cfg); });
    if (kept != previous.end()) {
      jobs_.push_back(std::move(*kept));
      previous.erase(kept);
      continue;
    }
    Job job;
    job.name = cfg.job_name;
    job.config = cfg;
    for (const FileSDConfig& f : cfg.file_sd_configs) {
      job.discoverers.push_back(std::make_unique<FileDiscoverer>(f, file_read_errors_));
    }
    for (const HttpSDConfig& h : cfg.http_sd_configs) {
      job.discoverers.push_back(std::make_unique<HttpDiscoverer>(h, http_failures_));
    }
    for (const DockerSDConfig& d : cfg.docker_sd_configs) {
      job.discoverers.push_back(std::make_unique<DockerDiscoverer>(d, docker_failures_));
    }
    for (const DnsSDConfig& d : cfg.dns_sd_configs) {
      job.discoverers.push_back(std::make_unique<DnsDiscoverer>(d, dns_failures_));
    }
    job.groups.resize(job.discoverers.size());
    jobs_.push_back(std::move(job));
  }
  if (jobs_.empty()) return;
  {
    MutexLock l(&mu_);
    stop_requested_ = false;
  }
  thread_ = std::thread([this] { PollLoop(); });
}

void DiscoveryManager::Stop() {
  {
    MutexLock l(&mu_);
    stop_requested_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void DiscoveryManager::PollLoop() {
  for (;;) {
    for (Job& job : jobs_) {
      {
        MutexLock l(&mu_);
        if (stop_requested_) return;
      }
      PollJob(&job);
    }
    MutexLock l(&mu_);
    if (cv_.WaitFor(&mu_, std::chrono::milliseconds(tick_ms_), [this]() REQUIRES(mu_) { return stop_requested_; })) {
      return;
    }
  }
}

void DiscoveryManager::PollJob(Job* job) {
  bool polled = false;
  for (size_t i = 0; i < job->discoverers.size(); ++i) {
    std::optional<std::vector<TargetGroup>> groups = job->discoverers[i]->Poll(SteadyNowMs());
    if (!groups.has_value()) continue;
    polled = true;
    job->groups[i] = std::move(*groups);
  }
  if (!polled) return;
  std::vector<TargetGroup> all;
  for (const auto& groups : job->groups) all.insert(all.end(), groups.begin(), groups.end());
  if (job->reported && all == job->last_reported) return;
  job->reported = true;
  job->last_reported = all;
  on_update_(job->name, std::move(all));
}

}  // namespace promethium::scrape
