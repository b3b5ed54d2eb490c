// BlockQuerier: a Querier over anything that reads like a block: an
// IndexReader (postings, labels, chunk metas) plus a ChunkReader (chunk
// bytes). The head and persisted blocks both use it, so it sits in the
// querier layer below both (see docs/ARCHITECTURE.md, "Layers of tsdb").
//
// Select resolves matchers to postings (PostingsForMatchers), optionally
// sorts the series by labels, and yields only series with at least one
// chunk overlapping [mint, maxt]. Their iterators decode chunks lazily and
// clip samples to [mint, maxt] (narrowed further by SelectHints start/end).
// A sorted Select reads each selected series (labels and chunk metas) once,
// up front, to sort; an unsorted one reads each series in Next(). The Series
// from At() is refilled in place by Next(), and Iterator(reuse) resets an
// earlier iterator of this querier instead of allocating a new one.
// LabelNames/LabelValues answer from the index, and are empty when
// [mint, maxt] misses the reader's time range entirely (as Prometheus).
//
// Ownership: owns its readers. SeriesSets and iterators borrow the querier
// and must be destroyed before it.
// Thread-safety: one thread at a time per querier (per storage.h); the
// readers underneath are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "tsdb/api/storage.h"
#include "tsdb/index/index_reader.h"

namespace promethium::tsdb {

class BlockQuerier final : public Querier {
 public:
  // At most this many chunk metas are kept from a sorted Select (24 MiB);
  // past that the series' metas are read again when the set reaches them.
  static constexpr size_t kDefaultMaxPreloadedMetas = size_t{1} << 20;

  BlockQuerier(std::unique_ptr<IndexReader> index, std::unique_ptr<ChunkReader> chunks, int64_t mint, int64_t maxt,
               size_t max_preloaded_metas = kDefaultMaxPreloadedMetas)
      : index_(std::move(index)),
        chunks_(std::move(chunks)),
        mint_(mint),
        maxt_(maxt),
        max_preloaded_metas_(max_preloaded_metas) {}

  std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints* hints, const Matchers& matchers) override;
  Result<std::vector<std::string>> LabelValues(std::string_view name, const Matchers& matchers) override;
  Result<std::vector<std::string>> LabelNames(const Matchers& matchers) override;

 private:
  // Whether [mint_, maxt_] overlaps the reader's data at all.
  bool OverlapsData();

  std::unique_ptr<IndexReader> index_;
  std::unique_ptr<ChunkReader> chunks_;
  const int64_t mint_;
  const int64_t maxt_;
  const size_t max_preloaded_metas_;
};

}  // namespace promethium::tsdb
