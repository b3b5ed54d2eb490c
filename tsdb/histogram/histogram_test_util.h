// Test helpers for tsdb/histogram: exact comparison of histograms (as Go's
// require.Equal does in Prometheus's tests) and the constants the generated
// case tables (testdata/*.inc, translated from Prometheus's
// model/histogram/*_test.go) refer to, and a parser for the {{...}}
// histogram notation of PromQL test scripts.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram.h"

namespace promethium::histogram_test {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline const double kNaN = std::numeric_limits<double>::quiet_NaN();

inline double ParseNumber(const std::string& s) {
  if (s == "Inf" || s == "+Inf") return kInf;
  if (s == "-Inf") return -kInf;
  if (s == "NaN") return kNaN;
  return std::stod(s);
}

inline std::vector<double> ParseList(const std::string& s) {
  std::vector<double> out;
  std::istringstream in(s);
  for (std::string tok; in >> tok;) out.push_back(ParseNumber(tok));
  return out;
}

// The {{...}} histogram notation of PromQL test scripts (the subset the
// tables use): one span per side starting at offset / n_offset.
inline FloatHistogram ParseNotation(const std::string& notation) {
  FloatHistogram h;
  std::string body = notation.substr(2, notation.size() - 4);
  int32_t offset = 0, n_offset = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    while (pos < body.size() && body[pos] == ' ') ++pos;
    if (pos >= body.size()) break;
    const size_t colon = body.find(':', pos);
    const std::string key = body.substr(pos, colon - pos);
    std::string value;
    if (body[colon + 1] == '[') {
      const size_t close = body.find(']', colon);
      value = body.substr(colon + 2, close - colon - 2);
      pos = close + 1;
    } else {
      const size_t end = std::min(body.find(' ', colon), body.size());
      value = body.substr(colon + 1, end - colon - 1);
      pos = end;
    }
    if (key == "schema")
      h.schema = std::stoi(value);
    else if (key == "sum")
      h.sum = ParseNumber(value);
    else if (key == "count")
      h.count = ParseNumber(value);
    else if (key == "z_bucket")
      h.zero_count = ParseNumber(value);
    else if (key == "z_bucket_w")
      h.zero_threshold = ParseNumber(value);
    else if (key == "offset")
      offset = std::stoi(value);
    else if (key == "n_offset")
      n_offset = std::stoi(value);
    else if (key == "buckets")
      h.positive_buckets = ParseList(value);
    else if (key == "n_buckets")
      h.negative_buckets = ParseList(value);
    else if (key == "custom_values")
      h.custom_values = ParseList(value);
    else
      ADD_FAILURE() << "unknown key " << key;
  }
  if (!h.positive_buckets.empty()) h.positive_spans = {{offset, static_cast<uint32_t>(h.positive_buckets.size())}};
  if (!h.negative_buckets.empty()) h.negative_spans = {{n_offset, static_cast<uint32_t>(h.negative_buckets.size())}};
  return h;
}

inline bool SameFloat(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

inline bool SameFloats(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameFloat(a[i], b[i])) return false;
  }
  return true;
}

template <typename H>
std::string Describe(const H& h) {
  auto spans = [](const std::vector<HistogramSpan>& s) {
    std::string out = "[";
    for (const auto& sp : s) out += "{" + std::to_string(sp.offset) + "," + std::to_string(sp.length) + "}";
    return out + "]";
  };
  return "hint=" + std::to_string(static_cast<int>(h.counter_reset_hint)) + " schema=" + std::to_string(h.schema) +
         " zt=" + std::to_string(h.zero_threshold) + " pos" + spans(h.positive_spans) + " neg" +
         spans(h.negative_spans) + " " + h.ToString();
}

// Field-by-field identity, spans included exactly.
template <typename H>
::testing::AssertionResult Identical(const H& got, const H& want) {
  bool same = got.counter_reset_hint == want.counter_reset_hint && got.schema == want.schema &&
              SameFloat(got.zero_threshold, want.zero_threshold) &&
              SameFloat(static_cast<double>(got.zero_count), static_cast<double>(want.zero_count)) &&
              SameFloat(static_cast<double>(got.count), static_cast<double>(want.count)) &&
              SameFloat(got.sum, want.sum) && got.positive_spans == want.positive_spans &&
              got.negative_spans == want.negative_spans && got.positive_buckets == want.positive_buckets &&
              got.negative_buckets == want.negative_buckets && SameFloats(got.custom_values, want.custom_values);
  if constexpr (std::is_same_v<H, FloatHistogram>) {
    same = same && SameFloats(got.positive_buckets, want.positive_buckets) &&
           SameFloats(got.negative_buckets, want.negative_buckets);
  }
  if (same) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got  " << Describe(got) << "\nwant " << Describe(want);
}

}  // namespace promethium::histogram_test
