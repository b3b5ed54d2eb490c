#include "server/server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace promethium::server {
namespace {

class ServerTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/promethium_server_test_" + std::to_string(::getpid());
    flags_.config_file = dir_ + ".yml";
    flags_.storage_tsdb_path = dir_ + "/data";
    flags_.web_listen_address = "127.0.0.1:0";
  }
  void TearDown() override { std::remove(flags_.config_file.c_str()); }

  void WriteConfig(const std::string& text) {
    std::ofstream f(flags_.config_file, std::ios::trunc);
    f << text;
  }

  std::string dir_;
  ServerFlags flags_;
};

TEST_F(ServerTest, StartsReadyAndStops) {
  WriteConfig("global:\n  scrape_interval: 1s\n");
  Server server(flags_);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_TRUE(server.ready());
  EXPECT_GT(server.web_port(), 0);
  server.Stop();
  EXPECT_FALSE(server.ready());
  server.Stop();  // idempotent
}

TEST_F(ServerTest, BadConfigFailsStartWithTheLine) {
  WriteConfig("scrape_configs:\n  - job_name: x\n    consul_sd_configs:\n      - server: a:8500\n");
  Server server(flags_);
  Status s = server.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Error loading config"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("unsupported: consul_sd_configs (line 3)"), std::string::npos) << s.message();
  EXPECT_FALSE(server.ready());
}

TEST_F(ServerTest, FailedReloadKeepsRunningAndGoodReloadApplies) {
  WriteConfig("global:\n  scrape_interval: 1s\n");
  Server server(flags_);
  ASSERT_TRUE(server.Start().ok());
  WriteConfig("global:\n  bogus: 1\n");
  Status bad = server.Reload();
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("field bogus not found"), std::string::npos) << bad.message();
  EXPECT_TRUE(server.ready());
  WriteConfig("global:\n  scrape_interval: 2s\nscrape_configs:\n  - job_name: j\n");
  EXPECT_TRUE(server.Reload().ok());
}

TEST_F(ServerTest, PortInUseFailsStart) {
  WriteConfig("");
  Server first(flags_);
  ASSERT_TRUE(first.Start().ok());
  ServerFlags second_flags = flags_;
  second_flags.web_listen_address = "127.0.0.1:" + std::to_string(first.web_port());
  second_flags.storage_tsdb_path = dir_ + "/data2";
  Server second(second_flags);
  Status s = second.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("starting web server"), std::string::npos) << s.message();
}

TEST_F(ServerTest, QuitIsRequestedOnce) {
  WriteConfig("");
  Server server(flags_);
  int hooks = 0;
  server.SetQuitHookForTesting([&hooks] { ++hooks; });
  ASSERT_TRUE(server.Start().ok());
  EXPECT_TRUE(server.RequestQuit());
  EXPECT_FALSE(server.RequestQuit());
  EXPECT_EQ(hooks, 1);
}

}  // namespace
}  // namespace promethium::server
