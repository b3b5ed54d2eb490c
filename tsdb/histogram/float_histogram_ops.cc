// FloatHistogram's two-histogram operations: Add, Sub, KahanAdd, zero-bucket
// reconciliation and counter-reset detection (Prometheus's
// float_histogram.go).
#include <cassert>
#include <cmath>
#include <limits>
#include <tuple>

#include "tsdb/histogram/bucket_bounds.h"
#include "tsdb/histogram/bucket_iterator.h"
#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram_internal.h"

namespace promethium {

namespace hi = histogram_internal;

namespace {

constexpr const char* kErrIncompatibleSchema =
    "cannot apply this operation on histograms with a mix of exponential and custom bucket schemas";

// adjustCounterReset: the hint of a sum of two histograms. Returns true on a
// collision (one says reset, the other says no reset).
bool AdjustCounterReset(CounterResetHint* hint, CounterResetHint other) {
  using H = CounterResetHint;
  if (other == *hint || *hint == H::kGauge) return false;
  if (other == H::kGauge) {
    *hint = H::kGauge;
    return false;
  }
  if (*hint == H::kUnknown) return false;
  const bool collision = other != H::kUnknown;
  *hint = H::kUnknown;
  return collision;
}

// The zero count (and Kahan term) h would have with the zero threshold
// raised to `larger`, which moves up to the bound of a populated bucket it
// would cut. Mirrors Prometheus's zeroCountForLargerThreshold, including
// that the Kahan term is not reset when the search restarts.
double ZeroCountForLarger(const FloatHistogram& h, double larger, const FloatHistogram* c, double* threshold,
                          double* c_zero) {
  *c_zero = c != nullptr ? c->zero_count : 0;
  if (larger == h.zero_threshold) {
    *threshold = larger;
    return h.zero_count;
  }
  assert(larger > h.zero_threshold && "new zero threshold is less than the old one");
  while (true) {
    double hz = h.zero_count;
    size_t idx = 0;
    for (auto it = PositiveBuckets(h); it.Next(); ++idx) {
      const Bucket<double> b = it.At();
      if (b.lower >= larger) break;
      std::tie(hz, *c_zero) = hi::KahanInc(b.count, hz, *c_zero);
      if (c != nullptr) std::tie(hz, *c_zero) = hi::KahanInc(c->positive_buckets[idx], hz, *c_zero);
      if (b.upper > larger) {
        if (b.count != 0) larger = b.upper;
        break;
      }
    }
    bool restart = false;
    idx = 0;
    for (auto it = NegativeBuckets(h); it.Next(); ++idx) {
      const Bucket<double> b = it.At();
      if (b.upper <= -larger) break;
      std::tie(hz, *c_zero) = hi::KahanInc(b.count, hz, *c_zero);
      if (c != nullptr) std::tie(hz, *c_zero) = hi::KahanInc(c->negative_buckets[idx], hz, *c_zero);
      if (b.lower < -larger) {
        // A populated negative bucket is cut: the positive side must be
        // redone with the larger threshold.
        if (b.count != 0) {
          larger = -b.lower;
          restart = true;
        }
        break;
      }
    }
    if (!restart) {
      *threshold = larger;
      return hz;
    }
  }
}

// Zeroes the buckets inside the (widened) zero bucket, whose counts are
// already in zero_count, and compacts them away.
void TrimBucketsInZeroBucket(FloatHistogram* h, FloatHistogram* c) {
  size_t idx = 0;
  for (auto it = PositiveBuckets(*h); it.Next(); ++idx) {
    if (it.At().lower >= h->zero_threshold) break;
    h->positive_buckets[idx] = 0;
    if (c != nullptr) c->positive_buckets[idx] = 0;
  }
  idx = 0;
  for (auto it = NegativeBuckets(*h); it.Next(); ++idx) {
    if (it.At().upper <= -h->zero_threshold) break;
    h->negative_buckets[idx] = 0;
    if (c != nullptr) c->negative_buckets[idx] = 0;
  }
  hi::CompactSide<double>(&h->positive_buckets, c != nullptr ? &c->positive_buckets : nullptr, &h->positive_spans, 0);
  hi::CompactSide<double>(&h->negative_buckets, c != nullptr ? &c->negative_buckets : nullptr, &h->negative_spans, 0);
}

// reconcileZeroBuckets; returns other's zero count and Kahan term at the
// common threshold.
std::pair<double, double> Reconcile(FloatHistogram* h, const FloatHistogram& other, FloatHistogram* c) {
  double other_zero = other.zero_count, other_threshold = other.zero_threshold, other_c_zero = 0;
  while (other_threshold != h->zero_threshold) {
    if (h->zero_threshold > other_threshold) {
      other_zero = ZeroCountForLarger(other, h->zero_threshold, nullptr, &other_threshold, &other_c_zero);
    }
    if (other_threshold > h->zero_threshold) {
      double c_zero = 0;
      h->zero_count = ZeroCountForLarger(*h, other_threshold, c, &h->zero_threshold, &c_zero);
      if (c != nullptr) c->zero_count = c_zero;
      TrimBucketsInZeroBucket(h, c);
    }
  }
  return {other_zero, other_c_zero};
}

std::vector<double> IntersectBounds(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      out.push_back(a[i]);
      ++i;
      ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

// Maps one custom-bucket side onto the intersected bounds: each bucket goes
// to the first intersected bound >= its own upper bound (+Inf bucket last).
void MapCustomBuckets(const FloatHistogram& src, const std::vector<double>& intersected, bool negate,
                      const std::vector<double>* src_comp, std::vector<double>* target,
                      std::vector<double>* target_comp) {
  const std::vector<int32_t> indices = hi::BucketIndices(src.positive_spans, src.positive_buckets.size());
  size_t intersect_idx = 0;
  for (size_t i = 0; i < indices.size(); ++i) {
    size_t t = target->size() - 1;
    const auto src_idx = static_cast<size_t>(indices[i]);
    if (src_idx < src.custom_values.size()) {
      const double bound = src.custom_values[src_idx];
      for (; intersect_idx < intersected.size(); ++intersect_idx) {
        if (intersected[intersect_idx] >= bound) {
          t = intersect_idx;
          break;
        }
      }
    }
    const double v = negate ? -src.positive_buckets[i] : src.positive_buckets[i];
    std::tie((*target)[t], (*target_comp)[t]) = hi::KahanInc(v, (*target)[t], (*target_comp)[t]);
    if (src_comp != nullptr) {
      std::tie((*target)[t], (*target_comp)[t]) = hi::KahanInc((*src_comp)[i], (*target)[t], (*target_comp)[t]);
    }
  }
}

// addCustomBucketsWithMismatches: h (with compensation c, may be null) plus
// or minus other, both mapped onto the intersection of their bounds; empty
// result buckets are dropped. Without c the Kahan terms are discarded.
void AddMismatchedCustom(FloatHistogram* h, const FloatHistogram& other, bool negate, FloatHistogram* c) {
  std::vector<double> intersected = IntersectBounds(h->custom_values, other.custom_values);
  std::vector<double> target(intersected.size() + 1, 0.0), target_comp(intersected.size() + 1, 0.0);
  MapCustomBuckets(*h, intersected, false, c != nullptr ? &c->positive_buckets : nullptr, &target, &target_comp);
  MapCustomBuckets(other, intersected, negate, nullptr, &target, &target_comp);
  std::vector<int32_t> indices;
  std::vector<double> buckets, comp;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && target_comp[i] == 0) continue;
    indices.push_back(static_cast<int32_t>(i));
    buckets.push_back(target[i]);
    comp.push_back(target_comp[i]);
  }
  h->positive_spans = hi::SpansForIndices(indices);
  h->positive_buckets = std::move(buckets);
  h->custom_values = intersected;
  if (c != nullptr) {
    c->positive_buckets = std::move(comp);
    c->custom_values = std::move(intersected);
  }
}

// Add or subtract without Kahan (Prometheus's Add and Sub).
Status AddOrSub(FloatHistogram* h, const FloatHistogram& other, bool negate, HistogramOpResult* result) {
  HistogramOpResult local;
  if (result == nullptr) result = &local;
  *result = {};
  if (h->UsesCustomBuckets() != other.UsesCustomBuckets()) return Status::InvalidArgument(kErrIncompatibleSchema);
  result->counter_reset_collision = AdjustCounterReset(&h->counter_reset_hint, other.counter_reset_hint);
  if (!h->UsesCustomBuckets()) {
    const double other_zero = Reconcile(h, other, nullptr).first;
    h->zero_count = negate ? h->zero_count - other_zero : h->zero_count + other_zero;
  }
  h->count = negate ? h->count - other.count : h->count + other.count;
  h->sum = negate ? h->sum - other.sum : h->sum + other.sum;
  if (h->UsesCustomBuckets()) {
    if (CustomBucketBoundsMatch(h->custom_values, other.custom_values)) {
      hi::AddSide(h->schema, h->zero_threshold, negate, &h->positive_spans, &h->positive_buckets, nullptr,
                  other.positive_spans, other.positive_buckets, nullptr);
    } else {
      result->nhcb_bounds_reconciled = true;
      AddMismatchedCustom(h, other, negate, nullptr);
    }
    return Status::OK();
  }
  const FloatHistogram* rhs = &other;
  FloatHistogram reduced;
  if (other.schema < h->schema) {
    Status s = h->ReduceResolutionChecked(other.schema);
    if (!s.ok()) return s;
  } else if (other.schema > h->schema) {
    reduced = other;
    Status s = reduced.ReduceResolutionChecked(h->schema);
    if (!s.ok()) return s;
    rhs = &reduced;
  }
  hi::AddSide(h->schema, h->zero_threshold, negate, &h->positive_spans, &h->positive_buckets, nullptr,
              rhs->positive_spans, rhs->positive_buckets, nullptr);
  hi::AddSide(h->schema, h->zero_threshold, negate, &h->negative_spans, &h->negative_buckets, nullptr,
              rhs->negative_spans, rhs->negative_buckets, nullptr);
  return Status::OK();
}

}  // namespace

