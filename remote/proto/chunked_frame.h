// Chunked frames: the framing of a STREAMED_XOR_CHUNKS remote read answer.
//
// A streamed body is a sequence of frames, each a uvarint length, the
// big-endian CRC32 (Castagnoli) of the message bytes, then the message (a
// serialized prometheus.ChunkedReadResponse), as Prometheus's
// storage/remote/chunked.go writes and reads them. The server side
// (web/remote) writes frames, the client side (remote/read) reads them; both
// use these two functions so the framing exists once.
//
// Ownership: ChunkedFrameReader borrows the body, which must outlive it and
// the frames it returns. Thread-safety: AppendChunkedFrame is a pure
// function; a reader is used by one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tsdb/base/result.h"

namespace promethium::remote {

// Appends one frame holding `message` to `out`.
void AppendChunkedFrame(std::string* out, std::string_view message);

// Reads frames off a streamed body.
class ChunkedFrameReader {
 public:
  ChunkedFrameReader(std::string_view body, uint64_t frame_limit) : rest_(body), frame_limit_(frame_limit) {}
  // The next frame's bytes (borrowing the body), false at the clean end of
  // the body, or an error for a truncated, oversized or corrupt frame, in
  // Prometheus's wording ("chunkedReader: ...").
  Result<bool> Next(std::string_view* frame);

 private:
  std::string_view rest_;
  uint64_t frame_limit_;
};

}  // namespace promethium::remote
