// FloatHistogram's single-histogram methods: validation, equality, printing,
// scaling, compaction, resolution and counter-reset detection. Add/Sub live
// in float_histogram_ops.cc.
#include "tsdb/histogram/float_histogram.h"

#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

#include "tsdb/histogram/bucket_bounds.h"
#include "tsdb/histogram/bucket_iterator.h"
#include "tsdb/histogram/histogram_internal.h"

namespace promethium {

namespace hi = histogram_internal;

namespace {

Status WithPrefix(const char* prefix, const Status& s) {
  return Status::InvalidArgument(std::string(prefix) + s.message());
}

Status CheckFloatBuckets(const std::vector<double>& buckets) {
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (buckets[i] < 0) {
      return Status::InvalidArgument("bucket number " + std::to_string(i + 1) + " has observation count of " +
                                     FormatGoFloatV(buckets[i]) + ": " + hi::kErrNegativeBucketCount);
    }
  }
  return Status::OK();
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

bool BucketsMatch(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameBits(a[i], b[i])) return false;
  }
  return true;
}

Status ValidateCustomLayout(const FloatHistogram& h) {
  Status s = hi::CheckCustomBounds(h.custom_values, h.positive_spans, h.positive_buckets.size());
  if (!s.ok()) return WithPrefix("custom buckets: ", s);
  if (h.zero_count != 0) return Status::InvalidArgument("custom buckets: must have zero count of 0");
  if (h.zero_threshold != 0) return Status::InvalidArgument("custom buckets: must have zero threshold of 0");
  if (!h.negative_spans.empty()) return Status::InvalidArgument("custom buckets: must not have negative spans");
  if (!h.negative_buckets.empty()) return Status::InvalidArgument("custom buckets: must not have negative buckets");
  return Status::OK();
}

Status ValidateExponentialLayout(const FloatHistogram& h) {
  Status s = hi::CheckSpans(h.positive_spans, h.positive_buckets.size());
  if (!s.ok()) return WithPrefix("positive side: ", s);
  s = hi::CheckSpans(h.negative_spans, h.negative_buckets.size());
  if (!s.ok()) return WithPrefix("negative side: ", s);
  s = CheckFloatBuckets(h.negative_buckets);
  if (!s.ok()) return WithPrefix("negative side: ", s);
  if (h.zero_count < 0) {
    return Status::InvalidArgument("zero bucket has observation count of " + FormatGoFloatV(h.zero_count) + ": " +
                                   hi::kErrNegativeBucketCount);
  }
  if (!h.custom_values.empty()) {
    return Status::InvalidArgument("histogram with exponential schema must not have custom bounds");
  }
  return Status::OK();
}

}  // namespace

Status FloatHistogram::Validate() const {
  Status s;
  if (IsCustomBucketsSchema(schema)) {
    s = ValidateCustomLayout(*this);
  } else if (IsExponentialSchema(schema)) {
    s = ValidateExponentialLayout(*this);
  } else {
    return Status::InvalidArgument(InvalidSchemaMessage(schema));
  }
  if (!s.ok()) return s;
  // Unlike Histogram, count is not checked against the bucket total: float
  // rounding would make that check fail spuriously (as in Prometheus).
  if (count < 0) {
    return Status::InvalidArgument("observation count is  " + FormatGoFloatV(count) +
                                   ": histogram's observation count is negative");
  }
  s = CheckFloatBuckets(positive_buckets);
  if (!s.ok()) return WithPrefix("positive side: ", s);
  return Status::OK();
}

bool FloatHistogram::Equals(const FloatHistogram& h2) const {
  if (schema != h2.schema || !SameBits(count, h2.count) || !SameBits(sum, h2.sum)) return false;
  if (UsesCustomBuckets() && !CustomBucketBoundsMatch(custom_values, h2.custom_values)) return false;
  if (zero_threshold != h2.zero_threshold || !SameBits(zero_count, h2.zero_count)) return false;
  return hi::SpansMatch(negative_spans, h2.negative_spans) && BucketsMatch(negative_buckets, h2.negative_buckets) &&
         hi::SpansMatch(positive_spans, h2.positive_spans) && BucketsMatch(positive_buckets, h2.positive_buckets);
}

std::string FloatHistogram::ToString() const {
  std::string out = "{count:" + FormatGoFloatG(count) + ", sum:" + FormatGoFloatG(sum);
  std::vector<Bucket<double>> negative;
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

namespace {

std::string FormatGoFloatList(const std::vector<double>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(' ');
    out += FormatGoFloatG(values[i]);
  }
  return out;
}

// Appends "offset:N buckets:[...]" (or the n_ keys) for one compacted side.
void AppendSide(const std::vector<HistogramSpan>& spans, const std::vector<double>& buckets, const char* offset_key,
                const char* buckets_key, std::vector<std::string>* parts) {
  if (!spans.empty() && spans[0].offset != 0) parts->push_back(offset_key + (":" + std::to_string(spans[0].offset)));
  if (!buckets.empty()) parts->push_back(std::string(buckets_key) + ":[" + FormatGoFloatList(buckets) + "]");
}

}  // namespace

