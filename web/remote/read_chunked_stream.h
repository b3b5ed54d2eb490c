// ReadChunkedStream: the STREAMED_XOR_CHUNKS answer of one remote read
// request, produced frame by frame while it is sent (Prometheus's
// StreamChunkedReadResponses).
//
// Queries are answered in order, each with a sorted Select. A frame holds
// one series (labels merged with the external labels) and as many of its
// chunks as fit: chunks are added while the frame's budget, max_bytes_in_frame
// minus the labels' encoded size, stays positive, so a frame exceeds the
// budget by at most one chunk (as in Prometheus). Each chunk re-encodes up to
// kSamplesPerReadChunk samples of one type: floats as a Prometheus XOR
// chunk, native histograms as a histogram or float-histogram chunk. A chunk
// also ends where the series switches type and where a histogram would
// need a new chunk layout (a counter reset, a schema, zero-threshold or
// bucket change), so every chunk decodes as Prometheus's would. Series
// without samples produce no frame.
//
// Memory: one batch of frames (Fill stops once `out` holds kReadBatchBytes)
// plus one frame (max_bytes_in_frame plus one chunk and the labels), the
// open Querier and the current series' iterator.
//
// Ownership: borrows the Queryable, which must outlive the stream; owns its
// Querier, series set and iterator, and `slot` (a concurrency gate slot),
// all released when the stream is destroyed.
// Thread-safety: one thread at a time (BodyStream's contract).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/base/status.h"
#include "web/http_types.h"
#include "web/remote/read_encoding.h"
#include "web/remote/read_request.h"

namespace promethium::web {

// Frames are handed to the server in batches of about this many bytes.
inline constexpr size_t kReadBatchBytes = 64 << 10;

class ReadChunkedStream final : public BodyStream {
 public:
  ReadChunkedStream(Queryable* storage, std::vector<ReadQuery> queries, Labels external_labels,
                    int64_t max_bytes_in_frame, std::shared_ptr<void> slot);
  ~ReadChunkedStream() override;

  // Appends frames to *out until it holds at least kReadBatchBytes or the
  // answer is complete. An error ends the answer and is returned.
  Status Fill(std::string* out);
  bool done() const { return done_; }

  // Fill; an error is appended as text and ends the body.
  bool Next(std::string* out) override;

 private:
  Status OpenNextQuery();
  Status StartSeries(const Series& series);
  Status Advance();
  Status CutChunk(ReadChunk* chunk);
  Status CutXorChunk(ReadChunk* chunk);
  template <typename ChunkT, typename AppenderT, typename H>
  Status CutHistogramChunk(ValueType type, const H& current, ReadChunk* chunk);
  Status AppendFrame(std::string* out);
  void CloseQuery();

  Queryable* storage_;
  std::vector<ReadQuery> queries_;
  Labels external_labels_;
  int64_t max_bytes_in_frame_;
  std::shared_ptr<void> slot_;

  size_t next_query_ = 0;
  int64_t query_index_ = 0;  // of the open query
  bool done_ = false;
  // Declaration order: the iterator borrows from the set, which borrows
  // from the querier, so they are destroyed the other way round.
  std::unique_ptr<Querier> querier_;
  std::unique_ptr<SeriesSet> series_set_;
  std::unique_ptr<SampleIterator> it_;
  // The current series: merged labels, frame budget for chunks, and the
  // next sample not yet put in a chunk.
  bool in_series_ = false;
  Labels labels_;
  int64_t frame_budget_ = 0;
  bool has_sample_ = false;
  ValueType type_ = ValueType::kNone;  // of the next sample
  Sample sample_;                      // when type_ is kFloat
  Histogram histogram_;                // when kHistogram
  FloatHistogram float_histogram_;     // when kFloatHistogram
  std::vector<ReadChunk> chunks_;      // of the frame being built
};

}  // namespace promethium::web
