// PrometheusIndexWriter: writes the `index` file of a new block in
// Prometheus's index format v2 (docs/format/prometheus_blocks.md; upstream
// tsdb/docs/format/index.md), laid out the way Prometheus 2.x's own writer
// lays it out, so Prometheus, promtool, Thanos and vmctl read it:
//
//   header        magic 0xBAAAD700 (big-endian), version 2
//   symbols       len u32 | count u32 | uvarint-prefixed strings | CRC32C
//   series        one entry per series, each starting on a 16-byte boundary
//                 (its ref is offset / 16): uvarint len | labels as symbol
//                 numbers | chunk metas (delta-encoded) | CRC32C
//   label indices one per label name (4-byte aligned): len | 1 | #values |
//                 value symbol numbers (u32 each) | CRC32C -- no longer read
//                 by Prometheus but still written by it, so we write them too
//   postings      the all-series list (name "" value "") first, then one
//                 list per label pair in (name, value) order, each 4-byte
//                 aligned: len | #refs | series refs (u32 each) | CRC32C
//   label offset table, postings offset table, and the 52-byte TOC
//
// Every `len` counts the bytes between it and the trailing CRC32C, which
// covers exactly those bytes. Series are written as they are added; the
// postings are kept in memory (4 bytes per label of every series) until
// Finish writes the remaining sections.
//
// Ownership: owns the open file; borrows nothing after Create.
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/base/env.h"
#include "tsdb/base/result.h"
#include "tsdb/block/block_format.h"
#include "tsdb/prometheus_format/magic.h"

namespace promethium::tsdb {

inline constexpr uint8_t kPrometheusIndexVersion2 = 2;
inline constexpr size_t kPrometheusIndexHeaderSize = 5;
inline constexpr size_t kPrometheusIndexTocSize = 6 * 8 + 4;

class PrometheusIndexWriter : public BlockIndexFileWriter {
 public:
  // Creates the file and writes the header and the symbol table. `symbols`
  // must hold every label name and value of the series to come (sorted and
  // deduplicated here).
  static Result<std::unique_ptr<PrometheusIndexWriter>> Create(Env* env, const std::string& path,
                                                               std::vector<std::string> symbols);
  ~PrometheusIndexWriter() override;
  PrometheusIndexWriter(const PrometheusIndexWriter&) = delete;
  PrometheusIndexWriter& operator=(const PrometheusIndexWriter&) = delete;

  // Appends a series (labels strictly ascending across calls, chunks
  // ascending by time, refs from a PrometheusChunkWriter). Returns its
  // Prometheus series ref (file offset / 16).
  Result<SeriesRef> AddSeries(const Labels& labels, const std::vector<ChunkMeta>& chunks) override;
  // Writes label indices, postings, both offset tables and the TOC, fsyncs
  // and closes the file.
  Status Finish() override;

 private:
  using Toc = PrometheusIndexToc;
  using LabelPair = std::pair<uint32_t, uint32_t>;  // (name, value) symbol numbers

  PrometheusIndexWriter(std::unique_ptr<WritableFile> file, std::vector<std::string> symbols);

  Status Write(std::string_view data);
  Status PadTo(uint64_t alignment);
  // Writes len u32 | payload | CRC32C(payload).
  Status WriteSection(std::string_view payload);
  Status WriteSymbols();
  Result<uint32_t> Symbol(std::string_view s) const;
  Status EncodeSeries(const Labels& labels, const std::vector<ChunkMeta>& chunks, uint32_t ref);
  Status WriteLabelIndices();
  Status WritePostingsList(const std::vector<uint32_t>& refs);
  Status WritePostings();
  Status WriteLabelOffsetTable();
  Status WritePostingsOffsetTable();
  Status WriteToc();

  std::unique_ptr<WritableFile> file_;
  uint64_t pos_ = 0;
  bool finished_ = false;
  Toc toc_;
  std::vector<std::string> symbols_;
  std::unordered_map<std::string_view, uint32_t> symbol_ids_;  // views into symbols_
  Labels last_labels_;
  bool has_last_ = false;
  std::vector<uint32_t> all_refs_;
  std::map<LabelPair, std::vector<uint32_t>> postings_;
  // Filled by Finish: where each label index and postings list starts.
  std::vector<std::pair<uint32_t, uint64_t>> label_index_offsets_;  // name symbol, offset
  uint64_t all_postings_offset_ = 0;
  std::vector<uint64_t> postings_offsets_;  // in postings_ order
  std::string body_;
  std::string buf_;
};

}  // namespace promethium::tsdb
