#include "tsdb/block/index_file.h"

#include <algorithm>

#include "tsdb/block/index_writer.h"
#include "tsdb/encoding/block_encoding.h"
#include "tsdb/encoding/crc32c.h"

namespace promethium::tsdb {
namespace enc = block_encoding;

namespace {
constexpr uint64_t kStreamBlock = 1 << 20;    // CRC verification read size
constexpr uint64_t kSmallSection = 64 << 20;  // sections kept in memory must be below this
constexpr size_t kSeriesProbe = 256;          // first read of a series entry
}  // namespace

Status BlockIndex::Corrupt(uint64_t offset, const std::string& what) const { return CorruptionAt(path_, offset, what); }

Status BlockIndex::ReadAt(uint64_t offset, size_t n, std::string* out) const {
  return ReadExactlyAt(*file_, path_, offset, n, out);
}

// Checks the CRC32C that ends the section [start, end); returns the payload
// when asked (small sections), otherwise streams it.
Status BlockIndex::VerifySection(uint64_t start, uint64_t end, std::string* payload) const {
  if (end < start + 4) return Corrupt(start, "section shorter than its checksum");
  const uint64_t payload_end = end - 4;
  std::string buf;
  uint32_t crc = 0;
  if (payload != nullptr) {
    if (payload_end - start > kSmallSection) return Corrupt(start, "section too large");
    PROMETHIUM_RETURN_IF_ERROR(ReadAt(start, payload_end - start, payload));
    crc = encoding::Crc32c(*payload);
  } else {
    for (uint64_t off = start; off < payload_end; off += kStreamBlock) {
      PROMETHIUM_RETURN_IF_ERROR(ReadAt(off, std::min(kStreamBlock, payload_end - off), &buf));
      crc = encoding::Crc32cExtend(crc, buf);
    }
  }
  PROMETHIUM_RETURN_IF_ERROR(ReadAt(payload_end, 4, &buf));
  if (enc::GetBE32(buf.data()) != crc) return Corrupt(start, "section checksum mismatch");
  return Status::OK();
}

Result<std::unique_ptr<BlockIndex>> BlockIndex::Open(Env* env, const std::string& path) {
  PROMETHIUM_ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(path));
  std::unique_ptr<BlockIndex> ix(new BlockIndex(path, std::move(file)));
  const uint64_t size = ix->file_->Size();
  if (size < kIndexHeaderSize + kIndexTocSize) return ix->Corrupt(0, "file too short");
  std::string buf;
  PROMETHIUM_RETURN_IF_ERROR(ix->ReadAt(0, kIndexHeaderSize, &buf));
  if (enc::GetBE32(buf.data()) != kIndexMagic) return ix->Corrupt(0, "bad magic");
  if (static_cast<uint8_t>(buf[4]) != kIndexVersion) return ix->Corrupt(4, "unknown version");
  ix->toc_start_ = size - kIndexTocSize;
  PROMETHIUM_RETURN_IF_ERROR(ix->ReadAt(ix->toc_start_, kIndexTocSize, &buf));
  if (encoding::Crc32c(std::string_view(buf).substr(0, 40)) != enc::GetBE32(buf.data() + 40)) {
    return ix->Corrupt(ix->toc_start_, "TOC checksum mismatch");
  }
  uint64_t prev = kIndexHeaderSize;
  for (int i = 0; i < 5; ++i) {
    ix->toc_[i] = enc::GetBE64(buf.data() + 8 * i);
    if (ix->toc_[i] < prev || ix->toc_[i] > ix->toc_start_) return ix->Corrupt(ix->toc_start_, "bad TOC offset");
    prev = ix->toc_[i];
  }
  auto section_end = [&](int i) { return i == 4 ? ix->toc_start_ : ix->toc_[i + 1]; };
  std::string payload;
  PROMETHIUM_RETURN_IF_ERROR(ix->VerifySection(ix->toc_[0], section_end(0), &payload));
  PROMETHIUM_RETURN_IF_ERROR(ix->LoadSymbols(payload));
  PROMETHIUM_RETURN_IF_ERROR(ix->VerifySection(ix->toc_[1], section_end(1), nullptr));
  PROMETHIUM_RETURN_IF_ERROR(ix->VerifySection(ix->toc_[2], section_end(2), &payload));
  PROMETHIUM_RETURN_IF_ERROR(ix->LoadLabelIndex(payload));
  PROMETHIUM_RETURN_IF_ERROR(ix->VerifySection(ix->toc_[3], section_end(3), nullptr));
  PROMETHIUM_RETURN_IF_ERROR(ix->VerifySection(ix->toc_[4], section_end(4), &payload));
  PROMETHIUM_RETURN_IF_ERROR(ix->LoadPostingsTable(payload));
  return ix;
}

