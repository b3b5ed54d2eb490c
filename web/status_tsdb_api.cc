// /api/v1/status/tsdb, shaped as Prometheus's serveTSDBStatus: head stats
// plus four top-N cardinality lists.
#include <charconv>
#include <string>

#include "web/api_endpoints.h"
#include "web/json_writer.h"

namespace promethium::web {

namespace {

// Prometheus caps the limit parameter at this value.
constexpr int64_t kMaxTsdbStatusLimit = 10000;
constexpr int64_t kDefaultTsdbStatusLimit = 10;

void WriteStats(JsonWriter* w, std::string_view key, const std::vector<TsdbStat>& stats) {
  w->Key(key);
  w->BeginArray();
  for (const TsdbStat& s : stats) {
    w->BeginObject();
    w->Key("name");
    w->String(s.name);
    w->Key("value");
    w->Int(static_cast<int64_t>(s.value));
    w->EndObject();
  }
  w->EndArray();
}

}  // namespace

ApiResult ServeTsdbStatus(const ApiDeps& deps, const ApiCall& call) {
  int64_t limit = kDefaultTsdbStatusLimit;
  std::string limit_text = call.form.Get("limit");
  if (!limit_text.empty()) {
    const char* end = limit_text.data() + limit_text.size();
    auto [ptr, ec] = std::from_chars(limit_text.data(), end, limit);
    if (ec != std::errc() || ptr != end || limit < 1) {
      return ApiResult::Error(ApiErrorType::kBadData, "limit must be a positive number");
    }
    if (limit > kMaxTsdbStatusLimit) {
      return ApiResult::Error(ApiErrorType::kBadData, "limit must not exceed " + std::to_string(kMaxTsdbStatusLimit));
    }
  }
  if (!deps.tsdb_status) return ApiResult::Error(ApiErrorType::kUnavailable, "TSDB not ready");
  TsdbStatus s = deps.tsdb_status(static_cast<size_t>(limit));
  JsonWriter w;
  w.BeginObject();
  w.Key("headStats");
  w.BeginObject();
  w.Key("numSeries");
  w.Int(static_cast<int64_t>(s.num_series));
  w.Key("numLabelPairs");
  w.Int(static_cast<int64_t>(s.num_label_pairs));
  w.Key("chunkCount");
  w.Int(s.chunk_count);
  w.Key("minTime");
  w.Int(s.min_time);
  w.Key("maxTime");
  w.Int(s.max_time);
  w.EndObject();
  WriteStats(&w, "seriesCountByMetricName", s.series_count_by_metric_name);
  WriteStats(&w, "labelValueCountByLabelName", s.label_value_count_by_label_name);
  WriteStats(&w, "memoryInBytesByLabelName", s.memory_in_bytes_by_label_name);
  WriteStats(&w, "seriesCountByLabelValuePair", s.series_count_by_label_value_pair);
  w.EndObject();
  return ApiResult::Data(w.Take());
}

}  // namespace promethium::web
