// CondVar: a condition variable that waits on a promethium::Mutex, so the
// state a thread waits for can be GUARDED_BY that mutex and clang's
// -Wthread-safety checks every access to it (a std::condition_variable
// needs a std::mutex, which carries no annotations).
//
//   MutexLock l(&mu_);
//   cv_.Wait(&mu_, [this]() REQUIRES(mu_) { return stop_ || !queue_.empty(); });
//   if (!cv_.WaitFor(&mu_, timeout, [this]() REQUIRES(mu_) { return stop_; })) { /* timed out */ }
//
// A wait needs the mutex held exclusively (MutexLock, not ReaderMutexLock);
// it releases the mutex while blocked and holds it again when it returns.
// Predicates run with the mutex held: annotate them REQUIRES(the mutex) so
// their reads of guarded state are checked too. Wake-ups may be spurious,
// so the waits without a predicate belong in a loop that re-checks state.
//
// Ownership: the CondVar owns no mutex; every waiter of one CondVar must
// pass the same Mutex.
// Thread-safety: Signal and SignalAll may be called from any thread, with or
// without the mutex held.
#pragma once

#include <chrono>
#include <condition_variable>
#include <utility>

#include "tsdb/base/thread_annotations.h"

namespace promethium {

class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Blocks until signalled (or a spurious wake-up).
  void Wait(Mutex* mu) REQUIRES(mu) { cv_.wait(mu->native()); }

  // Blocks until signalled or `deadline`; false when the deadline passed.
  template <typename Clock, typename Duration>
  bool WaitUntil(Mutex* mu, const std::chrono::time_point<Clock, Duration>& deadline) REQUIRES(mu) {
    return cv_.wait_until(mu->native(), deadline) == std::cv_status::no_timeout;
  }

  // Blocks until signalled or `timeout` passed; false on timeout.
  template <typename Rep, typename Period>
  bool WaitFor(Mutex* mu, const std::chrono::duration<Rep, Period>& timeout) REQUIRES(mu) {
    return WaitUntil(mu, std::chrono::steady_clock::now() + timeout);
  }

  // Blocks until pred() is true.
  template <typename Pred>
  void Wait(Mutex* mu, Pred pred) REQUIRES(mu) {
    while (!Holds(pred)) Wait(mu);
  }

  // Blocks until pred() is true or `deadline`; returns pred() at the end.
  template <typename Clock, typename Duration, typename Pred>
  bool WaitUntil(Mutex* mu, const std::chrono::time_point<Clock, Duration>& deadline, Pred pred) REQUIRES(mu) {
    while (!Holds(pred)) {
      if (!WaitUntil(mu, deadline)) return Holds(pred);
    }
    return true;
  }

  // Blocks until pred() is true or `timeout` passed; returns pred() at the end.
  template <typename Rep, typename Period, typename Pred>
  bool WaitFor(Mutex* mu, const std::chrono::duration<Rep, Period>& timeout, Pred pred) REQUIRES(mu) {
    return WaitUntil(mu, std::chrono::steady_clock::now() + timeout, std::move(pred));
  }

  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  // The waits call this with `mu` held, but the predicate's REQUIRES names
  // the caller's mutex expression (`mu_`), which the analysis cannot match
  // to the `mu` parameter; the predicate's own body is still checked.
  template <typename Pred>
  static bool Holds(Pred& pred) NO_THREAD_SAFETY_ANALYSIS {
    return pred();
  }

  std::condition_variable_any cv_;
};

}  // namespace promethium
