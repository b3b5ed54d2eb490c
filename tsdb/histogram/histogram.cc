#include "tsdb/histogram/histogram.h"

#include <cmath>
#include <cstring>

#include "tsdb/histogram/bucket_bounds.h"
#include "tsdb/histogram/bucket_iterator.h"
#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram_internal.h"

namespace promethium {

namespace hi = histogram_internal;

namespace {

// Delta-encoded integer counts to absolute float counts.
std::vector<double> AbsoluteCounts(const std::vector<int64_t>& deltas) {
  std::vector<double> out;
  out.reserve(deltas.size());
  int64_t current = 0;
  for (int64_t d : deltas) {
    current += d;
    out.push_back(static_cast<double>(current));
  }
  return out;
}

// checkHistogramBuckets for deltas: no negative absolute count; adds the
// absolute counts to *total.
Status CheckDeltaBuckets(const std::vector<int64_t>& deltas, uint64_t* total) {
  int64_t current = 0;
  for (size_t i = 0; i < deltas.size(); ++i) {
    current += deltas[i];
    if (current < 0) {
      return Status::InvalidArgument("bucket number " + std::to_string(i + 1) + " has observation count of " +
                                     std::to_string(current) + ": " + hi::kErrNegativeBucketCount);
    }
    *total += static_cast<uint64_t>(current);
  }
  return Status::OK();
}

Status WithPrefix(const char* prefix, const Status& s) {
  return Status::InvalidArgument(std::string(prefix) + s.message());
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

// Validate's schema-specific structural checks.
Status ValidateLayout(const Histogram& h, uint64_t* negative_total) {
  if (IsCustomBucketsSchema(h.schema)) {
    Status s = hi::CheckCustomBounds(h.custom_values, h.positive_spans, h.positive_buckets.size());
    if (!s.ok()) return WithPrefix("custom buckets: ", s);
    if (h.zero_count != 0) return Status::InvalidArgument("custom buckets: must have zero count of 0");
    if (h.zero_threshold != 0) return Status::InvalidArgument("custom buckets: must have zero threshold of 0");
    if (!h.negative_spans.empty()) return Status::InvalidArgument("custom buckets: must not have negative spans");
    if (!h.negative_buckets.empty()) {
      return Status::InvalidArgument("custom buckets: must not have negative buckets");
    }
    return Status::OK();
  }
  if (IsExponentialSchema(h.schema)) {
    Status s = hi::CheckSpans(h.positive_spans, h.positive_buckets.size());
    if (!s.ok()) return WithPrefix("positive side: ", s);
    s = hi::CheckSpans(h.negative_spans, h.negative_buckets.size());
    if (!s.ok()) return WithPrefix("negative side: ", s);
    s = CheckDeltaBuckets(h.negative_buckets, negative_total);
    if (!s.ok()) return WithPrefix("negative side: ", s);
    if (!h.custom_values.empty()) {
      return Status::InvalidArgument("histogram with exponential schema must not have custom bounds");
    }
    return Status::OK();
  }
  return Status::InvalidArgument(InvalidSchemaMessage(h.schema));
}

}  // namespace

std::string InvalidSchemaMessage(int32_t schema) {
  return "histogram has an invalid schema, which must be between " + std::to_string(kMinExponentialSchema) + " and " +
         std::to_string(kMaxExponentialSchema) + " for exponential buckets, or " +
         std::to_string(kCustomBucketsSchema) + " for custom buckets, got schema " + std::to_string(schema);
}

FloatHistogram Histogram::ToFloat() const {
  FloatHistogram fh;
  fh.counter_reset_hint = counter_reset_hint;
  fh.schema = schema;
  fh.zero_threshold = zero_threshold;
  fh.zero_count = static_cast<double>(zero_count);
  fh.count = static_cast<double>(count);
  fh.sum = sum;
  fh.positive_spans = positive_spans;
  fh.negative_spans = negative_spans;
  fh.positive_buckets = AbsoluteCounts(positive_buckets);
  fh.negative_buckets = AbsoluteCounts(negative_buckets);
  fh.custom_values = custom_values;
  return fh;
}

Status Histogram::Validate() const {
  uint64_t negative_total = 0, positive_total = 0;
  Status s = ValidateLayout(*this, &negative_total);
  if (!s.ok()) return s;
  s = CheckDeltaBuckets(positive_buckets, &positive_total);
  if (!s.ok()) return WithPrefix("positive side: ", s);
  const uint64_t in_buckets = negative_total + positive_total + zero_count;
  const std::string found = std::to_string(in_buckets) + " observations found in buckets, but the Count field is " +
                            std::to_string(count) + ": ";
  if (std::isnan(sum)) {
    if (in_buckets > count) {
      return Status::InvalidArgument(
          found + "histogram's observation count should be at least the number of observations found in the buckets");
    }
  } else if (in_buckets != count) {
    return Status::InvalidArgument(found +
                                   "histogram's observation count should equal the number of observations found in "
                                   "the buckets (in absence of NaN)");
  }
  return Status::OK();
}

bool Histogram::Equals(const Histogram& h2) const {
  if (schema != h2.schema || count != h2.count || !SameBits(sum, h2.sum)) return false;
  if (UsesCustomBuckets() && !CustomBucketBoundsMatch(custom_values, h2.custom_values)) return false;
  if (zero_threshold != h2.zero_threshold || zero_count != h2.zero_count) return false;
  return hi::SpansMatch(negative_spans, h2.negative_spans) && negative_buckets == h2.negative_buckets &&
         hi::SpansMatch(positive_spans, h2.positive_spans) && positive_buckets == h2.positive_buckets;
}

std::string Histogram::ToString() const {
  std::string out = "{count:" + std::to_string(count) + ", sum:" + FormatGoFloatG(sum);
  std::vector<Bucket<uint64_t>> negative;
  for (auto it = NegativeBuckets(*this); it.Next();) {
    if (it.At().count != 0) negative.push_back(it.At());
  }
  for (auto b = negative.rbegin(); b != negative.rend(); ++b) out += ", " + BucketToString(*b);
  if (zero_count != 0) out += ", " + BucketToString(ZeroBucket(*this));
  for (auto it = PositiveBuckets(*this); it.Next();) {
    if (it.At().count != 0) out += ", " + BucketToString(it.At());
  }
  out += "}";
  return out;
}

void Histogram::Compact(int max_empty_buckets) {
  for (int side = 0; side < 2; ++side) {
    auto& spans = side == 0 ? positive_spans : negative_spans;
    auto& buckets = side == 0 ? positive_buckets : negative_buckets;
    std::vector<int64_t> absolute = hi::DeltasToAbsolute(buckets);
    hi::CompactSide<int64_t>(&absolute, nullptr, &spans, max_empty_buckets);
    buckets = hi::AbsoluteToDeltas(absolute);
  }
}

Status Histogram::ReduceResolution(int32_t target_schema) {
  if (UsesCustomBuckets()) return Status::InvalidArgument("cannot reduce resolution when there are custom buckets");
  if (IsCustomBucketsSchema(target_schema)) {
    return Status::InvalidArgument("cannot reduce resolution to custom buckets schema");
  }
  if (target_schema >= schema) {
    return Status::InvalidArgument("cannot reduce resolution from schema " + std::to_string(schema) + " to " +
                                   std::to_string(target_schema));
  }
  for (int side = 0; side < 2; ++side) {
    auto& spans = side == 0 ? positive_spans : negative_spans;
    auto& buckets = side == 0 ? positive_buckets : negative_buckets;
    std::vector<int64_t> absolute = hi::DeltasToAbsolute(buckets);
    Status s = hi::ReduceSide<int64_t>(&spans, &absolute, nullptr, schema, target_schema);
    if (!s.ok()) return s;
    buckets = hi::AbsoluteToDeltas(absolute);
  }
  schema = target_schema;
  return Status::OK();
}

}  // namespace promethium
