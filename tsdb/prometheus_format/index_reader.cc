#include "tsdb/prometheus_format/index_reader.h"

#include <algorithm>
#include <limits>

#include "tsdb/encoding/block_encoding.h"
#include "tsdb/encoding/crc32c.h"
#include "tsdb/prometheus_format/magic.h"

namespace promethium::tsdb {
namespace enc = block_encoding;

namespace {
constexpr size_t kPromIndexHeaderSize = 5;          // magic u32 | version u8
constexpr size_t kPromIndexTocSize = 6 * 8 + 4;     // six u64 offsets | CRC32C
constexpr uint64_t kPromSeriesAlign = 16;           // v2: series ref = offset / 16
constexpr uint64_t kPromIndexScanWindow = 1 << 20;  // read-ahead of the verifying pass at Open
constexpr uint64_t kPromIndexProbe = 256;           // first read of an on-demand lookup
constexpr uint64_t kPromMaxUvarintLen = 10;

// Decodes a series entry's chunk metas as Prometheus does (same for v1 and
// v2): the first chunk's mint (varint), maxt - mint (uvarint) and ref
// (uvarint); then, per later chunk, mint - previous maxt (uvarint),
// maxt - mint (uvarint) and ref - previous ref (varint). Sums are unsigned,
// so they wrap like the writer's differences instead of overflowing.
bool DecodeChunkMetas(enc::Decoder* d, std::vector<ChunkMeta>* chunks) {
  chunks->clear();
  const uint64_t n = d->Uvarint();
  if (!d->ok() || n > d->remaining()) return false;
  chunks->reserve(n);
  uint64_t prev_maxt = 0;
  uint64_t prev_ref = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t mint = i == 0 ? static_cast<uint64_t>(d->Varint()) : prev_maxt + d->Uvarint();
    const uint64_t maxt = mint + d->Uvarint();
    const uint64_t ref = i == 0 ? d->Uvarint() : prev_ref + static_cast<uint64_t>(d->Varint());
    chunks->push_back(
        ChunkMeta{.ref = ref, .min_time = static_cast<int64_t>(mint), .max_time = static_cast<int64_t>(maxt)});
    prev_maxt = maxt;
    prev_ref = ref;
  }
  return d->ok();
}
}  // namespace

bool IsPrometheusIndexHeader(std::string_view first_bytes, int* version) {
  if (first_bytes.size() < kPromIndexHeaderSize || enc::GetBE32(first_bytes.data()) != kPrometheusIndexMagic)
    return false;
  const int v = static_cast<uint8_t>(first_bytes[4]);
  if (version != nullptr) *version = v;
  return v == 1 || v == 2;
}

// A read-ahead buffer over the index file: Open streams the file through
// one with a large window; lookups use a small one (one pread when the
// entry fits in the probe).
class PrometheusIndexFile::Window {
 public:
  Window(const PrometheusIndexFile* ix, uint64_t read_ahead) : ix_(ix), read_ahead_(read_ahead) {}

  // Views [offset, offset + n), valid until the next call.
  Status View(uint64_t offset, uint64_t n, std::string_view* out) {
    if (offset < start_ || offset - start_ > buf_.size() || n > buf_.size() - (offset - start_)) {
      const uint64_t size = ix_->file_->Size();
      if (offset > size || n > size - offset) return ix_->Corrupt(offset, "read past end of file");
      const uint64_t want = std::max(n, std::min(read_ahead_, size - offset));
      PROMETHIUM_RETURN_IF_ERROR(ix_->ReadAt(offset, want, &buf_));
      start_ = offset;
    }
    *out = std::string_view(buf_).substr(offset - start_, n);
    return Status::OK();
  }

 private:
  const PrometheusIndexFile* const ix_;
  const uint64_t read_ahead_;
  std::string buf_;
  uint64_t start_ = 0;
};

