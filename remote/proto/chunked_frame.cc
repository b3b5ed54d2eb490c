#include "remote/proto/chunked_frame.h"

#include <fmt/format.h>

#include "tsdb/base/varint.h"
#include "tsdb/encoding/crc32c.h"

namespace promethium::remote {

namespace {

uint32_t ReadBigEndian32(std::string_view b) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(b[0])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[2])) << 8) | static_cast<uint32_t>(static_cast<uint8_t>(b[3]));
}

}  // namespace

void AppendChunkedFrame(std::string* out, std::string_view message) {
  PutUvarint(out, message.size());
  const uint32_t crc = tsdb::encoding::Crc32c(message);
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((crc >> shift) & 0xff));
  out->append(message);
}

Result<bool> ChunkedFrameReader::Next(std::string_view* frame) {
  if (rest_.empty()) return false;
  uint64_t size = 0;
  if (!GetUvarint(&rest_, &size)) return Status::InvalidArgument("chunkedReader: truncated frame length");
  if (size > frame_limit_) {
    return Status::ResourceExhausted(
        fmt::format("chunkedReader: message size exceeded the limit {} bytes; got: {} bytes", frame_limit_, size));
  }
  if (rest_.size() < 4 || rest_.size() - 4 < size) return Status::InvalidArgument("chunkedReader: unexpected EOF");
  const uint32_t want = ReadBigEndian32(rest_);
  *frame = rest_.substr(4, size);
  rest_.remove_prefix(4 + size);
  if (tsdb::encoding::Crc32c(*frame) != want)
    return Status::InvalidArgument("chunkedReader: corrupted frame; checksum mismatch");
  return true;
}

}  // namespace promethium::remote
