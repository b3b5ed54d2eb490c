// Scrape appending: turns one scrape body into samples on an Appender
// (Prometheus's scrapeLoop.append / report), with no I/O of its own.
//
// AppendScrapeBody parses the body, builds each series' labels (exposition
// labels + target labels, see MergeTargetLabels, then the target's
// metric_relabel_configs) on a scrape-cache miss, enforces label_limit
// (after relabeling) and sample_limit, and appends every sample at the
// scrape timestamp (or the exposition timestamp with honor_timestamps).
// Per-sample storage rejections that Prometheus tolerates (out of order,
// duplicate timestamp, out of bounds) are counted and skipped; any other
// error fails the whole scrape, and the caller must Rollback. A series that
// metric relabeling drops is remembered in the cache (as an entry without
// labels), so later scrapes skip it without relabeling again; it counts in
// `scraped` but not in `added`.
//
// Ownership: everything is borrowed for the duration of the call.
// Thread-safety: none; called by the one scrape loop that owns the cache.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "scrape/scrape_cache.h"
#include "scrape/target.h"
#include "scrape/textparse/scrape_protocol.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/status.h"

namespace promethium::scrape {

struct AppendOptions {
  bool honor_labels = false;
  bool honor_timestamps = true;
  uint64_t sample_limit = 0;  // 0: unlimited
  uint64_t label_limit = 0;   // 0: unlimited
  // Bytes of any one label name / value of a sample (after relabeling), as
  // Prometheus's scrape_config fields of the same names; 0: unlimited.
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  // Native histograms (the scrape_config keys of the same names):
  // protobuf native histograms are read only with scrape_native_histograms;
  // always_scrape_classic_histograms also keeps the classic series of a
  // histogram exposed both ways; convert_classic_histograms_to_nhcb turns
  // classic histograms into custom-bucket native histograms.
  bool scrape_native_histograms = false;
  bool always_scrape_classic_histograms = false;
  bool convert_classic_histograms_to_nhcb = false;
  // native_histogram_bucket_limit (0: none) and the schema cap picked from
  // native_histogram_min_bucket_factor (see histogram_limits.h).
  uint64_t native_histogram_bucket_limit = 0;
  int32_t native_histogram_max_schema = 8;
};

struct AppendStats {
  Status status;              // first fatal error (parse error, limit, storage failure)
  uint64_t scraped = 0;       // samples in the body (scrape_samples_scraped)
  uint64_t added = 0;         // samples after relabeling (scrape_samples_post_metric_relabeling)
  uint64_t series_added = 0;  // series new to the cache (scrape_series_added)
  uint64_t out_of_order = 0;
  uint64_t duplicate = 0;
  uint64_t out_of_bounds = 0;
  bool sample_limit_exceeded = false;
  // A native histogram had more buckets than native_histogram_bucket_limit
  // even at the lowest schema: skipped, and the scrape fails at the end.
  bool bucket_limit_exceeded = false;
  // Native histograms the storage refused as Unsupported (a storage without
  // native histograms): skipped and counted, the rest of the scrape stands.
  uint64_t histograms_unsupported = 0;
};

// Appends the samples of `body`. On success every appended series is marked
// seen in `cache`; on failure the seen marks are dropped.
AppendStats AppendScrapeBody(std::string_view body, int64_t scrape_ts_ms, const Target& target,
                             const AppendOptions& opts, ScrapeCache* cache, Appender* app);
// The same for a body in `format` (the scrape's negotiated exposition
// format): the text format, OpenMetrics 1.0 (timestamps in seconds there,
// converted to ms) or the protobuf format (native histograms appended with
// Appender::AppendHistogram, after the job's native-histogram limits).
// With convert_classic_histograms_to_nhcb the text formats go through
// NhcbTextParser (nhcb_text_parser.h), the protobuf parser converts itself.
// Exemplars go to Appender::AppendExemplar; a rejected one never fails the
// scrape.
AppendStats AppendScrapeBody(std::string_view body, ExpositionFormat format, int64_t scrape_ts_ms, const Target& target,
                             const AppendOptions& opts, ScrapeCache* cache, Appender* app);

// Appends a stale marker at `ts_ms` for every series of the previous
// successful scrape not seen in this one (see ScrapeCache::ForEachStale).
// Storage rejections are ignored: a marker older than newer data is moot.
void AppendStaleMarkers(ScrapeCache* cache, int64_t ts_ms, Appender* app);

// The five per-scrape report series, appended with the target labels.
struct ScrapeReport {
  bool up = false;
  double duration_seconds = 0;
  uint64_t scraped = 0;
  uint64_t added = 0;
  uint64_t series_added = 0;
};

class ReportAppender {
 public:
  explicit ReportAppender(const Labels& target_labels);
  Status Append(const ScrapeReport& report, int64_t ts_ms, Appender* app);
  // Stale markers for the report series (target removed or stopped).
  void AppendStale(int64_t ts_ms, Appender* app);

 private:
  static constexpr size_t kNumSeries = 5;
  std::array<Labels, kNumSeries> labels_;
  std::array<SeriesRef, kNumSeries> refs_{};
};

}  // namespace promethium::scrape
