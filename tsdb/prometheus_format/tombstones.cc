#include "tsdb/prometheus_format/tombstones.h"

#include "tsdb/encoding/block_encoding.h"
#include "tsdb/encoding/crc32c.h"
#include "tsdb/prometheus_format/magic.h"

namespace promethium::tsdb {
namespace enc = block_encoding;

namespace {
constexpr uint8_t kPromTombstonesVersion = 1;
constexpr size_t kPromTombstonesHeaderSize = 5;  // magic u32 | version u8
constexpr size_t kPromTombstonesCrcSize = 4;

}  // namespace

bool IsPrometheusTombstonesHeader(std::string_view first_bytes) {
  return first_bytes.size() >= kPromTombstonesHeaderSize &&
         enc::GetBE32(first_bytes.data()) == kPrometheusTombstonesMagic &&
         static_cast<uint8_t>(first_bytes[4]) == kPromTombstonesVersion;
}

std::string EncodePrometheusTombstones(const TombstoneMap& map) {
  std::string out;
  enc::PutBE32(&out, kPrometheusTombstonesMagic);
  out.push_back(static_cast<char>(kPromTombstonesVersion));
  for (const auto& [ref, intervals] : map) {
    for (const Interval& iv : intervals) {
      enc::PutUvarint(&out, ref);
      enc::PutVarint(&out, iv.mint);
      enc::PutVarint(&out, iv.maxt);
    }
  }
  enc::PutBE32(&out, encoding::Crc32c(std::string_view(out).substr(kPromTombstonesHeaderSize)));
  return out;
}

Result<TombstoneMap> DecodePrometheusTombstones(std::string_view data, const std::string& path) {
  if (data.size() < kPromTombstonesHeaderSize + kPromTombstonesCrcSize) return CorruptionAt(path, 0, "file too short");
  if (enc::GetBE32(data.data()) != kPrometheusTombstonesMagic) return CorruptionAt(path, 0, "bad magic");
  if (static_cast<uint8_t>(data[4]) != kPromTombstonesVersion) {
    return CorruptionAt(path, 4, "unknown version " + std::to_string(static_cast<uint8_t>(data[4])));
  }
  const size_t body_end = data.size() - kPromTombstonesCrcSize;
  const std::string_view body = data.substr(kPromTombstonesHeaderSize, body_end - kPromTombstonesHeaderSize);
  if (encoding::Crc32c(body) != enc::GetBE32(data.data() + body_end))
    return CorruptionAt(path, body_end, "checksum mismatch");
  enc::Decoder d(body);
  TombstoneMap map;
  while (d.remaining() > 0) {
    const uint64_t at = body_end - d.remaining();
    const SeriesRef ref = d.Uvarint();
    Interval iv;
    iv.mint = d.Varint();
    iv.maxt = d.Varint();
    if (!d.ok()) return CorruptionAt(path, at, "truncated tombstone");
    Intervals& intervals = map[ref];
    AddInterval(&intervals, iv);
    if (intervals.empty()) map.erase(ref);  // mint > maxt: deletes nothing
  }
  return map;
}

Result<TombstoneMap> ReadPrometheusTombstones(Env* env, const std::string& block_dir) {
  const std::string path = block_dir + "/" + kTombstonesFilename;
  if (!env->FileExists(path)) return TombstoneMap{};
  PROMETHIUM_ASSIGN_OR_RETURN(std::string data, ReadFileToString(env, path));
  return DecodePrometheusTombstones(data, path);
}

Status WritePrometheusTombstones(Env* env, const std::string& block_dir, const TombstoneMap& map) {
  return WriteFileAtomically(env, block_dir + "/" + kTombstonesFilename, EncodePrometheusTombstones(map));
}

}  // namespace promethium::tsdb