Status PrometheusIndexFile::Corrupt(uint64_t offset, const std::string& what) const {
  return CorruptionAt(path_, offset, what);
}

Status PrometheusIndexFile::ReadAt(uint64_t offset, size_t n, std::string* out) const {
  return ReadExactlyAt(*file_, path_, offset, n, out);
}

Result<std::unique_ptr<PrometheusIndexFile>> PrometheusIndexFile::Open(Env* env, const std::string& path) {
  PROMETHIUM_ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(path));
  std::unique_ptr<PrometheusIndexFile> ix(new PrometheusIndexFile(path, std::move(file)));
  PROMETHIUM_RETURN_IF_ERROR(ix->ReadHeaderAndToc());
  PROMETHIUM_RETURN_IF_ERROR(ix->LoadSymbols());
  PROMETHIUM_RETURN_IF_ERROR(ix->LoadPostingsTable());
  // One pass over the rest, in file order: series, label indices, postings.
  Window w(ix.get(), kPromIndexScanWindow);
  PROMETHIUM_RETURN_IF_ERROR(ix->VerifySeries(&w));
  PROMETHIUM_RETURN_IF_ERROR(ix->VerifyLabelIndices(&w));
  PROMETHIUM_RETURN_IF_ERROR(ix->VerifyPostingsLists(&w));
  return ix;
}

Status PrometheusIndexFile::ReadHeaderAndToc() {
  const uint64_t size = file_->Size();
  if (size < kPromIndexHeaderSize + kPromIndexTocSize) return Corrupt(0, "file too short");
  std::string buf;
  PROMETHIUM_RETURN_IF_ERROR(ReadAt(0, kPromIndexHeaderSize, &buf));
  if (enc::GetBE32(buf.data()) != kPrometheusIndexMagic) return Corrupt(0, "bad magic");
  version_ = static_cast<uint8_t>(buf[4]);
  if (version_ != 1 && version_ != 2) {
    return Status::Unsupported("Prometheus index format version " + std::to_string(version_) + " in " + path_ +
                               " (only versions 1 and 2 are read)");
  }
  toc_start_ = size - kPromIndexTocSize;
  PROMETHIUM_RETURN_IF_ERROR(ReadAt(toc_start_, kPromIndexTocSize, &buf));
  if (encoding::Crc32c(std::string_view(buf).substr(0, kPromIndexTocSize - 4)) !=
      enc::GetBE32(buf.data() + kPromIndexTocSize - 4)) {
    return Corrupt(toc_start_, "TOC checksum mismatch");
  }
  uint64_t* const fields[] = {&toc_.symbols,       &toc_.series,
                              &toc_.label_indices, &toc_.label_offset_table,
                              &toc_.postings,      &toc_.postings_offset_table};
  for (size_t i = 0; i < std::size(fields); ++i) {
    *fields[i] = enc::GetBE64(buf.data() + 8 * i);
    // Zero means the section is absent.
    if (*fields[i] != 0 && (*fields[i] < kPromIndexHeaderSize || *fields[i] >= toc_start_)) {
      return Corrupt(toc_start_ + 8 * i, "TOC offset out of range");
    }
  }
  // The series section ends where the next section starts.
  series_end_ = 0;
  if (toc_.series != 0) {
    series_end_ = toc_start_;
    for (uint64_t* f : fields) {
      if (*f > toc_.series) series_end_ = std::min(series_end_, *f);
    }
  }
  return Status::OK();
}

Status PrometheusIndexFile::CheckedSectionAt(Window* w, uint64_t offset, const char* what,
                                             std::string_view* body) const {
  if (offset >= toc_start_ || toc_start_ - offset < 8) return Corrupt(offset, std::string(what) + " past the TOC");
  std::string_view b;
  PROMETHIUM_RETURN_IF_ERROR(w->View(offset, 4, &b));
  const uint64_t len = enc::GetBE32(b.data());
  if (len > toc_start_ - offset - 8) return Corrupt(offset, std::string(what) + " runs past the TOC");
  PROMETHIUM_RETURN_IF_ERROR(w->View(offset + 4, len + 4, &b));
  if (encoding::Crc32c(b.substr(0, len)) != enc::GetBE32(b.data() + len)) {
    return Corrupt(offset, std::string(what) + " checksum mismatch");
  }
  *body = b.substr(0, len);
  return Status::OK();
}

