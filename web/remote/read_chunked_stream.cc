#include "web/remote/read_chunked_stream.h"

#include <utility>

#include "remote/proto/chunked_frame.h"
#include "tsdb/base/logging.h"
#include "tsdb/chunkenc/xor_chunk.h"

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
  has_sample_ = it_->Next() != ValueType::kNone;
  if (has_sample_) {
    sample_ = it_->At();
    return Status::OK();
  }
  return it_->Err();
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
  tsdb::XorChunk xor_chunk;
  tsdb::XorAppender appender(&xor_chunk);
  chunk->min_time_ms = sample_.t;
  for (int n = 0; has_sample_ && n < kSamplesPerReadChunk; ++n) {
    appender.Append(sample_.t, sample_.v);
    chunk->max_time_ms = sample_.t;
    PROMETHIUM_RETURN_IF_ERROR(Advance());
  }
  chunk->data.assign(xor_chunk.Bytes());
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