Status FloatHistogram::Add(const FloatHistogram& other) { return AddOrSub(this, other, false, nullptr); }
Status FloatHistogram::Sub(const FloatHistogram& other) { return AddOrSub(this, other, true, nullptr); }
Status FloatHistogram::Add(const FloatHistogram& other, HistogramOpResult* result) {
  return AddOrSub(this, other, false, result);
}
Status FloatHistogram::Sub(const FloatHistogram& other, HistogramOpResult* result) {
  return AddOrSub(this, other, true, result);
}

FloatHistogram FloatHistogram::NewCompensation() const {
  FloatHistogram c;
  c.counter_reset_hint = counter_reset_hint;
  c.schema = schema;
  c.zero_threshold = zero_threshold;
  c.custom_values = custom_values;
  c.positive_spans = positive_spans;
  c.negative_spans = negative_spans;
  c.positive_buckets.assign(positive_buckets.size(), 0.0);
  if (!UsesCustomBuckets()) c.negative_buckets.assign(negative_buckets.size(), 0.0);
  return c;
}

namespace {

// KahanAdd's exponential part: bring both operands to the lower schema and
// add the sides with compensation.
Status KahanAddExponential(FloatHistogram* h, const FloatHistogram& other, FloatHistogram* c) {
  const FloatHistogram* rhs = &other;
  FloatHistogram reduced;
  std::vector<double> rhs_pos_comp, rhs_neg_comp;
  const std::vector<double>* pos_comp_b = nullptr;
  const std::vector<double>* neg_comp_b = nullptr;
  if (other.schema < h->schema) {
    Status s =
        hi::ReduceSide<double>(&h->positive_spans, &h->positive_buckets, &c->positive_buckets, h->schema, other.schema);
    if (s.ok()) {
      s = hi::ReduceSide<double>(&h->negative_spans, &h->negative_buckets, &c->negative_buckets, h->schema,
                                 other.schema);
    }
    if (!s.ok()) return s;
    h->schema = other.schema;
  } else if (other.schema > h->schema) {
    reduced = other;
    // The reduced operand gets its own (zero) compensation so that merged
    // buckets are summed with Kahan too, as in Prometheus.
    rhs_pos_comp.assign(reduced.positive_buckets.size(), 0.0);
    rhs_neg_comp.assign(reduced.negative_buckets.size(), 0.0);
    Status s = hi::ReduceSide<double>(&reduced.positive_spans, &reduced.positive_buckets, &rhs_pos_comp, other.schema,
                                      h->schema);
    if (s.ok()) {
      s = hi::ReduceSide<double>(&reduced.negative_spans, &reduced.negative_buckets, &rhs_neg_comp, other.schema,
                                 h->schema);
    }
    if (!s.ok()) return s;
    rhs = &reduced;
    pos_comp_b = &rhs_pos_comp;
    neg_comp_b = &rhs_neg_comp;
  }
  hi::AddSide(h->schema, h->zero_threshold, false, &h->positive_spans, &h->positive_buckets, &c->positive_buckets,
              rhs->positive_spans, rhs->positive_buckets, pos_comp_b);
  hi::AddSide(h->schema, h->zero_threshold, false, &h->negative_spans, &h->negative_buckets, &c->negative_buckets,
              rhs->negative_spans, rhs->negative_buckets, neg_comp_b);
  c->schema = h->schema;
  c->zero_threshold = h->zero_threshold;
  c->positive_spans = h->positive_spans;
  c->negative_spans = h->negative_spans;
  return Status::OK();
}

}  // namespace

