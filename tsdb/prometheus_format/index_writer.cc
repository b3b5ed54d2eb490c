#include "tsdb/prometheus_format/index_writer.h"

#include <algorithm>

#include "tsdb/base/varint.h"
#include "tsdb/encoding/block_encoding.h"
#include "tsdb/encoding/crc32c.h"

namespace promethium::tsdb {
namespace enc = block_encoding;

namespace {

constexpr uint64_t kSeriesAlignment = 16;
constexpr uint64_t kListAlignment = 4;  // label indices and postings lists
constexpr char kZeros[16] = {};

// a - b in two's complement: the deltas Prometheus stores as uvarints wrap
// the same way for extreme timestamps.
uint64_t Diff(int64_t a, int64_t b) { return static_cast<uint64_t>(a) - static_cast<uint64_t>(b); }

void PutString(std::string* out, std::string_view s) {
  PutUvarint(out, s.size());
  out->append(s);
}

// The count u32 that opens most sections; false when it does not fit.
bool PutCount(std::string* out, uint64_t n) {
  if (n > UINT32_MAX) return false;
  enc::PutBE32(out, static_cast<uint32_t>(n));
  return true;
}

}  // namespace

PrometheusIndexWriter::PrometheusIndexWriter(std::unique_ptr<WritableFile> file, std::vector<std::string> symbols)
    : file_(std::move(file)), symbols_(std::move(symbols)) {
  symbol_ids_.reserve(symbols_.size());
  for (size_t i = 0; i < symbols_.size(); ++i) symbol_ids_.emplace(symbols_[i], static_cast<uint32_t>(i));
}

PrometheusIndexWriter::~PrometheusIndexWriter() {
  if (file_ != nullptr && !finished_) file_->Close().IgnoreError();  // abandoned: the block writer removes it
}

Result<std::unique_ptr<PrometheusIndexWriter>> PrometheusIndexWriter::Create(Env* env, const std::string& path,
                                                                             std::vector<std::string> symbols) {
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  if (symbols.size() > UINT32_MAX) return Status::Unsupported("more than 2^32 symbols in one index");
  PROMETHIUM_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(path));
  std::unique_ptr<PrometheusIndexWriter> w(new PrometheusIndexWriter(std::move(file), std::move(symbols)));
  std::string header;
  enc::PutBE32(&header, kPrometheusIndexMagic);
  header.push_back(static_cast<char>(kPrometheusIndexVersion2));
  PROMETHIUM_RETURN_IF_ERROR(w->Write(header));
  PROMETHIUM_RETURN_IF_ERROR(w->WriteSymbols());
  // The series section starts here; the first entry is padded to 16 bytes.
  w->toc_.series = w->pos_;
  return w;
}

Status PrometheusIndexWriter::Write(std::string_view data) {
  PROMETHIUM_RETURN_IF_ERROR(file_->Append(data));
  pos_ += data.size();
  return Status::OK();
}

Status PrometheusIndexWriter::PadTo(uint64_t alignment) {
  const uint64_t rem = pos_ % alignment;
  if (rem == 0) return Status::OK();
  return Write(std::string_view(kZeros, alignment - rem));
}

Status PrometheusIndexWriter::WriteSection(std::string_view payload) {
  if (payload.size() > UINT32_MAX) return Status::Unsupported("index section larger than 4 GiB");
  std::string len, crc;
  enc::PutBE32(&len, static_cast<uint32_t>(payload.size()));
  enc::PutBE32(&crc, encoding::Crc32c(payload));
  PROMETHIUM_RETURN_IF_ERROR(Write(len));
  PROMETHIUM_RETURN_IF_ERROR(Write(payload));
  return Write(crc);
}

Status PrometheusIndexWriter::WriteSymbols() {
  toc_.symbols = pos_;
  std::string payload;
  PutCount(&payload, symbols_.size());
  for (const std::string& s : symbols_) PutString(&payload, s);
  return WriteSection(payload);
}

Result<uint32_t> PrometheusIndexWriter::Symbol(std::string_view s) const {
  auto it = symbol_ids_.find(s);
  if (it == symbol_ids_.end()) return Status::InvalidArgument("symbol \"" + std::string(s) + "\" not in the table");
  return it->second;
}

Result<SeriesRef> PrometheusIndexWriter::AddSeries(const Labels& labels, const std::vector<ChunkMeta>& chunks) {
  if (finished_) return Status::InvalidArgument("PrometheusIndexWriter: AddSeries after Finish");
  if (has_last_ && !(last_labels_ < labels)) {
    return Status::InvalidArgument("series out of order: " + labels.ToString() + " after " + last_labels_.ToString());
  }
  PROMETHIUM_RETURN_IF_ERROR(PadTo(kSeriesAlignment));
  if (pos_ / kSeriesAlignment > UINT32_MAX) return Status::Unsupported("index series section past 64 GiB");
  const auto ref = static_cast<uint32_t>(pos_ / kSeriesAlignment);
  PROMETHIUM_RETURN_IF_ERROR(EncodeSeries(labels, chunks, ref));
  buf_.clear();
  PutUvarint(&buf_, body_.size());
  buf_ += body_;
  enc::PutBE32(&buf_, encoding::Crc32c(body_));
  PROMETHIUM_RETURN_IF_ERROR(Write(buf_));
  last_labels_ = labels;
  has_last_ = true;
  all_refs_.push_back(ref);
  return SeriesRef{ref};
}

