// /api/v1/metadata and /api/v1/targets/metadata with a fake target_metadata
// callback.
#include <gtest/gtest.h>

#include "web/api_handler.h"

namespace promethium::web {
namespace {

std::vector<TargetMetadataInfo> FakeTargets() {
  TargetMetadataInfo node;
  node.target_labels = Labels{{"instance", "n:9100"}, {"job", "node"}};
  node.metadata = {
      {"node_cpu_seconds", "counter", "Seconds the CPUs spent in each mode.", "seconds"},
      {"go_goroutines", "gauge", "Number of goroutines that currently exist.", ""},
  };
  TargetMetadataInfo self;
  self.target_labels = Labels{{"instance", "p:9090"}, {"job", "prom"}};
  self.metadata = {
      {"go_goroutines", "gauge", "Number of goroutines that currently exist.", ""},  // same: merged
      {"go_goroutines", "gauge", "Goroutines.", ""},                                 // different help: kept
      {"up_total", "", "", ""},                                                      // no TYPE: unknown
  };
  return {node, self};
}

class MetadataApiTest : public ::testing::Test {
 protected:
  MetadataApiTest() {
    deps_.target_metadata = [this](const std::string& metric) {
      asked_metric_ = metric;
      return FakeTargets();
    };
  }
  HttpResponse Get(std::string target) {
    HttpRequest req;
    req.target = std::move(target);
    return ApiHandler(deps_).Handle(req);
  }

  ApiDeps deps_;
  std::string asked_metric_ = "<not asked>";
};

TEST_F(MetadataApiTest, AllFamiliesMergedAcrossTargets) {
  HttpResponse r = Get("/api/v1/metadata");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{)"
            R"("go_goroutines":[{"type":"gauge","help":"Number of goroutines that currently exist.","unit":""},)"
            R"({"type":"gauge","help":"Goroutines.","unit":""}],)"
            R"("node_cpu_seconds":[{"type":"counter","help":"Seconds the CPUs spent in each mode.","unit":"seconds"}],)"
            R"("up_total":[{"type":"unknown","help":"","unit":""}]}})");
  EXPECT_EQ(asked_metric_, "");
}

TEST_F(MetadataApiTest, MetricAndLimits) {
  HttpResponse r = Get("/api/v1/metadata?metric=node_cpu_seconds");
  EXPECT_EQ(r.body, R"({"status":"success","data":{"node_cpu_seconds":[{"type":"counter",)"
                    R"("help":"Seconds the CPUs spent in each mode.","unit":"seconds"}]}})");
  EXPECT_EQ(asked_metric_, "node_cpu_seconds");
  EXPECT_EQ(Get("/api/v1/metadata?metric=absent").body, R"({"status":"success","data":{}})");
  EXPECT_EQ(Get("/api/v1/metadata?limit=0").body, R"({"status":"success","data":{}})");
  r = Get("/api/v1/metadata?limit=1");
  EXPECT_EQ(r.body.find("node_cpu_seconds"), std::string::npos);
  EXPECT_NE(r.body.find("go_goroutines"), std::string::npos);
  r = Get("/api/v1/metadata?limit_per_metric=1&metric=go_goroutines");
  EXPECT_EQ(r.body, R"({"status":"success","data":{"go_goroutines":[{"type":"gauge",)"
                    R"("help":"Number of goroutines that currently exist.","unit":""}]}})");
  // 0 and negative per-metric limits are ignored, -1 is "no limit".
  EXPECT_EQ(Get("/api/v1/metadata?limit_per_metric=0").body, Get("/api/v1/metadata").body);
  EXPECT_EQ(Get("/api/v1/metadata?limit=-1").body, Get("/api/v1/metadata").body);
}

TEST_F(MetadataApiTest, BadNumbers) {
  HttpResponse r = Get("/api/v1/metadata?limit=some");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"bad_data","error":"limit must be a number"})");
  r = Get("/api/v1/metadata?limit_per_metric=1.5");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"bad_data","error":"limit_per_metric must be a number"})");
  r = Get("/api/v1/targets/metadata?limit=x");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"bad_data","error":"limit must be a number"})");
}

TEST_F(MetadataApiTest, TargetMetadataListsEveryEntryWithItsTarget) {
  HttpResponse r = Get("/api/v1/targets/metadata?match_target={job=\"node\"}");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"success","data":[)"
                    R"({"target":{"instance":"n:9100","job":"node"},"metric":"node_cpu_seconds","type":"counter",)"
                    R"("help":"Seconds the CPUs spent in each mode.","unit":"seconds"},)"
                    R"({"target":{"instance":"n:9100","job":"node"},"metric":"go_goroutines","type":"gauge",)"
                    R"("help":"Number of goroutines that currently exist.","unit":""}]})");
}

TEST_F(MetadataApiTest, TargetMetadataForOneMetricOmitsTheMetricField) {
  HttpResponse r = Get("/api/v1/targets/metadata?metric=go_goroutines");
  EXPECT_EQ(r.body, R"({"status":"success","data":[)"
                    R"({"target":{"instance":"n:9100","job":"node"},"type":"gauge",)"
                    R"("help":"Number of goroutines that currently exist.","unit":""},)"
                    R"({"target":{"instance":"p:9090","job":"prom"},"type":"gauge",)"
                    R"("help":"Number of goroutines that currently exist.","unit":""}]})");
  EXPECT_EQ(Get("/api/v1/targets/metadata?match_target={job=\"none\"}").body, R"({"status":"success","data":[]})");
}

TEST_F(MetadataApiTest, TargetMetadataLimitIsCheckedPerTarget) {
  // As Prometheus: the first target's entries all go in, then the limit stops.
  HttpResponse r = Get("/api/v1/targets/metadata?limit=1");
  EXPECT_NE(r.body.find("n:9100"), std::string::npos);
  EXPECT_EQ(r.body.find("p:9090"), std::string::npos);
  EXPECT_NE(r.body.find("go_goroutines"), std::string::npos);
  EXPECT_EQ(Get("/api/v1/targets/metadata?limit=0").body, R"({"status":"success","data":[]})");
}

TEST_F(MetadataApiTest, BadMatchTarget) {
  HttpResponse r = Get("/api/v1/targets/metadata?match_target=%7Bjob%3D");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("error":"invalid parameter \"match_target\": )"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace promethium::web
