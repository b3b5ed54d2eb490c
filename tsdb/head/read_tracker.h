// ReadTracker: the head's registry of open reads and the oldest time each
// may read, so Head::Truncate can wait for reads of the chunks it is about
// to drop to finish (Prometheus's Head.WaitForPendingReadersInTimeRange).
// Without it a query that listed a chunk before a truncation would fail
// reading it afterwards (NotFound).
//
// Ownership: the Head owns its tracker; a Registration (held by a head
// IndexReader) must not outlive it.
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <set>

#include "tsdb/base/cond_var.h"
#include "tsdb/base/thread_annotations.h"

namespace promethium::tsdb {

class ReadTracker {
 public:
  // An open read, registered for its lifetime.
  class Registration {
   public:
    // Registers a read from max(mint, *floor) on (floor may be null). The
    // floor is read under the tracker's lock, so a truncation that raised it
    // before waiting either sees this read or this read sees its floor.
    Registration(ReadTracker* tracker, int64_t mint, const std::atomic<int64_t>* floor) : tracker_(tracker) {
      MutexLock lock(&tracker_->mu_);
      if (floor != nullptr) mint = std::max(mint, floor->load());
      it_ = tracker_->mints_.insert(mint);
    }
    ~Registration() {
      {
        MutexLock lock(&tracker_->mu_);
        tracker_->mints_.erase(it_);
      }
      tracker_->cv_.SignalAll();
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

    int64_t mint() const { return *it_; }

   private:
    ReadTracker* tracker_;
    std::multiset<int64_t>::iterator it_;
  };

  // Waits until no open read may read below t, for at most `timeout`.
  // False on timeout. Raise the floor of new reads to t first.
  bool WaitForReadsBefore(int64_t t, std::chrono::milliseconds timeout) {
    MutexLock lock(&mu_);
    ++waiting_;  // seen by others only while blocked (the wait releases mu_)
    const bool done =
        cv_.WaitFor(&mu_, timeout, [&]() REQUIRES(mu_) { return mints_.empty() || *mints_.begin() >= t; });
    --waiting_;
    return done;
  }

  // How many WaitForReadsBefore calls are blocked on open reads right now.
  size_t waiting() const {
    MutexLock lock(&mu_);
    return waiting_;
  }

  size_t open() const {
    MutexLock lock(&mu_);
    return mints_.size();
  }

 private:
  mutable Mutex mu_;
  CondVar cv_;  // with mu_: a read ended
  std::multiset<int64_t> mints_ GUARDED_BY(mu_);
  size_t waiting_ GUARDED_BY(mu_) = 0;
};

}  // namespace promethium::tsdb
