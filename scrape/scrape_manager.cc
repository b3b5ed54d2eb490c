#include "scrape/scrape_manager.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "scrape/scrape_loop.h"
#include "scrape/target.h"
#include "tsdb/base/duration.h"
#include "tsdb/base/logging.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::scrape {

namespace net = boost::asio;

namespace {

constexpr int kWorkerThreads = 2;

// The parts of a config that loops bake in; a change restarts the pool's
// loops (their caches carry over).
bool SameLoopSettings(ScrapeConfig a, ScrapeConfig b) {
  a.static_configs.clear();
  b.static_configs.clear();
  return a == b;
}

}  // namespace

struct ScrapeManager::Impl {
  struct Pool {
    ScrapeConfig config;
    std::map<Labels, std::shared_ptr<ScrapeLoop>> loops;  // by discovered labels
  };

  Impl(Appendable* s, MetricsRegistry* m) : storage(s), registry(m), work(net::make_work_guard(io)) {
    if (m != nullptr) {
      pools_total =
          m->GetCounter("prometheus_target_scrape_pools_total", "Total number of scrape pool creation attempts.");
      loop_metrics.exceeded_sample_limit =
          m->GetCounter("prometheus_target_scrapes_exceeded_sample_limit_total",
                        "Total number of scrapes that hit the sample limit and were rejected.");
      loop_metrics.out_of_order =
          m->GetCounter("prometheus_target_scrapes_sample_out_of_order_total",
                        "Total number of samples rejected due to not being out of the expected order.");
      loop_metrics.duplicate =
          m->GetCounter("prometheus_target_scrapes_sample_duplicate_timestamp_total",
                        "Total number of samples rejected due to duplicate timestamps but different values.");
      loop_metrics.out_of_bounds = m->GetCounter("prometheus_target_scrapes_sample_out_of_bounds_total",
                                                 "Total number of samples rejected due to timestamp falling outside "
                                                 "of the time bounds.");
    }
    for (int i = 0; i < kWorkerThreads; ++i) threads.emplace_back([this] { io.run(); });
  }

  // What ApplyConfig does to one pool.
  struct PoolPlan {
    std::vector<std::shared_ptr<ScrapeLoop>> remove;                      // stop, writing stale markers
    std::vector<std::pair<std::shared_ptr<ScrapeLoop>, Labels>> replace;  // stop; its cache goes to key's loop
    std::vector<Target> start;
  };

  Status Apply(const std::vector<ScrapeConfig>& configs) EXCLUDES(mu);
  void PlanPool(Pool* pool, bool same_settings, std::vector<Target> wanted, PoolPlan* plan) REQUIRES(mu);
  void StartLoop(Pool* pool, Target target, std::map<Labels, std::unique_ptr<ScrapeCache>>* carried) REQUIRES(mu);
  void StopAll() EXCLUDES(mu);

  // Prometheus's summary of the same name has an `interval` label; ours is a
  // histogram with that label.
  Histogram* IntervalHistogram(int64_t interval_ms) {
    if (registry == nullptr) return nullptr;
    return registry->GetHistogram("prometheus_target_interval_length_seconds", "Actual intervals between scrapes.",
                                  {0.01, 0.1, 0.5, 1, 5, 10, 15, 20, 30, 60, 120, 300, 600},
                                  {{"interval", FormatDuration(interval_ms)}});
  }

  Appendable* const storage;
  MetricsRegistry* const registry;
  Counter* pools_total = nullptr;
  LoopMetrics loop_metrics;
  net::io_context io;  // declared before everything that uses it
  net::executor_work_guard<net::io_context::executor_type> work;
  std::vector<std::thread> threads;

  mutable Mutex mu;
  std::map<std::string, Pool> pools GUARDED_BY(mu);
  bool stopped GUARDED_BY(mu) = false;
};

// Diffs one pool's running loops against the targets it should have. Loops
// that go are moved out of pool->loops into the plan.
void ScrapeManager::Impl::PlanPool(Pool* pool, bool same_settings, std::vector<Target> wanted, PoolPlan* plan) {
  std::set<Labels> wanted_keys;
  for (const Target& t : wanted) wanted_keys.insert(t.discovered_labels);
  // A target whose discovered labels changed (e.g. a new interval) but whose
  // final labels did not is the same source of series: its successor loop
  // inherits the cache instead of ending the series.
  std::map<Labels, Labels> old_key_by_final;
  for (auto& [key, loop] : pool->loops) {
    if (!wanted_keys.count(key)) old_key_by_final[loop->target().labels] = key;
  }
  std::set<Labels> keep;
  for (Target& t : wanted) {
    if (!keep.insert(t.discovered_labels).second) continue;  // duplicate target
    auto existing = pool->loops.find(t.discovered_labels);
    if (existing != pool->loops.end() && same_settings) continue;
    if (existing == pool->loops.end()) {
      auto by_final = old_key_by_final.find(t.labels);
      if (by_final != old_key_by_final.end()) existing = pool->loops.find(by_final->second);
    }
    if (existing != pool->loops.end()) {
      plan->replace.emplace_back(existing->second, t.discovered_labels);
      pool->loops.erase(existing);
    }
    plan->start.push_back(std::move(t));
  }
  for (auto it = pool->loops.begin(); it != pool->loops.end();) {
    if (keep.count(it->first) == 0) {
      plan->remove.push_back(it->second);
      it = pool->loops.erase(it);
    } else {
      ++it;
    }
  }
}

