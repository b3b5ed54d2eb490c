// /-/reload, /-/quit and /api/v1/admin/* through ApiHandler::Handle.
#include <gtest/gtest.h>

#include <atomic>

#include "web/api_handler.h"

namespace promethium::web {
namespace {

HttpResponse Do(const ApiDeps& deps, std::string method, std::string target) {
  HttpRequest req;
  req.method = std::move(method);
  req.target = std::move(target);
  return ApiHandler(deps).Handle(req);
}

TEST(LifecycleTest, DisabledAnswers403) {
  int reloads = 0;
  ApiDeps deps;
  deps.reload = [&reloads] {
    ++reloads;
    return Status::OK();
  };
  for (std::string method : {"POST", "PUT"}) {
    for (std::string path : {"/-/reload", "/-/quit"}) {
      HttpResponse r = Do(deps, method, path);
      EXPECT_EQ(r.status, 403) << method << " " << path;
      EXPECT_EQ(r.body, "Lifecycle API is not enabled.");
    }
  }
  EXPECT_EQ(reloads, 0);
}

TEST(LifecycleTest, GetIsRefused) {
  ApiDeps deps;
  deps.enable_lifecycle = true;
  HttpResponse r = Do(deps, "GET", "/-/quit");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, "Only POST or PUT requests allowed");
}

TEST(LifecycleTest, ReloadReportsTheOutcome) {
  Status next = Status::OK();
  int reloads = 0;
  ApiDeps deps;
  deps.enable_lifecycle = true;
  deps.reload = [&] {
    ++reloads;
    return next;
  };
  HttpResponse r = Do(deps, "POST", "/-/reload");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  next = Status::InvalidArgument("field bogus not found");
  r = Do(deps, "PUT", "/-/reload");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "failed to reload config: field bogus not found\n");
  EXPECT_EQ(reloads, 2);
}

TEST(LifecycleTest, QuitRequestsTerminationOnce) {
  std::atomic<bool> requested{false};
  ApiDeps deps;
  deps.enable_lifecycle = true;
  deps.quit = [&requested] { return !requested.exchange(true); };
  HttpResponse r = Do(deps, "POST", "/-/quit");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Requesting termination... Goodbye!");
  EXPECT_TRUE(requested.load());
  r = Do(deps, "PUT", "/-/quit");
  EXPECT_EQ(r.body, "Termination already in progress.");
}

TEST(AdminApiTest, DisabledIsUnavailable) {
  for (std::string action : {"delete_series", "clean_tombstones", "snapshot"}) {
    HttpResponse r = Do(ApiDeps{}, "POST", "/api/v1/admin/tsdb/" + action);
    EXPECT_EQ(r.status, 503) << action;
    EXPECT_EQ(r.body, R"({"status":"error","errorType":"unavailable","error":"admin APIs disabled"})");
  }
}

TEST(AdminApiTest, EnabledFailsLoudlyAsUnsupported) {
  ApiDeps deps;
  deps.enable_admin_api = true;
  HttpResponse r = Do(deps, "PUT", "/api/v1/admin/tsdb/snapshot");
  EXPECT_EQ(r.status, 501);
  EXPECT_NE(r.body.find("unsupported: /api/v1/admin/tsdb/snapshot"), std::string::npos) << r.body;
  r = Do(deps, "POST", "/api/v1/admin/tsdb/delete_series?match[]=up");
  EXPECT_NE(r.body.find("unsupported: /api/v1/admin/tsdb/delete_series"), std::string::npos) << r.body;
  EXPECT_EQ(Do(deps, "GET", "/api/v1/admin/tsdb/snapshot").status, 405);
}

}  // namespace
}  // namespace promethium::web
