#include "web/value_json.h"

#include <type_traits>

#include "tsdb/histogram/bucket_iterator.h"

namespace promethium::web {

namespace {

void WritePoint(JsonWriter* w, int64_t t, double v) {
  w->BeginArray();
  w->Timestamp(t);
  w->SampleValue(v);
  w->EndArray();
}

// Prometheus's bucket boundary rule: 0 (lower, upper], 1 [lower, upper),
// 2 (lower, upper), 3 [lower, upper].
int BoundaryRule(const Bucket<double>& b) {
  if (b.lower_inclusive) return b.upper_inclusive ? 3 : 1;
  return b.upper_inclusive ? 0 : 2;
}

// As Prometheus's jsonutil.MarshalHistogram: count and sum as strings, then
// the populated buckets in ascending order (negative, zero, positive), each
// [rule, "lower", "upper", "count"]; no "buckets" key when all are empty.
void WriteHistogram(JsonWriter* w, const FloatHistogram& h) {
  w->BeginObject();
  w->Key("count");
  w->SampleValue(h.count);
  w->Key("sum");
  w->SampleValue(h.sum);
  bool any = false;
  for (auto it = AllBuckets(h); it.Next();) {
    Bucket<double> b = it.At();
    if (b.count == 0) continue;
    if (!any) {
      w->Key("buckets");
      w->BeginArray();
      any = true;
    }
    w->BeginArray();
    w->Int(BoundaryRule(b));
    w->SampleValue(b.lower);
    w->SampleValue(b.upper);
    w->SampleValue(b.count);
    w->EndArray();
  }
  if (any) w->EndArray();
  w->EndObject();
}

void WriteHistogramPoint(JsonWriter* w, int64_t t, const FloatHistogram& h) {
  w->BeginArray();
  w->Timestamp(t);
  WriteHistogram(w, h);
  w->EndArray();
}

void WriteVector(JsonWriter* w, const promql::Vector& vec) {
  w->BeginArray();
  for (const promql::VectorElement& e : vec) {
    w->BeginObject();
    w->Key("metric");
    w->LabelsObject(e.metric);
    if (e.h != nullptr) {
      w->Key("histogram");
      WriteHistogramPoint(w, e.t, *e.h);
    } else {
      w->Key("value");
      WritePoint(w, e.t, e.v);
    }
    w->EndObject();
  }
  w->EndArray();
}

void WriteMatrix(JsonWriter* w, const promql::Matrix& matrix) {
  w->BeginArray();
  for (const promql::MatrixSeries& s : matrix) {
    w->BeginObject();
    w->Key("metric");
    w->LabelsObject(s.metric);
    // As Prometheus: a series without float points has no "values" key.
    if (!s.points.empty()) {
      w->Key("values");
      w->BeginArray();
      for (const Sample& p : s.points) WritePoint(w, p.t, p.v);
      w->EndArray();
    }
    // Likewise "histograms" only when there are histogram points.
    if (!s.histograms.empty()) {
      w->Key("histograms");
      w->BeginArray();
      for (const promql::HistogramPoint& p : s.histograms) WriteHistogramPoint(w, p.t, *p.h);
      w->EndArray();
    }
    w->EndObject();
  }
  w->EndArray();
}

void WriteStats(JsonWriter* w, const promql::QueryStats& stats) {
  w->BeginObject();
  w->Key("timings");
  w->BeginObject();
  w->Key("evalTotalTime");
  w->Double(stats.total_time_seconds);
  w->Key("resultSortTime");
  w->Double(0);
  w->Key("queryPreparationTime");
  w->Double(0);
  w->Key("innerEvalTime");
  w->Double(stats.total_time_seconds);
  w->Key("execQueueTime");
  w->Double(0);
  w->Key("execTotalTime");
  w->Double(stats.total_time_seconds);
  w->EndObject();
  w->Key("samples");
  w->BeginObject();
  w->Key("totalQueryableSamples");
  w->Int(stats.total_queryable_samples);
  w->Key("peakSamples");
  w->Int(stats.peak_samples);
  w->EndObject();
  w->EndObject();
}

}  // namespace

void WriteResultValue(JsonWriter* w, const promql::Value& v) {
  std::visit(
      [w](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, promql::Scalar>) {
          WritePoint(w, value.t, value.v);
        } else if constexpr (std::is_same_v<T, promql::String>) {
          w->BeginArray();
          w->Timestamp(value.t);
          w->String(value.v);
          w->EndArray();
        } else if constexpr (std::is_same_v<T, promql::Vector>) {
          WriteVector(w, value);
        } else {
          WriteMatrix(w, value);
        }
      },
      v);
}

void WriteQueryData(JsonWriter* w, const promql::Value& v, const promql::QueryStats* stats) {
  w->BeginObject();
  w->Key("resultType");
  static constexpr const char* kTypeNames[] = {"scalar", "string", "vector", "matrix"};  // Value's order
  w->String(kTypeNames[v.index()]);
  w->Key("result");
  WriteResultValue(w, v);
  if (stats != nullptr) {
    w->Key("stats");
    WriteStats(w, *stats);
  }
  w->EndObject();
}

}  // namespace promethium::web
