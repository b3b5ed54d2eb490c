#include "tsdb/wal/segment_reader.h"

#include <algorithm>
#include <memory>
#include <string_view>

#include "tsdb/encoding/crc32c.h"
#include "tsdb/wal/compression.h"
#include "tsdb/wal/segment.h"

namespace promethium::tsdb::wal {
namespace {

// Reads start small and double while the file keeps filling them, up to
// kMaxReadChunk: a 128 MiB segment is read in 1 MiB steps, while the many
// tiny segments of a young WAL (and every fuzz input) do not pay for a
// 1 MiB buffer each. The buffer is not zero-filled: Read overwrites it.
constexpr size_t kMinReadChunk = size_t{64} * 1024;
constexpr size_t kMaxReadChunk = size_t{1} << 20;

uint32_t LoadFixed32(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}

// Buffers a SequentialFile so frames can be read as contiguous views.
class BufferedReader {
 public:
  explicit BufferedReader(SequentialFile* file)
      : file_(file), scratch_(std::make_unique_for_overwrite<char[]>(kMinReadChunk)), scratch_size_(kMinReadChunk) {}

  // Makes at least n bytes available unless the file ends first.
  Status Fill(size_t n) {
    while (buf_.size() - pos_ < n && !eof_) {
      if (pos_ > 0) {
        buf_.erase(0, pos_);
        pos_ = 0;
      }
      std::string_view chunk;
      PROMETHIUM_RETURN_IF_ERROR(file_->Read(scratch_size_, &chunk, scratch_.get()));
      if (chunk.empty()) eof_ = true;
      buf_.append(chunk);
      if (chunk.size() == scratch_size_ && scratch_size_ < kMaxReadChunk) {
        scratch_size_ *= 2;
        scratch_ = std::make_unique_for_overwrite<char[]>(scratch_size_);
      }
    }
    return Status::OK();
  }
  size_t Available() const { return buf_.size() - pos_; }
  const char* Data() const { return buf_.data() + pos_; }
  void Consume(size_t n) { pos_ += n; }

 private:
  SequentialFile* file_;
  std::unique_ptr<char[]> scratch_;
  size_t scratch_size_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
};

// Consumes the segment header when there is one (segments written before
// headers existed start right with a frame). A header cut short is a torn
// write of a new segment: reported like any torn tail, with good_bytes 0.
Status SkipSegmentHeader(BufferedReader* reader, const std::string& path, SegmentReadOutcome* outcome) {
  PROMETHIUM_RETURN_IF_ERROR(reader->Fill(kSegmentHeaderSize));
  const size_t n = std::min(reader->Available(), sizeof(kSegmentMagic));
  if (n == 0 || std::string_view(reader->Data(), n) != std::string_view(kSegmentMagic, n)) return Status::OK();
  if (reader->Available() < kSegmentHeaderSize) {
    outcome->problem = "torn segment header";
    return Status::OK();
  }
  const auto version = static_cast<uint8_t>(reader->Data()[sizeof(kSegmentMagic)]);
  if (version != kSegmentVersion) {
    return Status::Unsupported("WAL segment " + path + " has format version " + std::to_string(version) +
                               " (this build reads version " + std::to_string(kSegmentVersion) + ")");
  }
  reader->Consume(kSegmentHeaderSize);
  outcome->good_bytes = kSegmentHeaderSize;
  return Status::OK();
}

}  // namespace

Status ReadSegmentRecords(Env* env, const std::string& path, const RecordHandler& on_record,
                          SegmentReadOutcome* outcome) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file, env->NewSequentialFile(path));
  BufferedReader reader(file.get());
  PROMETHIUM_RETURN_IF_ERROR(SkipSegmentHeader(&reader, path, outcome));
  if (!outcome->problem.empty()) return Status::OK();
  std::string decompressed;
  while (true) {
    PROMETHIUM_RETURN_IF_ERROR(reader.Fill(kFrameHeaderSize));
    if (reader.Available() == 0) return Status::OK();
    if (reader.Available() < kFrameHeaderSize) {
      outcome->problem = "torn record header";
      return Status::OK();
    }
    const uint32_t len = LoadFixed32(reader.Data());
    const uint32_t crc = LoadFixed32(reader.Data() + 4);
    if (len == 0 || len > kMaxRecordSize) {
      outcome->problem = "invalid record length " + std::to_string(len);
      return Status::OK();
    }
    PROMETHIUM_RETURN_IF_ERROR(reader.Fill(kFrameHeaderSize + len));
    if (reader.Available() < kFrameHeaderSize + len) {
      outcome->problem = "torn record (" + std::to_string(len) + " byte payload cut short)";
      return Status::OK();
    }
    const std::string_view payload(reader.Data() + kFrameHeaderSize, len);
    if (encoding::Crc32c(payload) != crc) {
      outcome->problem = "record checksum mismatch";
      return Status::OK();
    }
    auto record = DecompressPayload(payload, &decompressed);
    if (!record.ok()) {
      return record.status().WithContext("at offset " + std::to_string(outcome->good_bytes) + " of " + path);
    }
    PROMETHIUM_RETURN_IF_ERROR(on_record(*record));
    reader.Consume(kFrameHeaderSize + len);
    outcome->good_bytes += kFrameHeaderSize + len;
    outcome->records++;
  }
}

}  // namespace promethium::tsdb::wal
