// Test helpers shared by the histogram chunk tests: field-by-field
// comparisons (the model's Equals is implemented elsewhere) and decoding a
// whole chunk.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram.h"

namespace promethium::tsdb::testing {

inline void ExpectSameHistogram(const Histogram& want, const Histogram& got) {
  EXPECT_EQ(want.counter_reset_hint, got.counter_reset_hint);
  EXPECT_EQ(want.schema, got.schema);
  EXPECT_EQ(want.zero_threshold, got.zero_threshold);
  EXPECT_EQ(want.zero_count, got.zero_count);
  EXPECT_EQ(want.count, got.count);
  EXPECT_EQ(want.sum, got.sum);
  EXPECT_EQ(want.positive_spans, got.positive_spans);
  EXPECT_EQ(want.negative_spans, got.negative_spans);
  EXPECT_EQ(want.positive_buckets, got.positive_buckets);
  EXPECT_EQ(want.negative_buckets, got.negative_buckets);
  EXPECT_EQ(want.custom_values, got.custom_values);
}

inline void ExpectSameFloatHistogram(const FloatHistogram& want, const FloatHistogram& got) {
  EXPECT_EQ(want.counter_reset_hint, got.counter_reset_hint);
  EXPECT_EQ(want.schema, got.schema);
  EXPECT_EQ(want.zero_threshold, got.zero_threshold);
  EXPECT_EQ(want.zero_count, got.zero_count);
  EXPECT_EQ(want.count, got.count);
  EXPECT_EQ(want.sum, got.sum);
  EXPECT_EQ(want.positive_spans, got.positive_spans);
  EXPECT_EQ(want.negative_spans, got.negative_spans);
  EXPECT_EQ(want.positive_buckets, got.positive_buckets);
  EXPECT_EQ(want.negative_buckets, got.negative_buckets);
  EXPECT_EQ(want.custom_values, got.custom_values);
}

// Absolute float counts of delta-encoded buckets (written out here rather
// than using Histogram::ToFloat, so the expectation does not share code
// with the model).
inline std::vector<double> AbsoluteCounts(const std::vector<int64_t>& deltas) {
  std::vector<double> out;
  int64_t v = 0;
  for (int64_t d : deltas) out.push_back(static_cast<double>(v += d));
  return out;
}

inline FloatHistogram AsFloat(const Histogram& h) {
  FloatHistogram f;
  f.counter_reset_hint = h.counter_reset_hint;
  f.schema = h.schema;
  f.zero_threshold = h.zero_threshold;
  f.zero_count = static_cast<double>(h.zero_count);
  f.count = static_cast<double>(h.count);
  f.sum = h.sum;
  f.positive_spans = h.positive_spans;
  f.negative_spans = h.negative_spans;
  f.positive_buckets = AbsoluteCounts(h.positive_buckets);
  f.negative_buckets = AbsoluteCounts(h.negative_buckets);
  f.custom_values = h.custom_values;
  return f;
}

// Prometheus's tsdbutil.GenerateTestHistogram(i).
inline Histogram TestHistogram(int64_t i) {
  Histogram h;
  h.count = 12 + static_cast<uint64_t>(i * 9);
  h.zero_count = 2 + static_cast<uint64_t>(i);
  h.zero_threshold = 0.001;
  h.sum = 18.4 * static_cast<double>(i + 1);
  h.schema = 1;
  h.positive_spans = {{0, 2}, {1, 2}};
  h.positive_buckets = {i + 1, 1, -1, 0};
  h.negative_spans = {{0, 2}, {1, 2}};
  h.negative_buckets = {i + 1, 1, -1, 0};
  return h;
}

// Prometheus's tsdbutil.GenerateTestCustomBucketsHistogram(i).
inline Histogram TestCustomBucketsHistogram(int64_t i) {
  Histogram h;
  h.count = 5 + static_cast<uint64_t>(i * 4);
  h.sum = 18.4 * static_cast<double>(i + 1);
  h.schema = kCustomBucketsSchema;
  h.positive_spans = {{0, 2}, {1, 2}};
  h.positive_buckets = {i + 1, 1, -1, 0};
  h.custom_values = {0, 1, 2, 3, 4};
  return h;
}

}  // namespace promethium::tsdb::testing
