// ClassicHistogramConverter (see classic_to_nhcb.h).
#include "tsdb/histogram/classic_to_nhcb.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "tsdb/base/metrics.h"

namespace promethium {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Prometheus formats the numbers of its conversion errors with Go's %g.
std::string G(double v) { return FormatPromFloat(v); }

// The populated buckets of one span of absolute counts starting at index 0,
// with Prometheus's Compact(max_empty) applied: empty buckets at the edges go,
// and a run of empty buckets between populated ones goes (splitting the span)
// when it is longer than max_empty. Fills *spans and returns the indexes kept.
std::vector<size_t> CompactSingleSpan(const std::vector<double>& counts, size_t max_empty,
                                      std::vector<HistogramSpan>* spans) {
  std::vector<size_t> kept;
  spans->clear();
  size_t last_kept_end = 0;  // one past the last kept bucket of the previous span
  size_t i = 0;
  while (i < counts.size()) {
    if (counts[i] == 0) {
      ++i;
      continue;
    }
    size_t run_end = i;  // the populated run [i, run_end)
    while (run_end < counts.size() && counts[run_end] != 0) ++run_end;
    size_t gap = i - last_kept_end;
    if (!spans->empty() && gap <= max_empty) {
      // Few enough empty buckets in between: keep them inside the span.
      for (size_t k = last_kept_end; k < run_end; ++k) kept.push_back(k);
      spans->back().length += static_cast<uint32_t>(run_end - last_kept_end);
    } else {
      for (size_t k = i; k < run_end; ++k) kept.push_back(k);
      spans->push_back({static_cast<int32_t>(gap), static_cast<uint32_t>(run_end - i)});
    }
    last_kept_end = run_end;
    i = run_end;
  }
  return kept;
}

}  // namespace

FloatHistogram ConvertedNhcb::AsFloat() const { return floating ? *floating : integer->ToFloat(); }

Status ClassicHistogramConverter::Fail(Status s) {
  status_ = std::move(s);
  return status_;
}

void ClassicHistogramConverter::Reset() {
  buckets_.clear();
  count_ = 0;
  sum_ = 0;
  has_count_ = false;
  status_ = Status::OK();
}

Status ClassicHistogramConverter::SetBucketCount(double upper_bound, double cumulative_count) {
  if (!status_.ok()) return status_;
  if (std::isnan(upper_bound)) return Fail(Status::InvalidArgument("bucket boundary must not be NaN"));
  if (cumulative_count < 0) {
    return Fail(Status::InvalidArgument("bucket count must be non-negative: le=" + G(upper_bound) +
                                        ", count=" + G(cumulative_count)));
  }
  auto pos = std::lower_bound(buckets_.begin(), buckets_.end(), upper_bound,
                              [](const Bucket& b, double bound) { return b.upper_bound < bound; });
  if (pos != buckets_.end() && pos->upper_bound == upper_bound) return Status::OK();  // a duplicate sample
  // Counts must not decrease as the bound grows, on either side of the new one.
  if (pos != buckets_.begin() && cumulative_count < std::prev(pos)->cumulative_count) {
    return Fail(Status::InvalidArgument("count is not cumulative: " + G(cumulative_count) + " < " +
                                        G(std::prev(pos)->cumulative_count)));
  }
  if (pos != buckets_.end() && cumulative_count > pos->cumulative_count) {
    return Fail(
        Status::InvalidArgument("count is not cumulative: " + G(cumulative_count) + " > " + G(pos->cumulative_count)));
  }
  buckets_.insert(pos, Bucket{upper_bound, cumulative_count});
  return Status::OK();
}

Status ClassicHistogramConverter::SetCount(double count) {
  if (!status_.ok()) return status_;
  if (count < 0) return Fail(Status::InvalidArgument("count must be non-negative: count=" + G(count)));
  count_ = count;
  has_count_ = true;
  return Status::OK();
}

Status ClassicHistogramConverter::SetSum(double sum) {
  if (!status_.ok()) return status_;
  sum_ = sum;
  return Status::OK();
}

Result<ConvertedNhcb> ClassicHistogramConverter::Convert() const {
  if (!status_.ok()) return status_;
  std::vector<Bucket> buckets = buckets_;
  double count = count_;
  if (!has_count_ && !buckets.empty()) count = buckets.back().cumulative_count;
  if (buckets.empty() || buckets.back().upper_bound != kInf) {
    // Prometheus adds the +Inf bucket without this check and then fails its
    // validation on the negative bucket; failing here says why.
    if (!buckets.empty() && count < buckets.back().cumulative_count) {
      return Status::InvalidArgument("count is not cumulative: " + G(count) + " < " +
                                     G(buckets.back().cumulative_count));
    }
    buckets.push_back({kInf, count});
  }
  if (count != buckets.back().cumulative_count) {
    return Status::InvalidArgument("count mismatch: count=" + G(count) + " != le=" + G(buckets.back().upper_bound) +
                                   " count=" + G(buckets.back().cumulative_count));
  }

  // Integer counts only when every count is a whole number that converts
  // exactly (0..2^53): a larger or infinite count would overflow the
  // conversion to uint64 (found by protobuf_parse_fuzzer), so it stays float.
  auto exact_whole = [](double c) { return c >= 0 && c <= 0x1p53 && c == std::round(c); };
  bool integral =
      std::all_of(buckets.begin(), buckets.end(), [&](const Bucket& b) { return exact_whole(b.cumulative_count); });
  integral = integral && exact_whole(count);

  std::vector<double> per_bucket;  // absolute, not cumulative
  std::vector<double> custom_values;
  double previous = 0;
  for (const Bucket& b : buckets) {
    per_bucket.push_back(b.cumulative_count - previous);
    previous = b.cumulative_count;
    if (b.upper_bound != kInf) custom_values.push_back(b.upper_bound);
  }

  ConvertedNhcb out;
  // Prometheus compacts integer histograms keeping up to 2 empty buckets
  // between populated ones, float histograms keeping none.
  std::vector<HistogramSpan> spans;
  std::vector<size_t> kept = CompactSingleSpan(per_bucket, integral ? 2 : 0, &spans);
  if (integral) {
    Histogram h;
    h.schema = kCustomBucketsSchema;
    h.count = static_cast<uint64_t>(count);
    h.sum = sum_;
    h.positive_spans = std::move(spans);
    int64_t prev = 0;
    for (size_t k : kept) {
      int64_t abs = static_cast<int64_t>(per_bucket[k]);
      h.positive_buckets.push_back(abs - prev);
      prev = abs;
    }
    h.custom_values = std::move(custom_values);
    out.integer = std::move(h);
  } else {
    FloatHistogram fh;
    fh.schema = kCustomBucketsSchema;
    fh.count = count;
    fh.sum = sum_;
    fh.positive_spans = std::move(spans);
    for (size_t k : kept) fh.positive_buckets.push_back(per_bucket[k]);
    fh.custom_values = std::move(custom_values);
    out.floating = std::move(fh);
  }
  return out;
}

}  // namespace promethium