Status PrometheusIndexFile::SeriesEntryAt(Window* w, uint64_t offset, std::string_view* body, uint64_t* next) const {
  std::string_view b;
  PROMETHIUM_RETURN_IF_ERROR(w->View(offset, std::min(kPromMaxUvarintLen, series_end_ - offset), &b));
  std::string_view in = b;
  uint64_t len = 0;
  if (!enc::GetUvarint(&in, &len) || len == 0) return Corrupt(offset, "bad series entry length");
  const uint64_t room = series_end_ - offset - (b.size() - in.size());
  if (len > room || room - len < 4) return Corrupt(offset, "series entry runs past the series section");
  const uint64_t body_start = offset + (b.size() - in.size());
  PROMETHIUM_RETURN_IF_ERROR(w->View(body_start, len + 4, &b));
  if (encoding::Crc32c(b.substr(0, len)) != enc::GetBE32(b.data() + len)) {
    return Corrupt(offset, "series entry checksum mismatch");
  }
  *body = b.substr(0, len);
  *next = body_start + len + 4;
  return Status::OK();
}

Status PrometheusIndexFile::LoadSymbols() {
  if (toc_.symbols == 0) return Status::OK();
  Window w(this, kPromIndexProbe);
  std::string_view body;
  PROMETHIUM_RETURN_IF_ERROR(CheckedSectionAt(&w, toc_.symbols, "symbol table", &body));
  if (body.size() < 4) return Corrupt(toc_.symbols, "symbol table too short");
  const uint32_t n = enc::GetBE32(body.data());
  if (n > body.size()) return Corrupt(toc_.symbols, "bad symbol count");
  enc::Decoder d(body.substr(4));
  const uint64_t first = toc_.symbols + 8;  // file offset of the first entry
  symbols_.reserve(n);
  if (version_ == 1) symbol_offsets_.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t at = first + (body.size() - 4 - d.remaining());
    std::string_view s = d.Bytes(d.Uvarint());
    if (!d.ok()) return Corrupt(at, "truncated symbol table");
    if (!symbols_.empty() && !(symbols_.back() < s)) return Corrupt(at, "symbols not sorted");
    if (version_ == 1) symbol_offsets_.push_back(at);  // v1 refers to symbols by this offset
    symbols_.emplace_back(s);
  }
  return Status::OK();
}

Status PrometheusIndexFile::LoadPostingsTable() {
  if (toc_.postings_offset_table == 0) return Status::OK();
  Window w(this, kPromIndexProbe);
  std::string_view body;
  PROMETHIUM_RETURN_IF_ERROR(CheckedSectionAt(&w, toc_.postings_offset_table, "postings offset table", &body));
  if (body.size() < 4) return Corrupt(toc_.postings_offset_table, "postings offset table too short");
  const uint32_t n = enc::GetBE32(body.data());
  if (n > body.size()) return Corrupt(toc_.postings_offset_table, "bad postings offset table count");
  enc::Decoder d(body.substr(4));
  const uint64_t first = toc_.postings_offset_table + 8;
  postings_.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t at = first + (body.size() - 4 - d.remaining());
    const uint64_t keys = d.Uvarint();
    const std::string_view name = d.Bytes(d.Uvarint());
    const std::string_view value = d.Bytes(d.Uvarint());
    const uint64_t offset = d.Uvarint();
    if (!d.ok()) return Corrupt(at, "truncated postings offset table");
    if (keys != 2) return Corrupt(at, "postings offset table entry with " + std::to_string(keys) + " keys");
    PROMETHIUM_RETURN_IF_ERROR(AddPostingsEntry(name, value, offset, at));
  }
  // v2 writes the table sorted; v1 did not always.
  auto key = [](const PostingsEntry& e) { return std::make_pair(e.name, e.value); };
  std::sort(postings_.begin(), postings_.end(),
            [&](const PostingsEntry& a, const PostingsEntry& b) { return key(a) < key(b); });
  for (size_t i = 0; i < postings_.size(); ++i) {
    if (i > 0 && key(postings_[i - 1]) == key(postings_[i])) return Corrupt(first, "duplicate postings table entry");
    if (names_.empty() || names_.back().name != postings_[i].name) names_.push_back({postings_[i].name, i, i});
    names_.back().end = i + 1;
  }
  return Status::OK();
}

