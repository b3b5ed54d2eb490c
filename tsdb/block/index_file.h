// BlockIndex: read access to a block's index file (format in
// docs/format/index.md). Open verifies the header, the TOC and the CRC of
// every section (streaming the large ones), then keeps only the small
// sections in memory: symbols, label index and postings offset table.
// Series entries and postings lists are read with pread on demand, so
// PostingsFor/LabelValues/LabelNames never touch chunk data and the series
// section is never held in heap.
//
// Ownership: owns the open file. Thread-safety: immutable after Open; every
// method is safe from any number of threads (pread is stateless).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/block/block_format.h"
#include "tsdb/index/index_reader.h"

namespace promethium::tsdb {

class BlockIndex final : public BlockIndexFile {
 public:
  static Result<std::unique_ptr<BlockIndex>> Open(Env* env, const std::string& path);

  BlockFormat format() const override { return BlockFormat::kPromethium; }
  std::vector<SeriesRef> AllPostings() const override;
  // Sorted union of the postings of name=v for v in values.
  Result<std::vector<SeriesRef>> Postings(std::string_view name, const std::vector<std::string>& values) const override;
  std::vector<std::string> LabelValues(std::string_view name) const override;
  std::vector<std::string> LabelNames() const override;
  // NotFound for a ref outside the series section; Corruption when the
  // entry does not decode. Refs must come from this index's postings (an
  // arbitrary offset inside the section may decode as garbage).
  Status Series(SeriesRef ref, Labels* labels, std::vector<ChunkMeta>* chunks) const override;

  uint64_t SizeBytes() const override { return file_->Size(); }
  uint64_t NumSymbols() const override { return symbols_.size(); }
  const std::string& path() const override { return path_; }

 private:
  struct PostingsEntry {
    uint32_t name;
    uint32_t value;
    uint64_t offset;  // in the postings section
    uint64_t end;
  };
  struct LabelName {
    uint32_t name;
    std::vector<uint32_t> values;
  };

  BlockIndex(std::string path, std::unique_ptr<RandomAccessFile> file)
      : path_(std::move(path)), file_(std::move(file)) {}
  Status Corrupt(uint64_t offset, const std::string& what) const;
  Status ReadAt(uint64_t offset, size_t n, std::string* out) const;
  Status VerifySection(uint64_t start, uint64_t end, std::string* payload_if_small) const;
  Status LoadSymbols(const std::string& payload);
  Status LoadLabelIndex(const std::string& payload);
  Status LoadPostingsTable(const std::string& payload);
  Result<std::vector<SeriesRef>> ReadPostings(uint64_t offset, uint64_t end) const;
  // The ordinal of a symbol, or -1.
  int64_t SymbolId(std::string_view s) const;

  const std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  uint64_t toc_[5] = {};
  uint64_t toc_start_ = 0;
  std::vector<std::string> symbols_;
  std::vector<LabelName> label_index_;   // ascending by name
  std::vector<PostingsEntry> postings_;  // ascending by (name, value)
  uint64_t all_end_ = 0;                 // end of the all-series list
};

}  // namespace promethium::tsdb