Status BlockIndex::LoadSymbols(const std::string& payload) {
  enc::Decoder d(payload);
  const uint64_t n = d.Uvarint();
  if (!d.ok() || n > payload.size()) return Corrupt(toc_[0], "bad symbol count");
  symbols_.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view s = d.Bytes(d.Uvarint());
    if (!d.ok()) return Corrupt(toc_[0], "truncated symbol table");
    if (!symbols_.empty() && !(symbols_.back() < s)) return Corrupt(toc_[0], "symbols not sorted");
    symbols_.emplace_back(s);
  }
  return Status::OK();
}

Status BlockIndex::LoadLabelIndex(const std::string& payload) {
  enc::Decoder d(payload);
  const uint64_t n = d.Uvarint();
  if (!d.ok() || n > payload.size()) return Corrupt(toc_[2], "bad label name count");
  label_index_.resize(n);
  for (auto& entry : label_index_) {
    entry.name = static_cast<uint32_t>(d.Uvarint());
    const uint64_t nv = d.Uvarint();
    if (!d.ok() || nv > d.remaining() || entry.name >= symbols_.size()) return Corrupt(toc_[2], "bad label entry");
    entry.values.resize(nv);
    for (auto& v : entry.values) {
      v = static_cast<uint32_t>(d.Uvarint());
      if (v >= symbols_.size()) return Corrupt(toc_[2], "symbol ref out of range");
    }
  }
  if (!d.ok()) return Corrupt(toc_[2], "truncated label index");
  return Status::OK();
}

Status BlockIndex::LoadPostingsTable(const std::string& payload) {
  enc::Decoder d(payload);
  const uint64_t n = d.Uvarint();
  if (!d.ok() || n > payload.size()) return Corrupt(toc_[4], "bad postings table count");
  postings_.resize(n);
  const uint64_t section_len = toc_[4] - toc_[3] - 4;
  for (auto& e : postings_) {
    e.name = static_cast<uint32_t>(d.Uvarint());
    e.value = static_cast<uint32_t>(d.Uvarint());
    e.offset = d.Uvarint();
    if (!d.ok() || e.name >= symbols_.size() || e.value >= symbols_.size() || e.offset > section_len) {
      return Corrupt(toc_[4], "bad postings table entry");
    }
  }
  for (size_t i = 0; i < postings_.size(); ++i) {
    postings_[i].end = i + 1 < postings_.size() ? postings_[i + 1].offset : section_len;
    if (postings_[i].end < postings_[i].offset) return Corrupt(toc_[4], "postings offsets not ascending");
  }
  all_end_ = postings_.empty() ? section_len : postings_[0].offset;
  return Status::OK();
}

int64_t BlockIndex::SymbolId(std::string_view s) const {
  auto it = std::lower_bound(symbols_.begin(), symbols_.end(), s);
  if (it == symbols_.end() || *it != s) return -1;
  return it - symbols_.begin();
}

Result<std::vector<SeriesRef>> BlockIndex::ReadPostings(uint64_t offset, uint64_t end) const {
  std::string buf;
  PROMETHIUM_RETURN_IF_ERROR(ReadAt(toc_[3] + offset, end - offset, &buf));
  enc::Decoder d(buf);
  const uint64_t n = d.Uvarint();
  if (!d.ok() || n > buf.size()) return Corrupt(toc_[3] + offset, "bad postings list");
  std::vector<SeriesRef> refs(n);
  SeriesRef prev = 0;
  for (auto& r : refs) {
    r = prev + d.Uvarint();
    prev = r;
  }
  if (!d.ok()) return Corrupt(toc_[3] + offset, "truncated postings list");
  return refs;
}

std::vector<SeriesRef> BlockIndex::AllPostings() const {
  auto refs = ReadPostings(0, all_end_);
  return refs.ok() ? std::move(refs).value() : std::vector<SeriesRef>{};  // verified at Open
}