// Fills body_ with a series entry's contents and records its postings.
Status PrometheusIndexWriter::EncodeSeries(const Labels& labels, const std::vector<ChunkMeta>& chunks, uint32_t ref) {
  body_.clear();
  PutUvarint(&body_, labels.size());
  std::vector<LabelPair> pairs;
  pairs.reserve(labels.size());
  for (const Label& l : labels) {
    if (l.name.empty()) return Status::InvalidArgument("empty label name in " + labels.ToString());
    PROMETHIUM_ASSIGN_OR_RETURN(uint32_t n, Symbol(l.name));
    PROMETHIUM_ASSIGN_OR_RETURN(uint32_t v, Symbol(l.value));
    PutUvarint(&body_, n);
    PutUvarint(&body_, v);
    pairs.emplace_back(n, v);
  }
  PutUvarint(&body_, chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    const ChunkMeta& c = chunks[i];
    if (i == 0) {
      PutVarint(&body_, c.min_time);
      PutUvarint(&body_, Diff(c.max_time, c.min_time));
      PutUvarint(&body_, c.ref);
    } else {
      const ChunkMeta& prev = chunks[i - 1];
      PutUvarint(&body_, Diff(c.min_time, prev.max_time));
      PutUvarint(&body_, Diff(c.max_time, c.min_time));
      PutVarint(&body_, static_cast<int64_t>(c.ref - prev.ref));
    }
  }
  for (const LabelPair& p : pairs) postings_[p].push_back(ref);
  return Status::OK();
}

Status PrometheusIndexWriter::Finish() {
  if (finished_) return Status::InvalidArgument("PrometheusIndexWriter: Finish called twice");
  finished_ = true;
  toc_.label_indices = pos_;
  PROMETHIUM_RETURN_IF_ERROR(WriteLabelIndices());
  toc_.postings = pos_;
  PROMETHIUM_RETURN_IF_ERROR(WritePostings());
  toc_.label_offset_table = pos_;
  PROMETHIUM_RETURN_IF_ERROR(WriteLabelOffsetTable());
  toc_.postings_offset_table = pos_;
  PROMETHIUM_RETURN_IF_ERROR(WritePostingsOffsetTable());
  PROMETHIUM_RETURN_IF_ERROR(WriteToc());
  PROMETHIUM_RETURN_IF_ERROR(file_->Sync());
  return file_->Close();
}

// One label index per label name: the symbol numbers of its values, which
// ascend with the values since the symbol table is sorted.
Status PrometheusIndexWriter::WriteLabelIndices() {
  std::string payload;
  for (auto it = postings_.begin(); it != postings_.end();) {
    const uint32_t name = it->first.first;
    std::vector<uint32_t> values;
    for (; it != postings_.end() && it->first.first == name; ++it) values.push_back(it->first.second);
    PROMETHIUM_RETURN_IF_ERROR(PadTo(kListAlignment));
    label_index_offsets_.emplace_back(name, pos_);
    payload.clear();
    PutCount(&payload, 1);  // names per entry
    PutCount(&payload, values.size());
    for (uint32_t v : values) enc::PutBE32(&payload, v);
    PROMETHIUM_RETURN_IF_ERROR(WriteSection(payload));
  }
  return Status::OK();
}

Status PrometheusIndexWriter::WritePostingsList(const std::vector<uint32_t>& refs) {
  buf_.clear();
  PutCount(&buf_, refs.size());
  for (uint32_t r : refs) enc::PutBE32(&buf_, r);
  return WriteSection(buf_);
}

Status PrometheusIndexWriter::WritePostings() {
  PROMETHIUM_RETURN_IF_ERROR(PadTo(kListAlignment));
  all_postings_offset_ = pos_;
  PROMETHIUM_RETURN_IF_ERROR(WritePostingsList(all_refs_));
  postings_offsets_.reserve(postings_.size());
  for (const auto& [pair, refs] : postings_) {
    PROMETHIUM_RETURN_IF_ERROR(PadTo(kListAlignment));
    postings_offsets_.push_back(pos_);
    PROMETHIUM_RETURN_IF_ERROR(WritePostingsList(refs));
  }
  return Status::OK();
}

Status PrometheusIndexWriter::WriteLabelOffsetTable() {
  std::string payload;
  PutCount(&payload, label_index_offsets_.size());
  for (const auto& [name, offset] : label_index_offsets_) {
    PutUvarint(&payload, 1);  // names per entry
    PutString(&payload, symbols_[name]);
    PutUvarint(&payload, offset);
  }
  return WriteSection(payload);
}

Status PrometheusIndexWriter::WritePostingsOffsetTable() {
  std::string payload;
  if (!PutCount(&payload, postings_.size() + 1)) return Status::Unsupported("more than 2^32 postings lists");
  auto entry = [&](std::string_view name, std::string_view value, uint64_t offset) {
    PutUvarint(&payload, 2);  // names per entry: label name and value
    PutString(&payload, name);
    PutString(&payload, value);
    PutUvarint(&payload, offset);
  };
  entry("", "", all_postings_offset_);
  size_t i = 0;
  for (const auto& [pair, refs] : postings_) entry(symbols_[pair.first], symbols_[pair.second], postings_offsets_[i++]);
  return WriteSection(payload);
}

Status PrometheusIndexWriter::WriteToc() {
  std::string toc;
  for (uint64_t off : {toc_.symbols, toc_.series, toc_.label_indices, toc_.label_offset_table, toc_.postings,
                       toc_.postings_offset_table}) {
    enc::PutBE64(&toc, off);
  }
  enc::PutBE32(&toc, encoding::Crc32c(toc));
  return Write(toc);
}

}  // namespace promethium::tsdb
