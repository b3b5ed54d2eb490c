// Remote write request encoding: a batch of QueueItems (samples, exemplars,
// native histograms) as a snappy-compressed
// prometheus.WriteRequest (Remote Write 1.0) or io.prometheus.write.v2.Request
// (2.0), plus the 1.0 metadata-only request, and the request headers each
// protocol sends.
//
// As Prometheus does, every item becomes its own TimeSeries (one sample, one
// exemplar or one histogram each); labels are sent sorted. Histograms go
// into TimeSeries.histograms as Prometheus's HistogramToHistogramProto puts
// them: integer ones with count_int/zero_count_int and bucket deltas, float
// ones with count_float/zero_count_float and absolute counts, custom-bucket
// bounds in custom_values (both protocols). 2.0 interns every string in
// the request's symbols table (symbols[0] is ""), and fills each series'
// Metadata from `metadata` (looked up by metric name, then by the name
// without a _total/_bucket/_count/_sum/_info suffix); without an entry the
// type is METRIC_TYPE_UNSPECIFIED and help/unit are empty.
//
// Thread-safety: pure functions; MetadataIndex is immutable once built.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "remote/write/queue_item.h"
#include "remote/write/remote_write_config.h"
#include "tsdb/base/result.h"

namespace promethium::remote {

// Metric metadata by family name (type as in the exposition: "counter", ...).
struct MetricMetadataEntry {
  std::string family;
  std::string type;
  std::string help;
  std::string unit;
};
using MetadataIndex = std::unordered_map<std::string, MetricMetadataEntry>;

struct EncodedBatch {
  std::string body;  // compressed
  size_t samples = 0;
  size_t exemplars = 0;
  size_t histograms = 0;          // integer and float
  size_t metadata = 0;            // 2.0: series that carried metadata
  int64_t highest_timestamp = 0;  // ms; of what was encoded
  int64_t lowest_timestamp = 0;   // ms
  // Items left out because older than `min_timestamp`.
  size_t dropped_samples = 0;
  size_t dropped_exemplars = 0;
  size_t dropped_histograms = 0;
};

// Encodes `items`, leaving out those with t < min_timestamp (pass INT64_MIN
// to keep all). Fails only if serialization fails.
Result<EncodedBatch> EncodeBatch(WriteProtocol protocol, std::span<const QueueItem> items,
                                 const MetadataIndex* metadata, int64_t min_timestamp);

// A 1.0 WriteRequest holding only `metadata` (metadata_config.send).
Result<std::string> EncodeMetadataV1(std::span<const MetricMetadataEntry> metadata);

// The headers of a request of `protocol` (besides User-Agent, which the HTTP
// client sets): Content-Encoding, Content-Type and the version header.
std::vector<std::pair<std::string, std::string>> ProtocolHeaders(WriteProtocol protocol);

// The response's X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written
// counts. `confirmed` when at least one was present (a 2.0 receiver);
// unparsable values count as 0, as Prometheus does.
struct WriteResponseStats {
  int64_t samples = 0;
  int64_t histograms = 0;
  int64_t exemplars = 0;
  bool confirmed = false;
};
WriteResponseStats ParseWriteResponseStats(std::span<const std::pair<std::string, std::string>> headers);

}  // namespace promethium::remote