Status FloatHistogram::KahanAdd(const FloatHistogram& other, FloatHistogram* c, HistogramOpResult* result) {
  HistogramOpResult local;
  if (result == nullptr) result = &local;
  *result = {};
  if (UsesCustomBuckets() != other.UsesCustomBuckets()) return Status::InvalidArgument(kErrIncompatibleSchema);
  if (c->positive_buckets.size() != positive_buckets.size() || c->negative_buckets.size() != negative_buckets.size()) {
    return Status::InvalidArgument("Kahan compensation histogram does not match the layout of the sum");
  }
  result->counter_reset_collision = AdjustCounterReset(&counter_reset_hint, other.counter_reset_hint);
  if (!UsesCustomBuckets()) {
    const auto [other_zero, other_c_zero] = Reconcile(this, other, c);
    std::tie(zero_count, c->zero_count) = hi::KahanInc(other_zero, zero_count, c->zero_count);
    std::tie(zero_count, c->zero_count) = hi::KahanInc(other_c_zero, zero_count, c->zero_count);
  }
  std::tie(count, c->count) = hi::KahanInc(other.count, count, c->count);
  std::tie(sum, c->sum) = hi::KahanInc(other.sum, sum, c->sum);
  if (!UsesCustomBuckets()) return KahanAddExponential(this, other, c);
  if (CustomBucketBoundsMatch(custom_values, other.custom_values)) {
    hi::AddSide(schema, zero_threshold, false, &positive_spans, &positive_buckets, &c->positive_buckets,
                other.positive_spans, other.positive_buckets, nullptr);
  } else {
    result->nhcb_bounds_reconciled = true;
    AddMismatchedCustom(this, other, false, c);
  }
  c->positive_spans = positive_spans;
  return Status::OK();
}

