#include "tsdb/wal/wal_reader.h"

#include <memory>
#include <vector>

#include "tsdb/base/logging.h"
#include "tsdb/wal/crc32c.h"
#include "tsdb/wal/segment.h"

namespace promethium::tsdb::wal {
namespace {

constexpr size_t kReadChunk = 1 << 20;

uint32_t LoadFixed32(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}

// Buffers a SequentialFile so frames can be read as contiguous views.
class BufferedReader {
 public:
  explicit BufferedReader(SequentialFile* file) : file_(file), scratch_(kReadChunk, '\0') {}

  // Makes at least n bytes available unless the file ends first.
  Status Fill(size_t n) {
    while (buf_.size() - pos_ < n && !eof_) {
      if (pos_ > 0) {
        buf_.erase(0, pos_);
        pos_ = 0;
      }
      std::string_view chunk;
      PROMETHIUM_RETURN_IF_ERROR(file_->Read(scratch_.size(), &chunk, scratch_.data()));
      if (chunk.empty()) eof_ = true;
      buf_.append(chunk);
    }
    return Status::OK();
  }
  size_t Available() const { return buf_.size() - pos_; }
  const char* Data() const { return buf_.data() + pos_; }
  void Consume(size_t n) { pos_ += n; }

 private:
  SequentialFile* file_;
  std::string scratch_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
};

struct SegmentOutcome {
  uint64_t good_bytes = 0;  // offset just past the last good frame
  std::string problem;      // empty when the segment ended cleanly
};

// Reads one segment's frames, handing good payloads to on_record.
Status ReadSegment(Env* env, const std::string& path, const RecordHandler& on_record, ReplayResult* result,
                   SegmentOutcome* outcome) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file, env->NewSequentialFile(path));
  BufferedReader reader(file.get());
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
    if (Crc32c(payload) != crc) {
      outcome->problem = "record checksum mismatch";
      return Status::OK();
    }
    PROMETHIUM_RETURN_IF_ERROR(on_record(payload));
    reader.Consume(kFrameHeaderSize + len);
    outcome->good_bytes += kFrameHeaderSize + len;
    result->records++;
    result->bytes += kFrameHeaderSize + len;
  }
}

// Truncates segments[i] at good_bytes and deletes every later segment.
Status Repair(Env* env, const std::string& dir, const std::vector<uint64_t>& segments, size_t i,
              const SegmentOutcome& outcome) {
  LogWarn("tsdb", "WAL corruption in segment {} at offset {}: {}; truncating it there and deleting {} later segment(s)",
          SegmentPath(dir, segments[i]), outcome.good_bytes, outcome.problem, segments.size() - i - 1);
  PROMETHIUM_RETURN_IF_ERROR(env->TruncateFile(SegmentPath(dir, segments[i]), outcome.good_bytes));
  for (size_t j = i + 1; j < segments.size(); ++j) {
    PROMETHIUM_RETURN_IF_ERROR(env->RemoveFile(SegmentPath(dir, segments[j])));
  }
  return env->SyncDir(dir);
}

}  // namespace

Result<ReplayResult> ReplayAndRepair(Env* env, const std::string& dir, const RecordHandler& on_record,
                                     Counter* corruptions) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(env, dir));
  ReplayResult result;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0 && segments[i] != segments[i - 1] + 1) {
      return Status::Corruption("wal: segments are not sequential: " + SegmentName(segments[i - 1]) +
                                " is followed by " + SegmentName(segments[i]) + " in " + dir);
    }
    SegmentOutcome outcome;
    Status st = ReadSegment(env, SegmentPath(dir, segments[i]), on_record, &result, &outcome);
    if (!st.ok()) return st.WithContext("wal: replaying segment " + SegmentPath(dir, segments[i]));
    result.segments++;
    result.next_segment = segments[i] + 1;
    if (!outcome.problem.empty()) {
      PROMETHIUM_RETURN_IF_ERROR(Repair(env, dir, segments, i, outcome));
      if (corruptions != nullptr) corruptions->Inc();
      result.repaired = true;
      break;
    }
  }
  return result;
}

}  // namespace promethium::tsdb::wal