Status ScrapeManager::Impl::Apply(const std::vector<ScrapeConfig>& configs) {
  // Validate everything first so that a bad config changes nothing.
  std::map<std::string, std::vector<Target>> wanted;
  for (const ScrapeConfig& cfg : configs) {
    if (wanted.count(cfg.job_name)) {
      return Status::InvalidArgument(fmt::format("found multiple scrape configs with job name \"{}\"", cfg.job_name));
    }
    if (cfg.scheme != "http") return Status::Unsupported(fmt::format("scrape scheme \"{}\" (only http)", cfg.scheme));
    PROMETHIUM_ASSIGN_OR_RETURN(wanted[cfg.job_name], BuildTargets(cfg));
  }
  MutexLock lock(&mu);
  if (stopped) return Status::Canceled("scrape manager stopped");

  std::map<std::string, PoolPlan> plans;
  for (auto it = pools.begin(); it != pools.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    for (auto& [key, loop] : it->second.loops) plans[it->first].remove.push_back(loop);
    it = pools.erase(it);
  }
  for (const ScrapeConfig& cfg : configs) {
    auto [pit, created] = pools.try_emplace(cfg.job_name);
    if (created && pools_total) pools_total->Inc();
    bool same = !created && SameLoopSettings(pit->second.config, cfg);
    pit->second.config = cfg;
    PlanPool(&pit->second, same, std::move(wanted[cfg.job_name]), &plans[cfg.job_name]);
  }
  // Stop in parallel: ask all, then wait for all.
  for (auto& [job, plan] : plans) {
    for (auto& loop : plan.remove) loop->RequestStop(/*write_stale_markers=*/true);
    for (auto& [loop, key] : plan.replace) loop->RequestStop(/*write_stale_markers=*/false);
  }
  for (auto& [job, plan] : plans) {
    for (auto& loop : plan.remove) loop->WaitStopped();
    std::map<Labels, std::unique_ptr<ScrapeCache>> carried;
    for (auto& [loop, key] : plan.replace) {
      loop->WaitStopped();
      carried[key] = loop->TakeCache();
    }
    for (Target& target : plan.start) StartLoop(&pools[job], std::move(target), &carried);
  }
  return Status::OK();
}

void ScrapeManager::Impl::StartLoop(Pool* pool, Target target,
                                    std::map<Labels, std::unique_ptr<ScrapeCache>>* carried) {
  auto cache_it = carried->find(target.discovered_labels);
  std::unique_ptr<ScrapeCache> cache = cache_it != carried->end() ? std::move(cache_it->second) : nullptr;
  Labels key = target.discovered_labels;
  LoopMetrics metrics = loop_metrics;
  metrics.interval_length = IntervalHistogram(target.interval_ms);
  auto loop = std::make_shared<ScrapeLoop>(&io, std::move(target), pool->config, storage, metrics, std::move(cache));
  loop->Start();
  pool->loops.emplace(std::move(key), std::move(loop));
}

void ScrapeManager::Impl::StopAll() {
  {
    MutexLock lock(&mu);
    if (stopped) return;
    stopped = true;
    std::vector<std::shared_ptr<ScrapeLoop>> all;
    for (auto& [job, pool] : pools) {
      for (auto& [key, loop] : pool.loops) all.push_back(loop);
    }
    for (auto& loop : all) loop->RequestStop(/*write_stale_markers=*/true);
    for (auto& loop : all) loop->WaitStopped();
    pools.clear();
  }
  work.reset();
  for (std::thread& t : threads) t.join();
  threads.clear();
}

ScrapeManager::ScrapeManager(Appendable* storage, MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(storage, metrics)) {}

ScrapeManager::~ScrapeManager() { Stop(); }

Status ScrapeManager::ApplyConfig(const std::vector<ScrapeConfig>& configs) {
  try {
    return impl_->Apply(configs);
  } catch (const std::exception& e) {  // Boost/Asio edge: e.g. thread or socket creation failures
    return Status::Internal(fmt::format("applying scrape config: {}", e.what()));
  }
}

void ScrapeManager::Stop() { impl_->StopAll(); }

std::vector<TargetStatus> ScrapeManager::Targets() const {
  std::vector<TargetStatus> out;
  {
    ReaderMutexLock lock(&impl_->mu);
    for (const auto& [job, pool] : impl_->pools) {
      for (const auto& [key, loop] : pool.loops) out.push_back(loop->Snapshot());
    }
  }
  std::sort(out.begin(), out.end(), [](const TargetStatus& a, const TargetStatus& b) {
    return std::tie(a.scrape_pool, a.scrape_url) < std::tie(b.scrape_pool, b.scrape_url);
  });
  return out;
}

}  // namespace promethium::scrape
