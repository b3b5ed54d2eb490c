#include "tsdb/block/index_writer.h"

#include <algorithm>

#include "tsdb/encoding/block_encoding.h"
#include "tsdb/encoding/crc32c.h"

namespace promethium::tsdb {
namespace enc = block_encoding;

namespace {
// a - b in two's complement (wraps instead of overflowing for extreme times).
uint64_t Diff(int64_t a, int64_t b) { return static_cast<uint64_t>(a) - static_cast<uint64_t>(b); }
}  // namespace

IndexWriter::IndexWriter(std::unique_ptr<WritableFile> file, std::vector<std::string> symbols)
    : file_(std::move(file)), symbols_(std::move(symbols)) {
  symbol_ids_.reserve(symbols_.size());
  for (size_t i = 0; i < symbols_.size(); ++i) symbol_ids_.emplace(symbols_[i], static_cast<uint32_t>(i));
}

Result<std::unique_ptr<IndexWriter>> IndexWriter::Create(Env* env, const std::string& path,
                                                         std::vector<std::string> symbols) {
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  PROMETHIUM_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(path));
  std::unique_ptr<IndexWriter> w(new IndexWriter(std::move(file), std::move(symbols)));
  std::string header;
  enc::PutBE32(&header, kIndexMagic);
  header.push_back(static_cast<char>(kIndexVersion));
  PROMETHIUM_RETURN_IF_ERROR(w->file_->Append(header));
  w->pos_ = header.size();
  PROMETHIUM_RETURN_IF_ERROR(w->WriteSymbols());
  w->toc_[1] = w->pos_;  // the series section starts here
  return w;
}

Status IndexWriter::WriteSection(const std::string& payload) {
  std::string crc;
  enc::PutBE32(&crc, encoding::Crc32c(payload));
  PROMETHIUM_RETURN_IF_ERROR(file_->Append(payload));
  PROMETHIUM_RETURN_IF_ERROR(file_->Append(crc));
  pos_ += payload.size() + crc.size();
  return Status::OK();
}

Status IndexWriter::WriteSymbols() {
  toc_[0] = pos_;
  std::string payload;
  enc::PutUvarint(&payload, symbols_.size());
  for (const auto& s : symbols_) {
    enc::PutUvarint(&payload, s.size());
    payload += s;
  }
  return WriteSection(payload);
}

Result<uint32_t> IndexWriter::Symbol(std::string_view s) const {
  auto it = symbol_ids_.find(s);
  if (it == symbol_ids_.end()) return Status::InvalidArgument("symbol \"" + std::string(s) + "\" not in the table");
  return it->second;
}

Result<SeriesRef> IndexWriter::AddSeries(const Labels& labels, const std::vector<ChunkMeta>& chunks) {
  if (has_last_ && !(last_labels_ < labels)) {
    return Status::InvalidArgument("series out of order: " + labels.ToString() + " after " + last_labels_.ToString());
  }
  last_labels_ = labels;
  has_last_ = true;
  const SeriesRef ref = pos_;
  std::string body;
  enc::PutUvarint(&body, labels.size());
  for (const Label& l : labels) {
    PROMETHIUM_ASSIGN_OR_RETURN(uint32_t n, Symbol(l.name));
    PROMETHIUM_ASSIGN_OR_RETURN(uint32_t v, Symbol(l.value));
    enc::PutUvarint(&body, n);
    enc::PutUvarint(&body, v);
    postings_[{n, v}].push_back(ref);
  }
  enc::PutUvarint(&body, chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    const ChunkMeta& c = chunks[i];
    if (i == 0) {
      enc::PutVarint(&body, c.min_time);
      enc::PutUvarint(&body, Diff(c.max_time, c.min_time));
      enc::PutUvarint(&body, c.ref);
    } else {
      enc::PutVarint(&body, static_cast<int64_t>(Diff(c.min_time, chunks[i - 1].max_time)));
      enc::PutUvarint(&body, Diff(c.max_time, c.min_time));
      enc::PutVarint(&body, static_cast<int64_t>(c.ref - chunks[i - 1].ref));
    }
  }
  buf_.clear();
  enc::PutUvarint(&buf_, body.size());
  buf_ += body;
  series_crc_ = encoding::Crc32cExtend(series_crc_, buf_);
  PROMETHIUM_RETURN_IF_ERROR(file_->Append(buf_));
  pos_ += buf_.size();
  series_bytes_ += buf_.size();
  all_.push_back(ref);
  return ref;
}

Status IndexWriter::Finish() {
  std::string crc;
  enc::PutBE32(&crc, series_crc_);  // closes the series section
  PROMETHIUM_RETURN_IF_ERROR(file_->Append(crc));
  pos_ += crc.size();

  // Label index: for each name, its values (both as symbol ordinals, sorted).
  toc_[2] = pos_;
  std::string payload;
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> names;
  for (const auto& [pair, refs] : postings_) {
    if (names.empty() || names.back().first != pair.first) names.push_back({pair.first, {}});
    names.back().second.push_back(pair.second);
  }
  enc::PutUvarint(&payload, names.size());
  for (const auto& [name, values] : names) {
    enc::PutUvarint(&payload, name);
    enc::PutUvarint(&payload, values.size());
    for (uint32_t v : values) enc::PutUvarint(&payload, v);
  }
  PROMETHIUM_RETURN_IF_ERROR(WriteSection(payload));

  // Postings lists: all series first, then one per label pair; the offset
  // table records where each pair's list starts in this section.
  toc_[3] = pos_;
  payload.clear();
  std::string table;
  auto append_list = [&](const std::vector<SeriesRef>& refs) {
    enc::PutUvarint(&payload, refs.size());
    SeriesRef prev = 0;
    for (SeriesRef r : refs) {
      enc::PutUvarint(&payload, r - prev);
      prev = r;
    }
  };
  append_list(all_);
  enc::PutUvarint(&table, postings_.size());
  for (const auto& [pair, refs] : postings_) {
    enc::PutUvarint(&table, pair.first);
    enc::PutUvarint(&table, pair.second);
    enc::PutUvarint(&table, payload.size());
    append_list(refs);
  }
  PROMETHIUM_RETURN_IF_ERROR(WriteSection(payload));
  toc_[4] = pos_;
  PROMETHIUM_RETURN_IF_ERROR(WriteSection(table));

  std::string toc;
  for (uint64_t off : toc_) enc::PutBE64(&toc, off);
  enc::PutBE32(&toc, encoding::Crc32c(toc));
  PROMETHIUM_RETURN_IF_ERROR(file_->Append(toc));
  pos_ += toc.size();
  PROMETHIUM_RETURN_IF_ERROR(file_->Sync());
  return file_->Close();
}

}  // namespace promethium::tsdb
