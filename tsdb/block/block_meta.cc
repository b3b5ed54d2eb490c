#include "tsdb/block/block_meta.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstring>
#include <mutex>
#include <random>
#include <set>

#include "tsdb/base/thread_annotations.h"

namespace promethium::tsdb {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Maps a Crockford base32 character to its value, or -1.
int CrockfordValue(char c) {
  const char* p = std::strchr(kCrockford, c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return (p == nullptr || c == '\0') ? -1 : static_cast<int>(p - kCrockford);
}

// Encodes 48 bits of time and 80 bits of entropy (hi 16 + lo 64) as 26 chars.
std::string EncodeUlid(uint64_t ms, uint16_t rand_hi, uint64_t rand_lo) {
  // 128 bits: ms(48) | rand_hi(16) | rand_lo(64); 26 chars * 5 bits = 130
  // bits, so the first char carries only the top 3 bits.
  unsigned __int128 v = (static_cast<unsigned __int128>(ms & ((uint64_t{1} << 48) - 1)) << 80) |
                        (static_cast<unsigned __int128>(rand_hi) << 64) | rand_lo;
  std::string out(26, '0');
  for (int i = 25; i >= 0; --i) {
    out[i] = kCrockford[static_cast<int>(v & 31)];
    v >>= 5;
  }
  return out;
}

class UlidSource {
 public:
  std::string Next(int64_t ms) {
    MutexLock lock(&mu_);
    const uint64_t t = static_cast<uint64_t>(std::max<int64_t>(ms, 0));
    if (t == last_ms_) {
      // Monotonic within a millisecond: increment the 80-bit entropy.
      if (++lo_ == 0) ++hi_;
    } else {
      last_ms_ = t;
      hi_ = static_cast<uint16_t>(rng_());
      lo_ = rng_();
      lo_ &= ~(uint64_t{1} << 63);  // headroom so increments never wrap in practice
    }
    return EncodeUlid(t, hi_, lo_);
  }

 private:
  Mutex mu_;
  std::mt19937_64 rng_ GUARDED_BY(mu_){std::random_device{}()};
  uint64_t last_ms_ GUARDED_BY(mu_) = ~uint64_t{0};
  uint16_t hi_ GUARDED_BY(mu_) = 0;
  uint64_t lo_ GUARDED_BY(mu_) = 0;
};

void AppendStat(std::string* out, bool* first, const char* name, uint64_t v) {
  if (v == 0) return;  // omitempty, as Prometheus
  *out += *first ? "\n" : ",\n";
  *first = false;
  *out += "\t\t\"" + std::string(name) + "\": " + std::to_string(v);
}

std::string Quote(const std::string& s) { return boost::json::serialize(boost::json::value(s)); }

int64_t GetInt(const boost::json::object& o, const char* key, bool required, bool* ok) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr) {
    if (required) *ok = false;
    return 0;
  }
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(v->as_uint64());
  *ok = false;
  return 0;
}

std::string GetString(const boost::json::object& o, const char* key, bool* ok) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) {
    *ok = false;
    return "";
  }
  return std::string(v->as_string());
}

