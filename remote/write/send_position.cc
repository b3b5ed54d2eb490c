#include "remote/write/send_position.h"

#include <xxhash.h>

#include <bit>
#include <cstring>
#include <utility>

#include "fmt/format.h"
#include "tsdb/encoding/crc32c.h"

namespace promethium::remote {
namespace {

constexpr char kMagic[4] = {'P', 'R', 'W', 'P'};
constexpr uint8_t kVersion = 1;
// magic, version, 3 zero bytes, segment, offset, key length.
constexpr size_t kFixedSize = 4 + 1 + 3 + 8 + 8 + 4;
constexpr size_t kCrcSize = 4;
constexpr size_t kMaxFileSize = kFixedSize + kMaxPositionKeySize + kCrcSize;

static_assert(std::endian::native == std::endian::little, "fields are copied as native little-endian integers");

template <typename T>
void PutLE(std::string* out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out->append(b, sizeof(T));
}
template <typename T>
T GetLE(std::string_view in, size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof(T));
  return v;
}

bool StartsWithOurMagic(std::string_view bytes) {
  return bytes.size() >= 5 && std::string_view(bytes.data(), 4) == std::string_view(kMagic, 4) &&
         static_cast<uint8_t>(bytes[4]) == kVersion;
}

LoadedPosition Problem(LoadedPosition::Kind kind, std::string what) {
  LoadedPosition out;
  out.kind = kind;
  out.problem = std::move(what);
  return out;
}

}  // namespace

SendPositionFile::SendPositionFile(Env* env, std::string dir, std::string key)
    : env_(env), dir_(std::move(dir)), key_(std::move(key)), path_(dir_ + "/" + FileNameFor(key_)) {}

std::string SendPositionFile::FileNameFor(const std::string& key) {
  return fmt::format("{:016x}.position", XXH3_64bits(key.data(), key.size()));
}

std::string SendPositionFile::Encode(const std::string& key, const WalPosition& pos) {
  std::string out(kMagic, sizeof(kMagic));
  out.push_back(static_cast<char>(kVersion));
  out.append(3, '\0');
  PutLE<uint64_t>(&out, pos.segment);
  PutLE<uint64_t>(&out, pos.offset);
  PutLE<uint32_t>(&out, static_cast<uint32_t>(key.size()));
  out.append(key);
  PutLE<uint32_t>(&out, tsdb::encoding::Crc32c(out));
  return out;
}

LoadedPosition SendPositionFile::Decode(std::string_view bytes, const std::string& key) {
  using Kind = LoadedPosition::Kind;
  if (!StartsWithOurMagic(bytes)) return Problem(Kind::kForeign, "not a remote write position file (no PRWP v1 magic)");
  if (bytes.size() < kFixedSize + kCrcSize) return Problem(Kind::kCorrupt, "truncated");
  const uint32_t key_len = GetLE<uint32_t>(bytes, kFixedSize - 4);
  if (key_len > kMaxPositionKeySize || bytes.size() != kFixedSize + key_len + kCrcSize) {
    return Problem(Kind::kCorrupt, "length does not match its key length field");
  }
  const size_t body = kFixedSize + key_len;
  if (tsdb::encoding::Crc32c(bytes.substr(0, body)) != GetLE<uint32_t>(bytes, body)) {
    return Problem(Kind::kCorrupt, "checksum mismatch");
  }
  if (bytes.substr(kFixedSize, key_len) != key) {
    return Problem(Kind::kForeign,
                   "belongs to another queue (key \"" + std::string(bytes.substr(kFixedSize, key_len)) + "\")");
  }
  LoadedPosition out;
  out.kind = Kind::kOk;
  out.position.segment = GetLE<uint64_t>(bytes, 8);
  out.position.offset = GetLE<uint64_t>(bytes, 16);
  return out;
}

Result<LoadedPosition> SendPositionFile::Load() const {
  if (!env_->FileExists(path_)) return LoadedPosition{};
  PROMETHIUM_ASSIGN_OR_RETURN(uint64_t size, env_->GetFileSize(path_));
  if (size > kMaxFileSize) {
    // Still ours if it starts with our magic; read only the first bytes to tell.
    PROMETHIUM_ASSIGN_OR_RETURN(bool ours, MayReplace(path_));
    return Problem(ours ? LoadedPosition::Kind::kCorrupt : LoadedPosition::Kind::kForeign,
                   "too large (" + std::to_string(size) + " bytes)");
  }
  PROMETHIUM_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(env_, path_));
  return Decode(bytes, key_);
}

Result<bool> SendPositionFile::MayReplace(const std::string& path) const {
  if (!env_->FileExists(path)) return true;
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env_->NewRandomAccessFile(path));
  char head[5];
  std::string_view got;
  PROMETHIUM_RETURN_IF_ERROR(file->Read(0, sizeof(head), &got, head));
  return got.empty() || StartsWithOurMagic(got);
}

Status SendPositionFile::Store(const WalPosition& pos) const {
  if (key_.size() > kMaxPositionKeySize) return Status::InvalidArgument("remote write queue key too long");
  for (const std::string& p : {path_, path_ + ".tmp"}) {
    PROMETHIUM_ASSIGN_OR_RETURN(bool ours, MayReplace(p));
    if (!ours) {
      return Status::FailedPrecondition(p + " is not a remote write position file; not overwriting it (move it away)");
    }
  }
  PROMETHIUM_RETURN_IF_ERROR(env_->CreateDirs(dir_));
  return WriteFileAtomically(env_, path_, Encode(key_, pos));
}

}  // namespace promethium::remote
