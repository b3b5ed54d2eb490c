#include "tsdb/base/cond_var.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace promethium {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// State handed between threads under one mutex, as the users of CondVar do.
struct Handoff {
  Mutex mu;
  CondVar cv;
  int value GUARDED_BY(mu) = 0;
  int woken GUARDED_BY(mu) = 0;
  bool go GUARDED_BY(mu) = false;
};

TEST(CondVarTest, WaitWithPredicateSeesTheValueSetByAnotherThread) {
  Handoff h;
  std::thread producer([&h] {
    MutexLock l(&h.mu);
    h.value = 42;
    h.cv.Signal();
  });
  int seen = 0;
  {
    MutexLock l(&h.mu);
    h.cv.Wait(&h.mu, [&h]() REQUIRES(h.mu) { return h.value != 0; });
    seen = h.value;
  }
  producer.join();
  EXPECT_EQ(seen, 42);
}

TEST(CondVarTest, WaitForWithPredicateIsFalseWhenNothingChanges) {
  Handoff h;
  MutexLock l(&h.mu);
  EXPECT_FALSE(h.cv.WaitFor(&h.mu, milliseconds(5), [&h]() REQUIRES(h.mu) { return h.value != 0; }));
  h.value = 1;
  // A predicate that already holds returns at once, without a signal.
  EXPECT_TRUE(h.cv.WaitFor(&h.mu, seconds(60), [&h]() REQUIRES(h.mu) { return h.value != 0; }));
}

TEST(CondVarTest, WaitUntilAPastDeadlineTimesOut) {
  Handoff h;
  MutexLock l(&h.mu);
  EXPECT_FALSE(h.cv.WaitUntil(&h.mu, std::chrono::steady_clock::now() - milliseconds(1)));
  EXPECT_FALSE(h.cv.WaitFor(&h.mu, milliseconds(0)));
  // The mutex is held again after a timed-out wait.
  h.value = 7;
  EXPECT_EQ(h.value, 7);
}

TEST(CondVarTest, SignalAllWakesEveryWaiter) {
  constexpr int kWaiters = 4;
  Handoff h;
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&h] {
      MutexLock l(&h.mu);
      ++h.value;  // registered as waiting
      h.cv.SignalAll();
      h.cv.Wait(&h.mu, [&h]() REQUIRES(h.mu) { return h.go; });
      ++h.woken;
      h.cv.SignalAll();
    });
  }
  bool all_woken = false;
  {
    MutexLock l(&h.mu);
    // Every waiter released the mutex inside its wait, or the others could
    // not have registered.
    ASSERT_TRUE(h.cv.WaitFor(&h.mu, seconds(60), [&h]() REQUIRES(h.mu) { return h.value == kWaiters; }));
    h.go = true;
    h.cv.SignalAll();
    all_woken = h.cv.WaitFor(&h.mu, seconds(60), [&h]() REQUIRES(h.mu) { return h.woken == kWaiters; });
  }
  for (std::thread& t : waiters) t.join();
  EXPECT_TRUE(all_woken);
}

TEST(CondVarTest, WaitWithoutPredicateReturnsAfterASignal) {
  Handoff h;
  std::thread waiter([&h] {
    MutexLock l(&h.mu);
    h.go = true;  // about to wait: the signaller holds off until the mutex is free
    h.cv.SignalAll();
    while (h.value == 0) h.cv.Wait(&h.mu);
    h.woken = 1;
  });
  {
    MutexLock l(&h.mu);
    ASSERT_TRUE(h.cv.WaitFor(&h.mu, seconds(60), [&h]() REQUIRES(h.mu) { return h.go; }));
    h.value = 1;
    h.cv.SignalAll();
  }
  waiter.join();
  MutexLock l(&h.mu);
  EXPECT_EQ(h.woken, 1);
}

}  // namespace
}  // namespace promethium