Status PrometheusIndexFile::AddPostingsEntry(std::string_view name, std::string_view value, uint64_t offset,
                                             uint64_t at) {
  if (offset < kPromIndexHeaderSize || offset >= toc_start_) return Corrupt(at, "postings offset out of range");
  if (name.empty()) {  // ("", ""): the list of every series
    if (!value.empty()) return Corrupt(at, "postings for an empty label name");
    if (all_postings_offset_ != 0) return Corrupt(at, "duplicate all-series postings entry");
    all_postings_offset_ = offset;
    return Status::OK();
  }
  const int64_t name_id = SymbolId(name);
  const int64_t value_id = SymbolId(value);
  if (name_id < 0 || value_id < 0) return Corrupt(at, "postings label not in the symbol table");
  postings_.push_back({static_cast<uint32_t>(name_id), static_cast<uint32_t>(value_id), offset});
  return Status::OK();
}

Status PrometheusIndexFile::VerifySeries(Window* w) {
  uint64_t offset = toc_.series;
  while (offset < series_end_) {
    std::string_view b;
    PROMETHIUM_RETURN_IF_ERROR(w->View(offset, 1, &b));
    if (b[0] == 0) {  // padding (no entry length starts with a zero byte)
      ++offset;
      continue;
    }
    if (version_ == 2 && offset % kPromSeriesAlign != 0) return Corrupt(offset, "series entry not 16-byte aligned");
    std::string_view body;
    uint64_t next = 0;
    PROMETHIUM_RETURN_IF_ERROR(SeriesEntryAt(w, offset, &body, &next));
    if (all_postings_offset_ == 0) all_series_.push_back(version_ == 2 ? offset / kPromSeriesAlign : offset);
    ++num_series_;
    offset = next;
  }
  return Status::OK();
}

// The label indices are no longer read (label values come from the postings
// offset table, as in Prometheus), but their checksums are still verified.
Status PrometheusIndexFile::VerifyLabelIndices(Window* w) const {
  if (toc_.label_offset_table == 0) return Status::OK();
  Window table_window(this, kPromIndexProbe);
  std::string_view view;
  PROMETHIUM_RETURN_IF_ERROR(CheckedSectionAt(&table_window, toc_.label_offset_table, "label offset table", &view));
  if (view.size() < 4) return Corrupt(toc_.label_offset_table, "label offset table too short");
  const uint32_t n = enc::GetBE32(view.data());
  enc::Decoder d(view.substr(4));
  std::vector<uint64_t> offsets;
  for (uint32_t i = 0; i < n && d.ok(); ++i) {
    const uint64_t keys = d.Uvarint();
    if (keys == 0 || keys > d.remaining()) return Corrupt(toc_.label_offset_table, "bad label offset table entry");
    for (uint64_t k = 0; k < keys; ++k) d.Bytes(d.Uvarint());
    offsets.push_back(d.Uvarint());
  }
  if (!d.ok()) return Corrupt(toc_.label_offset_table, "truncated label offset table");
  std::sort(offsets.begin(), offsets.end());
  for (uint64_t offset : offsets) {
    std::string_view body;
    PROMETHIUM_RETURN_IF_ERROR(CheckedSectionAt(w, offset, "label index", &body));
  }
  return Status::OK();
}

