#include "tsdb/histogram/histogram_internal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <tuple>
#include <type_traits>

#include "tsdb/histogram/bucket_bounds.h"

namespace promethium::histogram_internal {

std::pair<double, double> KahanInc(double inc, double sum, double c) {
  // volatile keeps the compiler from fusing or reassociating: Kahan summation
  // depends on each operation being rounded to double.
  volatile double t = sum + inc;
  if (std::isinf(t)) {
    c = 0;
  } else if (std::fabs(sum) >= std::fabs(inc)) {
    // Neumaier: the larger operand absorbs the rounding error of the smaller.
    volatile double d = sum - t;
    c += d + inc;
  } else {
    volatile double d = inc - t;
    c += d + sum;
  }
  return {t, c};
}

std::string FormatGoFloatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  std::snprintf(buf, sizeof(buf), "%f", v);
  return buf;
}

Status CheckSpans(const std::vector<HistogramSpan>& spans, size_t num_buckets) {
  size_t span_buckets = 0;
  for (size_t n = 0; n < spans.size(); ++n) {
    if (n > 0 && spans[n].offset < 0) {
      return Status::InvalidArgument("span number " + std::to_string(n + 1) + " with offset " +
                                     std::to_string(spans[n].offset) + ": " + kErrSpanNegativeOffset);
    }
    span_buckets += spans[n].length;
  }
  if (span_buckets != num_buckets) {
    return Status::InvalidArgument("spans need " + std::to_string(span_buckets) + " buckets, have " +
                                   std::to_string(num_buckets) + " buckets: " + kErrSpansBucketsMismatch);
  }
  return Status::OK();
}

Status CheckCustomBounds(const std::vector<double>& bounds, const std::vector<HistogramSpan>& spans,
                         size_t num_buckets) {
  double prev = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < bounds.size(); ++i) {
    const double curr = bounds[i];
    if (std::isnan(curr)) return Status::InvalidArgument("histogram custom bounds must not be NaN");
    if (i > 0 && curr <= prev) {
      return Status::InvalidArgument("previous bound is " + FormatGoFloatF(prev) + " and current is " +
                                     FormatGoFloatF(curr) +
                                     ": histogram custom bounds must be in strictly increasing order");
    }
    prev = curr;
  }
  if (prev == std::numeric_limits<double>::infinity()) {
    return Status::InvalidArgument(
        "last +Inf bound must not be explicitly defined: histogram custom bounds must be finite");
  }
  size_t span_buckets = 0;
  int64_t total_span_length = 0;
  for (size_t n = 0; n < spans.size(); ++n) {
    if (spans[n].offset < 0) {
      return Status::InvalidArgument("span number " + std::to_string(n + 1) + " with offset " +
                                     std::to_string(spans[n].offset) + ": " + kErrSpanNegativeOffset);
    }
    span_buckets += spans[n].length;
    total_span_length += static_cast<int64_t>(spans[n].length) + spans[n].offset;
  }
  if (span_buckets != num_buckets) {
    return Status::InvalidArgument("spans need " + std::to_string(span_buckets) + " buckets, have " +
                                   std::to_string(num_buckets) + " buckets: " + kErrSpansBucketsMismatch);
  }
  if (static_cast<int64_t>(bounds.size()) + 1 < total_span_length) {
    return Status::InvalidArgument("only " + std::to_string(bounds.size()) +
                                   " custom bounds defined which is insufficient to cover total span length of " +
                                   std::to_string(total_span_length) + ": histogram custom bounds are too few");
  }
  return Status::OK();
}

std::vector<int32_t> BucketIndices(const std::vector<HistogramSpan>& spans, size_t num_buckets) {
  std::vector<int32_t> out;
  out.reserve(num_buckets);
  int32_t idx = 0;
  for (size_t n = 0; n < spans.size() && out.size() < num_buckets; ++n) {
    idx += spans[n].offset;
    for (uint32_t j = 0; j < spans[n].length && out.size() < num_buckets; ++j) out.push_back(idx++);
  }
  return out;
}

std::vector<HistogramSpan> SpansForIndices(const std::vector<int32_t>& indices) {
  std::vector<HistogramSpan> spans;
  int32_t next = 0;  // the index following the last span's end
  for (size_t i = 0; i < indices.size(); ++i) {
    if (spans.empty()) {
      spans.push_back({indices[i], 1});
    } else if (indices[i] == next) {
      ++spans.back().length;
    } else {
      spans.push_back({indices[i] - next, 1});
    }
    next = indices[i] + 1;
  }
  return spans;
}

