#include "tsdb/prometheus_format/chunk_writer.h"

#include <algorithm>
#include <cstdio>

#include "tsdb/base/varint.h"
#include "tsdb/encoding/block_encoding.h"
#include "tsdb/encoding/crc32c.h"

namespace promethium::tsdb {
namespace {

constexpr uint64_t kMaxSegmentBytes = uint64_t{1} << 32;  // offsets are 32 bits

uint64_t EffectiveSegmentMax(uint64_t requested) {
  if (requested == 0) return kPrometheusChunkSegmentMaxBytes;
  return std::min(requested, kMaxSegmentBytes);
}

}  // namespace

std::string PrometheusChunkSegmentPath(const std::string& chunks_dir, uint32_t seq) {
  char name[16];
  std::snprintf(name, sizeof(name), "%06u", seq);
  return chunks_dir + "/" + name;
}

PrometheusChunkWriter::PrometheusChunkWriter(Env* env, std::string chunks_dir, uint64_t segment_max_bytes)
    : env_(env), dir_(std::move(chunks_dir)), segment_max_(EffectiveSegmentMax(segment_max_bytes)) {}

PrometheusChunkWriter::~PrometheusChunkWriter() {
  if (file_ != nullptr) file_->Close().IgnoreError();  // abandoned: the block writer removes the directory
}

Status PrometheusChunkWriter::CloseSegment() {
  PROMETHIUM_RETURN_IF_ERROR(file_->Sync());
  PROMETHIUM_RETURN_IF_ERROR(file_->Close());
  file_.reset();
  return Status::OK();
}

Status PrometheusChunkWriter::CutSegment() {
  if (file_ != nullptr) PROMETHIUM_RETURN_IF_ERROR(CloseSegment());
  if (seq_ == UINT32_MAX) return Status::Unsupported("too many chunk segment files");
  ++seq_;
  PROMETHIUM_ASSIGN_OR_RETURN(file_, env_->NewWritableFile(PrometheusChunkSegmentPath(dir_, seq_)));
  std::string header;
  block_encoding::PutBE32(&header, kPrometheusChunkSegmentMagic);
  header.push_back(static_cast<char>(kPrometheusChunksVersion));
  header.append(3, '\0');  // padding
  PROMETHIUM_RETURN_IF_ERROR(file_->Append(header));
  file_size_ = header.size();
  stored_bytes_ += header.size();
  return Status::OK();
}

Result<uint64_t> PrometheusChunkWriter::AddChunk(ChunkEncoding encoding, std::string_view chunk) {
  if (finished_) return Status::InvalidArgument("PrometheusChunkWriter: Add after Finish");
  // Every chunk encoding starts with its sample count (2 bytes).
  if (chunk.size() < 2) return Status::InvalidArgument("PrometheusChunkWriter: chunk shorter than its header");
  buf_.clear();
  PutUvarint(&buf_, chunk.size());
  const size_t encoding_at = buf_.size();
  buf_.push_back(static_cast<char>(encoding));
  buf_.append(chunk);
  const uint32_t crc = encoding::Crc32c(std::string_view(buf_).substr(encoding_at));
  block_encoding::PutBE32(&buf_, crc);

  const bool has_chunks = file_ != nullptr && file_size_ > kPrometheusChunksHeaderSize;
  if (file_ == nullptr || (has_chunks && file_size_ + buf_.size() > segment_max_)) {
    PROMETHIUM_RETURN_IF_ERROR(CutSegment());
  }
  if (file_size_ > UINT32_MAX) return Status::Unsupported("chunk offset past 4 GiB in a segment file");
  const uint64_t ref = PackPrometheusChunkRef(seq_ - 1, static_cast<uint32_t>(file_size_));
  PROMETHIUM_RETURN_IF_ERROR(file_->Append(buf_));
  file_size_ += buf_.size();
  stored_bytes_ += buf_.size();
  raw_bytes_ += chunk.size();
  return ref;
}

Status PrometheusChunkWriter::Finish() {
  if (finished_) return Status::OK();
  finished_ = true;
  if (file_ != nullptr) PROMETHIUM_RETURN_IF_ERROR(CloseSegment());
  return env_->SyncDir(dir_);
}

}  // namespace promethium::tsdb
