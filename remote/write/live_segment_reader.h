// LiveSegmentReader: reads the records of one WAL segment (tsdb/wal/segment.h)
// incrementally, while the head's Wal may still be appending to it.
//
// Unlike ReadSegmentRecords (tsdb/wal/segment_reader.h), which reads a
// finished file once, this reader is polled: each ReadAvailable call reads
// the bytes appended since the last one, hands over every whole, verified
// frame (decompressed, compression.h) with the offset just past it, and keeps
// an incomplete tail for the next call. An incomplete frame is normal in the
// live segment (the writer is mid-append, or the process died mid-append) and
// is never an error here: the caller decides, by whether a later segment
// exists, when waiting is over. A whole frame that fails its checks (bad
// length, CRC mismatch) is reported in damage() and not consumed.
//
// Memory is bounded by one frame (kMaxRecordSize) plus one read chunk.
//
// Ownership: owns its open file. Thread-safety: none; one thread uses it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "tsdb/base/env.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"

namespace promethium::remote {

struct LiveRecord {
  std::string_view data;  // the decoded record (empty when undecodable)
  uint64_t end = 0;       // offset in the segment file just past its frame
  // The frame verified but its compressed payload does not decompress: a
  // bug or a foreign writer. Reported once per record, then skipped.
  bool undecodable = false;
};

class LiveSegmentReader {
 public:
  // Opens `path` for reading from its beginning.
  static Result<std::unique_ptr<LiveSegmentReader>> Open(Env* env, const std::string& path);

  // Reads what the file holds now and calls on_record for each whole record
  // in order. A non-OK Status from on_record stops reading (the record is
  // then not consumed) and is returned. I/O errors and a segment of an
  // unknown format version are returned too.
  Status ReadAvailable(const std::function<Status(const LiveRecord&)>& on_record);

  // Drops buffered bytes and continues at `offset` (the writer truncated the
  // file below what was read: its failed batch was rolled back).
  void Rewind(uint64_t offset);

  // Offset just past the last record handed over (or the segment header).
  uint64_t offset() const { return offset_; }
  // Bytes read beyond offset() that do not form a whole frame yet.
  uint64_t pending_bytes() const { return buf_.size(); }
  // Non-empty when the whole frame at offset() failed its checks; reading
  // then stops until Rewind.
  const std::string& damage() const { return damage_; }
  const std::string& path() const { return path_; }

 private:
  LiveSegmentReader(std::string path, std::unique_ptr<RandomAccessFile> file)
      : path_(std::move(path)), file_(std::move(file)) {}
  // Consumes the segment header if one is complete; false to wait for more.
  Result<bool> ConsumeHeader();
  // Hands over the whole frames buffered; stops at a partial or damaged one.
  Status DrainFrames(const std::function<Status(const LiveRecord&)>& on_record);

  const std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  uint64_t offset_ = 0;       // file offset of buf_[0]
  std::string buf_;           // bytes [offset_, offset_ + buf_.size())
  bool header_done_ = false;  // the header (or its absence) was handled
  std::string damage_;
  std::string scratch_;       // read chunk
  std::string decompressed_;  // DecompressPayload's scratch
};

}  // namespace promethium::remote
