// /api/v1/rules and /api/v1/alerts: Prometheus's JSON shapes and filters,
// through ApiHandler::Handle without sockets.
#include <gtest/gtest.h>

#include "web/api_handler.h"

namespace promethium::web {
namespace {

HttpRequest Get(std::string target) {
  HttpRequest req;
  req.method = "GET";
  req.target = std::move(target);
  return req;
}

std::vector<RuleGroupInfo> TestGroups() {
  RuleInfo record;
  record.name = "job:up:sum";
  record.query = "sum by (job) (up)";
  record.health = "ok";
  record.evaluation_seconds = 0.25;
  record.last_evaluation_ms = 1700000000000;
  RuleInfo alert;
  alert.alerting = true;
  alert.name = "InstanceDown";
  alert.query = "up == 0";
  alert.for_ms = 300000;
  alert.labels = Labels{{"severity", "page"}};
  alert.annotations = Labels{{"summary", "down"}};
  alert.state = "firing";
  alert.health = "err";
  alert.last_error = "boom";
  alert.alerts.push_back(AlertInfo{Labels{{"alertname", "InstanceDown"}, {"instance", "a"}},
                                   Labels{{"summary", "a is down"}}, "firing", 1700000000500, 0, 1});
  RuleGroupInfo g1{"node", "/etc/rules/node.yml", 60000, 0, {record, alert}, 0.5, 1700000000000};
  RuleGroupInfo g2{"other", "/etc/rules/other.yml", 15000, 10, {}, 0, 0};
  return {g1, g2};
}

class RulesApiTest : public ::testing::Test {
 protected:
  RulesApiTest() {
    deps_.rule_groups = [] { return TestGroups(); };
    deps_.alerts = [] { return TestGroups()[0].rules[1].alerts; };
  }
  std::string Body(const std::string& target) { return ApiHandler(deps_).Handle(Get(target)).body; }
  ApiDeps deps_;
};

TEST_F(RulesApiTest, RendersGroupsRulesAndAlertsAsPrometheus) {
  const std::string want =
      R"j({"status":"success","data":{"groups":[)j"
      R"j({"name":"node","file":"/etc/rules/node.yml","rules":[)j"
      R"j({"name":"job:up:sum","query":"sum by (job) (up)","labels":{},"health":"ok","evaluationTime":0.25,)j"
      R"j("lastEvaluation":"2023-11-14T22:13:20Z","type":"recording"},)j"
      R"j({"state":"firing","name":"InstanceDown","query":"up == 0","duration":300,"keepFiringFor":0,)j"
      R"j("labels":{"severity":"page"},"annotations":{"summary":"down"},"alerts":[{"labels":{"alertname":)j"
      R"j("InstanceDown","instance":"a"},"annotations":{"summary":"a is down"},"state":"firing",)j"
      R"j("activeAt":"2023-11-14T22:13:20.5Z","value":"1e+00"}],"health":"err","lastError":"boom",)j"
      R"j("evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z","type":"alerting"}],)j"
      R"j("interval":60,"limit":0,"evaluationTime":0.5,"lastEvaluation":"2023-11-14T22:13:20Z"},)j"
      R"j({"name":"other","file":"/etc/rules/other.yml","rules":[],"interval":15,"limit":10,"evaluationTime":0,)j"
      R"j("lastEvaluation":"0001-01-01T00:00:00Z"}]}})j";
  EXPECT_EQ(Body("/api/v1/rules"), want);
}

TEST_F(RulesApiTest, Filters) {
  const std::string alerts_only = Body("/api/v1/rules?type=alert");
  EXPECT_EQ(alerts_only.find("job:up:sum"), std::string::npos) << alerts_only;
  EXPECT_NE(alerts_only.find("InstanceDown"), std::string::npos);
  EXPECT_EQ(alerts_only.find("\"other\""), std::string::npos) << "a group left without rules is dropped";
  const std::string records = Body("/api/v1/rules?type=record");
  EXPECT_EQ(records.find("InstanceDown"), std::string::npos);
  const std::string node_only = Body("/api/v1/rules?rule_group[]=node");
  EXPECT_NE(node_only.find("\"node\""), std::string::npos) << node_only;
  EXPECT_EQ(node_only.find("\"other\""), std::string::npos) << node_only;
  EXPECT_EQ(Body("/api/v1/rules?file[]=/etc/rules/other.yml").find("\"node\""), std::string::npos);
  EXPECT_EQ(Body("/api/v1/rules?rule_name[]=job:up:sum").find("InstanceDown"), std::string::npos);
  const std::string matched = Body("/api/v1/rules?match[]={severity=%22page%22}");
  EXPECT_NE(matched.find("InstanceDown"), std::string::npos) << matched;
  EXPECT_EQ(matched.find("job:up:sum"), std::string::npos) << matched;
  const std::string excluded = Body("/api/v1/rules?exclude_alerts=true");
  EXPECT_NE(excluded.find(R"("alerts":[])"), std::string::npos) << excluded;
  EXPECT_NE(Body("/api/v1/rules?type=bogus").find(R"("errorType":"bad_data")"), std::string::npos);
  EXPECT_NE(Body("/api/v1/rules?exclude_alerts=maybe").find(R"("errorType":"bad_data")"), std::string::npos);
}

TEST_F(RulesApiTest, Alerts) {
  EXPECT_EQ(Body("/api/v1/alerts"),
            R"({"status":"success","data":{"alerts":[{"labels":{"alertname":"InstanceDown","instance":"a"},)"
            R"("annotations":{"summary":"a is down"},"state":"firing","activeAt":"2023-11-14T22:13:20.5Z",)"
            R"("value":"1e+00"}]}})");
  EXPECT_EQ(ApiHandler(ApiDeps{}).Handle(Get("/api/v1/alerts")).body, R"({"status":"success","data":{"alerts":[]}})");
}

}  // namespace
}  // namespace promethium::web

namespace promethium::web {
namespace {

TEST_F(RulesApiTest, AlertTimesKeepTheirNanoseconds) {
  // Prometheus's evaluation instants are ns-precise (the group's slot offset):
  // activeAt and keepFiringSince are printed as Go prints them.
  deps_.alerts = [] {
    return std::vector<AlertInfo>{
        AlertInfo{Labels{{"alertname", "A"}}, Labels(), "firing", 1700000000500, 1700000002000, 1, 728200}};
  };
  const std::string body = Body("/api/v1/alerts");
  EXPECT_NE(body.find(R"("activeAt":"2023-11-14T22:13:20.5007282Z")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("keepFiringSince":"2023-11-14T22:13:22.0007282Z")"), std::string::npos) << body;
}

TEST(AlertmanagersApiTest, ListsActiveAndDroppedAsPrometheus) {
  ApiDeps deps;
  deps.alertmanagers = [] {
    return AlertmanagersInfo{{"http://127.0.0.1:9093/api/v2/alerts"}, {"http://b:9093/api/v2/alerts"}};
  };
  EXPECT_EQ(ApiHandler(deps).Handle(Get("/api/v1/alertmanagers")).body,
            R"({"status":"success","data":{"activeAlertmanagers":[{"url":"http://127.0.0.1:9093/api/v2/alerts"}],)"
            R"("droppedAlertmanagers":[{"url":"http://b:9093/api/v2/alerts"}]}})");
  EXPECT_EQ(ApiHandler(ApiDeps{}).Handle(Get("/api/v1/alertmanagers")).body,
            R"({"status":"success","data":{"activeAlertmanagers":[],"droppedAlertmanagers":[]}})");
}

}  // namespace
}  // namespace promethium::web
