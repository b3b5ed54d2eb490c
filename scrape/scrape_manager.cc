#include "scrape/scrape_manager.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "scrape/discovery/discovery_manager.h"
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
  for (ScrapeConfig* c : {&a, &b}) {
    c->static_configs.clear();
    c->file_sd_configs.clear();
    c->http_sd_configs.clear();
    c->docker_sd_configs.clear();
    c->dns_sd_configs.clear();
    c->target_limit = c->keep_dropped_targets = 0;  // pool-level: applied without restarting loops
  }
  return a == b;
}

// Whether a restarted loop may inherit its predecessor's scrape cache: only
// if the settings that shape series labels did not change, since the cache
// holds final (relabeled) labels and dropped series (Prometheus's
// reusableCache). Otherwise the old loop ends its series with stale markers.
bool ReusableCache(ScrapeConfig a, ScrapeConfig b) {
  for (ScrapeConfig* c : {&a, &b}) {
    c->static_configs.clear();
    c->file_sd_configs.clear();
    c->http_sd_configs.clear();
    c->docker_sd_configs.clear();
    c->dns_sd_configs.clear();
    c->http_client = {};  // how to fetch does not shape series labels
    c->target_limit = c->keep_dropped_targets = 0;
    c->relabel_configs.clear();  // target labels are compared per target
    c->scrape_interval_ms = c->scrape_timeout_ms = 0;
    c->sample_limit = c->body_size_limit = 0;
  }
  return a == b;
}

}  // namespace

struct ScrapeManager::Impl {
  struct Pool {
    ScrapeConfig config;
    std::map<Labels, std::shared_ptr<ScrapeLoop>> loops;  // by discovered labels
    std::vector<Labels> dropped;                          // discovered labels of dropped targets
    std::vector<TargetGroup> discovered;                  // latest groups from the job's discoverers
  };