std::string FloatHistogram::TestExpression() const {
  FloatHistogram m = *this;
  // Joining every gap makes one span per side, which the notation needs.
  m.Compact(std::numeric_limits<int>::max());
  std::vector<std::string> parts;
  if (m.schema != 0) parts.push_back("schema:" + std::to_string(m.schema));
  if (m.count != 0) parts.push_back("count:" + FormatGoFloatG(m.count));
  if (m.sum != 0) parts.push_back("sum:" + FormatGoFloatG(m.sum));
  if (m.zero_count != 0) parts.push_back("z_bucket:" + FormatGoFloatG(m.zero_count));
  if (m.zero_threshold != 0) parts.push_back("z_bucket_w:" + FormatGoFloatG(m.zero_threshold));
  if (m.UsesCustomBuckets()) parts.push_back("custom_values:[" + FormatGoFloatList(m.custom_values) + "]");
  switch (m.counter_reset_hint) {
    case CounterResetHint::kUnknown: break;
    case CounterResetHint::kCounterReset: parts.push_back("counter_reset_hint:reset"); break;
    case CounterResetHint::kNotCounterReset: parts.push_back("counter_reset_hint:not_reset"); break;
    case CounterResetHint::kGauge: parts.push_back("counter_reset_hint:gauge"); break;
  }
  AppendSide(m.positive_spans, m.positive_buckets, "offset", "buckets", &parts);
  AppendSide(m.negative_spans, m.negative_buckets, "n_offset", "n_buckets", &parts);
  std::string out = "{{";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.push_back(' ');
    out += parts[i];
  }
  return out + "}}";
}

void FloatHistogram::Mul(double factor) {
  zero_count *= factor;
  count *= factor;
  sum *= factor;
  for (double& b : positive_buckets) b *= factor;
  for (double& b : negative_buckets) b *= factor;
  if (factor < 0) counter_reset_hint = CounterResetHint::kGauge;
}

void FloatHistogram::Div(double divisor) {
  zero_count /= divisor;
  count /= divisor;
  sum /= divisor;
  if (divisor == 0) {
    // Prometheus drops the buckets rather than filling them with +Inf/NaN.
    positive_buckets.clear();
    negative_buckets.clear();
    positive_spans.clear();
    negative_spans.clear();
    return;
  }
  for (double& b : positive_buckets) b /= divisor;
  for (double& b : negative_buckets) b /= divisor;
  if (divisor < 0) counter_reset_hint = CounterResetHint::kGauge;
}

void FloatHistogram::Compact(int max_empty_buckets) {
  hi::CompactSide<double>(&positive_buckets, nullptr, &positive_spans, max_empty_buckets);
  hi::CompactSide<double>(&negative_buckets, nullptr, &negative_spans, max_empty_buckets);
}

Status FloatHistogram::ReduceResolutionChecked(int32_t target_schema) {
  if (UsesCustomBuckets()) return Status::InvalidArgument("cannot reduce resolution when there are custom buckets");
  if (IsCustomBucketsSchema(target_schema)) {
    return Status::InvalidArgument("cannot reduce resolution to custom buckets schema");
  }
  if (target_schema >= schema) {
    return Status::InvalidArgument("cannot reduce resolution from schema " + std::to_string(schema) + " to " +
                                   std::to_string(target_schema));
  }
  Status s = hi::ReduceSide<double>(&positive_spans, &positive_buckets, nullptr, schema, target_schema);
  if (!s.ok()) return s;
  s = hi::ReduceSide<double>(&negative_spans, &negative_buckets, nullptr, schema, target_schema);
  if (!s.ok()) return s;
  schema = target_schema;
  return Status::OK();
}

void FloatHistogram::ReduceResolution(int32_t target_schema) {
  [[maybe_unused]] Status s = ReduceResolutionChecked(target_schema);
  assert(s.ok() && "FloatHistogram::ReduceResolution preconditions violated");
}

Result<FloatHistogram> FloatHistogram::CopyToSchema(int32_t target_schema) const {
  if (target_schema == schema) return *this;
  if (UsesCustomBuckets()) {
    return Status::InvalidArgument("cannot reduce resolution to " + std::to_string(target_schema) +
                                   " when there are custom buckets");
  }
  if (IsCustomBucketsSchema(target_schema)) {
    return Status::InvalidArgument("cannot reduce resolution to custom buckets schema");
  }
  if (target_schema > schema) {
    return Status::InvalidArgument("cannot copy from schema " + std::to_string(schema) + " to " +
                                   std::to_string(target_schema));
  }
  // Prometheus's CopyToSchema leaves the counter reset hint at its default.
  FloatHistogram c = *this;
  c.counter_reset_hint = CounterResetHint::kUnknown;
  Status s = c.ReduceResolutionChecked(target_schema);
  if (!s.ok()) return s;
  return c;
}

bool FloatHistogram::HasOverflow() const {
  if (std::isinf(zero_count) || std::isinf(count) || std::isinf(sum)) return true;
  for (double v : positive_buckets) {
    if (std::isinf(v)) return true;
  }
  for (double v : negative_buckets) {
    if (std::isinf(v)) return true;
  }
  for (double v : custom_values) {
    if (std::isinf(v)) return true;
  }
  return false;
}

}  // namespace promethium
