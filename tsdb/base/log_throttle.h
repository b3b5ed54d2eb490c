// LogThrottle: lets one log line through per interval for a failure that
// recurs, counting the occurrences it holds back, so a failure that repeats
// on every commit or flush (a full disk) is logged once per interval
// instead of once per commit or sample, and its end is logged once.
//
//   if (uint64_t held; throttle.Allow(NowMs(), &held)) LogError(..., held);
//   ...
//   if (uint64_t run; throttle.Recovered(&run)) LogInfo("... after {} failures", run);
//
// The caller passes the time (a steady clock, in ms), so tests need no sleeps.
// Ownership: a plain value, owned by whoever logs.
// Thread-safety: all methods are safe to call concurrently; Recovered costs
// one relaxed atomic load while nothing failed, so it can sit on a hot path.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>

#include "tsdb/base/thread_annotations.h"

namespace promethium {

class LogThrottle {
 public:
  explicit LogThrottle(int64_t interval_ms) : interval_ms_(interval_ms) {}
  LogThrottle(const LogThrottle&) = delete;
  LogThrottle& operator=(const LogThrottle&) = delete;

  // Records one failure at now_ms. True when it should be logged: the first
  // of a run, or the first once interval_ms passed since the last logged
  // one; *held then gets the failures held back in between.
  bool Allow(int64_t now_ms, uint64_t* held) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    failing_.store(true, std::memory_order_relaxed);
    ++run_;
    if (logged_once_ && now_ms - last_logged_ms_ < interval_ms_) {
      ++held_;
      return false;
    }
    logged_once_ = true;
    last_logged_ms_ = now_ms;
    *held = held_;
    held_ = 0;
    return true;
  }

  // Ends a run of failures (call on success). True once per run, with the
  // run's length in *failures; false (and cheap) when nothing failed.
  bool Recovered(uint64_t* failures) EXCLUDES(mu_) {
    if (!failing_.load(std::memory_order_relaxed)) return false;
    MutexLock lock(&mu_);
    if (!failing_.load(std::memory_order_relaxed)) return false;  // another caller ended it
    failing_.store(false, std::memory_order_relaxed);
    *failures = run_;
    run_ = held_ = 0;
    logged_once_ = false;
    return true;
  }

 private:
  const int64_t interval_ms_;
  std::atomic<bool> failing_{false};
  Mutex mu_;
  bool logged_once_ GUARDED_BY(mu_) = false;
  int64_t last_logged_ms_ GUARDED_BY(mu_) = std::numeric_limits<int64_t>::min();
  uint64_t held_ GUARDED_BY(mu_) = 0;
  uint64_t run_ GUARDED_BY(mu_) = 0;
};

}  // namespace promethium