template <typename T>
void CompactSide(std::vector<T>* buckets, std::vector<double>* compensation, std::vector<HistogramSpan>* spans,
                 int max_empty) {
  const std::vector<int32_t> indices = BucketIndices(*spans, buckets->size());
  std::vector<int32_t> out_indices;
  std::vector<T> out_buckets;
  std::vector<double> out_comp;
  bool have_last = false;
  int32_t last = 0;
  for (size_t i = 0; i < indices.size(); ++i) {
    const double comp = compensation != nullptr ? (*compensation)[i] : 0.0;
    if ((*buckets)[i] == 0 && comp == 0) continue;
    // A gap of at most max_empty buckets between populated ones is cheaper
    // kept inside one span as explicit empty buckets.
    if (have_last && indices[i] - last - 1 <= max_empty) {
      for (int32_t gap = last + 1; gap < indices[i]; ++gap) {
        out_indices.push_back(gap);
        out_buckets.push_back(0);
        out_comp.push_back(0);
      }
    }
    out_indices.push_back(indices[i]);
    out_buckets.push_back((*buckets)[i]);
    out_comp.push_back(comp);
    have_last = true;
    last = indices[i];
  }
  // Buckets beyond what the spans describe (an invalid histogram) are kept
  // as they are, as Prometheus does, unless no span has any length.
  const bool any_span =
      std::any_of(spans->begin(), spans->end(), [](const HistogramSpan& sp) { return sp.length > 0; });
  for (size_t i = indices.size(); any_span && i < buckets->size(); ++i) {
    out_buckets.push_back((*buckets)[i]);
    out_comp.push_back(compensation != nullptr ? (*compensation)[i] : 0.0);
  }
  *spans = SpansForIndices(out_indices);
  *buckets = std::move(out_buckets);
  if (compensation != nullptr) *compensation = std::move(out_comp);
}

template void CompactSide<double>(std::vector<double>*, std::vector<double>*, std::vector<HistogramSpan>*, int);
template void CompactSide<int64_t>(std::vector<int64_t>*, std::vector<double>*, std::vector<HistogramSpan>*, int);

template <typename T>
Status ReduceSide(std::vector<HistogramSpan>* spans, std::vector<T>* buckets, std::vector<double>* compensation,
                  int32_t origin_schema, int32_t target_schema) {
  size_t needed = 0;
  for (size_t n = 0; n < spans->size(); ++n) {
    if (n > 0 && (*spans)[n].offset < 0) {
      return Status::InvalidArgument("span number " + std::to_string(n + 1) + " with offset " +
                                     std::to_string((*spans)[n].offset) + ": " + kErrSpanNegativeOffset);
    }
    needed += (*spans)[n].length;
  }
  if (needed > buckets->size()) {
    return Status::InvalidArgument("have " + std::to_string(buckets->size()) +
                                   " buckets but spans need more: " + kErrSpansBucketsMismatch);
  }
  if (needed < buckets->size()) {
    return Status::InvalidArgument("spans need " + std::to_string(needed) + " buckets, have " +
                                   std::to_string(buckets->size()) + " buckets: " + kErrSpansBucketsMismatch);
  }
  const std::vector<int32_t> indices = BucketIndices(*spans, buckets->size());
  std::vector<int32_t> out_indices;
  std::vector<T> out_buckets;
  std::vector<double> out_comp;
  for (size_t i = 0; i < indices.size(); ++i) {
    const int32_t target = TargetBucketIndex(indices[i], origin_schema, target_schema);
    const double comp = compensation != nullptr ? (*compensation)[i] : 0.0;
    if (!out_indices.empty() && out_indices.back() == target) {
      if constexpr (std::is_same_v<T, double>) {
        if (compensation != nullptr) {
          auto [s1, c1] = KahanInc((*buckets)[i], out_buckets.back(), out_comp.back());
          auto [s2, c2] = KahanInc(comp, s1, c1);
          out_buckets.back() = s2;
          out_comp.back() = c2;
          continue;
        }
      }
      out_buckets.back() += (*buckets)[i];
      continue;
    }
    out_indices.push_back(target);
    out_buckets.push_back((*buckets)[i]);
    out_comp.push_back(comp);
  }
  *spans = SpansForIndices(out_indices);
  *buckets = std::move(out_buckets);
  if (compensation != nullptr) *compensation = std::move(out_comp);
  return Status::OK();
}

