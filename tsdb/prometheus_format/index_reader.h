// PrometheusIndexFile: reads the `index` file of a block written by
// Prometheus (index format v1 or v2; upstream tsdb/docs/format/index.md,
// summarised in docs/format/prometheus_blocks.md) in place.
//
// Layout, as Prometheus 2.x writes it: a 5-byte header (magic 0xBAAAD700
// big-endian, version byte), then the symbol table, the series entries, the
// label indices, the postings lists, the label offset table, the postings
// offset table and a 52-byte TOC (six big-endian u64 section offsets, in the
// order symbols, series, label indices, label offset table, postings,
// postings offset table, then a CRC32C of those 48 bytes). Sections and
// entries carry a CRC32C (Castagnoli) of their body.
//
// The two versions differ in how things are referenced:
//   v2  symbols by ordinal; series entries start on 16-byte boundaries and a
//       series ref is its file offset / 16.
//   v1  symbols by the file offset of their entry; a series ref is the file
//       offset of its entry (no alignment); the postings offset table may be
//       unsorted.
// Chunk metas are encoded alike in both (Prometheus decodes them with one
// routine): the first chunk's mint as a varint, maxt - mint as a uvarint and
// its ref as a uvarint; every later chunk mint - previous maxt and
// maxt - mint as uvarints and ref - previous ref as a varint. A ChunkMeta
// ref is the value stored there, Prometheus's BlockChunkRef (segment file
// index << 32 | offset in that file), which PrometheusChunkFiles reads.
// Series refs are exactly Prometheus's, so its tombstones file applies.
//
// Open checks the header and the TOC, then the CRC of every section and
// entry (streaming the file once), and keeps in memory only the symbols and
// the postings offset table (as symbol ordinals). Series entries and
// postings lists are read with pread on demand and their CRC checked again.
//
// Ownership: owns the open file. Thread-safety: immutable after Open; every
// method is safe from any number of threads (pread is stateless).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/block/block_format.h"
#include "tsdb/prometheus_format/magic.h"

namespace promethium::tsdb {

// Whether `first_bytes` (the start of a file, at least 5 bytes) is the
// header of a Prometheus index of a version this reader supports (1 or 2).
// When the magic matches, *version (if not null) gets the version byte even
// if it is unsupported, so a caller can say so.
bool IsPrometheusIndexHeader(std::string_view first_bytes, int* version);

class PrometheusIndexFile final : public BlockIndexFile {
 public:
  // Corruption ("corrupt: <path> at offset N: ...") for a damaged file;
  // Unsupported for a Prometheus index of another version.
  static Result<std::unique_ptr<PrometheusIndexFile>> Open(Env* env, const std::string& path);

  BlockFormat format() const override { return BlockFormat::kPrometheus; }
  std::vector<SeriesRef> AllPostings() const override;
  Result<std::vector<SeriesRef>> Postings(std::string_view name, const std::vector<std::string>& values) const override;
  std::vector<std::string> LabelValues(std::string_view name) const override;
  std::vector<std::string> LabelNames() const override;
  Status Series(SeriesRef ref, Labels* labels, std::vector<ChunkMeta>* chunks) const override;

  uint64_t SizeBytes() const override { return file_->Size(); }
  uint64_t NumSymbols() const override { return symbols_.size(); }
  const std::string& path() const override { return path_; }

  int version() const { return version_; }  // 1 or 2
  uint64_t NumSeries() const { return num_series_; }

 private:
  class Window;
  using Toc = PrometheusIndexToc;
  struct PostingsEntry {
    uint32_t name;   // symbol ordinal
    uint32_t value;  // symbol ordinal
    uint64_t offset;
  };
  struct NameRange {
    uint32_t name;  // symbol ordinal
    size_t begin;   // [begin, end) in postings_
    size_t end;
  };

  PrometheusIndexFile(std::string path, std::unique_ptr<RandomAccessFile> file)
      : path_(std::move(path)), file_(std::move(file)) {}

  Status Corrupt(uint64_t offset, const std::string& what) const;
  Status ReadAt(uint64_t offset, size_t n, std::string* out) const;
  Status ReadHeaderAndToc();
  // Views the `len u32 | body | CRC32C` structure at `offset` (a section,
  // label index or postings list) and checks its CRC; `what` names it.
  Status CheckedSectionAt(Window* w, uint64_t offset, const char* what, std::string_view* body) const;
  // Views the series entry at `offset` (uvarint len | body | CRC32C), checks
  // its CRC; *next gets the offset just past it.
  Status SeriesEntryAt(Window* w, uint64_t offset, std::string_view* body, uint64_t* next) const;
  Status LoadSymbols();
  Status LoadPostingsTable();
  Status AddPostingsEntry(std::string_view name, std::string_view value, uint64_t offset, uint64_t at);
  Status VerifySeries(Window* w);
  Status VerifyLabelIndices(Window* w) const;
  Status VerifyPostingsLists(Window* w) const;
  // Checks a postings list body (#refs u32 | refs u32...): length, order and
  // that every ref names a series entry; appends the refs when asked.
  Status DecodePostingsBody(uint64_t offset, std::string_view body, std::vector<SeriesRef>* refs) const;
  Result<std::vector<SeriesRef>> ReadPostings(uint64_t offset) const;
  Status DecodeSeries(uint64_t offset, std::string_view body, Labels* labels, std::vector<ChunkMeta>* chunks) const;
  // The ordinal of a symbol reference from a series entry, or -1.
  int64_t SymbolOrdinal(uint64_t ref) const;
  // The ordinal of a string in the symbol table, or -1.
  int64_t SymbolId(std::string_view s) const;
  const NameRange* FindName(std::string_view name) const;
  bool IsSeriesOffset(uint64_t offset) const { return offset >= toc_.series && offset < series_end_; }
  uint64_t SeriesOffset(SeriesRef ref) const;

  const std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  int version_ = 0;
  Toc toc_;
  uint64_t toc_start_ = 0;
  uint64_t series_end_ = 0;               // end of the series section
  std::vector<std::string> symbols_;      // sorted
  std::vector<uint64_t> symbol_offsets_;  // v1: file offset of each symbol
  std::vector<PostingsEntry> postings_;   // ascending by (name, value)
  std::vector<NameRange> names_;          // ascending by name
  uint64_t all_postings_offset_ = 0;      // 0: no all-series list in the file
  std::vector<SeriesRef> all_series_;     // only when there is no such list
  uint64_t num_series_ = 0;
};

}  // namespace promethium::tsdb