Status PrometheusIndexFile::VerifyPostingsLists(Window* w) const {
  std::vector<uint64_t> offsets;
  offsets.reserve(postings_.size() + 1);
  for (const PostingsEntry& e : postings_) offsets.push_back(e.offset);
  if (all_postings_offset_ != 0) offsets.push_back(all_postings_offset_);
  std::sort(offsets.begin(), offsets.end());
  offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
  for (uint64_t offset : offsets) {
    std::string_view body;
    PROMETHIUM_RETURN_IF_ERROR(CheckedSectionAt(w, offset, "postings list", &body));
    PROMETHIUM_RETURN_IF_ERROR(DecodePostingsBody(offset, body, nullptr));
    if (offset == all_postings_offset_ && enc::GetBE32(body.data()) != num_series_) {
      return Corrupt(offset, "all-series postings list has " + std::to_string(enc::GetBE32(body.data())) +
                                 " refs but the series section has " + std::to_string(num_series_) + " entries");
    }
  }
  return Status::OK();
}

Status PrometheusIndexFile::DecodePostingsBody(uint64_t offset, std::string_view body,
                                               std::vector<SeriesRef>* refs) const {
  if (body.size() < 4) return Corrupt(offset, "postings list too short");
  const uint64_t n = enc::GetBE32(body.data());
  if (n * 4 != body.size() - 4) return Corrupt(offset, "postings list length does not match its count");
  if (refs != nullptr) refs->reserve(refs->size() + n);
  uint64_t prev = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t ref = enc::GetBE32(body.data() + 4 + 4 * i);
    if (i > 0 && ref <= prev) return Corrupt(offset, "postings list not ascending");
    if (!IsSeriesOffset(SeriesOffset(ref))) {
      return Corrupt(offset, "postings list names series " + std::to_string(ref) + " outside the series section");
    }
    prev = ref;
    if (refs != nullptr) refs->push_back(ref);
  }
  return Status::OK();
}

Result<std::vector<SeriesRef>> PrometheusIndexFile::ReadPostings(uint64_t offset) const {
  Window w(this, kPromIndexProbe);
  std::string_view body;
  PROMETHIUM_RETURN_IF_ERROR(CheckedSectionAt(&w, offset, "postings list", &body));
  std::vector<SeriesRef> refs;
  PROMETHIUM_RETURN_IF_ERROR(DecodePostingsBody(offset, body, &refs));
  return refs;
}

uint64_t PrometheusIndexFile::SeriesOffset(SeriesRef ref) const {
  if (version_ == 1) return ref;
  // Refs past the addressable range map to an offset no section has.
  return ref > std::numeric_limits<uint64_t>::max() / kPromSeriesAlign ? std::numeric_limits<uint64_t>::max()
                                                                       : ref * kPromSeriesAlign;
}

int64_t PrometheusIndexFile::SymbolOrdinal(uint64_t ref) const {
  if (version_ == 2) return ref < symbols_.size() ? static_cast<int64_t>(ref) : -1;
  auto it = std::lower_bound(symbol_offsets_.begin(), symbol_offsets_.end(), ref);
  if (it == symbol_offsets_.end() || *it != ref) return -1;
  return it - symbol_offsets_.begin();
}

int64_t PrometheusIndexFile::SymbolId(std::string_view s) const {
  auto it = std::lower_bound(symbols_.begin(), symbols_.end(), s);
  if (it == symbols_.end() || *it != s) return -1;
  return it - symbols_.begin();
}

const PrometheusIndexFile::NameRange* PrometheusIndexFile::FindName(std::string_view name) const {
  const int64_t id = SymbolId(name);
  if (id < 0) return nullptr;
  auto it =
      std::lower_bound(names_.begin(), names_.end(), id, [](const NameRange& r, int64_t key) { return r.name < key; });
  return it != names_.end() && it->name == id ? &*it : nullptr;
}