Result<std::vector<SeriesRef>> BlockIndex::Postings(std::string_view name,
                                                    const std::vector<std::string>& values) const {
  const int64_t name_id = SymbolId(name);
  if (name_id < 0) return std::vector<SeriesRef>{};
  std::vector<SeriesRef> out;
  for (const auto& value : values) {
    const int64_t value_id = SymbolId(value);
    if (value_id < 0) continue;
    auto it = std::lower_bound(postings_.begin(), postings_.end(), std::make_pair(name_id, value_id),
                               [](const PostingsEntry& e, const std::pair<int64_t, int64_t>& key) {
                                 return std::make_pair<int64_t, int64_t>(e.name, e.value) < key;
                               });
    if (it == postings_.end() || it->name != name_id || it->value != value_id) continue;
    PROMETHIUM_ASSIGN_OR_RETURN(auto refs, ReadPostings(it->offset, it->end));
    out.insert(out.end(), refs.begin(), refs.end());
  }
  if (values.size() > 1) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

std::vector<std::string> BlockIndex::LabelValues(std::string_view name) const {
  const int64_t name_id = SymbolId(name);
  auto it = std::lower_bound(label_index_.begin(), label_index_.end(), name_id,
                             [](const LabelName& e, int64_t id) { return e.name < id; });
  std::vector<std::string> out;
  if (name_id < 0 || it == label_index_.end() || it->name != name_id) return out;
  for (uint32_t v : it->values) out.push_back(symbols_[v]);
  return out;
}

std::vector<std::string> BlockIndex::LabelNames() const {
  std::vector<std::string> out;
  for (const auto& e : label_index_) out.push_back(symbols_[e.name]);
  return out;
}

Status BlockIndex::Series(SeriesRef ref, Labels* labels, std::vector<ChunkMeta>* chunks) const {
  const uint64_t series_end = toc_[2] - 4;
  if (ref < toc_[1] || ref >= series_end) return Status::NotFound("series " + std::to_string(ref) + " not found");
  std::string buf;
  PROMETHIUM_RETURN_IF_ERROR(ReadAt(ref, std::min<uint64_t>(kSeriesProbe, series_end - ref), &buf));
  std::string_view in = buf;
  uint64_t len = 0;
  if (!enc::GetUvarint(&in, &len) || len > series_end - ref) return Corrupt(ref, "bad series entry length");
  const size_t prefix = buf.size() - in.size();
  if (in.size() < len) {
    PROMETHIUM_RETURN_IF_ERROR(ReadAt(ref + prefix, len, &buf));
    in = buf;
  }
  enc::Decoder d(in.substr(0, len));
  const uint64_t nlabels = d.Uvarint();
  if (!d.ok() || nlabels > len) return Corrupt(ref, "bad label count");
  std::vector<Label> ls(nlabels);
  for (auto& l : ls) {
    const uint64_t n = d.Uvarint(), v = d.Uvarint();
    if (!d.ok() || n >= symbols_.size() || v >= symbols_.size()) return Corrupt(ref, "bad label symbol");
    l = Label{symbols_[n], symbols_[v]};
  }
  *labels = Labels::FromSortedUnchecked(std::move(ls));
  if (chunks == nullptr) return Status::OK();
  chunks->clear();
  const uint64_t nchunks = d.Uvarint();
  if (!d.ok() || nchunks > len) return Corrupt(ref, "bad chunk count");
  chunks->reserve(nchunks);
  for (uint64_t i = 0; i < nchunks; ++i) {
    ChunkMeta c;
    // Unsigned sums: wrap like the writer's differences, never overflow.
    if (i == 0) {
      c.min_time = d.Varint();
      c.max_time = static_cast<int64_t>(static_cast<uint64_t>(c.min_time) + d.Uvarint());
      c.ref = d.Uvarint();
    } else {
      c.min_time =
          static_cast<int64_t>(static_cast<uint64_t>(chunks->back().max_time) + static_cast<uint64_t>(d.Varint()));
      c.max_time = static_cast<int64_t>(static_cast<uint64_t>(c.min_time) + d.Uvarint());
      c.ref = chunks->back().ref + static_cast<uint64_t>(d.Varint());
    }
    chunks->push_back(c);
  }
  if (!d.ok()) return Corrupt(ref, "truncated chunk metas");
  return Status::OK();
}

}  // namespace promethium::tsdb