Result<BlockMeta> ParseMetaObject(const boost::json::object& root) {
  BlockMeta m;
  bool ok = true;
  m.ulid = GetString(root, "ulid", &ok);
  m.min_time = GetInt(root, "minTime", true, &ok);
  m.max_time = GetInt(root, "maxTime", true, &ok);
  m.version = static_cast<int>(GetInt(root, "version", true, &ok));
  if (const auto* s = root.if_contains("stats"); s != nullptr && s->is_object()) {
    const auto& so = s->as_object();
    m.stats.num_samples = static_cast<uint64_t>(GetInt(so, "numSamples", false, &ok));
    m.stats.num_float_samples = static_cast<uint64_t>(GetInt(so, "numFloatSamples", false, &ok));
    m.stats.num_histogram_samples = static_cast<uint64_t>(GetInt(so, "numHistogramSamples", false, &ok));
    m.stats.num_series = static_cast<uint64_t>(GetInt(so, "numSeries", false, &ok));
    m.stats.num_chunks = static_cast<uint64_t>(GetInt(so, "numChunks", false, &ok));
    m.stats.num_tombstones = static_cast<uint64_t>(GetInt(so, "numTombstones", false, &ok));
  }
  const auto* c = root.if_contains("compaction");
  if (c == nullptr || !c->is_object()) return Status::Corruption("missing compaction");
  const auto& co = c->as_object();
  m.compaction.level = static_cast<int>(GetInt(co, "level", true, &ok));
  if (const auto* src = co.if_contains("sources"); src != nullptr && src->is_array()) {
    for (const auto& v : src->as_array()) {
      if (!v.is_string()) return Status::Corruption("compaction.sources: not a string");
      m.compaction.sources.emplace_back(v.as_string());
    }
  }
  if (const auto* par = co.if_contains("parents"); par != nullptr && par->is_array()) {
    for (const auto& v : par->as_array()) {
      if (!v.is_object()) return Status::Corruption("compaction.parents: not an object");
      BlockDesc d{GetString(v.as_object(), "ulid", &ok), GetInt(v.as_object(), "minTime", true, &ok),
                  GetInt(v.as_object(), "maxTime", true, &ok)};
      m.compaction.parents.push_back(std::move(d));
    }
  }
  if (const auto* h = co.if_contains("hints"); h != nullptr && h->is_array()) {
    for (const auto& v : h->as_array()) {
      if (!v.is_string()) return Status::Corruption("compaction.hints: not a string");
      m.compaction.hints.emplace_back(v.as_string());
    }
  }
  if (const auto* d = co.if_contains("deletable"); d != nullptr && d->is_bool()) m.compaction.deletable = d->as_bool();
  if (const auto* f = co.if_contains("failed"); f != nullptr && f->is_bool()) m.compaction.failed = f->as_bool();
  if (!ok) return Status::Corruption("missing or mistyped field");
  if (!IsValidUlid(m.ulid)) return Status::Corruption("invalid ulid \"" + m.ulid + "\"");
  if (m.version != kBlockMetaVersion) return Status::Corruption("unknown version " + std::to_string(m.version));
  if (m.max_time < m.min_time) return Status::Corruption("maxTime < minTime");
  return m;
}

}  // namespace

bool IsValidUlid(std::string_view s) {
  if (s.size() != 26 || s[0] > '7') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return CrockfordValue(c) >= 0; });
}

int64_t UlidTime(std::string_view ulid) {
  uint64_t t = 0;
  for (size_t i = 0; i < 10 && i < ulid.size(); ++i) t = (t << 5) | static_cast<uint64_t>(CrockfordValue(ulid[i]));
  return static_cast<int64_t>(t);  // 10 chars = 50 bits; the top 2 are 0 for a valid ULID
}

std::string NewUlid(int64_t ms) {
  static UlidSource* source = new UlidSource();  // never destroyed: usable at exit
  return source->Next(ms);
}

