#include "scrape/histogram_limits.h"

#include <cmath>

namespace promethium::scrape {
namespace {

template <typename H>
size_t BucketCount(const H& h) {
  return h.positive_buckets.size() + h.negative_buckets.size();
}

Status Reduce(Histogram* h, int32_t schema) { return h->ReduceResolution(schema); }
Status Reduce(FloatHistogram* h, int32_t schema) { return h->ReduceResolutionChecked(schema); }

template <typename H>
Status Limit(uint64_t bucket_limit, int32_t max_schema, H* h) {
  // maxSchemaAppender: only exponential schemas are reduced.
  if (IsExponentialSchema(h->schema) && h->schema > max_schema) {
    PROMETHIUM_RETURN_IF_ERROR(Reduce(h, max_schema));
  }
  if (bucket_limit == 0) return Status::OK();
  if (BucketCount(*h) > bucket_limit && !IsExponentialSchema(h->schema)) {
    return Status::ResourceExhausted(std::string(kBucketLimitExceeded));
  }
  while (BucketCount(*h) > bucket_limit) {
    if (h->schema <= kMinExponentialSchema) return Status::ResourceExhausted(std::string(kBucketLimitExceeded));
    PROMETHIUM_RETURN_IF_ERROR(Reduce(h, h->schema - 1));
  }
  return Status::OK();
}

}  // namespace

int32_t PickMaxSchema(double min_bucket_factor) {
  if (min_bucket_factor <= 1) min_bucket_factor = 1.00271;
  const double floor = std::floor(-std::log2(std::log2(min_bucket_factor)));
  if (floor >= kMaxExponentialSchema) return kMaxExponentialSchema;
  if (floor <= kMinExponentialSchema) return kMinExponentialSchema;
  return static_cast<int32_t>(floor);
}

Status ApplyNativeHistogramLimits(uint64_t bucket_limit, int32_t max_schema, std::optional<Histogram>* h,
                                  std::optional<FloatHistogram>* fh) {
  if (h->has_value()) return Limit(bucket_limit, max_schema, &**h);
  if (fh->has_value()) return Limit(bucket_limit, max_schema, &**fh);
  return Status::OK();
}

}  // namespace promethium::scrape