std::vector<SeriesRef> PrometheusIndexFile::AllPostings() const {
  if (all_postings_offset_ == 0) return all_series_;
  auto refs = ReadPostings(all_postings_offset_);
  return refs.ok() ? std::move(refs).value() : std::vector<SeriesRef>{};  // verified at Open
}

Result<std::vector<SeriesRef>> PrometheusIndexFile::Postings(std::string_view name,
                                                             const std::vector<std::string>& values) const {
  const NameRange* range = FindName(name);
  std::vector<SeriesRef> out;
  if (range == nullptr) return out;
  const auto begin = postings_.begin() + range->begin;
  const auto end = postings_.begin() + range->end;
  for (const std::string& value : values) {
    const int64_t value_id = SymbolId(value);
    if (value_id < 0) continue;
    auto it = std::lower_bound(begin, end, value_id, [](const PostingsEntry& e, int64_t key) { return e.value < key; });
    if (it == end || it->value != value_id) continue;
    PROMETHIUM_ASSIGN_OR_RETURN(std::vector<SeriesRef> refs, ReadPostings(it->offset));
    out.insert(out.end(), refs.begin(), refs.end());
  }
  if (values.size() > 1) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

std::vector<std::string> PrometheusIndexFile::LabelValues(std::string_view name) const {
  std::vector<std::string> out;
  const NameRange* range = FindName(name);
  if (range == nullptr) return out;
  out.reserve(range->end - range->begin);
  // Sorted by symbol ordinal, and the symbols are sorted: sorted by value.
  for (size_t i = range->begin; i < range->end; ++i) out.push_back(symbols_[postings_[i].value]);
  return out;
}

std::vector<std::string> PrometheusIndexFile::LabelNames() const {
  std::vector<std::string> out;
  out.reserve(names_.size());
  for (const NameRange& r : names_) out.push_back(symbols_[r.name]);
  return out;
}

Status PrometheusIndexFile::Series(SeriesRef ref, Labels* labels, std::vector<ChunkMeta>* chunks) const {
  const uint64_t offset = SeriesOffset(ref);
  if (!IsSeriesOffset(offset)) return Status::NotFound("series " + std::to_string(ref) + " not found");
  Window w(this, kPromIndexProbe);
  std::string_view body;
  uint64_t next = 0;
  PROMETHIUM_RETURN_IF_ERROR(SeriesEntryAt(&w, offset, &body, &next));
  return DecodeSeries(offset, body, labels, chunks);
}

Status PrometheusIndexFile::DecodeSeries(uint64_t offset, std::string_view body, Labels* labels,
                                         std::vector<ChunkMeta>* chunks) const {
  enc::Decoder d(body);
  const uint64_t nlabels = d.Uvarint();
  if (!d.ok() || nlabels > body.size()) return Corrupt(offset, "bad label count");
  std::vector<Label> ls;
  ls.reserve(nlabels);
  bool canonical = true;  // sorted unique names, no empty value
  for (uint64_t i = 0; i < nlabels; ++i) {
    const int64_t name = SymbolOrdinal(d.Uvarint());
    const int64_t value = SymbolOrdinal(d.Uvarint());
    if (!d.ok() || name < 0 || value < 0) return Corrupt(offset, "bad label symbol reference");
    if (symbols_[value].empty() || (!ls.empty() && !(ls.back().name < symbols_[name]))) canonical = false;
    ls.push_back(Label{symbols_[name], symbols_[value]});
  }
  *labels = canonical ? Labels::FromSortedUnchecked(std::move(ls)) : Labels::FromVector(std::move(ls));
  if (chunks == nullptr) return Status::OK();
  if (!DecodeChunkMetas(&d, chunks)) return Corrupt(offset, "bad chunk metas");
  return Status::OK();
}

}  // namespace promethium::tsdb
