// Block: a persisted, immutable block directory opened for reading:
//
//   <dir>/meta.json         BlockMeta (block_meta.h, docs/format/block.md)
//   <dir>/index             symbols, series, postings (docs/format/index.md)
//   <dir>/chunks/000001...  zstd-compressed chunk groups (docs/format/block_chunks.md)
//   <dir>/tombstones        optional deleted intervals (docs/format/tombstones.md)
//
// or the same names in Prometheus's formats (index v1/v2, its chunk
// segments and tombstones; docs/format/prometheus_blocks.md), told apart by
// the index file's magic and read in place through the interfaces of
// block_format.h. Delete writes tombstones in the block's own format, so
// Prometheus can still open a block of its own that we deleted from.
//
// Open verifies meta.json, the index TOC and every index section CRC; chunk
// group CRCs are verified when a group is read. Errors name the file and
// offset: "corrupt: <path> at offset N: ...".
//
// Reads honour tombstones inside the reader pair, so BlockQuerier stays
// unaware of them: chunks entirely inside a deleted interval are not listed
// by the IndexReader, and chunks that overlap one are served by the
// ChunkReader re-encoded without the deleted samples. The only mutation is
// Delete, which replaces the tombstones file and meta.json atomically;
// readers opened before it keep the tombstones they started with.
//
// Ownership: always held by shared_ptr. Readers and queriers keep the Block
// alive, so the DB may drop its reference (retention, compaction) while
// queries still run; the files stay open until the last holder is gone
// (deleting the directory meanwhile is safe on POSIX).
// Thread-safety: every method is safe to call concurrently. Each reader or
// querier returned is used by one thread at a time (per storage.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "tsdb/api/storage.h"
#include "tsdb/base/env.h"
#include "tsdb/base/thread_annotations.h"
#include "tsdb/block/block_format.h"
#include "tsdb/block/block_meta.h"
#include "tsdb/block/tombstones.h"
#include "tsdb/index/index_reader.h"

namespace promethium::tsdb {

// Tombstones of a block as the readers apply them: the intervals per
// series, plus the intervals of every chunk that is only partly deleted.
struct BlockTombstones {
  TombstoneMap by_series;
  std::unordered_map<uint64_t, Intervals> partial_chunks;  // chunk ref -> intervals
};

class Block : public std::enable_shared_from_this<Block> {
 public:
  // Opens a block in our format or in Prometheus's (by the index magic).
  static Result<std::shared_ptr<Block>> Open(Env* env, const std::string& dir);

  // A copy, because Delete updates stats.numTombstones concurrently.
  BlockMeta meta() const;
  const std::string& dir() const { return dir_; }
  BlockFormat format() const { return index_->format(); }
  // Bytes on disk: index, chunk segments, tombstones and meta.json.
  uint64_t SizeBytes() const { return size_bytes_.load(std::memory_order_relaxed); }

  std::unique_ptr<IndexReader> NewIndexReader();
  std::unique_ptr<ChunkReader> NewChunkReader();
  // A querier over [mint, maxt] (inclusive), both readers sharing one
  // tombstone snapshot.
  std::unique_ptr<Querier> NewQuerier(int64_t mint, int64_t maxt);

  // Marks samples in [mint, maxt] (inclusive) of the matching series deleted,
  // as Prometheus's Block.Delete: the interval is clamped to each series'
  // data, and series without data in range get none. Rewrites tombstones
  // and meta.json atomically. Compaction (WriteBlock over this block's
  // readers) later drops the deleted data for good.
  Status Delete(int64_t mint, int64_t maxt, const Matchers& matchers);
  // Total deleted intervals.
  uint64_t NumTombstones() const;

  // The raw index (ignores tombstones); for tools and benchmarks.
  const BlockIndexFile& index() const { return *index_; }

 private:
  Block(Env* env, std::string dir, BlockMeta meta, std::unique_ptr<BlockIndexFile> index,
        std::shared_ptr<BlockChunkFiles> chunks)
      : env_(env), dir_(std::move(dir)), meta_(std::move(meta)), index_(std::move(index)), chunks_(std::move(chunks)) {}
  // The tombstones file in the block's own format (absent: none).
  Result<TombstoneMap> ReadTombstoneFile() const;
  Status WriteTombstoneFile(const TombstoneMap& map) const;

  std::shared_ptr<const BlockTombstones> Tombstones() const;
  // Resolves which chunks of the tombstoned series are partly deleted.
  Result<std::shared_ptr<const BlockTombstones>> BuildTombstones(TombstoneMap map) const;
  std::unique_ptr<IndexReader> MakeIndexReader(std::shared_ptr<const BlockTombstones> stones);
  std::unique_ptr<ChunkReader> MakeChunkReader(std::shared_ptr<const BlockTombstones> stones);
  void UpdateSize();

  Env* const env_;
  const std::string dir_;
  mutable Mutex mu_;
  BlockMeta meta_ GUARDED_BY(mu_);
  std::shared_ptr<const BlockTombstones> tombstones_ GUARDED_BY(mu_);
  Mutex delete_mu_;  // serializes Delete calls (held across file writes)
  const std::unique_ptr<BlockIndexFile> index_;
  const std::shared_ptr<BlockChunkFiles> chunks_;
  std::atomic<uint64_t> size_bytes_{0};
};

}  // namespace promethium::tsdb
