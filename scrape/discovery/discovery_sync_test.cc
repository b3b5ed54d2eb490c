// ScrapeManager + file_sd: discovered groups become targets; a change keeps
// the loops of unchanged targets, starts new ones and ends removed ones
// with stale markers. Everything on 127.0.0.1 with bounded waits.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <cstdlib>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "scrape/discovery/test_http_server.h"
#include "scrape/fake_appendable.h"
#include "scrape/scrape_manager.h"
#include "tsdb/api/sample.h"

namespace promethium::scrape {
namespace {

using namespace std::chrono_literals;

bool WaitFor(const std::function<bool()>& cond) {
  for (int i = 0; i < 200; ++i) {  // at most 10 s
    if (cond()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return cond();
}

void WriteTargets(const std::string& path, const std::vector<std::string>& targets) {
  std::string json = R"([{"targets": [)";
  for (size_t i = 0; i < targets.size(); ++i) json += (i ? ",\"" : "\"") + targets[i] + "\"";
  json += R"(], "labels": {"env": "test"}}])";
  std::string tmp = path + ".tmp";
  std::ofstream(tmp, std::ios::trunc) << json;
  std::filesystem::rename(tmp, path);
}

// The value of prometheus_sd_file_read_errors_total, or 0 when absent.
double FileReadErrors(const MetricsRegistry& registry) {
  const std::string text = registry.RenderText();
  constexpr std::string_view kName = "\nprometheus_sd_file_read_errors_total ";
  const size_t at = text.find(kName);
  return at == std::string::npos ? 0 : std::strtod(text.c_str() + at + kName.size(), nullptr);
}

std::optional<TargetStatus> FindTarget(const ScrapeManager& mgr, const std::string& instance) {
  for (const TargetStatus& t : mgr.Targets()) {
    if (t.labels.Get("instance") == instance) return t;
  }
  return std::nullopt;
}

size_t CountSamples(const FakeAppendable& db, const std::string& instance, bool stale) {
  size_t n = 0;
  for (const auto& r : db.ByName("up")) {
    if (r.labels.Get("instance") == instance && IsStaleNaN(r.v) == stale) ++n;
  }
  return n;
}

TEST(DiscoverySyncTest, FileSdChangesSyncLoops) {
  TestHttpServer a("m 1\n", "text/plain");
  TestHttpServer b("m 2\n", "text/plain");
  char tmpl[] = "/tmp/promethium_sd_sync_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string file = dir + "/targets.json";
  WriteTargets(file, {a.address()});

  FakeAppendable db;
  MetricsRegistry registry;
  ScrapeManager mgr(&db, &registry);
  ScrapeConfig cfg;
  cfg.job_name = "sd";
  cfg.scrape_interval_ms = 100;
  cfg.scrape_timeout_ms = 100;
  cfg.file_sd_configs.push_back({{dir + "/*.json"}, 300'000});
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());

  ASSERT_TRUE(WaitFor([&] { return CountSamples(db, a.address(), false) >= 2; }));
  auto first = FindTarget(mgr, a.address());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->labels.Get("env"), "test");
  EXPECT_EQ(first->discovered_labels.Get("__meta_filepath"), file);

  // Add b: a's loop keeps running untouched.
  WriteTargets(file, {a.address(), b.address()});
  ASSERT_TRUE(WaitFor([&] { return CountSamples(db, b.address(), false) >= 1; }));
  auto still = FindTarget(mgr, a.address());
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->loop_id, first->loop_id);
  EXPECT_EQ(CountSamples(db, a.address(), true), 0u);

  // Drop a: its series end with stale markers; b keeps its loop.
  const uintptr_t b_loop = FindTarget(mgr, b.address())->loop_id;
  WriteTargets(file, {b.address()});
  ASSERT_TRUE(WaitFor([&] { return !FindTarget(mgr, a.address()).has_value(); }));
  EXPECT_GE(CountSamples(db, a.address(), true), 1u);
  ASSERT_TRUE(FindTarget(mgr, b.address()).has_value());
  EXPECT_EQ(FindTarget(mgr, b.address())->loop_id, b_loop);

  // A broken file keeps the previous targets. (Waiting for the error
  // counter rather than a fixed time: on a loaded machine the re-read can
  // take longer, and a watcher may read the file more than once.)
  std::ofstream(file, std::ios::trunc) << "[{broken";
  ASSERT_TRUE(WaitFor([&] { return FileReadErrors(registry) >= 1; }));
  EXPECT_TRUE(FindTarget(mgr, b.address()).has_value());

  // A reload with the same discovery keeps b's loop (no gap).
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  ASSERT_TRUE(FindTarget(mgr, b.address()).has_value());
  EXPECT_EQ(FindTarget(mgr, b.address())->loop_id, b_loop);
  mgr.Stop();
  std::filesystem::remove_all(dir);
}

TEST(DiscoverySyncTest, HttpSdTargetsAreScraped) {
  TestHttpServer target("m 1\n", "text/plain");
  TestHttpServer sd("[{\"targets\": [\"" + target.address() + "\"]}]", "application/json");
  FakeAppendable db;
  ScrapeManager mgr(&db, nullptr);
  ScrapeConfig cfg;
  cfg.job_name = "http";
  cfg.scrape_interval_ms = 100;
  cfg.scrape_timeout_ms = 100;
  cfg.http_sd_configs.push_back({"http://" + sd.address() + "/targets", 60'000, {}});
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  ASSERT_TRUE(WaitFor([&] { return CountSamples(db, target.address(), false) >= 1; }));
  auto t = FindTarget(mgr, target.address());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->discovered_labels.Get("__meta_url"), "http://" + sd.address() + "/targets");
  mgr.Stop();
}

}  // namespace
}  // namespace promethium::scrape
