#include "rules/notifier/notifier_alert.h"

#include <gtest/gtest.h>

namespace promethium::rules {
namespace {

TEST(NotifierAlertTest, QueryEscapeAsGo) {
  EXPECT_EQ(QueryEscape("up == 0"), "up+%3D%3D+0");
  EXPECT_EQ(QueryEscape("rate(x{job=\"a\"}[5m]) > 0.5~_-"), "rate%28x%7Bjob%3D%22a%22%7D%5B5m%5D%29+%3E+0.5~_-");
  EXPECT_EQ(TableLinkForExpression("up"), "/graph?g0.expr=up&g0.tab=1");
}

TEST(NotifierAlertTest, FormatAlertTimeIsRfc3339Millis) {
  EXPECT_EQ(FormatAlertTime(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(FormatAlertTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatAlertTime(std::nullopt), "0001-01-01T00:00:00.000Z");
}

TEST(NotifierAlertTest, ConvertsAsSendAlerts) {
  Alert firing;
  firing.state = AlertState::kFiring;
  firing.labels = Labels{{"alertname", "Down"}, {"job", "x"}};
  firing.annotations = Labels{{"summary", "x is down"}};
  firing.active_at_ms = 1000;
  firing.fired_at_ms = 61000;
  firing.valid_until_ms = 301000;
  Alert resolved = firing;
  resolved.resolved_at_ms = 121000;
  std::vector<NotifierAlert> out = ToNotifierAlerts("up == 0", {firing, resolved}, "http://prom:9090");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].starts_at_ms, 61000);  // firedAt, as Prometheus
  EXPECT_EQ(out[0].ends_at_ms, 301000);   // validUntil
  EXPECT_EQ(out[1].ends_at_ms, 121000);   // resolvedAt
  EXPECT_EQ(out[0].generator_url, "http://prom:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1");
  EXPECT_EQ(out[0].labels, firing.labels);
  EXPECT_EQ(out[0].annotations, firing.annotations);
}

TEST(NotifierAlertTest, EncodesApiV2Json) {
  NotifierAlert a;
  a.labels = Labels{{"alertname", "A"}, {"x", "<q\"\n>"}};
  a.annotations = Labels{{"d", "&"}};
  a.starts_at_ms = 1000;
  a.ends_at_ms = 2000;
  a.generator_url = "http://h/graph?g0.expr=up&g0.tab=1";
  NotifierAlert b;
  b.labels = Labels{{"alertname", "B"}};
  EXPECT_EQ(EncodeAlertsV2({a, b}),
            R"([{"annotations":{"d":"\u0026"},"endsAt":"1970-01-01T00:00:02.000Z",)"
            R"("startsAt":"1970-01-01T00:00:01.000Z","generatorURL":"http://h/graph?g0.expr=up\u0026g0.tab=1",)"
            R"("labels":{"alertname":"A","x":"\u003cq\"\n\u003e"}},)"
            R"({"endsAt":"0001-01-01T00:00:00.000Z","startsAt":"0001-01-01T00:00:00.000Z",)"
            R"("labels":{"alertname":"B"}}])");
  EXPECT_EQ(EncodeAlertsV2({}), "[]");
}

}  // namespace
}  // namespace promethium::rules
