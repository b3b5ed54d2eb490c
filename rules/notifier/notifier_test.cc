#include "rules/notifier/notifier.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "rules/notifier/test_alertmanager.h"

namespace promethium::rules {
namespace {

using std::chrono::milliseconds;

std::vector<NotifierAlert> MakeAlerts(int from, int to, const std::string& extra_label = "") {
  std::vector<NotifierAlert> out;
  for (int i = from; i < to; ++i) {
    NotifierAlert a;
    LabelsBuilder b;
    b.Set("alertname", "A" + std::to_string(i));
    if (!extra_label.empty()) b.Set(extra_label, "v");
    a.labels = b.Build();
    a.starts_at_ms = 1000;
    a.ends_at_ms = 2000;
    out.push_back(std::move(a));
  }
  return out;
}

AlertmanagerConfig StaticAm(const std::vector<std::string>& addresses, int64_t timeout_ms = 2000) {
  AlertmanagerConfig am;
  scrape::TargetGroup g;
  g.targets = addresses;
  am.static_configs = {g};
  am.timeout_ms = timeout_ms;
  return am;
}

size_t CountOf(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

double CounterValue(MetricsRegistry* m, const std::string& name, const std::string& am = "") {
  MetricLabels labels;
  if (!am.empty()) labels = {{"alertmanager", am}};
  return m->GetCounter(name, "", labels)->Value();
}

bool WaitFor(const std::function<bool()>& cond, int timeout_ms = 5000) {
  for (int waited = 0; !cond() && waited < timeout_ms; waited += 10) std::this_thread::sleep_for(milliseconds(10));
  return cond();
}

scrape::RelabelConfig DropRule(const std::string& label, const std::string& regex) {
  scrape::RelabelConfig c;
  c.action = scrape::RelabelAction::kDrop;
  c.source_labels = {label};
  c.regex = scrape::RelabelRegex::Make(regex).value();
  return c;
}

TEST(NotifierTest, BatchesGoToEveryAlertmanager) {
  MetricsRegistry metrics;
  TestAlertmanager am1, am2;
  Notifier n({.metrics = &metrics});
  ASSERT_TRUE(n.ApplyConfig({{}, {StaticAm({am1.address(), am2.address()})}}, Labels()).ok());
  n.Send(MakeAlerts(0, 600));  // queued before the sender starts: 256 + 256 + 88
  EXPECT_EQ(n.QueueLength(), 600u);
  n.Start();
  ASSERT_TRUE(am1.WaitRequests(3));
  ASSERT_TRUE(am2.WaitRequests(3));
  for (const TestAlertmanager* am : {&am1, &am2}) {
    std::vector<std::string> bodies = am->bodies();
    ASSERT_EQ(bodies.size(), 3u);
    EXPECT_EQ(CountOf(bodies[0], "\"labels\":"), 256u);
    EXPECT_EQ(CountOf(bodies[1], "\"labels\":"), 256u);
    EXPECT_EQ(CountOf(bodies[2], "\"labels\":"), 88u);
    EXPECT_NE(bodies[0].find(R"({"endsAt":"1970-01-01T00:00:02.000Z","startsAt":"1970-01-01T00:00:01.000Z",)"
                             R"("labels":{"alertname":"A0"}})"),
              std::string::npos);
    const std::string head = am->heads()[0];
    EXPECT_TRUE(head.starts_with("POST /api/v2/alerts HTTP/1.1")) << head;
    EXPECT_NE(head.find("Content-Type: application/json"), std::string::npos) << head;
  }
  const std::string url1 = "http://" + am1.address() + "/api/v2/alerts";
  EXPECT_TRUE(WaitFor([&] { return CounterValue(&metrics, "prometheus_notifications_sent_total", url1) == 600; }));
  EXPECT_EQ(CounterValue(&metrics, "prometheus_notifications_errors_total", url1), 0);
  EXPECT_EQ(CounterValue(&metrics, "prometheus_notifications_dropped_total"), 0);
  EXPECT_EQ(metrics.GetGauge("prometheus_notifications_alertmanagers_discovered", "")->Value(), 2);
  EXPECT_EQ(metrics.GetGauge("prometheus_notifications_queue_capacity", "")->Value(), 10000);
  EXPECT_NE(metrics.RenderText().find("prometheus_notifications_latency_histogram_seconds_count{alertmanager=\"" +
                                      url1 + "\"} 3"),
            std::string::npos);
  EXPECT_NE(
      metrics.RenderText().find("prometheus_notifications_latency_seconds_count{alertmanager=\"" + url1 + "\"} 3"),
      std::string::npos);
  EXPECT_EQ(n.Alertmanagers(), (std::vector<std::string>{url1, "http://" + am2.address() + "/api/v2/alerts"}));
}

TEST(NotifierTest, FullQueueDropsTheOldest) {
  MetricsRegistry metrics;
  TestAlertmanager am;
  Notifier n({.queue_capacity = 10, .metrics = &metrics});
  ASSERT_TRUE(n.ApplyConfig({{}, {StaticAm({am.address()})}}, Labels()).ok());
  n.Send(MakeAlerts(0, 8));
  n.Send(MakeAlerts(8, 15));  // 15 > 10: A0..A4 go
  EXPECT_EQ(n.QueueLength(), 10u);
  EXPECT_EQ(CounterValue(&metrics, "prometheus_notifications_dropped_total"), 5);
  EXPECT_EQ(metrics.GetGauge("prometheus_notifications_queue_length", "")->Value(), 10);
  n.Send(MakeAlerts(100, 112));  // larger than the queue on its own: keeps A102..A111
  EXPECT_EQ(CounterValue(&metrics, "prometheus_notifications_dropped_total"), 17);
  n.Start();
  ASSERT_TRUE(am.WaitRequests(1));
  const std::string body = am.bodies()[0];
  EXPECT_EQ(CountOf(body, "\"labels\":"), 10u);
  EXPECT_EQ(body.find("\"A101\""), std::string::npos);
  EXPECT_NE(body.find("\"A102\""), std::string::npos);
  EXPECT_NE(body.find("\"A111\""), std::string::npos);
}

TEST(NotifierTest, FailingAndSlowAlertmanagersNeverBlockSend) {
  MetricsRegistry metrics;
  TestAlertmanager failing, slow, good;
  failing.SetStatus("500 Internal Server Error");
  slow.SetDelayMs(1500);
  Notifier n({.metrics = &metrics});
  ASSERT_TRUE(
      n.ApplyConfig({{}, {StaticAm({failing.address()}), StaticAm({slow.address()}, 200), StaticAm({good.address()})}},
                    Labels())
          .ok());
  n.Start();
  // Once a POST to the slow Alertmanager is in flight (it answers only after
  // 1.5 s), every further Send must return without waiting for it.
  n.Send(MakeAlerts(0, 1));
  ASSERT_TRUE(WaitFor([&] { return slow.arrived() >= 1; }));
  for (int i = 1; i < 50; ++i) n.Send(MakeAlerts(i, i + 1));
  EXPECT_EQ(slow.requests(), 0) << "a Send waited for the slow Alertmanager's answer";
  const std::string failing_url = "http://" + failing.address() + "/api/v2/alerts";
  const std::string slow_url = "http://" + slow.address() + "/api/v2/alerts";
  const std::string good_url = "http://" + good.address() + "/api/v2/alerts";
  ASSERT_TRUE(WaitFor([&] { return CounterValue(&metrics, "prometheus_notifications_sent_total", good_url) == 50; }));
  EXPECT_EQ(CounterValue(&metrics, "prometheus_notifications_errors_total", good_url), 0);
  // Every batch reached `good` but no Alertmanager of the two other sets: dropped.
  EXPECT_EQ(CounterValue(&metrics, "prometheus_notifications_errors_total", failing_url),
            CounterValue(&metrics, "prometheus_notifications_sent_total", failing_url));
  EXPECT_EQ(CounterValue(&metrics, "prometheus_notifications_errors_total", slow_url), 50);
  EXPECT_EQ(CounterValue(&metrics, "prometheus_notifications_dropped_total"), 50);
  n.Stop();
}

TEST(NotifierTest, ExternalLabelsAndRelabelingApplyBeforeQueuing) {
  MetricsRegistry metrics;
  TestAlertmanager am, filtered;
  AlertingConfig cfg;
  cfg.alert_relabel_configs = {DropRule("alertname", "A1")};
  AlertmanagerConfig only_a0 = StaticAm({filtered.address()});
  only_a0.alert_relabel_configs = {DropRule("alertname", "A2")};
  cfg.alertmanagers = {StaticAm({am.address()}), only_a0};
  Notifier n({.metrics = &metrics});
  ASSERT_TRUE(n.ApplyConfig(cfg, Labels{{"cluster", "c1"}, {"extra", "ext"}}).ok());
  n.Send(MakeAlerts(0, 3, "extra"));  // the alert's own `extra` wins
  EXPECT_EQ(n.QueueLength(), 2u);     // A1 dropped before queuing
  n.Start();
  ASSERT_TRUE(am.WaitRequests(1));
  ASSERT_TRUE(filtered.WaitRequests(1));
  const std::string body = am.bodies()[0];
  EXPECT_NE(body.find(R"("labels":{"alertname":"A0","cluster":"c1","extra":"v"})"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("alertname":"A2")"), std::string::npos);
  EXPECT_EQ(body.find(R"("alertname":"A1")"), std::string::npos);
  const std::string only = filtered.bodies()[0];
  EXPECT_EQ(CountOf(only, "\"labels\":"), 1u);
  EXPECT_NE(only.find(R"("alertname":"A0")"), std::string::npos);
}

TEST(NotifierTest, RelabelsAlertmanagersAndRejectsV1) {
  AlertmanagerConfig am = StaticAm({"a:1", "b:2"});
  am.relabel_configs = {DropRule("__address__", "b:2")};
  am.path_prefix = "/x";
  Notifier n({});
  ASSERT_TRUE(n.ApplyConfig({{}, {am}}, Labels()).ok());
  EXPECT_EQ(n.Alertmanagers(), std::vector<std::string>{"http://a:1/x/api/v2/alerts"});
  EXPECT_EQ(n.DroppedAlertmanagers(), std::vector<std::string>{"http://b:2/x/api/v2/alerts"});
  AlertmanagerConfig v1 = am;
  v1.api_version = "v1";
  Status s = n.ApplyConfig({{}, {v1}}, Labels());
  EXPECT_EQ(s.message(), "expected Alertmanager api version to be one of [v2] but got v1");
  EXPECT_EQ(n.Alertmanagers().size(), 1u);  // the previous config stays
}

TEST(NotifierTest, SendsBearerTokenAndFindsAlertmanagersInFiles) {
  TestAlertmanager am;
  const std::string file = ::testing::TempDir() + "/notifier_sd_" + std::to_string(::getpid()) + ".json";
  std::ofstream(file) << R"([{"targets":[")" << am.address() << R"("],"labels":{"env":"x"}}])";
  AlertmanagerConfig cfg;
  scrape::FileSDConfig sd;
  sd.files = {file};
  cfg.file_sd_configs = {sd};
  cfg.http_client.authorization = scrape::Authorization{"Bearer", "secret", ""};
  Notifier n({.discovery_tick_ms = 20});
  ASSERT_TRUE(n.ApplyConfig({{}, {cfg}}, Labels()).ok());
  ASSERT_TRUE(WaitFor([&] { return n.Alertmanagers().size() == 1; }));
  n.Start();
  n.Send(MakeAlerts(0, 1));
  ASSERT_TRUE(am.WaitRequests(1));
  EXPECT_NE(am.heads()[0].find("Authorization: Bearer secret"), std::string::npos) << am.heads()[0];
  n.Stop();
  std::remove(file.c_str());
}

TEST(NotifierTest, StopDrainsTheQueue) {
  TestAlertmanager am;
  Notifier n({});
  ASSERT_TRUE(n.ApplyConfig({{}, {StaticAm({am.address()})}}, Labels()).ok());
  n.Send(MakeAlerts(0, 300));
  n.Start();
  n.Stop();
  EXPECT_EQ(n.QueueLength(), 0u);
  ASSERT_TRUE(am.WaitRequests(2));
  size_t total = 0;
  for (const std::string& b : am.bodies()) total += CountOf(b, "\"labels\":");
  EXPECT_EQ(total, 300u);
}

}  // namespace
}  // namespace promethium::rules
