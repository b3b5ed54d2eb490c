#include "web/value_json.h"

#include <type_traits>

namespace promethium::web {

namespace {

void WritePoint(JsonWriter* w, int64_t t, double v) {
  w->BeginArray();
  w->Timestamp(t);
  w->SampleValue(v);
  w->EndArray();
}

void WriteVector(JsonWriter* w, const promql::Vector& vec) {
  w->BeginArray();
  for (const promql::VectorElement& e : vec) {
    w->BeginObject();
    w->Key("metric");
    w->LabelsObject(e.metric);
    w->Key("value");
    WritePoint(w, e.t, e.v);
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