template Status ReduceSide<double>(std::vector<HistogramSpan>*, std::vector<double>*, std::vector<double>*, int32_t,
                                   int32_t);
template Status ReduceSide<int64_t>(std::vector<HistogramSpan>*, std::vector<int64_t>*, std::vector<double>*, int32_t,
                                    int32_t);

void AddSide(int32_t schema, double zero_threshold, bool negate, std::vector<HistogramSpan>* spans_a,
             std::vector<double>* buckets_a, std::vector<double>* comp_a, const std::vector<HistogramSpan>& spans_b,
             const std::vector<double>& buckets_b, const std::vector<double>* comp_b) {
  const std::vector<int32_t> idx_a = BucketIndices(*spans_a, buckets_a->size());
  const std::vector<int32_t> idx_b = BucketIndices(spans_b, buckets_b.size());
  std::vector<int32_t> out_idx;
  std::vector<double> out_buckets, out_comp;
  out_idx.reserve(idx_a.size() + idx_b.size());
  size_t ia = 0, ib = 0;
  // Skip B's leading buckets that lie within the zero bucket.
  if (IsExponentialSchema(schema)) {
    while (ib < idx_b.size() && ExponentialBucketBound(idx_b[ib], schema) <= zero_threshold) ++ib;
  }
  while (ia < idx_a.size() || ib < idx_b.size()) {
    const bool take_a = ib >= idx_b.size() || (ia < idx_a.size() && idx_a[ia] <= idx_b[ib]);
    const bool take_b = ia >= idx_a.size() || (ib < idx_b.size() && idx_b[ib] <= idx_a[ia]);
    double value = take_a ? (*buckets_a)[ia] : 0;
    double comp = take_a && comp_a != nullptr ? (*comp_a)[ia] : 0;
    if (take_b) {
      double b = buckets_b[ib];
      double cb = comp_b != nullptr ? (*comp_b)[ib] : 0;
      if (negate) {
        b = -b;
        cb = -cb;
      }
      if (!take_a) {
        value = b;
        comp = cb;
      } else if (comp_a != nullptr) {
        std::tie(value, comp) = KahanInc(b, value, comp);
        if (cb != 0) std::tie(value, comp) = KahanInc(cb, value, comp);
      } else {
        value += b;
      }
    }
    out_idx.push_back(take_a ? idx_a[ia] : idx_b[ib]);
    out_buckets.push_back(value);
    out_comp.push_back(comp);
    if (take_a) ++ia;
    if (take_b) ++ib;
  }
  *spans_a = SpansForIndices(out_idx);
  *buckets_a = std::move(out_buckets);
  if (comp_a != nullptr) *comp_a = std::move(out_comp);
}

namespace {

// The next span of `s` from position *i, zero-length spans folded into the
// span that follows them; {0, 0} at the end.
HistogramSpan NextFoldedSpan(const std::vector<HistogramSpan>& s, size_t* i) {
  HistogramSpan out{0, 0};
  while (*i < s.size()) {
    out.offset += s[*i].offset;
    out.length = s[*i].length;
    ++*i;
    if (out.length != 0) break;
  }
  return out;
}

}  // namespace

bool SpansMatch(const std::vector<HistogramSpan>& a, const std::vector<HistogramSpan>& b) {
  size_t ia = 0, ib = 0;
  while (true) {
    const HistogramSpan sa = NextFoldedSpan(a, &ia);
    const HistogramSpan sb = NextFoldedSpan(b, &ib);
    if (sa.length == 0 && sb.length == 0) return true;  // trailing offsets of empty spans do not matter
    if (sa.offset != sb.offset || sa.length != sb.length) return false;
  }
}

std::vector<int64_t> DeltasToAbsolute(const std::vector<int64_t>& deltas) {
  std::vector<int64_t> out;
  out.reserve(deltas.size());
  int64_t current = 0;
  for (int64_t d : deltas) out.push_back(current += d);
  return out;
}

std::vector<int64_t> AbsoluteToDeltas(const std::vector<int64_t>& absolute) {
  std::vector<int64_t> out;
  out.reserve(absolute.size());
  int64_t prev = 0;
  for (int64_t a : absolute) {
    out.push_back(a - prev);
    prev = a;
  }
  return out;
}

}  // namespace promethium::histogram_internal
