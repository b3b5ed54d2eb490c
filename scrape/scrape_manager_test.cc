// ScrapeManager with relabeling: dropped targets are kept for the targets
// API, and a change of metric_relabel_configs does not reuse scrape caches.
// Everything runs on 127.0.0.1 with bounded waits.
#include "scrape/scrape_manager.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include "scrape/fake_appendable.h"
#include "tsdb/api/sample.h"

namespace promethium::scrape {
namespace {

ScrapeConfig TwoTargets(const std::string& job) {
  ScrapeConfig cfg;
  cfg.job_name = job;
  cfg.scrape_interval_ms = 3'600'000;
  cfg.scrape_timeout_ms = 1'000;
  cfg.static_configs.push_back({{"127.0.0.1:1"}, Labels{{"env", "prod"}}, "static_configs/0"});
  cfg.static_configs.push_back({{"127.0.0.1:2"}, Labels{{"env", "dev"}}, "static_configs/1"});
  return cfg;
}

RelabelConfig KeepEnv(const std::string& env) {
  RelabelConfig c;
  c.action = RelabelAction::kKeep;
  c.source_labels = {"env"};
  c.regex = RelabelRegex::Make(env).value();
  return c;
}

TEST(ScrapeManagerRelabelTest, DroppedTargetsAreReported) {
  FakeAppendable db;
  ScrapeManager mgr(&db, nullptr);
  ScrapeConfig cfg = TwoTargets("a");
  cfg.relabel_configs.push_back(KeepEnv("prod"));
  ASSERT_TRUE(mgr.ApplyConfig({cfg, TwoTargets("b")}).ok());

  auto active = mgr.Targets();
  ASSERT_EQ(active.size(), 3u);
  EXPECT_EQ(active[0].scrape_pool, "a");
  EXPECT_EQ(active[0].labels.Get("instance"), "127.0.0.1:1");
  auto dropped = mgr.DroppedTargets();
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].scrape_pool, "a");
  EXPECT_EQ(dropped[0].discovered_labels.Get("__address__"), "127.0.0.1:2");
  EXPECT_EQ(dropped[0].discovered_labels.Get("env"), "dev");

  // Changing the rule swaps which target is active.
  cfg.relabel_configs = {KeepEnv("dev")};
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  active = mgr.Targets();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].labels.Get("instance"), "127.0.0.1:2");
  dropped = mgr.DroppedTargets();
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].discovered_labels.Get("__address__"), "127.0.0.1:1");

  // Without rules nothing is dropped; a removed pool takes its drops along.
  ASSERT_TRUE(mgr.ApplyConfig({TwoTargets("a")}).ok());
  EXPECT_TRUE(mgr.DroppedTargets().empty());
  EXPECT_EQ(mgr.Targets().size(), 2u);
  mgr.Stop();
}

// Answers every request on 127.0.0.1 with `body` and closes the connection.
class OneBodyServer {
 public:
  explicit OneBodyServer(std::string body) : body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~OneBodyServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string req;
      char buf[2048];
      for (int i = 0; i < 20 && req.find("\r\n\r\n") == std::string::npos; ++i) {
        pollfd cp{c, POLLIN, 0};
        if (::poll(&cp, 1, 50) <= 0) continue;
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                         std::to_string(body_.size()) + "\r\n\r\n" + body_;
      (void)!::write(c, resp.data(), resp.size());
      ::close(c);
    }
  }
  std::string body_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

RelabelConfig DropMetric(const std::string& name) {
  RelabelConfig c;
  c.action = RelabelAction::kDrop;
  c.source_labels = {"__name__"};
  c.regex = RelabelRegex::Make(name).value();
  return c;
}

bool HasSample(const FakeAppendable& db, const std::string& name, bool stale) {
  for (const auto& r : db.ByName(name)) {
    if (IsStaleNaN(r.v) == stale) return true;
  }
  return false;
}

// The cache holds relabeled labels and remembered drops, so new metric
// relabeling rules must start from an empty cache: series the old rules kept
// end with stale markers, series they dropped appear.
TEST(ScrapeManagerRelabelTest, NewMetricRulesDoNotReuseTheCache) {
  using namespace std::chrono_literals;
  OneBodyServer server("a 1\nb 2\n");
  FakeAppendable db;
  ScrapeManager mgr(&db, nullptr);
  ScrapeConfig cfg;
  cfg.job_name = "j";
  cfg.scrape_interval_ms = 100;
  cfg.scrape_timeout_ms = 100;
  cfg.static_configs.push_back({{server.address()}, Labels{}, ""});
  cfg.metric_relabel_configs = {DropMetric("b")};
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  for (int i = 0; i < 100 && db.ByName("a").size() < 2; ++i) std::this_thread::sleep_for(50ms);
  ASSERT_GE(db.ByName("a").size(), 2u);
  EXPECT_TRUE(db.ByName("b").empty());

  cfg.metric_relabel_configs = {DropMetric("a")};
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  for (int i = 0; i < 100 && !HasSample(db, "b", false); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(HasSample(db, "b", false));
  EXPECT_TRUE(HasSample(db, "a", true));  // ended by the old loop
  mgr.Stop();
  const auto a = db.ByName("a");
  EXPECT_TRUE(IsStaleNaN(a.back().v));  // no fresh "a" after the stale marker
}

}  // namespace
}  // namespace promethium::scrape
