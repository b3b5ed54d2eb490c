#include "tsdb/base/log_throttle.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace promethium {
namespace {

// A failure on every "commit", 100 ms apart, for 25 s: with a 10 s
// interval three lines get through (at 0, 10 s and 20 s), each reporting
// what was held back since the previous one.
TEST(LogThrottleTest, OneLinePerIntervalWithHeldBackCount) {
  LogThrottle throttle(10000);
  std::vector<std::pair<int64_t, uint64_t>> logged;  // (time, held back)
  for (int64_t now = 0; now < 25000; now += 100) {
    uint64_t held = 99;
    if (throttle.Allow(now, &held)) logged.emplace_back(now, held);
  }
  ASSERT_EQ(logged.size(), 3u);
  EXPECT_EQ(logged[0], std::make_pair(int64_t{0}, uint64_t{0}));
  EXPECT_EQ(logged[1], std::make_pair(int64_t{10000}, uint64_t{99}));
  EXPECT_EQ(logged[2], std::make_pair(int64_t{20000}, uint64_t{99}));
}

TEST(LogThrottleTest, RecoveredOncePerRunAndNextRunLogsAtOnce) {
  LogThrottle throttle(10000);
  uint64_t n = 0;
  EXPECT_FALSE(throttle.Recovered(&n));  // nothing failed yet
  EXPECT_TRUE(throttle.Allow(1000, &n));
  EXPECT_FALSE(throttle.Allow(1001, &n));
  EXPECT_FALSE(throttle.Allow(1002, &n));
  ASSERT_TRUE(throttle.Recovered(&n));
  EXPECT_EQ(n, 3u);
  EXPECT_FALSE(throttle.Recovered(&n));  // once per run
  // A new run is logged at once, even within the interval of the last line.
  uint64_t held = 7;
  EXPECT_TRUE(throttle.Allow(1003, &held));
  EXPECT_EQ(held, 0u);
}

}  // namespace
}  // namespace promethium