  Impl(Appendable* s, MetricsRegistry* m) : storage(s), registry(m) {
    if (m != nullptr) {
      pools_total =
          m->GetCounter("prometheus_target_scrape_pools_total", "Total number of scrape pool creation attempts.");
      exceeded_target_limit = m->GetCounter("prometheus_target_scrape_pool_exceeded_target_limit_total",
                                            "Total number of times scrape pools hit the target limit, during sync or "
                                            "config reload.");
      loop_metrics.exceeded_sample_limit =
          m->GetCounter("prometheus_target_scrapes_exceeded_sample_limit_total",
                        "Total number of scrapes that hit the sample limit and were rejected.");
      loop_metrics.exceeded_bucket_limit =
          m->GetCounter("prometheus_target_scrapes_exceeded_native_histogram_bucket_limit_total",
                        "Total number of scrapes that hit the native histogram bucket limit and were rejected.");
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
    for (IoShard& shard : shards) threads.emplace_back([&shard] { shard.io.run(); });
    discovery = std::make_unique<DiscoveryManager>(
        m, [this](const std::string& job, std::vector<TargetGroup> groups) { ApplyGroups(job, std::move(groups)); });
  }

  // What ApplyConfig does to one pool.
  struct PoolPlan {
    std::vector<std::shared_ptr<ScrapeLoop>> remove;                      // stop, writing stale markers
    std::vector<std::pair<std::shared_ptr<ScrapeLoop>, Labels>> replace;  // stop; its cache goes to key's loop
    std::vector<Target> start;
    bool reuse_caches = true;  // false: replaced loops end with stale markers
  };

  Status Apply(const std::vector<ScrapeConfig>& configs) EXCLUDES(mu, apply_mu);
  // Rebuilds one job's targets from newly discovered groups and syncs its
  // loops (called on the discovery thread).
  void ApplyGroups(const std::string& job, std::vector<TargetGroup> groups) EXCLUDES(mu);
  void PlanPool(Pool* pool, bool same_settings, std::vector<Target> wanted, PoolPlan* plan) REQUIRES(mu);
  // Stops, hands over caches and starts loops as the plans say.
  void ExecutePlans(std::map<std::string, PoolPlan>* plans) REQUIRES(mu);
  void StartLoop(Pool* pool, Target target, std::map<Labels, std::unique_ptr<ScrapeCache>>* carried) REQUIRES(mu);
  void StopAll() EXCLUDES(mu);
  // keep_dropped_targets, then target_limit: force every loop of the pool
  // to fail (or clear that) after its loops changed.
  void FinishPool(const std::string& job, Pool* pool, std::vector<Labels> dropped) REQUIRES(mu);

  // Prometheus's summary of the same name has an `interval` label; ours is a
  // histogram with that label.
  HistogramMetric* IntervalHistogram(int64_t interval_ms) {
    if (registry == nullptr) return nullptr;
    return registry->GetHistogram("prometheus_target_interval_length_seconds", "Actual intervals between scrapes.",
                                  {0.01, 0.1, 0.5, 1, 5, 10, 15, 20, 30, 60, 120, 300, 600},
                                  {{"interval", FormatDuration(interval_ms)}});
  }

  Appendable* const storage;
  MetricsRegistry* const registry;
  Counter* pools_total = nullptr;
  Counter* exceeded_target_limit = nullptr;
  LoopMetrics loop_metrics;
  // One io_context per worker thread, each run by that thread alone, and
  // each loop on one of them (round robin). With one context shared by both
  // threads, every completion could wake the idle thread: about 45 futex
  // calls per scrape (strace), and context switches were the largest
  // kernel cost in a profile of 100 targets.
  struct IoShard {
    net::io_context io{1};  // concurrency hint: one thread runs it
    net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(io);
  };
  std::array<IoShard, kWorkerThreads> shards;  // declared before everything that uses them
  size_t next_shard GUARDED_BY(mu) = 0;
  std::vector<std::thread> threads;

  // Serializes ApplyConfig and Stop; taken before mu, never while a
  // discovery callback could be waiting for mu.
  Mutex apply_mu;
  std::unique_ptr<DiscoveryManager> discovery GUARDED_BY(apply_mu);

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
      // The cache holds series labels built from the target labels; if
      // relabeling changed those, the old series end (stale markers).
      if (existing->second->target().labels == t.labels) {
        plan->replace.emplace_back(existing->second, t.discovered_labels);
      } else {
        plan->remove.push_back(existing->second);
      }
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

namespace {

// Appends the targets of discovered groups to `set`. Unlike static targets,
// an invalid discovered target does not fail anything: it is logged and
// skipped, as Prometheus does.
void AddDiscoveredTargets(const ScrapeConfig& cfg, const std::vector<TargetGroup>& groups, TargetSet* set) {
  for (const TargetGroup& group : groups) {
    for (const std::string& address : group.targets) {
      Result<std::optional<Target>> t = BuildTarget(cfg, group, address);
      if (!t.ok()) {
        LogError("scrape", "Creating target failed: job \"{}\" target \"{}\" from {}: {}", cfg.job_name, address,
                 group.source, t.status().message());
      } else if (t->has_value()) {
        set->active.push_back(std::move(**t));
      } else {
        set->dropped.push_back(DiscoveredLabels(cfg, group, address));
      }
    }
  }
}

}  // namespace

Status ScrapeManager::Impl::Apply(const std::vector<ScrapeConfig>& configs) {
  MutexLock apply_lock(&apply_mu);
  // Validate everything first so that a bad config changes nothing. Only
  // static targets can make a config invalid.
  std::map<std::string, TargetSet> wanted;
  for (const ScrapeConfig& cfg : configs) {
    if (wanted.count(cfg.job_name)) {
      return Status::InvalidArgument(fmt::format("found multiple scrape configs with job name \"{}\"", cfg.job_name));
    }
    if (cfg.scheme != "http" && cfg.scheme != "https") {
      return Status::Unsupported(fmt::format("scrape scheme \"{}\" (only http and https)", cfg.scheme));
    }
    PROMETHIUM_ASSIGN_OR_RETURN(wanted[cfg.job_name], BuildTargetSet(cfg));
  }
  // The discovery thread calls ApplyGroups, which takes mu: stop it first.
  discovery->Stop();
  {
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
      Pool& pool = pit->second;
      if (created && pools_total) pools_total->Inc();
      bool same = !created && SameLoopSettings(pool.config, cfg);
      plans[cfg.job_name].reuse_caches = created || ReusableCache(pool.config, cfg);
      // Groups found by unchanged discovery stay: the DiscoveryManager keeps
      // those discoverers too, so a reload leaves no gap in those targets.
      if (created || !DiscoveryManager::SameDiscovery(pool.config, cfg)) pool.discovered.clear();
      pool.config = cfg;
      TargetSet& set = wanted[cfg.job_name];
      AddDiscoveredTargets(cfg, pool.discovered, &set);
      pool.dropped = std::move(set.dropped);
      PlanPool(&pool, same, std::move(set.active), &plans[cfg.job_name]);
    }
    ExecutePlans(&plans);
    for (auto& [job, pool] : pools) FinishPool(job, &pool, std::move(pool.dropped));
  }
  discovery->Run(configs);
  return Status::OK();
}

void ScrapeManager::Impl::ApplyGroups(const std::string& job, std::vector<TargetGroup> groups) {
  MutexLock lock(&mu);
  if (stopped) return;
  auto pit = pools.find(job);
  if (pit == pools.end()) return;
  Pool& pool = pit->second;
  pool.discovered = std::move(groups);
  Result<TargetSet> set = BuildTargetSet(pool.config);  // static part: validated by Apply already
  if (!set.ok()) {
    LogError("scrape", "rebuilding targets of job \"{}\": {}", job, set.status().message());
    return;
  }
  AddDiscoveredTargets(pool.config, pool.discovered, &*set);
  pool.dropped = std::move(set->dropped);
  std::map<std::string, PoolPlan> plans;
  PlanPool(&pool, /*same_settings=*/true, std::move(set->active), &plans[job]);
  ExecutePlans(&plans);
  FinishPool(job, &pool, std::move(pool.dropped));
}

void ScrapeManager::Impl::FinishPool(const std::string& job, Pool* pool, std::vector<Labels> dropped) {
  const uint64_t keep = pool->config.keep_dropped_targets;
  if (keep > 0 && dropped.size() > keep) dropped.resize(keep);
  pool->dropped = std::move(dropped);
  const uint64_t limit = pool->config.target_limit;
  Status err;
  if (limit > 0 && pool->loops.size() > limit) {
    err = Status::ResourceExhausted(
        fmt::format("target_limit exceeded (number of targets: {}, limit: {})", pool->loops.size(), limit));
    LogWarn("scrape", "scrape pool {}: {}", job, err.message());
    if (exceeded_target_limit) exceeded_target_limit->Inc();
  }
  for (auto& [key, loop] : pool->loops) loop->SetForcedError(err);
}

void ScrapeManager::Impl::ExecutePlans(std::map<std::string, PoolPlan>* plans) {
  // Stop in parallel: ask all, then wait for all.
  for (auto& [job, plan] : *plans) {
    for (auto& loop : plan.remove) loop->RequestStop(/*write_stale_markers=*/true);
    for (auto& [loop, key] : plan.replace) loop->RequestStop(/*write_stale_markers=*/!plan.reuse_caches);
  }
  for (auto& [job, plan] : *plans) {
    for (auto& loop : plan.remove) loop->WaitStopped();
    std::map<Labels, std::unique_ptr<ScrapeCache>> carried;
    for (auto& [loop, key] : plan.replace) {
      loop->WaitStopped();
      if (plan.reuse_caches) carried[key] = loop->TakeCache();
    }
    // A pool removed from the config has no entry; its loops only stop.
    auto pit = pools.find(job);
    if (pit == pools.end()) continue;
    for (Target& target : plan.start) StartLoop(&pit->second, std::move(target), &carried);
  }
}

void ScrapeManager::Impl::StartLoop(Pool* pool, Target target,
                                    std::map<Labels, std::unique_ptr<ScrapeCache>>* carried) {
  auto cache_it = carried->find(target.discovered_labels);
  std::unique_ptr<ScrapeCache> cache = cache_it != carried->end() ? std::move(cache_it->second) : nullptr;
  Labels key = target.discovered_labels;
  LoopMetrics metrics = loop_metrics;
  metrics.interval_length = IntervalHistogram(target.interval_ms);
  net::io_context* io = &shards[next_shard++ % shards.size()].io;
  auto loop = std::make_shared<ScrapeLoop>(io, std::move(target), pool->config, storage, metrics, std::move(cache));
  loop->Start();
  pool->loops.emplace(std::move(key), std::move(loop));
}

void ScrapeManager::Impl::StopAll() {
  {
    MutexLock apply_lock(&apply_mu);
    discovery->Stop();
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
  for (IoShard& shard : shards) shard.work.reset();
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

std::vector<TargetMetadata> ScrapeManager::TargetsMetadata() const {
  std::vector<TargetMetadata> out;
  ReaderMutexLock lock(&impl_->mu);
  for (const auto& [job, pool] : impl_->pools) {
    for (const auto& [key, loop] : pool.loops) {
      for (MetricMetadata& m : loop->Metadata()) {
        out.push_back(
            {job, loop->target().labels, std::move(m.metric), std::move(m.type), std::move(m.help), std::move(m.unit)});
      }
    }
  }
  return out;
}

std::vector<TargetStatus> ScrapeManager::DroppedTargets() const {
  std::vector<TargetStatus> out;
  ReaderMutexLock lock(&impl_->mu);
  for (const auto& [job, pool] : impl_->pools) {
    for (const Labels& discovered : pool.dropped) {
      TargetStatus s;
      s.scrape_pool = job;
      s.discovered_labels = discovered;
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<TargetStatus> ScrapeManager::Targets() const {
  std::vector<TargetStatus> out;
  {
    ReaderMutexLock lock(&impl_->mu);
    for (const auto& [job, pool] : impl_->pools) {
      for (const auto& [key, loop] : pool.loops) {
        out.push_back(loop->Snapshot());
        out.back().loop_id = reinterpret_cast<uintptr_t>(loop.get());
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const TargetStatus& a, const TargetStatus& b) {
    return std::tie(a.scrape_pool, a.scrape_url) < std::tie(b.scrape_pool, b.scrape_url);
  });
  return out;
}

}  // namespace promethium::scrape
