// ScrapeLoop: scrapes one target every interval and writes the samples.
//
// A coroutine on the manager's io_context (on a strand of its own, so the
// loop's state is touched by one thread at a time) sleeps until the
// target's slot in the interval (Target::OffsetMs: a hash of the target, so
// targets spread evenly and each keeps a fixed phase), then per tick:
//   GET the target (HttpClient, bounded by scrape_timeout and
//   body_size_limit; Accept from scrape_protocols) -> pick the parser from
//   the response Content-Type (SelectExpositionFormat, with
//   fallback_scrape_protocol) -> parse and append through one Appender
//   (AppendScrapeBody; all samples stamped with the scrape start time) ->
//   stale markers for series that disappeared -> the five report series
//   (up, scrape_duration_seconds, ...) -> Commit.
// A failed request or a malformed body rolls the samples back, marks every
// series of the previous scrape stale, reports up=0 and keeps the error for
// TargetStatus. A failed Commit (the storage's failure, e.g. a full disk)
// leaves the target up, as in Prometheus: the storage counts and logs it.
// Stop(true) (target removed, manager stopped) ends every
// series of the last successful scrape with a stale marker.
//
// Ownership: loops are shared_ptr-owned by their pool; the running
// coroutine holds a reference too, so Stop() must be called before the
// last external reference goes. `storage` and `metrics` are borrowed.
// Thread-safety: Start/RequestStop/WaitStopped/Stop are called by the
// manager (one thread at a time); Snapshot() from any thread.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "scrape/scrape_append.h"
#include "scrape/scrape_cache.h"
#include "scrape/scrape_config.h"
#include "scrape/scrape_manager.h"
#include "scrape/target.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/thread_annotations.h"

namespace boost::asio {
class io_context;
}

namespace promethium::scrape {

// Manager-wide counters the loops update; each pointer may be null.
struct LoopMetrics {
  Counter* exceeded_sample_limit = nullptr;
  Counter* exceeded_bucket_limit = nullptr;  // native_histogram_bucket_limit
  Counter* out_of_order = nullptr;
  Counter* duplicate = nullptr;
  Counter* out_of_bounds = nullptr;
  HistogramMetric* interval_length = nullptr;
};

class ScrapeLoop : public std::enable_shared_from_this<ScrapeLoop> {
 public:
  // `cache` carries over the state of a previous loop for the same target
  // (config reload), or is null.
  ScrapeLoop(boost::asio::io_context* io, Target target, const ScrapeConfig& cfg, Appendable* storage,
             LoopMetrics metrics, std::unique_ptr<ScrapeCache> cache = nullptr);
  ~ScrapeLoop();
  ScrapeLoop(const ScrapeLoop&) = delete;
  ScrapeLoop& operator=(const ScrapeLoop&) = delete;

  // Starts scraping periodically. At most once.
  void Start();
  // Asks the loop to end (aborting an in-flight scrape) without waiting.
  void RequestStop(bool write_stale_markers);
  // Waits until the loop has ended (and written its stale markers).
  void WaitStopped();
  void Stop(bool write_stale_markers) {
    RequestStop(write_stale_markers);
    WaitStopped();
  }
  // After the loop ended: hands its cache to a successor loop.
  std::unique_ptr<ScrapeCache> TakeCache() { return std::move(cache_); }

  // Runs one full scrape at `ts_ms` on the loop's strand and waits for it.
  // For tests; the loop must not have been started.
  void ScrapeOnceForTest(int64_t ts_ms);

  TargetStatus Snapshot() const EXCLUDES(health_mu_);
  // The metric metadata of the target's last scrapes (any thread; the
  // caller must not race with TakeCache, as the manager's lock ensures).
  std::vector<MetricMetadata> Metadata() const;
  // A non-OK status makes every following scrape fail with it without
  // contacting the target (up 0; Prometheus's setForcedError, used for
  // target_limit); OK clears it. Any thread.
  void SetForcedError(const promethium::Status& err) EXCLUDES(health_mu_);
  const Target& target() const { return target_; }

 private:
  friend struct LoopRunner;
  struct Runtime;
  struct Health {
    std::string health = "unknown";
    std::string last_error;
    int64_t last_scrape_ms = 0;
    double last_duration_seconds = 0;
  };

  void ScrapeFinished(int64_t ts_ms, double duration_seconds, const promethium::Status& err, const AppendStats& stats)
      EXCLUDES(health_mu_);
  void WriteEndOfRunStaleMarkers() EXCLUDES(health_mu_);

  const Target target_;
  const std::string pool_;
  const AppendOptions opts_;
  const uint64_t body_size_limit_;
  const std::optional<ScrapeProtocol> fallback_protocol_;
  const HttpClientConfig http_client_;  // auth headers are re-read per scrape
  Appendable* const storage_;
  const LoopMetrics metrics_;
  std::unique_ptr<ScrapeCache> cache_;  // strand-only while running
  ReportAppender report_;               // strand-only while running
  std::unique_ptr<Runtime> runtime_;
  bool started_ = false;         // manager thread only
  bool stop_requested_ = false;  // manager thread only
  std::promise<void> done_;
  std::future<void> done_future_;

  mutable promethium::Mutex health_mu_;
  Health health_ GUARDED_BY(health_mu_);
  promethium::Status forced_error_ GUARDED_BY(health_mu_);
};

}  // namespace promethium::scrape
