#include "web/remote/read_chunked_stream.h"

#include <utility>

#include "remote/proto/chunked_frame.h"
#include "tsdb/base/logging.h"
#include "tsdb/chunkenc/chunk_encoding.h"

namespace promethium::web {

ReadChunkedStream::ReadChunkedStream(Queryable* storage, std::vector<ReadQuery> queries, Labels external_labels,
                                     int64_t max_bytes_in_frame, std::shared_ptr<void> slot)
    : storage_(storage),
      queries_(std::move(queries)),
      external_labels_(std::move(external_labels)),
      max_bytes_in_frame_(max_bytes_in_frame),
      slot_(std::move(slot)) {}

ReadChunkedStream::~ReadChunkedStream() { CloseQuery(); }

void ReadChunkedStream::CloseQuery() {
  it_.reset();
  series_set_.reset();
  querier_.reset();
  in_series_ = false;
}

Status ReadChunkedStream::OpenNextQuery() {
  const ReadQuery& q = queries_[next_query_];
  query_index_ = static_cast<int64_t>(next_query_);
  ++next_query_;
  bool select_nothing = false;
  PROMETHIUM_ASSIGN_OR_RETURN(Matchers matchers, SelectionMatchers(q.matchers, external_labels_, &select_nothing));
  if (select_nothing) return Status::OK();
  PROMETHIUM_ASSIGN_OR_RETURN(querier_, storage_->NewQuerier(q.start_ms, q.end_ms));
  // The streamed protocol promises series in label order.
  series_set_ = querier_->Select(/*sorted=*/true, q.has_hints ? &q.hints : nullptr, matchers);
  return Status::OK();
}

Status ReadChunkedStream::Advance() {
  type_ = it_->Next();
  has_sample_ = type_ != ValueType::kNone;
  switch (type_) {
    case ValueType::kNone: return it_->Err();
    case ValueType::kFloat: sample_ = it_->At(); break;
    case ValueType::kHistogram: sample_.t = it_->AtHistogram(&histogram_); break;
    case ValueType::kFloatHistogram: sample_.t = it_->AtFloatHistogram(&float_histogram_); break;
  }
  return Status::OK();
}

Status ReadChunkedStream::StartSeries(const Series& series) {
  labels_ = MergeExternalLabels(series.labels(), external_labels_);
  frame_budget_ = max_bytes_in_frame_;
  for (const Label& l : labels_) frame_budget_ -= static_cast<int64_t>(LabelMessageSize(l));
  it_ = series.Iterator(std::move(it_));
  PROMETHIUM_RETURN_IF_ERROR(Advance());
  in_series_ = has_sample_;
  return Status::OK();
}

Status ReadChunkedStream::CutChunk(ReadChunk* chunk) {
  chunk->min_time_ms = sample_.t;
  chunk->encoding = static_cast<uint8_t>(tsdb::EncodingFor(type_));
  switch (type_) {
    case ValueType::kHistogram:
      return CutHistogramChunk<tsdb::HistogramChunk, tsdb::HistogramAppender>(type_, histogram_, chunk);
    case ValueType::kFloatHistogram:
      return CutHistogramChunk<tsdb::FloatHistogramChunk, tsdb::FloatHistogramAppender>(type_, float_histogram_, chunk);
    default: return CutXorChunk(chunk);
  }
}

Status ReadChunkedStream::CutXorChunk(ReadChunk* chunk) {
  tsdb::XorChunk xor_chunk;
  tsdb::XorAppender appender(&xor_chunk);
  for (int n = 0; has_sample_ && type_ == ValueType::kFloat && n < kSamplesPerReadChunk; ++n) {
    appender.Append(sample_.t, sample_.v);
    chunk->max_time_ms = sample_.t;
    PROMETHIUM_RETURN_IF_ERROR(Advance());
  }
  chunk->data.assign(xor_chunk.Bytes());
  return Status::OK();
}

// `current` is histogram_ or float_histogram_, refilled by Advance. The
// appender runs append-only: where it would cut a new chunk or re-encode
// this one it refuses (FailedPrecondition), and the sample starts the next
// chunk instead.
template <typename ChunkT, typename AppenderT, typename H>
Status ReadChunkedStream::CutHistogramChunk(ValueType type, const H& current, ReadChunk* chunk) {
  ChunkT histogram_chunk;
  AppenderT appender(&histogram_chunk);
  for (int n = 0; has_sample_ && type_ == type && n < kSamplesPerReadChunk; ++n) {
    auto appended = appender.Append(sample_.t, current, /*append_only=*/true);
    if (!appended.ok()) {
      if (n > 0 && appended.status().code() == Status::Code::kFailedPrecondition) break;
      return appended.status().WithContext("re-encoding a histogram chunk for remote read");
    }
    chunk->max_time_ms = sample_.t;
    PROMETHIUM_RETURN_IF_ERROR(Advance());
  }
  chunk->data.assign(histogram_chunk.Bytes());
  return Status::OK();
}

Status ReadChunkedStream::AppendFrame(std::string* out) {
  chunks_.clear();
  int64_t left = frame_budget_;
  do {
    ReadChunk chunk;
    PROMETHIUM_RETURN_IF_ERROR(CutChunk(&chunk));
    left -= static_cast<int64_t>(ChunkMessageSize(chunk));
    chunks_.push_back(std::move(chunk));
  } while (left > 0 && has_sample_);
  remote::AppendChunkedFrame(out, EncodeChunkedReadResponse(labels_, chunks_, query_index_));
  in_series_ = has_sample_;
  return Status::OK();
}

Status ReadChunkedStream::Fill(std::string* out) {
  Status s;
  while (!done_ && s.ok() && out->size() < kReadBatchBytes) {
    if (in_series_) {
      s = AppendFrame(out);
    } else if (series_set_ != nullptr) {
      if (series_set_->Next()) {
        s = StartSeries(series_set_->At());
        continue;
      }
      s = series_set_->Err();
      for (const std::string& w : series_set_->Warnings()) {
        LogWarn("web", "Warnings on chunked remote read query: warnings={}", w);
      }
      CloseQuery();
    } else if (next_query_ < queries_.size()) {
      s = OpenNextQuery();
    } else {
      done_ = true;
    }
  }
  if (!s.ok()) {
    done_ = true;
    CloseQuery();
  }
  return s;
}

bool ReadChunkedStream::Next(std::string* out) {
  Status s = Fill(out);
  if (!s.ok()) {
    LogWarn("web", "Error in streamed remote read: err={}", s.message());
    out->append(s.message());
    out->push_back('\n');
  }
  return !done_;
}

}  // namespace promethium::web
