// DecodeWriteRequest / DecodeWriteRequestV2: zero-copy decoders of remote
// write 1.0's prometheus.WriteRequest (remote/proto/remote.proto) and 2.0's
// io.prometheus.write.v2.Request (remote/proto/write_v2.proto) into one
// shape, for the receiver's hot path.
//
// Why not the generated classes: they allocate a message and a std::string
// per label name and value (about 30 allocations per series), which made
// allocation the receiver's largest cost. This decoder walks the wire format
// once and keeps string_views into the decompressed buffer; it reads only
// what the receiver needs (labels, samples, histograms, exemplars) and
// skips everything else (metadata, created timestamps, unknown fields), as
// the generated parser does. Scalars repeated on the wire follow protobuf's
// "last one wins".
//
// Ownership: the views in DecodedWriteRequest point into the buffer passed
// to DecodeWriteRequest, which must outlive them.
// Thread-safety: a pure function; DecodedWriteRequest is a plain value.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tsdb/api/sample.h"
#include "tsdb/base/status.h"
#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram.h"

namespace promethium::web {

struct DecodedWriteRequest {
  struct LabelView {
    std::string_view name;
    std::string_view value;
  };
  struct Series {
    uint32_t first_label = 0;  // index into labels
    uint32_t label_count = 0;
    uint32_t first_sample = 0;  // index into samples
    uint32_t sample_count = 0;
    uint32_t first_histogram = 0;  // index into histograms
    uint32_t histogram_count = 0;
    uint32_t first_exemplar = 0;  // index into exemplars
    uint32_t exemplar_count = 0;
    // 2.0 only: why the label references did not resolve (static text), or
    // null.
    const char* label_error = nullptr;
  };
  // One native-histogram sample: integer counts in `h` unless `is_float`,
  // then float counts in `fh` (the message's count oneof decides, as
  // Prometheus's IsFloatHistogram).
  struct HistogramSample {
    int64_t t = 0;
    bool is_float = false;
    Histogram h;
    FloatHistogram fh;
  };
  // One exemplar, its labels in exemplar_labels (wire order, not checked).
  struct ExemplarView {
    uint32_t first_label = 0;  // index into exemplar_labels
    uint32_t label_count = 0;
    double value = 0;
    int64_t t = 0;
    // 2.0 only: why the label references did not resolve (static text), or
    // null.
    const char* label_error = nullptr;
  };
  std::vector<Series> series;
  std::vector<LabelView> labels;            // every series' labels, in wire order
  std::vector<Sample> samples;              // every series' samples, in wire order
  std::vector<HistogramSample> histograms;  // every series' histograms, in wire order
  std::vector<ExemplarView> exemplars;      // every series' exemplars, in wire order
  std::vector<LabelView> exemplar_labels;   // every exemplar's labels, in wire order

  void Clear() {
    series.clear();
    labels.clear();
    samples.clear();
    histograms.clear();
    exemplars.clear();
    exemplar_labels.clear();
  }
};

// Decodes `wire` into *out (cleared first). Fails with InvalidArgument
// ("proto: cannot parse invalid wire-format data: <why>") on malformed input.
Status DecodeWriteRequest(std::string_view wire, DecodedWriteRequest* out);

// The same for a 2.0 io.prometheus.write.v2.Request; the views point into
// `wire` (symbols included).
Status DecodeWriteRequestV2(std::string_view wire, DecodedWriteRequest* out);

}  // namespace promethium::web