double FloatHistogram::ZeroCountForLargerThreshold(double larger_threshold, double* adjusted_threshold) const {
  double c_zero = 0;
  return ZeroCountForLarger(*this, larger_threshold, nullptr, adjusted_threshold, &c_zero);
}

double FloatHistogram::ReconcileZeroBuckets(const FloatHistogram& other, FloatHistogram* compensation) {
  return Reconcile(this, other, compensation).first;
}

namespace {

struct IndexedCount {
  int32_t index;
  double count;
};

// One side of h merged into target_schema, without the leading buckets whose
// absolute upper bound is <= zero_threshold (exponential schemas).
std::vector<IndexedCount> SideForComparison(const FloatHistogram& h, bool positive, int32_t target_schema,
                                            double zero_threshold) {
  std::vector<HistogramSpan> spans = positive ? h.positive_spans : h.negative_spans;
  std::vector<double> buckets = positive ? h.positive_buckets : h.negative_buckets;
  if (target_schema != h.schema) {
    [[maybe_unused]] Status s = hi::ReduceSide<double>(&spans, &buckets, nullptr, h.schema, target_schema);
  }
  const std::vector<int32_t> indices = hi::BucketIndices(spans, buckets.size());
  std::vector<IndexedCount> out;
  bool skipping = zero_threshold != 0 && IsExponentialSchema(target_schema);
  for (size_t i = 0; i < indices.size(); ++i) {
    if (skipping && ExponentialBucketBound(indices[i], target_schema) <= zero_threshold) continue;
    skipping = false;
    out.push_back({indices[i], buckets[i]});
  }
  return out;
}

bool AnyPopulated(const std::vector<IndexedCount>& v, size_t from) {
  for (size_t i = from; i < v.size(); ++i) {
    if (v[i].count != 0) return true;
  }
  return false;
}

// Prometheus's detectReset over two sides in the same schema: a populated
// previous bucket missing now, or any bucket count that went down.
bool SideReset(const std::vector<IndexedCount>& curr, const std::vector<IndexedCount>& prev) {
  size_t ic = 0;
  for (size_t ip = 0; ip < prev.size(); ++ip) {
    while (ic < curr.size() && curr[ic].index < prev[ip].index) ++ic;
    if (ic >= curr.size()) return AnyPopulated(prev, ip);
    if (curr[ic].index > prev[ip].index) {
      if (prev[ip].count != 0) return true;
    } else if (curr[ic].count < prev[ip].count) {
      return true;
    }
  }
  return false;
}

// Sum of bucket counts with upper bound <= bound, consuming them.
double RollupUpTo(const std::vector<Bucket<double>>& buckets, size_t* pos, double bound) {
  double sum = 0;
  while (*pos < buckets.size() && buckets[*pos].upper <= bound) sum += buckets[(*pos)++].count;
  return sum;
}

// detectResetWithMismatchedCustomBounds: compares cumulative-per-shared-bound
// sums of two custom-bucket histograms with different bounds.
bool MismatchedCustomReset(const FloatHistogram& curr, const FloatHistogram& prev) {
  std::vector<Bucket<double>> cb, pb;
  for (auto it = PositiveBuckets(curr); it.Next();) cb.push_back(it.At());
  for (auto it = PositiveBuckets(prev); it.Next();) pb.push_back(it.At());
  size_t ci = 0, pi = 0, cpos = 0, ppos = 0;
  const double inf = std::numeric_limits<double>::infinity();
  while (ci <= curr.custom_values.size() && pi <= prev.custom_values.size()) {
    const double cbound = ci < curr.custom_values.size() ? curr.custom_values[ci] : inf;
    const double pbound = pi < prev.custom_values.size() ? prev.custom_values[pi] : inf;
    if (cbound == pbound) {
      if (RollupUpTo(cb, &cpos, cbound) < RollupUpTo(pb, &ppos, cbound)) return true;
      ++ci;
      ++pi;
    } else if (cbound < pbound) {
      ++ci;
    } else {
      ++pi;
    }
  }
  return false;
}

}  // namespace

bool FloatHistogram::DetectReset(const FloatHistogram& previous) const {
  if (counter_reset_hint == CounterResetHint::kCounterReset) return true;
  if (counter_reset_hint == CounterResetHint::kNotCounterReset) return false;
  // kUnknown and kGauge are checked in detail (PromQL may apply counter
  // functions to gauge histograms and warns about it separately).
  if (count < previous.count) return true;
  if (UsesCustomBuckets()) {
    if (!previous.UsesCustomBuckets()) return true;
    if (!CustomBucketBoundsMatch(custom_values, previous.custom_values)) return MismatchedCustomReset(*this, previous);
  }
  if (schema > previous.schema) return true;
  if (zero_threshold < previous.zero_threshold) return true;
  double threshold = 0;
  const double previous_zero = previous.ZeroCountForLargerThreshold(zero_threshold, &threshold);
  if (threshold != zero_threshold) return true;  // the threshold cuts a populated previous bucket
  if (zero_count < previous_zero) return true;
  for (bool positive : {true, false}) {
    if (SideReset(SideForComparison(*this, positive, schema, zero_threshold),
                  SideForComparison(previous, positive, schema, zero_threshold))) {
      return true;
    }
  }
  return false;
}

}  // namespace promethium
