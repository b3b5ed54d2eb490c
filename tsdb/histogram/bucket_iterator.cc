#include "tsdb/histogram/bucket_iterator.h"

#include <cmath>

namespace promethium {

ReverseSideBucketIterator::ReverseSideBucketIterator(const std::vector<HistogramSpan>& spans,
                                                     const std::vector<double>& buckets, int32_t schema, bool positive,
                                                     const std::vector<double>& custom_values)
    : spans_(&spans), buckets_(&buckets), custom_values_(&custom_values), schema_(schema), positive_(positive) {
  span_idx_ = static_cast<int64_t>(spans.size()) - 1;
  bucket_idx_ = static_cast<int64_t>(buckets.size()) - 1;
  in_span_ = span_idx_ >= 0 ? static_cast<int64_t>(spans[span_idx_].length) - 1 : -1;
  for (const HistogramSpan& s : spans) index_ += s.offset + static_cast<int32_t>(s.length);
}

bool ReverseSideBucketIterator::Next() {
  --index_;
  if (bucket_idx_ < 0) return false;
  while (in_span_ < 0) {
    // The current span is exhausted (or has length 0): step to the previous.
    if (--span_idx_ < 0) return false;  // only an invalid histogram gets here
    in_span_ = static_cast<int64_t>((*spans_)[span_idx_].length) - 1;
    index_ -= (*spans_)[span_idx_ + 1].offset;
  }
  count_ = (*buckets_)[bucket_idx_--];
  --in_span_;
  return true;
}

AllBucketIterator::AllBucketIterator(const FloatHistogram& h, bool ascending)
    : h_(&h),
      ascending_(ascending),
      toward_zero_(ascending ? NegativeBucketsReverse(h) : PositiveBucketsReverse(h)),
      away_from_zero_(ascending ? PositiveBuckets(h) : NegativeBuckets(h)) {}

namespace {

// A bucket that reaches into the zero bucket ends at the zero threshold.
void ClampToZeroBucket(Bucket<double>* b, double zero_threshold) {
  if (b->upper < 0 && b->upper > -zero_threshold) b->upper = -zero_threshold;
  if (b->lower > 0 && b->lower < zero_threshold) b->lower = zero_threshold;
}

}  // namespace

bool AllBucketIterator::Next() {
  if (state_ == -1) {
    if (toward_zero_.Next()) {
      current_ = toward_zero_.At();
      ClampToZeroBucket(&current_, h_->zero_threshold);
      return true;
    }
    state_ = 0;
  }
  if (state_ == 0) {
    state_ = 1;
    if (h_->zero_count > 0) {
      current_ = ZeroBucket(*h_);
      return true;
    }
  }
  if (state_ == 1) {
    if (away_from_zero_.Next()) {
      current_ = away_from_zero_.At();
      ClampToZeroBucket(&current_, h_->zero_threshold);
      return true;
    }
    state_ = 2;
  }
  return false;
}

bool CumulativeBucketIterator::Next() {
  if (span_idx_ == -1) {
    span_idx_ = 0;
    if (h_->zero_count != 0) {
      upper_ = h_->zero_threshold;
      count_ = static_cast<int64_t>(h_->zero_count);
      cumulative_ = h_->zero_count;
      return true;
    }
  }
  if (static_cast<size_t>(span_idx_) >= h_->positive_spans.size()) return false;
  if (empty_left_ > 0) {
    // An unpopulated bucket in the gap between two spans: same cumulative count.
    upper_ = BucketBound(next_index_, h_->schema, h_->custom_values);
    ++next_index_;
    --empty_left_;
    return true;
  }
  const HistogramSpan& span = h_->positive_spans[span_idx_];
  if (span_idx_ == 0 && !initialized_) {
    next_index_ = span.offset;
    count_ = 0;  // the first bucket is absolute, not a delta to the zero bucket
    initialized_ = true;
  }
  if (bucket_idx_ >= h_->positive_buckets.size()) return false;
  count_ += h_->positive_buckets[bucket_idx_];
  cumulative_ += static_cast<uint64_t>(count_);
  upper_ = BucketBound(next_index_, h_->schema, h_->custom_values);
  ++bucket_idx_;
  ++in_span_;
  ++next_index_;
  if (in_span_ >= span.length) {
    ++span_idx_;
    in_span_ = 0;
    if (static_cast<size_t>(span_idx_) < h_->positive_spans.size()) empty_left_ = h_->positive_spans[span_idx_].offset;
  }
  return true;
}

Bucket<uint64_t> CumulativeBucketIterator::At() const {
  Bucket<uint64_t> b;
  b.lower = -std::numeric_limits<double>::infinity();
  b.upper = upper_;
  b.lower_inclusive = b.upper_inclusive = true;
  b.count = cumulative_;
  b.index = next_index_ - 1;
  return b;
}

}  // namespace promethium
