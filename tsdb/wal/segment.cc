#include "tsdb/wal/segment.h"

#include <fmt/format.h>

#include <algorithm>

#include "tsdb/wal/crc32c.h"

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

void AppendFrame(std::string_view payload, std::string* out) {
  PutFixed32(out, static_cast<uint32_t>(payload.size()));
  PutFixed32(out, Crc32c(payload));
  out->append(payload);
}

}  // namespace promethium::tsdb::wal
