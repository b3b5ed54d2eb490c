#include "tsdb/datadir/file_probe.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "tsdb/block/chunk_segments.h"
#include "tsdb/block/index_writer.h"
#include "tsdb/encoding/crc32c.h"
#include "tsdb/head/head_chunk_file.h"
#include "tsdb/wal/segment.h"

namespace promethium::tsdb {
namespace {

// Prometheus's WAL page framing (tsdb/wlog): fragments never cross a 32 KiB
// page; the type's low 3 bits are full (1), first (2), middle (3) or last
// (4); bit 3 marks snappy and bit 4 zstd compression.
constexpr size_t kPromPageSize = 32 * 1024;
constexpr size_t kPromFragmentHeader = 7;

uint32_t LoadBE32(std::string_view b) {
  const auto* u = reinterpret_cast<const uint8_t*>(b.data());
  return uint32_t{u[0]} << 24 | uint32_t{u[1]} << 16 | uint32_t{u[2]} << 8 | uint32_t{u[3]};
}

// Reads up to n bytes from the start of a file.
Result<std::string> ReadHead(Env* env, const std::string& path, size_t n) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  const size_t want = static_cast<size_t>(std::min<uint64_t>(file->Size(), n));
  std::string scratch(want, '\0');
  std::string_view got;
  PROMETHIUM_RETURN_IF_ERROR(file->Read(0, want, &got, scratch.data()));
  return std::string(got);
}

std::string HexPrefix(std::string_view b) {
  std::string out;
  for (size_t i = 0; i < std::min<size_t>(b.size(), 8); ++i) out += fmt::format("{:02x}", static_cast<uint8_t>(b[i]));
  return out.empty() ? "nothing" : "0x" + out;
}

FileProbe Unknown(std::string what_we_expected, std::string_view head) {
  return FileProbe{FileOwner::kUnknown, what_we_expected + ", found bytes " + HexPrefix(head)};
}

}  // namespace

const char* FileOwnerName(FileOwner owner) {
  switch (owner) {
    case FileOwner::kEmpty: return "empty";
    case FileOwner::kPromethium: return "Promethium";
    case FileOwner::kPrometheus: return "Prometheus";
    case FileOwner::kUnknown: break;
  }
  return "unknown";
}

bool LooksLikePrometheusWalSegment(std::string_view bytes) {
  if (bytes.size() < kPromFragmentHeader) return false;
  const auto type = static_cast<uint8_t>(bytes[0]);
  const uint8_t kind = type & 0x07;
  if ((type & ~uint8_t{0x1F}) != 0 || (type & 0x18) == 0x18) return false;  // unknown bits, both codecs
  if (kind != 1 && kind != 2) return false;                                 // a segment starts a record
  const size_t len = (size_t{static_cast<uint8_t>(bytes[1])} << 8) | static_cast<uint8_t>(bytes[2]);
  if (kPromFragmentHeader + len > std::min(bytes.size(), kPromPageSize)) return false;
  return encoding::Crc32c(bytes.substr(kPromFragmentHeader, len)) == LoadBE32(bytes.substr(3, 4));
}

Result<FileProbe> ProbeWalSegment(Env* env, const std::string& path) {
  PROMETHIUM_ASSIGN_OR_RETURN(uint64_t size, env->GetFileSize(path));
  if (size == 0) return FileProbe{FileOwner::kEmpty, ""};
  PROMETHIUM_ASSIGN_OR_RETURN(bool ours, wal::IsOurSegmentOrEmpty(env, path));
  if (ours) {
    // Only a torn prefix of our header holds no record at all.
    return FileProbe{size < wal::kSegmentHeaderSize ? FileOwner::kEmpty : FileOwner::kPromethium, ""};
  }
  PROMETHIUM_ASSIGN_OR_RETURN(std::string head, ReadHead(env, path, kPromPageSize));
  if (LooksLikePrometheusWalSegment(head)) return FileProbe{FileOwner::kPrometheus, ""};
  return Unknown("expected a Promethium or Prometheus WAL segment (a verifying first record)", head);
}

Result<FileProbe> ProbeHeadChunkFile(Env* env, const std::string& path) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::string head, ReadHead(env, path, 8));
  if (head.empty()) return FileProbe{FileOwner::kEmpty, ""};
  if (StartsLikeHeadChunkFile(head)) {
    // Our writer buffers the header with the first records: a file shorter
    // than the magic is a torn first write with nothing in it.
    return FileProbe{head.size() < sizeof(kHeadChunkFileMagic) ? FileOwner::kEmpty : FileOwner::kPromethium, ""};
  }
  if (head.size() >= 4 && LoadBE32(head) == kPrometheusHeadChunkMagic) return FileProbe{FileOwner::kPrometheus, ""};
  return Unknown("expected a head chunk file (magic \"PHCK\" or Prometheus's 0x0130bc91)", head);
}

Result<FileProbe> ProbeBlockDir(Env* env, const std::string& dir) {
  const std::string index = dir + "/index";
  if (env->FileExists(index)) {
    PROMETHIUM_ASSIGN_OR_RETURN(std::string head, ReadHead(env, index, 8));
    if (head.size() >= 4 && LoadBE32(head) == kIndexMagic) return FileProbe{FileOwner::kPromethium, ""};
    if (head.size() >= 4 && LoadBE32(head) == kPrometheusIndexMagic) return FileProbe{FileOwner::kPrometheus, ""};
    return Unknown(index + ": expected a block index (magic \"PIDX\" or Prometheus's 0xbaaad700)", head);
  }
  const std::string chunks = dir + "/chunks/000001";
  if (env->FileExists(chunks)) {
    PROMETHIUM_ASSIGN_OR_RETURN(std::string head, ReadHead(env, chunks, 8));
    if (head.size() >= 4 && LoadBE32(head) == kChunkSegmentMagic) return FileProbe{FileOwner::kPromethium, ""};
    if (head.size() >= 4 && LoadBE32(head) == kPrometheusChunkSegmentMagic) {
      return FileProbe{FileOwner::kPrometheus, ""};
    }
    return Unknown(chunks + ": expected a chunk segment (magic \"PBC1\" or Prometheus's 0x85bd40dd)", head);
  }
  return FileProbe{FileOwner::kUnknown, "no index and no chunks/000001 in " + dir};
}

}  // namespace promethium::tsdb
