#include "tsdb/block/block.h"

#include <algorithm>

#include "tsdb/block/chunk_segments.h"
#include "tsdb/block/index_file.h"
#include "tsdb/block/index_writer.h"
#include "tsdb/chunkenc/xor_chunk.h"
#include "tsdb/encoding/block_encoding.h"
#include "tsdb/index/postings_for_matchers.h"
#include "tsdb/prometheus_format/chunk_reader.h"
#include "tsdb/prometheus_format/index_reader.h"
#include "tsdb/prometheus_format/tombstones.h"
#include "tsdb/querier/block_querier.h"
#include "tsdb/querier/chunk_rewrite.h"

namespace promethium::tsdb {
namespace {

// IndexReader over a block's index that hides fully deleted chunks; with
// null `stones`, the chunk metas as stored. A null `block` is for callers
// that keep the block alive themselves.
class BlockIndexReader final : public IndexReader {
 public:
  BlockIndexReader(std::shared_ptr<const Block> block, const BlockIndexFile* index,
                   std::shared_ptr<const BlockTombstones> stones, int64_t min_time, int64_t max_time)
      : block_(std::move(block)), index_(index), stones_(std::move(stones)), min_time_(min_time), max_time_(max_time) {}

  std::unique_ptr<Postings> AllPostings() override { return std::make_unique<ListPostings>(index_->AllPostings()); }
  std::unique_ptr<Postings> PostingsFor(std::string_view name, const std::vector<std::string>& values) override {
    auto refs = index_->Postings(name, values);
    // Sections were CRC-verified at Open, so a failure here means the file
    // changed underneath us; the interface has no error path for postings.
    if (!refs.ok()) return EmptyPostings();
    return std::make_unique<ListPostings>(std::move(refs).value());
  }
  std::vector<std::string> LabelValues(std::string_view name) override { return index_->LabelValues(name); }
  std::vector<std::string> LabelNames() override { return index_->LabelNames(); }

  Status Series(SeriesRef ref, Labels* labels, std::vector<ChunkMeta>* chunks) override {
    PROMETHIUM_RETURN_IF_ERROR(index_->Series(ref, labels, chunks));
    if (chunks == nullptr || stones_ == nullptr) return Status::OK();
    auto it = stones_->by_series.find(ref);
    if (it == stones_->by_series.end()) return Status::OK();
    std::erase_if(*chunks, [&](const ChunkMeta& c) { return CoversRange(it->second, c.min_time, c.max_time); });
    return Status::OK();
  }

  void TimeRange(int64_t* min_time, int64_t* max_time) override {
    *min_time = min_time_;
    *max_time = max_time_;
  }

 private:
  std::shared_ptr<const Block> block_;  // keeps the index alive
  const BlockIndexFile* index_;
  std::shared_ptr<const BlockTombstones> stones_;
  const int64_t min_time_;
  const int64_t max_time_;
};

// ChunkReader over a block's segments; re-encodes partly deleted chunks.
class BlockChunkReader final : public ChunkReader {
 public:
  BlockChunkReader(std::shared_ptr<const Block> block, const BlockChunkFiles& files,
                   std::shared_ptr<const BlockTombstones> stones)
      : block_(std::move(block)), reader_(files.NewReader()), stones_(std::move(stones)) {}

  Status ReadChunk(const ChunkMeta& meta, std::string* bytes, ChunkEncoding* encoding) override {
    {
      // The reader's group cache is per instance; the lock keeps the
      // ChunkReader contract (callable from any thread). Uncontended in the
      // usual one-querier-one-thread use.
      MutexLock lock(&mu_);
      PROMETHIUM_RETURN_IF_ERROR(reader_->ReadChunk(meta.ref, bytes, encoding));
    }
    if (stones_ == nullptr) return Status::OK();
    auto it = stones_->partial_chunks.find(meta.ref);
    if (it == stones_->partial_chunks.end()) return Status::OK();
    return DropDeleted(it->second, encoding, bytes);
  }

