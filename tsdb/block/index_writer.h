// IndexWriter: writes the index file of a new block (format in
// docs/format/index.md): header, symbol table, series (labels as symbol
// ordinals, delta-encoded chunk metas), label index, postings, postings
// offset table and TOC, every section followed by its CRC32C.
//
// Series must be added in label order; a series' ref is the file offset of
// its entry, so ascending refs = label order, as queries expect.
//
// Ownership: owns the open file. Thread-safety: one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/base/env.h"
#include "tsdb/block/block_format.h"
#include "tsdb/index/index_reader.h"

namespace promethium::tsdb {

inline constexpr uint32_t kIndexMagic = 0x50494458;  // "PIDX"
inline constexpr uint8_t kIndexVersion = 1;
inline constexpr size_t kIndexHeaderSize = 5;
inline constexpr size_t kIndexTocSize = 5 * 8 + 4;

class IndexWriter : public BlockIndexFileWriter {
 public:
  // Creates the file and writes the header and the symbol table. `symbols`
  // must hold every label name and value of the series to come (sorted and
  // deduplicated here).
  static Result<std::unique_ptr<IndexWriter>> Create(Env* env, const std::string& path,
                                                     std::vector<std::string> symbols);

  // Appends a series. Labels must be strictly ascending across calls and
  // chunks ascending by time. Returns the series ref.
  Result<SeriesRef> AddSeries(const Labels& labels, const std::vector<ChunkMeta>& chunks) override;
  // Writes the remaining sections and the TOC, fsyncs and closes the file.
  Status Finish() override;

  uint64_t series_section_bytes() const { return series_bytes_; }

 private:
  IndexWriter(std::unique_ptr<WritableFile> file, std::vector<std::string> symbols);
  Status WriteSection(const std::string& payload);
  Status WriteSymbols();
  Result<uint32_t> Symbol(std::string_view s) const;

  std::unique_ptr<WritableFile> file_;
  uint64_t pos_ = 0;
  std::vector<std::string> symbols_;
  std::unordered_map<std::string_view, uint32_t> symbol_ids_;  // views into symbols_
  uint64_t toc_[5] = {};
  uint32_t series_crc_ = 0;
  uint64_t series_bytes_ = 0;
  Labels last_labels_;
  bool has_last_ = false;
  std::vector<SeriesRef> all_;
  std::map<std::pair<uint32_t, uint32_t>, std::vector<SeriesRef>> postings_;
  std::string buf_;
};

}  // namespace promethium::tsdb
