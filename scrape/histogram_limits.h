// Native-histogram limits of a scrape job, as Prometheus's
// bucketLimitAppender and maxSchemaAppender (scrape/target.go):
//  - native_histogram_min_bucket_factor picks a maximum schema
//    (PickMaxSchema, Prometheus's pickSchema); a histogram of a higher
//    exponential schema is reduced to it;
//  - native_histogram_bucket_limit: while a histogram has more buckets
//    (positive + negative) than the limit, its schema is lowered by one;
//    at the lowest schema (-4), or for custom buckets which cannot be
//    merged, the histogram is refused with "histogram bucket limit
//    exceeded" (ResourceExhausted), which the append path counts and turns
//    into the scrape's error after the whole body was read, as Prometheus.
// The schema cap is applied first, then the bucket limit (Prometheus wraps
// the bucket limit inside the schema cap).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tsdb/base/status.h"
#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram.h"

namespace promethium::scrape {

inline constexpr std::string_view kBucketLimitExceeded = "histogram bucket limit exceeded";

// The highest schema whose bucket growth factor 2^(2^-schema) is at least
// `min_bucket_factor`, clamped to -4..8; a factor <= 1 means 8.
int32_t PickMaxSchema(double min_bucket_factor);

// Applies the limits to whichever of *h / *fh is set; `bucket_limit` 0
// means none, `max_schema` 8 means no cap.
Status ApplyNativeHistogramLimits(uint64_t bucket_limit, int32_t max_schema, std::optional<Histogram>* h,
                                  std::optional<FloatHistogram>* fh);

}  // namespace promethium::scrape
