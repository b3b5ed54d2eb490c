// The values a PromQL query produces: scalar, string, instant vector and
// range vector (matrix), as in Prometheus's promql.Value.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/api/sample.h"
#include "tsdb/histogram/float_histogram.h"

namespace promethium::promql {

struct Scalar {
  int64_t t = 0;
  double v = 0;
};

struct String {
  int64_t t = 0;
  std::string v;
};

// One element of an instant vector: a float sample, or a native-histogram
// sample when `h` is set (then `v` is unused). Histograms are immutable
// once in a result, so copies share them.
struct VectorElement {
  Labels metric;
  int64_t t = 0;
  double v = 0;
  std::shared_ptr<const FloatHistogram> h = nullptr;
};

// One native-histogram point of a range vector (Prometheus's HPoint).
struct HistogramPoint {
  int64_t t = 0;
  std::shared_ptr<const FloatHistogram> h;
};
using Vector = std::vector<VectorElement>;

// One series of a range vector.
struct MatrixSeries {
  Labels metric;
  std::vector<Sample> points;              // float points, increasing t
  std::vector<HistogramPoint> histograms;  // histogram points, increasing t
};
using Matrix = std::vector<MatrixSeries>;

using Value = std::variant<Scalar, String, Vector, Matrix>;

// "scalar", "string", "vector", "matrix": the API's data.resultType.
std::string_view ResultTypeName(const Value& v);

}  // namespace promethium::promql
