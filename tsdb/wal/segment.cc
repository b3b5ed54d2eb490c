#include "tsdb/wal/segment.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "tsdb/encoding/crc32c.h"

namespace promethium::tsdb::wal {
namespace {

void PutFixed32(std::string* out, uint32_t v) {
  const char buf[4] = {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF),
                       static_cast<char>((v >> 16) & 0xFF), static_cast<char>(v >> 24)};
  out->append(buf, 4);
}

}  // namespace

std::string SegmentName(uint64_t index) { return fmt::format("{:08d}", index); }

bool ParseSegmentName(std::string_view name, uint64_t* index) {
  if (name.size() < 8 || name.size() > 19) return false;
  uint64_t v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *index = v;
  return true;
}

std::string SegmentPath(const std::string& dir, uint64_t index) { return dir + "/" + SegmentName(index); }

Result<std::vector<uint64_t>> ListSegments(Env* env, const std::string& dir) {
  if (!env->FileExists(dir)) return std::vector<uint64_t>{};
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  std::vector<uint64_t> out;
  for (const std::string& name : names) {
    uint64_t index = 0;
    if (ParseSegmentName(name, &index)) out.push_back(index);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string SegmentHeader() {
  std::string h(kSegmentMagic, sizeof(kSegmentMagic));
  h.push_back(static_cast<char>(kSegmentVersion));
  h.append(3, '\0');
  return h;
}

Result<bool> IsOurSegmentOrEmpty(Env* env, const std::string& path) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  const uint64_t size = file->Size();
  if (size == 0) return true;
  std::string scratch(kFrameHeaderSize, '\0');
  std::string_view head;
  PROMETHIUM_RETURN_IF_ERROR(file->Read(0, std::min<uint64_t>(size, kFrameHeaderSize), &head, scratch.data()));
  const size_t n = std::min(head.size(), sizeof(kSegmentMagic));
  if (head.substr(0, n) == std::string_view(kSegmentMagic, n)) return true;
  if (head.size() < kFrameHeaderSize) return false;
  const auto* u = reinterpret_cast<const uint8_t*>(head.data());
  const uint32_t len = uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
  const uint32_t crc = uint32_t{u[4]} | uint32_t{u[5]} << 8 | uint32_t{u[6]} << 16 | uint32_t{u[7]} << 24;
  if (len == 0 || len > kMaxRecordSize || kFrameHeaderSize + uint64_t{len} > size) return false;
  std::string payload(len, '\0');
  std::string_view got;
  PROMETHIUM_RETURN_IF_ERROR(file->Read(kFrameHeaderSize, len, &got, payload.data()));
  return got.size() == len && encoding::Crc32c(got) == crc;
}

void AppendFrame(std::string_view payload, std::string* out) {
  PutFixed32(out, static_cast<uint32_t>(payload.size()));
  PutFixed32(out, encoding::Crc32c(payload));
  out->append(payload);
}

}  // namespace promethium::tsdb::wal
