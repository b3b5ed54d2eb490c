#include "server/flags.h"

#include <gtest/gtest.h>

#include <map>

#include "server/build_info.h"

namespace promethium::server {
namespace {

CommandLine Parse(std::vector<std::string> args) { return ParseCommandLine(args); }

TEST(ServerFlagsTest, DefaultsMatchPrometheus) {
  CommandLine cl = Parse({});
  ASSERT_EQ(cl.action, CommandLine::Action::kRun);
  EXPECT_EQ(cl.flags.config_file, "prometheus.yml");
  EXPECT_EQ(cl.flags.storage_tsdb_path, "data/");
  EXPECT_EQ(cl.flags.web_listen_address, "0.0.0.0:9090");
  EXPECT_EQ(cl.flags.query_lookback_delta_ms, 5 * 60 * 1000);
  EXPECT_EQ(cl.flags.query_timeout_ms, 2 * 60 * 1000);
  EXPECT_EQ(cl.flags.query_max_samples, 50000000);
  EXPECT_EQ(cl.flags.query_max_memory_bytes, int64_t{2} << 30);
  EXPECT_EQ(cl.flags.query_max_concurrency, 20);
  EXPECT_EQ(cl.flags.log_level, LogLevel::kInfo);
  EXPECT_FALSE(cl.flags.web_enable_lifecycle);
  EXPECT_FALSE(cl.flags.web_enable_admin_api);
  EXPECT_EQ(cl.flags.storage_tsdb_retention_time_ms, 15LL * 24 * 3600 * 1000);
  EXPECT_EQ(cl.flags.web_max_connections, 512);
}

TEST(ServerFlagsTest, QueryMaxMemoryTakesByteSizes) {
  CommandLine cl = Parse({"--query.max-memory=64MB"});
  ASSERT_EQ(cl.action, CommandLine::Action::kRun) << cl.error;
  EXPECT_EQ(cl.flags.query_max_memory_bytes, int64_t{64} << 20);
  cl = Parse({"--query.max-memory=0"});
  ASSERT_EQ(cl.action, CommandLine::Action::kRun) << cl.error;
  EXPECT_EQ(cl.flags.query_max_memory_bytes, 0);
  cl = Parse({"--query.max-memory=lots"});
  EXPECT_NE(cl.error.find("--query.max-memory"), std::string::npos) << cl.error;
}

TEST(ServerFlagsTest, EqualsAndSpaceForms) {
  CommandLine cl = Parse({"--config.file=a.yml", "--storage.tsdb.path", "/tmp/d", "--web.listen-address=127.0.0.1:0",
                          "--query.timeout", "30s", "--query.lookback-delta=1m30s", "--query.max-samples=10",
                          "--query.max-concurrency", "3", "--log.level=debug", "--web.max-connections=7",
                          "--storage.tsdb.retention.time=2h"});
  ASSERT_EQ(cl.action, CommandLine::Action::kRun) << cl.error;
  EXPECT_EQ(cl.flags.config_file, "a.yml");
  EXPECT_EQ(cl.flags.storage_tsdb_path, "/tmp/d");
  EXPECT_EQ(cl.flags.web_listen_address, "127.0.0.1:0");
  EXPECT_EQ(cl.flags.query_timeout_ms, 30000);
  EXPECT_EQ(cl.flags.query_lookback_delta_ms, 90000);
  EXPECT_EQ(cl.flags.query_max_samples, 10);
  EXPECT_EQ(cl.flags.query_max_concurrency, 3);
  EXPECT_EQ(cl.flags.log_level, LogLevel::kDebug);
  EXPECT_EQ(cl.flags.web_max_connections, 7);
  EXPECT_EQ(cl.flags.storage_tsdb_retention_time_ms, 2 * 3600 * 1000);
}

TEST(ServerFlagsTest, WebTimeouts) {
  CommandLine defaults = Parse({});
  EXPECT_EQ(defaults.flags.web_read_timeout_ms, 5 * 60 * 1000);
  EXPECT_EQ(defaults.flags.web_read_header_timeout_ms, 10 * 1000);
  EXPECT_EQ(defaults.flags.web_idle_timeout_ms, 5 * 1000);
  CommandLine cl = Parse({"--web.read-timeout=1m", "--web.read-header-timeout=2s", "--web.idle-timeout", "500ms"});
  ASSERT_EQ(cl.action, CommandLine::Action::kRun) << cl.error;
  EXPECT_EQ(cl.flags.web_read_timeout_ms, 60 * 1000);
  EXPECT_EQ(cl.flags.web_read_header_timeout_ms, 2 * 1000);
  EXPECT_EQ(cl.flags.web_idle_timeout_ms, 500);
  EXPECT_EQ(ParseCommandLine({"--web.idle-timeout=soon"}).action, CommandLine::Action::kFail);
}

TEST(ServerFlagsTest, EmptyValueWithEquals) {
  CommandLine cl = Parse({"--config.file="});
  ASSERT_EQ(cl.action, CommandLine::Action::kRun);
  EXPECT_EQ(cl.flags.config_file, "");
}

TEST(ServerFlagsTest, BooleansAndNegation) {
  CommandLine cl = Parse({"--web.enable-lifecycle", "--web.enable-admin-api"});
  ASSERT_EQ(cl.action, CommandLine::Action::kRun);
  EXPECT_TRUE(cl.flags.web_enable_lifecycle);
  EXPECT_TRUE(cl.flags.web_enable_admin_api);
  cl = Parse({"--no-web.enable-lifecycle"});
  ASSERT_EQ(cl.action, CommandLine::Action::kRun);
  EXPECT_FALSE(cl.flags.web_enable_lifecycle);
}

TEST(ServerFlagsTest, BooleanWithValueIsAStrayArgument) {
  CommandLine cl = Parse({"--web.enable-lifecycle=true"});
  ASSERT_EQ(cl.action, CommandLine::Action::kFail);
  EXPECT_EQ(cl.error, "unexpected true");
  EXPECT_EQ(cl.exit_code, 1);
}

TEST(ServerFlagsTest, UnknownLongFlag) {
  CommandLine cl = Parse({"--x"});
  ASSERT_EQ(cl.action, CommandLine::Action::kFail);
  EXPECT_EQ(cl.error, "unknown long flag '--x'");
  EXPECT_EQ(cl.exit_code, 1);
  cl = Parse({"--bogus=3"});
  EXPECT_EQ(cl.error, "unknown long flag '--bogus'");
}

TEST(ServerFlagsTest, NegatingANonBooleanIsUnknown) {
  CommandLine cl = Parse({"--no-query.timeout"});
  ASSERT_EQ(cl.action, CommandLine::Action::kFail);
  EXPECT_EQ(cl.error, "unknown long flag '--no-query.timeout'");
}

TEST(ServerFlagsTest, UnknownShortFlagAndPositional) {
  CommandLine cl = Parse({"-x"});
  EXPECT_EQ(cl.error, "unknown short flag '-x'");
  EXPECT_EQ(cl.exit_code, 1);
  cl = Parse({"foo"});
  EXPECT_EQ(cl.error, "unexpected foo");
}

TEST(ServerFlagsTest, MissingArgument) {
  CommandLine cl = Parse({"--query.timeout"});
  ASSERT_EQ(cl.action, CommandLine::Action::kFail);
  EXPECT_EQ(cl.error, "expected argument for flag '--query.timeout'");
  cl = Parse({"--config.file", "--web.enable-lifecycle"});
  EXPECT_EQ(cl.error, "expected argument for flag '--config.file'");
}

TEST(ServerFlagsTest, BadValuesExitWithTwo) {
  CommandLine cl = Parse({"--query.timeout=abc"});
  ASSERT_EQ(cl.action, CommandLine::Action::kFail);
  EXPECT_EQ(cl.error, "not a valid duration string: \"abc\"");
  EXPECT_EQ(cl.exit_code, 2);
  cl = Parse({"--log.level=bogus"});
  EXPECT_EQ(cl.error, "unrecognized log level \"bogus\"");
  EXPECT_EQ(cl.exit_code, 2);
  cl = Parse({"--query.max-samples=12x"});
  EXPECT_EQ(cl.action, CommandLine::Action::kFail);
  EXPECT_NE(cl.error.find("--query.max-samples"), std::string::npos);
  EXPECT_EQ(cl.exit_code, 2);
}

TEST(ServerFlagsTest, RepeatedFlagIsAnError) {
  CommandLine cl = Parse({"--log.level=info", "--log.level=debug"});
  ASSERT_EQ(cl.action, CommandLine::Action::kFail);
  EXPECT_EQ(cl.error, "flag 'log.level' cannot be repeated");
  cl = Parse({"--web.enable-lifecycle", "--no-web.enable-lifecycle"});
  EXPECT_EQ(cl.error, "flag 'web.enable-lifecycle' cannot be repeated");
}

TEST(ServerFlagsTest, HelpAndVersion) {
  EXPECT_EQ(Parse({"--help"}).action, CommandLine::Action::kPrintHelp);
  EXPECT_EQ(Parse({"-h"}).action, CommandLine::Action::kPrintHelp);
  EXPECT_EQ(Parse({"--version"}).action, CommandLine::Action::kPrintVersion);
  // kingpin parses the whole line first: an error wins over --help.
  EXPECT_EQ(Parse({"--help", "--foo"}).action, CommandLine::Action::kFail);
}

TEST(ServerFlagsTest, HelpListsEveryFlagWithDefault) {
  std::string help = HelpText("promethium");
  EXPECT_EQ(help.rfind("usage: promethium [<flags>]", 0), 0u);
  for (const char* want :
       {"--config.file=\"prometheus.yml\"", "--storage.tsdb.path=\"data/\"", "--web.listen-address=\"0.0.0.0:9090\"",
        "--query.lookback-delta=5m", "--query.timeout=2m", "--query.max-samples=50000000", "--query.max-concurrency=20",
        "--log.level=info", "--web.enable-lifecycle", "--web.enable-admin-api", "--storage.tsdb.retention.time=2w1d",
        "--web.max-connections=512", "--version", "--help"}) {
    EXPECT_NE(help.find(want), std::string::npos) << want << " missing from:\n" << help;
  }
}

TEST(ServerFlagsTest, VersionLooksLikePrometheus) {
  std::string v = VersionText("promethium");
  EXPECT_EQ(v.rfind("promethium, version 0.1.0 (branch: ", 0), 0u) << v;
  EXPECT_NE(v.find(", revision: "), std::string::npos);
  EXPECT_NE(v.find("  build date:"), std::string::npos);
  EXPECT_NE(v.find("  platform:"), std::string::npos);
}

TEST(ServerFlagsTest, FlagValuesForStatusEndpoint) {
  CommandLine cl = Parse({"--query.timeout=30s", "--web.enable-lifecycle"});
  auto values = FlagValues(cl.flags);
  std::map<std::string, std::string> m(values.begin(), values.end());
  EXPECT_EQ(m.size(), values.size());
  EXPECT_EQ(m["query.timeout"], "30s");
  EXPECT_EQ(m["web.enable-lifecycle"], "true");
  EXPECT_EQ(m["web.enable-admin-api"], "false");
  EXPECT_EQ(m["config.file"], "prometheus.yml");
  EXPECT_EQ(m["log.level"], "info");
  EXPECT_EQ(m["web.enable-remote-write-receiver"], "false");
  EXPECT_EQ(m["web.cors.origin"], ".*");
  EXPECT_EQ(m["web.route-prefix"], "");
  EXPECT_EQ(m["storage.tsdb.retention.size"], "0B");
  EXPECT_EQ(m["storage.tsdb.min-block-duration"], "2h");
  EXPECT_EQ(m["storage.tsdb.wal-compression"], "true");
  EXPECT_EQ(m["storage.tsdb.wal-compression-type"], "snappy");
  EXPECT_EQ(m["storage.tsdb.block-format"], "promethium");
  EXPECT_EQ(m["rules.alert.for-outage-tolerance"], "1h");
  EXPECT_EQ(m["rules.alert.for-grace-period"], "10m");
  EXPECT_EQ(m["rules.alert.resend-delay"], "1m");
  EXPECT_EQ(m["alertmanager.notification-queue-capacity"], "10000");
  EXPECT_EQ(m["alertmanager.notification-batch-size"], "256");
  EXPECT_EQ(m["alertmanager.drain-notification-queue-on-shutdown"], "true");
  EXPECT_EQ(m["agent"], "false");
  EXPECT_EQ(m["storage.agent.path"], "data-agent/");
  EXPECT_EQ(m["storage.agent.retention.min-time"], "0s");
  EXPECT_EQ(m["storage.remote.read-sample-limit"], "50000000");
  EXPECT_EQ(m["storage.remote.read-concurrent-limit"], "10");
  EXPECT_EQ(m["storage.remote.read-max-bytes-in-frame"], "1048576");
  EXPECT_EQ(m["web.read-timeout"], "5m");
  EXPECT_EQ(m["web.read-header-timeout"], "10s");
  EXPECT_EQ(m["web.idle-timeout"], "5s");
  EXPECT_EQ(m["web.min-body-rate"], "500");
  EXPECT_EQ(m["web.remote-write-receiver.label-name-length-limit"], "1024");
  EXPECT_EQ(m["web.remote-write-receiver.label-value-length-limit"], "16384");
  EXPECT_EQ(m.size(), 50u);
  EXPECT_EQ(m.at("enable-feature"), "");
  EXPECT_TRUE(std::is_sorted(values.begin(), values.end()));
}

TEST(ServerFlagsTest, StorageFlags) {
  CommandLine cl = ParseCommandLine({"--storage.tsdb.retention.size=512MB", "--storage.tsdb.min-block-duration=5m",
                                     "--storage.tsdb.max-block-duration=1h", "--no-storage.tsdb.wal-compression"});
  ASSERT_EQ(cl.action, CommandLine::Action::kRun) << cl.error;
  EXPECT_EQ(cl.flags.storage_tsdb_retention_size_bytes, 512LL << 20);
  EXPECT_EQ(cl.flags.storage_tsdb_min_block_duration_ms, 5 * 60 * 1000);
  EXPECT_EQ(cl.flags.storage_tsdb_max_block_duration_ms, 60 * 60 * 1000);
  EXPECT_FALSE(cl.flags.storage_tsdb_wal_compression);
  EXPECT_EQ(FormatBase2Bytes(512LL << 20), "512MiB");
  EXPECT_EQ(FormatBase2Bytes(1000), "1000B");

  CommandLine bad = ParseCommandLine({"--storage.tsdb.retention.size=12"});
  EXPECT_EQ(bad.action, CommandLine::Action::kFail);
  EXPECT_NE(bad.error.find("retention.size"), std::string::npos) << bad.error;
}

TEST(ServerFlagsTest, AgentModeFlags) {
  CommandLine cl = ParseCommandLine({"--agent", "--storage.agent.path=/tmp/a", "--storage.agent.retention.max-time=6h",
                                     "--no-storage.agent.wal-compression", "--storage.agent.wal-segment-size=1MB"});
  ASSERT_EQ(cl.action, CommandLine::Action::kRun) << cl.error;
  EXPECT_TRUE(cl.flags.agent);
  EXPECT_EQ(cl.flags.storage_agent_path, "/tmp/a");
  EXPECT_EQ(cl.flags.storage_agent_retention_max_time_ms, 6LL * 3600 * 1000);
  EXPECT_FALSE(cl.flags.storage_agent_wal_compression);
  EXPECT_EQ(cl.flags.storage_agent_wal_segment_size_bytes, 1LL << 20);
  EXPECT_EQ(ParseCommandLine({}).flags.storage_agent_path, "data-agent/");

  // As Prometheus's main.go: exit code 3 and its message, flags in order.
  CommandLine server_only = ParseCommandLine({"--agent", "--storage.tsdb.path=x", "--query.timeout=1m"});
  ASSERT_EQ(server_only.action, CommandLine::Action::kFail);
  EXPECT_EQ(server_only.exit_code, 3);
  EXPECT_EQ(server_only.error,
            "The following flag(s) can not be used in agent mode: [\"--storage.tsdb.path\" \"--query.timeout\"]");
  CommandLine agent_only = ParseCommandLine({"--storage.agent.path=x"});
  ASSERT_EQ(agent_only.action, CommandLine::Action::kFail);
  EXPECT_EQ(agent_only.exit_code, 3);
  EXPECT_EQ(agent_only.error, "The following flag(s) can only be used in agent mode: [\"--storage.agent.path\"]");
  // Flags of both modes are fine in agent mode.
  EXPECT_EQ(ParseCommandLine({"--agent", "--web.enable-remote-write-receiver", "--web.enable-lifecycle"}).action,
            CommandLine::Action::kRun);
}

TEST(ServerFlagsTest, WebConfigFile) {
  CommandLine cl = Parse({"--web.config.file=/etc/promethium/web.yml"});
  ASSERT_EQ(cl.action, CommandLine::Action::kRun);
  EXPECT_EQ(cl.flags.web_config_file, "/etc/promethium/web.yml");
  auto values = FlagValues(cl.flags);
  std::map<std::string, std::string> m(values.begin(), values.end());
  EXPECT_EQ(m["web.config.file"], "/etc/promethium/web.yml");
  EXPECT_TRUE(Parse({}).flags.web_config_file.empty());  // no file: plain HTTP, no auth
}

}  // namespace
}  // namespace promethium::server
