// DecodeWriteRequest: a zero-copy decoder of remote write 1.0's protobuf
// prometheus.WriteRequest (web/remote/remote.proto), for the receiver's hot
// path.
//
// Why not the generated classes: they allocate a message and a std::string
// per label name and value (about 30 allocations per series), which made
// allocation the receiver's largest cost. This decoder walks the wire format
// once and keeps string_views into the decompressed buffer; it reads only
// what the receiver needs (labels, samples, whether histograms are present)
// and skips everything else (exemplars, metadata, unknown fields), as the
// generated parser does. Scalars repeated on the wire follow protobuf's
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
    bool has_histograms = false;
  };
  std::vector<Series> series;
  std::vector<LabelView> labels;  // every series' labels, in wire order
  std::vector<Sample> samples;    // every series' samples, in wire order

  void Clear() {
    series.clear();
    labels.clear();
    samples.clear();
  }
};

// Decodes `wire` into *out (cleared first). Fails with InvalidArgument
// ("proto: cannot parse invalid wire-format data: <why>") on malformed input.
Status DecodeWriteRequest(std::string_view wire, DecodedWriteRequest* out);

}  // namespace promethium::web
