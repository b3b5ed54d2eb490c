// Agent mode (ApiDeps::agent_mode) through ApiHandler::Handle: the endpoints
// Prometheus's agent wraps with wrapAgent answer 422 "unavailable with
// Prometheus Agent"; the others work.
#include <gtest/gtest.h>

#include "web/api_handler.h"

namespace promethium::web {
namespace {

HttpResponse Call(const ApiDeps& deps, std::string method, std::string target) {
  HttpRequest req;
  req.method = std::move(method);
  req.target = std::move(target);
  return ApiHandler(deps).Handle(req);
}

TEST(AgentModeApiTest, QueryEndpointsAnswerTheAgentError) {
  ApiDeps deps;
  deps.agent_mode = true;
  deps.enable_admin_api = true;
  constexpr std::string_view kAgentError =
      R"({"status":"error","errorType":"execution","error":"unavailable with Prometheus Agent"})";
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/query?query=up"},
           {"POST", "/api/v1/query_range"},
           {"GET", "/api/v1/query_exemplars?query=up"},
           {"GET", "/api/v1/labels"},
           {"GET", "/api/v1/label/job/values"},
           {"GET", "/api/v1/series?match[]=up"},
           {"GET", "/api/v1/rules"},
           {"GET", "/api/v1/alerts"},
           {"GET", "/api/v1/alertmanagers"},
           {"GET", "/api/v1/status/tsdb"},
           {"POST", "/api/v1/admin/tsdb/snapshot"},
       }) {
    HttpResponse r = Call(deps, method, target);
    EXPECT_EQ(r.status, 422) << target;
    EXPECT_EQ(r.body, kAgentError) << target;
  }
}

TEST(AgentModeApiTest, StatusAndTargetsStillWork) {
  ApiDeps deps;
  deps.agent_mode = true;
  deps.targets = [] { return std::vector<TargetInfo>{}; };
  deps.config_yaml = [] { return std::string("global: {}\n"); };
  for (const char* target : {"/api/v1/targets", "/api/v1/status/config", "/api/v1/status/flags",
                             "/api/v1/status/buildinfo", "/-/ready", "/-/healthy", "/metrics"}) {
    EXPECT_EQ(Call(deps, "GET", target).status, 200) << target;
  }
  deps.agent_mode = false;
  EXPECT_NE(Call(deps, "GET", "/api/v1/rules").status, 422);
}

}  // namespace
}  // namespace promethium::web