std::string BlockMetaToJson(const BlockMeta& m) {
  std::string out = "{\n\t\"ulid\": " + Quote(m.ulid) + ",\n";
  out += "\t\"minTime\": " + std::to_string(m.min_time) + ",\n";
  out += "\t\"maxTime\": " + std::to_string(m.max_time) + ",\n";
  out += "\t\"stats\": {";
  bool first = true;
  AppendStat(&out, &first, "numSamples", m.stats.num_samples);
  AppendStat(&out, &first, "numFloatSamples", m.stats.num_float_samples);
  AppendStat(&out, &first, "numHistogramSamples", m.stats.num_histogram_samples);
  AppendStat(&out, &first, "numSeries", m.stats.num_series);
  AppendStat(&out, &first, "numChunks", m.stats.num_chunks);
  AppendStat(&out, &first, "numTombstones", m.stats.num_tombstones);
  out += first ? "},\n" : "\n\t},\n";
  out += "\t\"compaction\": {\n\t\t\"level\": " + std::to_string(m.compaction.level);
  if (!m.compaction.sources.empty()) {
    out += ",\n\t\t\"sources\": [";
    for (size_t i = 0; i < m.compaction.sources.size(); ++i) {
      out += (i == 0 ? "\n\t\t\t" : ",\n\t\t\t") + Quote(m.compaction.sources[i]);
    }
    out += "\n\t\t]";
  }
  if (m.compaction.deletable) out += ",\n\t\t\"deletable\": true";
  if (!m.compaction.parents.empty()) {
    out += ",\n\t\t\"parents\": [";
    for (size_t i = 0; i < m.compaction.parents.size(); ++i) {
      const BlockDesc& p = m.compaction.parents[i];
      out += (i == 0 ? "\n\t\t\t{\n" : ",\n\t\t\t{\n");
      out += "\t\t\t\t\"ulid\": " + Quote(p.ulid) + ",\n\t\t\t\t\"minTime\": " + std::to_string(p.min_time) +
             ",\n\t\t\t\t\"maxTime\": " + std::to_string(p.max_time) + "\n\t\t\t}";
    }
    out += "\n\t\t]";
  }
  if (m.compaction.failed) out += ",\n\t\t\"failed\": true";
  if (!m.compaction.hints.empty()) {
    out += ",\n\t\t\"hints\": [";
    for (size_t i = 0; i < m.compaction.hints.size(); ++i) {
      out += (i == 0 ? "\n\t\t\t" : ",\n\t\t\t") + Quote(m.compaction.hints[i]);
    }
    out += "\n\t\t]";
  }
  out += "\n\t},\n\t\"version\": " + std::to_string(m.version) + "\n}\n";
  return out;
}

bool BlockCompaction::FromOutOfOrder() const {
  return std::find(hints.begin(), hints.end(), kFromOutOfOrderHint) != hints.end();
}

Result<BlockMeta> BlockMetaFromJson(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(json, ec);
  if (ec) return Status::Corruption("invalid JSON: " + ec.message());
  if (!root.is_object()) return Status::Corruption("not a JSON object");
  try {
    return ParseMetaObject(root.as_object());
  } catch (const std::exception& e) {  // Boost.JSON accessors may throw on odd shapes
    return Status::Corruption(std::string("invalid meta: ") + e.what());
  }
}

Result<BlockMeta> ReadBlockMeta(Env* env, const std::string& block_dir) {
  const std::string path = block_dir + "/" + kMetaFilename;
  auto text = ReadFileToString(env, path);
  if (!text.ok()) return text.status();
  auto meta = BlockMetaFromJson(*text);
  if (!meta.ok()) return Status::Corruption("corrupt: " + path + " at offset 0: " + meta.status().message());
  return meta;
}

Status WriteBlockMeta(Env* env, const std::string& block_dir, const BlockMeta& meta) {
  return WriteFileAtomically(env, block_dir + "/" + kMetaFilename, BlockMetaToJson(meta));
}

BlockMeta CompactBlockMetas(const std::vector<BlockMeta>& parents) {
  BlockMeta out;
  std::set<std::string> sources;
  int max_level = 0;
  for (size_t i = 0; i < parents.size(); ++i) {
    const BlockMeta& p = parents[i];
    out.min_time = i == 0 ? p.min_time : std::min(out.min_time, p.min_time);
    out.max_time = i == 0 ? p.max_time : std::max(out.max_time, p.max_time);
    max_level = std::max(max_level, p.compaction.level);
    sources.insert(p.compaction.sources.begin(), p.compaction.sources.end());
    out.compaction.parents.push_back({p.ulid, p.min_time, p.max_time});
  }
  out.compaction.level = max_level + 1;
  out.compaction.sources.assign(sources.begin(), sources.end());
  return out;
}

}  // namespace promethium::tsdb
