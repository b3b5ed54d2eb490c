// Agent mode's config checks and storage options (server/agent_mode.h).
#include "server/agent_mode.h"

#include <gtest/gtest.h>

namespace promethium::server {
namespace {

Config Parse(const std::string& yaml) {
  Result<Config> cfg = ParseConfig(yaml);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  return cfg.ok() ? *cfg : Config{};
}

TEST(AgentModeTest, RefusesWhatPrometheusAgentRefuses) {
  EXPECT_TRUE(CheckAgentConfig(Parse("scrape_configs: []\n")).ok());
  EXPECT_EQ(CheckAgentConfig(Parse("rule_files: [a.yml]\n")).message(),
            "field rule_files is not allowed in agent mode");
  EXPECT_EQ(
      CheckAgentConfig(Parse("alerting:\n  alertmanagers:\n    - static_configs: [{targets: ['a:9093']}]\n")).message(),
      "field alerting is not allowed in agent mode");
}

TEST(AgentModeTest, OptionsDefaultsAndAdjustments) {
  ServerFlags flags;
  Result<tsdb::agent::AgentOptions> o = AgentOptionsFromFlags(flags, Config{});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->truncate_frequency_ms, 2LL * 3600 * 1000);
  EXPECT_EQ(o->min_wal_time_ms, 5LL * 60 * 1000);
  EXPECT_EQ(o->max_wal_time_ms, 4LL * 3600 * 1000);
  EXPECT_EQ(o->wal_segment_size, 128ull << 20);
  EXPECT_EQ(o->compression, tsdb::wal::Compression::kSnappy);

  flags.storage_agent_wal_truncate_frequency_ms = 6LL * 3600 * 1000;  // above max-time: max-time follows
  flags.storage_agent_wal_compression_type = "zstd";
  o = AgentOptionsFromFlags(flags, Config{});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->max_wal_time_ms, 6LL * 3600 * 1000);
  EXPECT_EQ(o->compression, tsdb::wal::Compression::kZstd);

  flags.storage_agent_wal_compression_type = "lz4";
  EXPECT_FALSE(AgentOptionsFromFlags(flags, Config{}).ok());
}

}  // namespace
}  // namespace promethium::server
