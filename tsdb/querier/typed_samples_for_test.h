// Typed samples for tests of native histograms in the storage engine: a
// Point (float, histogram or float histogram at t), generators of valid
// counter and gauge histograms, comparison with readable failures, and
// reading one series back from any Querier with each sample's type.
// Thread-safety: plain functions.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <bit>
#include <string>
#include <vector>

#include "tsdb/api/storage.h"

namespace promethium::tsdb {

// A counter histogram at step i: schema 0, two positive spans of two
// buckets, one negative bucket; every count grows with i (no resets).
inline Histogram CounterHistogram(int i) {
  Histogram h;
  h.schema = 0;
  h.zero_threshold = 0.001;
  h.zero_count = static_cast<uint64_t>(i);
  h.positive_spans = {{0, 2}, {1, 2}};
  h.positive_buckets = {i, 1, 0, 1};  // deltas: absolute i, i+1, i+1, i+2
  h.negative_spans = {{-1, 1}};
  h.negative_buckets = {2 * i};
  h.count = h.zero_count + static_cast<uint64_t>(4 * i + 4) + static_cast<uint64_t>(2 * i);
  h.sum = 1.5 * i;
  return h;
}

inline FloatHistogram GaugeFloatHistogram(int i) {
  FloatHistogram fh;
  fh.counter_reset_hint = CounterResetHint::kGauge;
  fh.schema = 1;
  fh.zero_count = 0.5;
  fh.positive_spans = {{2, 3}};
  fh.positive_buckets = {1.25, 0.5 * (i % 5), 3};
  fh.count = fh.zero_count + 4.25 + 0.5 * (i % 5);
  fh.sum = -2.0 * i;
  return fh;
}

// The typed samples of one series, as a test writes and expects them.
struct Point {
  int64_t t = 0;
  ValueType type = ValueType::kNone;
  double v = 0;
  Histogram h{};
  FloatHistogram fh{};
};

inline Point FloatPoint(int64_t t, double v) {
  Point p;
  p.t = t;
  p.type = ValueType::kFloat;
  p.v = v;
  return p;
}
inline Point HistogramPoint(int64_t t, Histogram h) {
  Point p;
  p.t = t;
  p.type = ValueType::kHistogram;
  p.h = std::move(h);
  return p;
}
inline Point FloatHistogramPoint(int64_t t, FloatHistogram fh) {
  Point p;
  p.t = t;
  p.type = ValueType::kFloatHistogram;
  p.fh = std::move(fh);
  return p;
}

// One line per sample for failure messages (fmt, so no temporaries chain).
inline std::string Describe(const Point& p) {
  std::string out = fmt::format("{} type {}", p.t, static_cast<int>(p.type));
  if (p.type == ValueType::kFloat) return out + fmt::format(" v {}", p.v);
  if (p.type == ValueType::kHistogram) {
    out += fmt::format(" count {} zero {} sum {} buckets {} / {} spans {} hint {}", p.h.count, p.h.zero_count, p.h.sum,
                       fmt::join(p.h.positive_buckets, ","), fmt::join(p.h.negative_buckets, ","),
                       p.h.positive_spans.size(), static_cast<int>(p.h.counter_reset_hint));
    return out;
  }
  out += fmt::format(" count {} sum {} buckets {} schema {}", p.fh.count, p.fh.sum,
                     fmt::join(p.fh.positive_buckets, ","), p.fh.schema);
  return out;
}

// Compares what matters of two samples, ignoring the counter-reset hint
// (a chunk's header decides it for its first sample on read).
inline bool SamePoint(const Point& a, const Point& b) {
  if (a.t != b.t || a.type != b.type) return false;
  if (a.type == ValueType::kFloat) return std::bit_cast<uint64_t>(a.v) == std::bit_cast<uint64_t>(b.v);
  if (a.type == ValueType::kHistogram) {
    return a.h.schema == b.h.schema && a.h.count == b.h.count && a.h.zero_count == b.h.zero_count &&
           a.h.sum == b.h.sum && a.h.zero_threshold == b.h.zero_threshold && a.h.positive_spans == b.h.positive_spans &&
           a.h.positive_buckets == b.h.positive_buckets && a.h.negative_spans == b.h.negative_spans &&
           a.h.negative_buckets == b.h.negative_buckets;
  }
  return a.fh.schema == b.fh.schema && a.fh.count == b.fh.count && a.fh.zero_count == b.fh.zero_count &&
         a.fh.sum == b.fh.sum && a.fh.positive_spans == b.fh.positive_spans &&
         a.fh.positive_buckets == b.fh.positive_buckets;
}

inline void ExpectSamePoints(const std::vector<Point>& got, const std::vector<Point>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(SamePoint(got[i], want[i]))
        << "sample " << i << "\n got  " << Describe(got[i]) << "\n want " << Describe(want[i]);
  }
}

// Every sample, typed, of the one series named `name` a querier selects.
inline std::vector<Point> ReadTypedSeries(Querier* q, const std::string& name) {
  auto set = q->Select(true, nullptr, {*Matcher::Make(MatchType::kEqual, "__name__", name)});
  std::vector<Point> out;
  EXPECT_TRUE(set->Next()) << set->Err().ToString();
  if (!set->Err().ok()) return out;
  auto it = set->At().Iterator(nullptr);
  for (ValueType type = it->Next(); type != ValueType::kNone; type = it->Next()) {
    Point p;
    p.t = it->AtT();
    p.type = type;
    if (type == ValueType::kFloat) p.v = it->At().v;
    if (type == ValueType::kHistogram) it->AtHistogram(&p.h);
    if (type == ValueType::kFloatHistogram) it->AtFloatHistogram(&p.fh);
    out.push_back(std::move(p));
  }
  EXPECT_TRUE(it->Err().ok()) << it->Err().ToString();
  EXPECT_FALSE(set->Next());
  return out;
}

}  // namespace promethium::tsdb