 private:
  static Status DropDeleted(const Intervals& deleted, ChunkEncoding* encoding, std::string* bytes) {
    if (*encoding == ChunkEncoding::kXor) {
      XorChunk out;
      XorAppender app(&out);
      XorIterator it(*bytes);
      while (it.Next() != ValueType::kNone) {
        const Sample s = it.At();
        if (!IsDeleted(deleted, s.t)) app.Append(s.t, std::bit_cast<double>(it.value_bits()));
      }
      PROMETHIUM_RETURN_IF_ERROR(it.Err());
      bytes->assign(out.Bytes());
      return Status::OK();
    }
    bool dropped = false;
    return FilterChunk([&](int64_t t) { return !IsDeleted(deleted, t); }, encoding, bytes, &dropped);
  }

  std::shared_ptr<const Block> block_;
  Mutex mu_;
  const std::unique_ptr<BlockChunkFileReader> reader_ PT_GUARDED_BY(mu_);
  std::shared_ptr<const BlockTombstones> stones_;
};

// The format of a block directory, by its index file's magic.
Result<BlockFormat> DetectBlockFormat(Env* env, const std::string& dir) {
  const std::string path = dir + "/index";
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  char scratch[8];
  std::string_view head;
  PROMETHIUM_RETURN_IF_ERROR(file->Read(0, std::min<uint64_t>(file->Size(), sizeof(scratch)), &head, scratch));
  int version = 0;
  if (head.size() >= 4 && block_encoding::GetBE32(head.data()) == kIndexMagic) return BlockFormat::kPromethium;
  if (IsPrometheusIndexHeader(head, &version)) return BlockFormat::kPrometheus;
  return Status::Corruption("corrupt: " + path + " at offset 0: not a block index (bad magic)");
}

}  // namespace

Result<std::shared_ptr<Block>> Block::Open(Env* env, const std::string& dir) {
  PROMETHIUM_ASSIGN_OR_RETURN(BlockMeta meta, ReadBlockMeta(env, dir));
  PROMETHIUM_ASSIGN_OR_RETURN(BlockFormat format, DetectBlockFormat(env, dir));
  std::unique_ptr<BlockIndexFile> index;
  std::shared_ptr<BlockChunkFiles> chunks;
  if (format == BlockFormat::kPrometheus) {
    PROMETHIUM_ASSIGN_OR_RETURN(index, PrometheusIndexFile::Open(env, dir + "/index"));
    PROMETHIUM_ASSIGN_OR_RETURN(chunks, PrometheusChunkFiles::Open(env, dir + "/chunks"));
  } else {
    PROMETHIUM_ASSIGN_OR_RETURN(index, BlockIndex::Open(env, dir + "/index"));
    PROMETHIUM_ASSIGN_OR_RETURN(chunks, ChunkSegmentFiles::Open(env, dir + "/chunks"));
  }
  std::shared_ptr<Block> block(new Block(env, dir, std::move(meta), std::move(index), std::move(chunks)));
  PROMETHIUM_ASSIGN_OR_RETURN(TombstoneMap stones, block->ReadTombstoneFile());
  PROMETHIUM_ASSIGN_OR_RETURN(auto built, block->BuildTombstones(std::move(stones)));
  {
    MutexLock lock(&block->mu_);
    block->tombstones_ = std::move(built);
  }
  block->UpdateSize();
  return block;
}

BlockMeta Block::meta() const {
  MutexLock lock(&mu_);
  return meta_;
}

uint64_t Block::NumTombstones() const {
  MutexLock lock(&mu_);
  return meta_.stats.num_tombstones;
}

std::shared_ptr<const BlockTombstones> Block::Tombstones() const {
  MutexLock lock(&mu_);
  return tombstones_;
}

void Block::UpdateSize() {
  uint64_t size = index_->SizeBytes() + chunks_->TotalBytes();
  for (const char* name : {kMetaFilename, kTombstonesFilename}) {
    auto n = env_->GetFileSize(dir_ + "/" + name);
    if (n.ok()) size += *n;
  }
  size_bytes_.store(size, std::memory_order_relaxed);
}

Result<std::shared_ptr<const BlockTombstones>> Block::BuildTombstones(TombstoneMap map) const {
  auto out = std::make_shared<BlockTombstones>();
  Labels labels;
  std::vector<ChunkMeta> chunks;
  for (const auto& [ref, ivs] : map) {
    Status st = index_->Series(ref, &labels, &chunks);
    if (st.code() == Status::Code::kNotFound) continue;  // stale entry: ignore
    PROMETHIUM_RETURN_IF_ERROR(st);
    for (const ChunkMeta& c : chunks) {
      if (OverlapsRange(ivs, c.min_time, c.max_time) && !CoversRange(ivs, c.min_time, c.max_time)) {
        out->partial_chunks[c.ref] = ivs;
      }
    }
  }
  out->by_series = std::move(map);
  return std::shared_ptr<const BlockTombstones>(std::move(out));
}

std::unique_ptr<IndexReader> Block::MakeIndexReader(std::shared_ptr<const BlockTombstones> stones) {
  const BlockMeta m = meta();
  return std::make_unique<BlockIndexReader>(shared_from_this(), index_.get(), std::move(stones), m.min_time,
                                            m.max_time - 1);
}

std::unique_ptr<ChunkReader> Block::MakeChunkReader(std::shared_ptr<const BlockTombstones> stones) {
  return std::make_unique<BlockChunkReader>(shared_from_this(), *chunks_, std::move(stones));
}

Result<TombstoneMap> Block::ReadTombstoneFile() const {
  if (format() == BlockFormat::kPrometheus) return ReadPrometheusTombstones(env_, dir_);
  return ReadTombstones(env_, dir_);
}

Status Block::WriteTombstoneFile(const TombstoneMap& map) const {
  if (format() == BlockFormat::kPrometheus) return WritePrometheusTombstones(env_, dir_, map);
  return WriteTombstones(env_, dir_, map);
}

std::unique_ptr<IndexReader> Block::NewIndexReader() { return MakeIndexReader(Tombstones()); }
std::unique_ptr<ChunkReader> Block::NewChunkReader() { return MakeChunkReader(Tombstones()); }

std::unique_ptr<Querier> Block::NewQuerier(int64_t mint, int64_t maxt) {
  auto stones = Tombstones();
  return std::make_unique<BlockQuerier>(MakeIndexReader(stones), MakeChunkReader(stones), mint, maxt);
}

Status Block::Delete(int64_t mint, int64_t maxt, const Matchers& matchers) {
  MutexLock delete_lock(&delete_mu_);
  // Chunk metas as stored (no tombstones applied).
  BlockIndexReader raw(nullptr, index_.get(), nullptr, INT64_MIN, INT64_MAX);
  PROMETHIUM_ASSIGN_OR_RETURN(auto postings, PostingsForMatchers(&raw, matchers));
  TombstoneMap map = Tombstones()->by_series;
  Labels labels;
  std::vector<ChunkMeta> chunks;
  bool changed = false;
  while (postings->Next()) {
    PROMETHIUM_RETURN_IF_ERROR(index_->Series(postings->At(), &labels, &chunks));
    if (chunks.empty()) continue;
    bool overlaps = std::any_of(chunks.begin(), chunks.end(),
                                [&](const ChunkMeta& c) { return c.min_time <= maxt && mint <= c.max_time; });
    if (!overlaps) continue;
    // Delete only up to the data present, not beyond (as Prometheus).
    Interval iv{std::max(mint, chunks.front().min_time), std::min(maxt, chunks.back().max_time)};
    AddInterval(&map[postings->At()], iv);
    changed = true;
  }
  if (!changed) return Status::OK();
  PROMETHIUM_ASSIGN_OR_RETURN(auto built, BuildTombstones(map));
  PROMETHIUM_RETURN_IF_ERROR(WriteTombstoneFile(map));
  BlockMeta updated = meta();
  updated.stats.num_tombstones = tsdb::NumTombstones(map);
  PROMETHIUM_RETURN_IF_ERROR(WriteBlockMeta(env_, dir_, updated));
  {
    MutexLock lock(&mu_);
    meta_ = std::move(updated);
    tombstones_ = std::move(built);
  }
  UpdateSize();
  return Status::OK();
}

}  // namespace promethium::tsdb
