#include "remote/write/live_segment_reader.h"

#include <bit>
#include <cstring>
#include <utility>

#include "tsdb/encoding/crc32c.h"
#include "tsdb/wal/compression.h"
#include "tsdb/wal/segment.h"

namespace promethium::remote {
namespace {

constexpr size_t kReadChunk = 1 << 20;

static_assert(std::endian::native == std::endian::little, "frame headers are read as native little-endian u32");
uint32_t FrameField(const std::string& buf, size_t at) {
  uint32_t v;
  std::memcpy(&v, buf.data() + at, sizeof(v));
  return v;
}

}  // namespace

Result<std::unique_ptr<LiveSegmentReader>> LiveSegmentReader::Open(Env* env, const std::string& path) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  return std::unique_ptr<LiveSegmentReader>(new LiveSegmentReader(path, std::move(file)));
}

void LiveSegmentReader::Rewind(uint64_t offset) {
  buf_.clear();
  damage_.clear();
  offset_ = offset;
  if (offset == 0) header_done_ = false;
}

Status LiveSegmentReader::ReadAvailable(const std::function<Status(const LiveRecord&)>& on_record) {
  if (!damage_.empty()) return Status::OK();  // stays until Rewind: the caller decides
  if (scratch_.empty()) scratch_.resize(kReadChunk);
  while (true) {
    std::string_view chunk;
    PROMETHIUM_RETURN_IF_ERROR(file_->Read(offset_ + buf_.size(), scratch_.size(), &chunk, scratch_.data()));
    buf_.append(chunk);
    PROMETHIUM_RETURN_IF_ERROR(DrainFrames(on_record));
    if (chunk.size() < scratch_.size() || !damage_.empty()) return Status::OK();
  }
}

Result<bool> LiveSegmentReader::ConsumeHeader() {
  using tsdb::wal::kSegmentHeaderSize;
  using tsdb::wal::kSegmentMagic;
  const size_t n = std::min(buf_.size(), sizeof(kSegmentMagic));
  if (n == 0) return false;
  if (std::string_view(buf_.data(), n) != std::string_view(kSegmentMagic, n)) {
    header_done_ = true;  // a segment written before headers existed
    return true;
  }
  if (buf_.size() < kSegmentHeaderSize) return false;
  const auto version = static_cast<uint8_t>(buf_[sizeof(kSegmentMagic)]);
  if (version != tsdb::wal::kSegmentVersion) {
    return Status::Unsupported("WAL segment " + path_ + " has format version " + std::to_string(version));
  }
  buf_.erase(0, kSegmentHeaderSize);
  offset_ += kSegmentHeaderSize;
  header_done_ = true;
  return true;
}

Status LiveSegmentReader::DrainFrames(const std::function<Status(const LiveRecord&)>& on_record) {
  using tsdb::wal::kFrameHeaderSize;
  if (!header_done_) {
    PROMETHIUM_ASSIGN_OR_RETURN(bool done, ConsumeHeader());
    if (!done) return Status::OK();
  }
  size_t pos = 0;
  Status st = Status::OK();
  while (buf_.size() - pos >= kFrameHeaderSize) {
    const uint32_t len = FrameField(buf_, pos);
    const uint32_t crc = FrameField(buf_, pos + 4);
    if (len == 0 || len > tsdb::wal::kMaxRecordSize) {
      damage_ = "invalid record length " + std::to_string(len);
      break;
    }
    if (buf_.size() - pos < kFrameHeaderSize + len) break;  // wait for the rest
    const std::string_view payload(buf_.data() + pos + kFrameHeaderSize, len);
    if (tsdb::encoding::Crc32c(payload) != crc) {
      damage_ = "record checksum mismatch";
      break;
    }
    LiveRecord rec;
    rec.end = offset_ + pos + kFrameHeaderSize + len;
    auto decoded = tsdb::wal::DecompressPayload(payload, &decompressed_);
    if (decoded.ok()) {
      rec.data = *decoded;
    } else {
      rec.undecodable = true;
    }
    st = on_record(rec);
    if (!st.ok()) break;
    pos += kFrameHeaderSize + len;
  }
  buf_.erase(0, pos);
  offset_ += pos;
  return st;
}

}  // namespace promethium::remote
