// /api/v1/status/tsdb through ApiHandler::Handle.
#include <gtest/gtest.h>

#include "web/api_handler.h"

namespace promethium::web {
namespace {

HttpResponse Get(const ApiDeps& deps, std::string target) {
  HttpRequest req;
  req.target = std::move(target);
  return ApiHandler(deps).Handle(req);
}

TEST(TsdbStatusTest, RendersHeadStatsAndTopLists) {
  size_t asked_limit = 0;
  ApiDeps deps;
  deps.tsdb_status = [&asked_limit](size_t limit) {
    asked_limit = limit;
    TsdbStatus s;
    s.num_series = 3;
    s.num_label_pairs = 5;
    s.chunk_count = 4;
    s.min_time = 1000;
    s.max_time = 9000;
    s.series_count_by_metric_name = {{"up", 2}, {"x", 1}};
    s.label_value_count_by_label_name = {{"job", 2}};
    s.memory_in_bytes_by_label_name = {{"__name__", 7}};
    s.series_count_by_label_value_pair = {{"job=api", 2}};
    return s;
  };
  HttpResponse r = Get(deps, "/api/v1/status/tsdb");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(asked_limit, 10u);
  EXPECT_EQ(r.body, R"({"status":"success","data":{"headStats":{"numSeries":3,"numLabelPairs":5,"chunkCount":4,)"
                    R"("minTime":1000,"maxTime":9000},"seriesCountByMetricName":[{"name":"up","value":2},)"
                    R"({"name":"x","value":1}],"labelValueCountByLabelName":[{"name":"job","value":2}],)"
                    R"("memoryInBytesByLabelName":[{"name":"__name__","value":7}],)"
                    R"("seriesCountByLabelValuePair":[{"name":"job=api","value":2}]}})");
  Get(deps, "/api/v1/status/tsdb?limit=3");
  EXPECT_EQ(asked_limit, 3u);
}

TEST(TsdbStatusTest, LimitValidationAndMissingCallback) {
  ApiDeps deps;
  deps.tsdb_status = [](size_t) { return TsdbStatus{}; };
  for (std::string bad : {"0", "-1", "abc", "5x"}) {
    HttpResponse r = Get(deps, "/api/v1/status/tsdb?limit=" + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find("limit must be a positive number"), std::string::npos) << r.body;
  }
  HttpResponse r = Get(deps, "/api/v1/status/tsdb?limit=10001");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("limit must not exceed 10000"), std::string::npos) << r.body;
  EXPECT_EQ(Get(ApiDeps{}, "/api/v1/status/tsdb").status, 503);
}

}  // namespace
}  // namespace promethium::web
