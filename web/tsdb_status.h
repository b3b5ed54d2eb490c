// TsdbStatus: what /api/v1/status/tsdb shows, as a plain value.
//
// web never links the storage engine, so the server fills this struct from
// tsdb::DB::Stats() and DB::CardinalityStats(limit) through the ApiDeps
// tsdb_status callback. Field meanings follow Prometheus's TSDBStatus
// (web/api/v1/api.go).
//
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace promethium::web {

struct TsdbStat {
  std::string name;
  uint64_t value = 0;
};

struct TsdbStatus {
  uint64_t num_series = 0;
  uint64_t num_label_pairs = 0;
  int64_t chunk_count = 0;
  // Head time range in ms; INT64_MAX/INT64_MIN while the head is empty.
  int64_t min_time = 0;
  int64_t max_time = 0;
  std::vector<TsdbStat> series_count_by_metric_name;
  std::vector<TsdbStat> label_value_count_by_label_name;
  std::vector<TsdbStat> memory_in_bytes_by_label_name;
  std::vector<TsdbStat> series_count_by_label_value_pair;  // names are "label=value"
};

}  // namespace promethium::web
