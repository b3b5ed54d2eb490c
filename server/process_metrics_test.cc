#include "server/process_metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tsdb/base/metrics.h"

namespace promethium::server {
namespace {

TEST(ServerProcessMetricsTest, ReadsProcSelf) {
  std::optional<ProcessStats> s = ReadProcessStats();
  ASSERT_TRUE(s.has_value());
  EXPECT_GT(s->resident_memory_bytes, 1024.0 * 1024);  // a gtest binary has well over 1 MiB resident
  EXPECT_GE(s->virtual_memory_bytes, s->resident_memory_bytes);
  EXPECT_GE(s->cpu_seconds, 0.0);
  double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(s->start_time_seconds, now + 1);
  EXPECT_GT(s->start_time_seconds, now - 24 * 3600);  // started within the last day
}

TEST(ServerProcessMetricsTest, CpuTimeGrowsWithWork) {
  // Burn CPU until the clock-tick-granular counter moves; the bound only
  // guards against a broken reader looping forever.
  double before = ReadProcessStats()->cpu_seconds;
  double after = before;
  volatile double sink = 0;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (after <= before && std::chrono::steady_clock::now() < give_up) {
    for (int i = 0; i < 1000000; ++i) sink = sink + 1;
    after = ReadProcessStats()->cpu_seconds;
  }
  EXPECT_GT(after, before);
}

TEST(ServerProcessMetricsTest, RegistersPrometheusNames) {
  MetricsRegistry registry;
  RegisterProcessMetrics(&registry);
  RegisterBuildInfo(&registry);
  std::string text = registry.RenderText();
  for (const char* want : {"# TYPE process_cpu_seconds_total counter", "# TYPE process_resident_memory_bytes gauge",
                           "# TYPE process_start_time_seconds gauge", "process_open_fds ",
                           "prometheus_build_info{branch=\"", "version=\"0.1.0\"} 1\n"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << " missing from:\n" << text;
  }
}

}  // namespace
}  // namespace promethium::server
