// NhcbLoad (see nhcb_load.h).
#include "tests/promqltest/nhcb_load.h"

#include <cmath>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "tsdb/histogram/classic_to_nhcb.h"

namespace promethium::promqltest {

Status NhcbLoad::AddSeries(const SeriesDesc& series, int64_t interval_ms) {
  std::string_view name = series.metric.MetricName();
  Part part;
  std::string_view base_name;
  if (name.ends_with("_bucket")) {
    part = Part::kBucket;
    base_name = name.substr(0, name.size() - 7);
  } else if (name.ends_with("_sum")) {
    part = Part::kSum;
    base_name = name.substr(0, name.size() - 4);
  } else if (name.ends_with("_count")) {
    part = Part::kCount;
    base_name = name.substr(0, name.size() - 6);
  } else {
    return Status::OK();
  }
  double le = 0;
  if (part == Part::kBucket) {
    if (!series.metric.Has("le")) {
      return Status::InvalidArgument(fmt::format("expected bucket label in metric {}", series.metric.ToString()));
    }
    // Go's strconv.ParseFloat: a bound that is not a number drops the series.
    if (!ParseNumber(series.metric.Get("le"), &le) || std::isnan(le)) return Status::OK();
  }
  LabelsBuilder b(series.metric);
  b.Set(kMetricName, std::string(base_name));
  b.Del("le");
  Labels base = b.Build();
  for (size_t i = 0; i < series.values.size(); ++i) {
    const SequenceValue& v = series.values[i];
    if (v.omitted || v.histogram) continue;
    observations_.push_back({base, static_cast<int64_t>(i) * interval_ms, part, le, v.value});
  }
  return Status::OK();
}

Status NhcbLoad::AppendTo(std::vector<LoadSample>* batch) {
  // Series, then timestamp: the map orders both.
  std::map<Labels, std::map<int64_t, ClassicHistogramConverter>> by_series;
  for (const Observation& o : observations_) {
    ClassicHistogramConverter& c = by_series[o.base][o.t];
    // Errors stick in the converter and come out of Convert, as in Prometheus
    // (whose loader ignores the setters' errors).
    switch (o.part) {
      case Part::kBucket: c.SetBucketCount(o.le, o.v).IgnoreError(); break;
      case Part::kCount: c.SetCount(o.v).IgnoreError(); break;
      case Part::kSum: c.SetSum(o.v).IgnoreError(); break;
    }
  }
  for (const auto& [labels, samples] : by_series) {
    owned_labels_.push_back(labels);
    const Labels* l = &owned_labels_.back();
    for (const auto& [t, converter] : samples) {
      auto converted = converter.Convert();
      if (!converted.ok()) {
        return converted.status().WithContext(fmt::format("converting {} @{} to NHCB", labels.ToString(), t));
      }
      auto fh = std::make_shared<const FloatHistogram>(converted->AsFloat());
      batch->push_back(LoadSample{l, t, 0, std::move(fh)});
    }
  }
  return Status::OK();
}

}  // namespace promethium::promqltest
