// /-/reload, /-/quit and /api/v1/admin/* through ApiHandler::Handle.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "tsdb/api/sample.h"
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

TEST(AdminApiTest, EnabledWithoutCallbacksFailsLoudlyAsUnsupported) {
  ApiDeps deps;
  deps.enable_admin_api = true;
  HttpResponse r = Do(deps, "PUT", "/api/v1/admin/tsdb/snapshot");
  EXPECT_EQ(r.status, 501);
  EXPECT_NE(r.body.find("unsupported: /api/v1/admin/tsdb/snapshot"), std::string::npos) << r.body;
  r = Do(deps, "POST", "/api/v1/admin/tsdb/delete_series?match[]=up");
  EXPECT_NE(r.body.find("unsupported: /api/v1/admin/tsdb/delete_series"), std::string::npos) << r.body;
  EXPECT_EQ(Do(deps, "GET", "/api/v1/admin/tsdb/snapshot").status, 405);
  EXPECT_EQ(Do(deps, "POST", "/api/v1/admin/tsdb/clean_tombstones").status, 501);
}

HttpResponse PostForm(const ApiDeps& deps, std::string target, std::string body) {
  HttpRequest req;
  req.method = "POST";
  req.target = std::move(target);
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = std::move(body);
  return ApiHandler(deps).Handle(req);
}

struct DeleteCall {
  std::vector<Matchers> sets;
  int64_t start = 0, end = 0;
};

ApiDeps AdminDeps(std::vector<DeleteCall>* deletes, Status* next) {
  ApiDeps deps;
  deps.enable_admin_api = true;
  deps.delete_series = [deletes, next](const std::vector<Matchers>& sets, int64_t start, int64_t end) {
    deletes->push_back(DeleteCall{sets, start, end});
    return *next;
  };
  return deps;
}

TEST(AdminApiTest, DeleteSeriesPassesParsedSelectorsAndRange) {
  std::vector<DeleteCall> deletes;
  Status next = Status::OK();
  ApiDeps deps = AdminDeps(&deletes, &next);
  HttpResponse r = PostForm(deps, "/api/v1/admin/tsdb/delete_series?match[]=up",
                            "match[]=%7Bjob%3D~%22a.*%22%7D&start=1000&end=2000.5");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  ASSERT_EQ(deletes.size(), 1u);
  ASSERT_EQ(deletes[0].sets.size(), 2u);  // body values, then URL values
  EXPECT_EQ(deletes[0].sets[0][0].ToString(), "job=~\"a.*\"");
  EXPECT_EQ(deletes[0].sets[1][0].value(), "up");
  EXPECT_EQ(deletes[0].start, 1000000);
  EXPECT_EQ(deletes[0].end, 2000500);
  // Without start/end: the whole time range.
  r = Do(deps, "PUT", "/api/v1/admin/tsdb/delete_series?match[]=up");
  EXPECT_EQ(r.status, 204);
  ASSERT_EQ(deletes.size(), 2u);
  EXPECT_EQ(deletes[1].start, kMinTime);
  EXPECT_EQ(deletes[1].end, kMaxTime);
}

TEST(AdminApiTest, DeleteSeriesErrorsDeleteNothing) {
  std::vector<DeleteCall> deletes;
  Status next = Status::OK();
  ApiDeps deps = AdminDeps(&deletes, &next);
  HttpResponse r = Do(deps, "POST", "/api/v1/admin/tsdb/delete_series");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
  r = Do(deps, "POST", "/api/v1/admin/tsdb/delete_series?match[]=up&match[]=%7B");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"(invalid parameter \"match[]\": )"), std::string::npos) << r.body;
  r = Do(deps, "POST", "/api/v1/admin/tsdb/delete_series?match[]=up&start=yesterday");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": )"
                    R"(invalid time value for 'start': cannot parse \"yesterday\" to a valid timestamp"})");
  EXPECT_TRUE(deletes.empty());
  next = Status::IOError("disk on fire");
  r = Do(deps, "POST", "/api/v1/admin/tsdb/delete_series?match[]=up");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find(R"("errorType":"internal")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("disk on fire"), std::string::npos) << r.body;
}

TEST(AdminApiTest, CleanTombstones) {
  int calls = 0;
  Status next = Status::OK();
  ApiDeps deps;
  deps.enable_admin_api = true;
  deps.clean_tombstones = [&] {
    ++calls;
    return next;
  };
  HttpResponse r = Do(deps, "POST", "/api/v1/admin/tsdb/clean_tombstones");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  next = Status::IOError("compaction failed");
  r = Do(deps, "PUT", "/api/v1/admin/tsdb/clean_tombstones");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("compaction failed"), std::string::npos) << r.body;
  EXPECT_EQ(calls, 2);
}

TEST(AdminApiTest, SnapshotReturnsItsName) {
  std::vector<bool> skip_heads;
  ApiDeps deps;
  deps.enable_admin_api = true;
  deps.snapshot = [&](bool skip_head) -> Result<std::string> {
    skip_heads.push_back(skip_head);
    if (skip_heads.size() == 3) return Status::IOError("no space left on device");
    return std::string("20261122T021500Z-00000000000000ff");
  };
  HttpResponse r = Do(deps, "POST", "/api/v1/admin/tsdb/snapshot");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"success","data":{"name":"20261122T021500Z-00000000000000ff"}})");
  EXPECT_EQ(Do(deps, "POST", "/api/v1/admin/tsdb/snapshot?skip_head=T").status, 200);
  r = Do(deps, "POST", "/api/v1/admin/tsdb/snapshot?skip_head=0");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"internal","error":"create snapshot: no space left on device"})");
  r = Do(deps, "POST", "/api/v1/admin/tsdb/snapshot?skip_head=yes");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"skip_head\": )"
                    R"(unable to parse boolean: strconv.ParseBool: parsing \"yes\": invalid syntax"})");
  EXPECT_EQ(skip_heads, (std::vector<bool>{false, true, false}));
}

}  // namespace
}  // namespace promethium::web
