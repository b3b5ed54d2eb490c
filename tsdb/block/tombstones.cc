#include "tsdb/block/tombstones.h"

#include <algorithm>

#include "tsdb/encoding/block_encoding.h"
#include "tsdb/encoding/crc32c.h"

namespace promethium::tsdb {
namespace enc = block_encoding;

void AddInterval(Intervals* list, Interval iv) {
  if (iv.mint > iv.maxt) return;
  Intervals out;
  out.reserve(list->size() + 1);
  bool placed = false;
  for (const Interval& cur : *list) {
    // Disjoint and not adjacent: keep as is (guarding the +1 against overflow).
    if (cur.maxt < iv.mint && cur.maxt + 1 < iv.mint) {
      out.push_back(cur);
    } else if (cur.mint > iv.maxt && iv.maxt + 1 < cur.mint) {
      if (!placed) out.push_back(iv);
      placed = true;
      out.push_back(cur);
    } else {  // overlaps or touches: absorb into iv
      iv.mint = std::min(iv.mint, cur.mint);
      iv.maxt = std::max(iv.maxt, cur.maxt);
    }
  }
  if (!placed) out.push_back(iv);
  *list = std::move(out);
}

bool IsDeleted(const Intervals& list, int64_t t) {
  return std::any_of(list.begin(), list.end(), [t](const Interval& iv) { return iv.mint <= t && t <= iv.maxt; });
}

bool CoversRange(const Intervals& list, int64_t mint, int64_t maxt) {
  return std::any_of(list.begin(), list.end(), [&](const Interval& iv) { return iv.mint <= mint && maxt <= iv.maxt; });
}

bool OverlapsRange(const Intervals& list, int64_t mint, int64_t maxt) {
  return std::any_of(list.begin(), list.end(), [&](const Interval& iv) { return iv.mint <= maxt && mint <= iv.maxt; });
}

uint64_t NumTombstones(const TombstoneMap& map) {
  uint64_t n = 0;
  for (const auto& [ref, ivs] : map) n += ivs.size();
  return n;
}

std::string EncodeTombstones(const TombstoneMap& map) {
  std::string out;
  enc::PutBE32(&out, kTombstonesMagic);
  out.push_back(1);  // version
  enc::PutUvarint(&out, map.size());
  SeriesRef prev = 0;
  for (const auto& [ref, ivs] : map) {
    enc::PutUvarint(&out, ref - prev);
    prev = ref;
    enc::PutUvarint(&out, ivs.size());
    for (const Interval& iv : ivs) {
      enc::PutVarint(&out, iv.mint);
      enc::PutUvarint(&out, static_cast<uint64_t>(iv.maxt) - static_cast<uint64_t>(iv.mint));  // wraps: no UB
    }
  }
  enc::PutBE32(&out, encoding::Crc32c(out));
  return out;
}

Result<TombstoneMap> DecodeTombstones(std::string_view data, const std::string& path) {
  if (data.size() < 9) return CorruptionAt(path, 0, "file too short");
  if (enc::GetBE32(data.data()) != kTombstonesMagic) return CorruptionAt(path, 0, "bad magic");
  if (data[4] != 1) return CorruptionAt(path, 4, "unknown version");
  const size_t body_end = data.size() - 4;
  if (encoding::Crc32c(data.substr(0, body_end)) != enc::GetBE32(data.data() + body_end)) {
    return CorruptionAt(path, body_end, "checksum mismatch");
  }
  enc::Decoder d(data.substr(5, body_end - 5));
  TombstoneMap map;
  const uint64_t n = d.Uvarint();
  SeriesRef ref = 0;
  for (uint64_t i = 0; d.ok() && i < n; ++i) {
    ref += d.Uvarint();
    const uint64_t count = d.Uvarint();
    if (count > d.remaining()) return CorruptionAt(path, body_end - d.remaining(), "bad interval count");
    Intervals& ivs = map[ref];
    for (uint64_t j = 0; j < count; ++j) {
      Interval iv;
      iv.mint = d.Varint();
      iv.maxt = static_cast<int64_t>(static_cast<uint64_t>(iv.mint) + d.Uvarint());
      ivs.push_back(iv);
    }
  }
  if (!d.ok() || d.remaining() != 0) return CorruptionAt(path, body_end - d.remaining(), "malformed body");
  return map;
}

Result<TombstoneMap> ReadTombstones(Env* env, const std::string& block_dir) {
  const std::string path = block_dir + "/" + kTombstonesFilename;
  if (!env->FileExists(path)) return TombstoneMap{};
  PROMETHIUM_ASSIGN_OR_RETURN(std::string data, ReadFileToString(env, path));
  return DecodeTombstones(data, path);
}

Status WriteTombstones(Env* env, const std::string& block_dir, const TombstoneMap& map) {
  const std::string path = block_dir + "/" + kTombstonesFilename;
  if (map.empty()) {
    if (!env->FileExists(path)) return Status::OK();
    PROMETHIUM_RETURN_IF_ERROR(env->RemoveFile(path));
    return env->SyncDir(block_dir);
  }
  return WriteFileAtomically(env, path, EncodeTombstones(map));
}

}  // namespace promethium::tsdb
