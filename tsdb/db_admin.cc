// DB: deletion by matchers (tombstones), cleaning tombstones, snapshots.
#include <algorithm>

#include "tsdb/base/env.h"
#include "tsdb/base/logging.h"
#include "tsdb/block/block.h"
#include "tsdb/block/compactor.h"
#include "tsdb/db.h"
#include "tsdb/db_metrics.h"
#include "tsdb/head/head.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/wal.h"

namespace promethium::tsdb {
namespace {

// Hard-links every file under `from` into `to`, recreating directories.
Status LinkDirRecursively(Env* env, const std::string& from, const std::string& to) {
  PROMETHIUM_RETURN_IF_ERROR(env->CreateDirs(to));
  PROMETHIUM_ASSIGN_OR_RETURN(auto children, env->GetChildren(from));
  for (const std::string& name : children) {
    const std::string src = from + "/" + name;
    const std::string dst = to + "/" + name;
    if (env->IsDirectory(src)) {
      PROMETHIUM_RETURN_IF_ERROR(LinkDirRecursively(env, src, dst));
    } else {
      PROMETHIUM_RETURN_IF_ERROR(env->LinkFile(src, dst));
    }
  }
  return env->SyncDir(to);
}

}  // namespace

Status DB::Delete(int64_t mint, int64_t maxt, const Matchers& matchers) {
  MutexLock lock(&compact_mu_);
  if (closed_.load()) return Status::IOError("tsdb: the DB is closed");
  for (const auto& block : BlocksSnapshot()) {
    const BlockMeta meta = block->meta();
    if (meta.max_time <= mint || meta.min_time > maxt) continue;
    PROMETHIUM_RETURN_IF_ERROR(block->Delete(mint, maxt, matchers).WithContext("deleting in block " + meta.ulid));
  }
  std::vector<HeadTombstone> deleted;
  PROMETHIUM_RETURN_IF_ERROR(head_->Delete(mint, maxt, matchers, &deleted));
  if (wal_ != nullptr && !deleted.empty()) {
    // Logged after the head changed: a crash in between loses the deletion
    // of head samples, never a sample that was not deleted.
    std::vector<wal::Tombstone> stones;
    stones.reserve(deleted.size());
    for (const HeadTombstone& d : deleted) stones.push_back(wal::Tombstone{d.ref, d.mint, d.maxt});
    std::string rec;
    wal::EncodeTombstones(stones, &rec);
    std::string_view view(rec);
    PROMETHIUM_RETURN_IF_ERROR(wal_->Log(std::span<const std::string_view>(&view, 1)));
  }
  return Status::OK();
}

Status DB::CleanTombstones() {
  MutexLock lock(&compact_mu_);
  if (closed_.load()) return Status::IOError("tsdb: the DB is closed");
  for (const auto& block : BlocksSnapshot()) {
    if (block->NumTombstones() == 0) continue;
    const BlockMeta parent = block->meta();
    Result<BlockMeta> written = Status::Internal("not written");
    {
      auto index = block->NewIndexReader();
      auto chunks = block->NewChunkReader();
      BlockSource source{index.get(), chunks.get()};
      // The rewrite replaces its parent at the same level.
      BlockCompaction compaction = CompactBlockMetas({parent}).compaction;
      compaction.level = parent.compaction.level;
      BlockWriteOptions write_opts;
      write_opts.samples_per_chunk = opts_.samples_per_chunk;
      write_opts.format = opts_.block_format;
      written = WriteBlock(env_, dir_, std::span<const BlockSource>(&source, 1), parent.min_time, parent.max_time,
                           compaction, write_opts);
    }
    if (!written.ok() && written.status().code() != Status::Code::kNotFound) return written.status();
    BlockList next;
    for (const auto& b : BlocksSnapshot()) {
      if (b != block) next.push_back(b);
    }
    if (written.ok()) {
      PROMETHIUM_ASSIGN_OR_RETURN(auto rewritten, Block::Open(env_, dir_ + "/" + written->ulid));
      next.push_back(std::move(rewritten));
    }
    SetBlocks(std::move(next));
    PROMETHIUM_RETURN_IF_ERROR(DropBlocks({parent.ulid}));
    LogInfo("tsdb", "cleaned tombstones of block {}", parent.ulid);
  }
  return Status::OK();
}

Status DB::RewriteBlockInto(Block& block, const std::string& parent_dir) {
  auto index = block.NewIndexReader();
  auto chunks = block.NewChunkReader();
  const BlockSource source{index.get(), chunks.get()};
  BlockWriteOptions write_opts;
  write_opts.samples_per_chunk = opts_.samples_per_chunk;
  write_opts.format = opts_.block_format;
  const BlockMeta meta = block.meta();
  auto written = WriteBlock(env_, parent_dir, std::span<const BlockSource>(&source, 1), meta.min_time, meta.max_time,
                            meta.compaction, write_opts);
  if (!written.ok() && written.status().code() != Status::Code::kNotFound) return written.status();
  return Status::OK();
}

Status DB::Snapshot(const std::string& dir, bool with_head) {
  MutexLock lock(&compact_mu_);
  if (closed_.load()) return Status::IOError("tsdb: the DB is closed");
  if (env_->FileExists(dir)) return Status::InvalidArgument("snapshot directory already exists: " + dir);
  PROMETHIUM_RETURN_IF_ERROR(env_->CreateDirs(dir));
  for (const auto& block : BlocksSnapshot()) {
    if (block->format() != opts_.block_format) {
      // The snapshot is all in the configured format (so vmctl, promtool or
      // Thanos can read a snapshot taken with --storage.tsdb.block-format=
      // prometheus): a block in the other format is rewritten, not linked.
      PROMETHIUM_RETURN_IF_ERROR(RewriteBlockInto(*block, dir));
      continue;
    }
    // Blocks are immutable (tombstones are replaced, never edited in place),
    // so hard links are a consistent copy.
    const std::string dest = dir + "/" + block->meta().ulid;
    PROMETHIUM_RETURN_IF_ERROR(LinkDirRecursively(env_, block->dir(), dest));
  }
  if (with_head) {
    const int64_t mint = head_->MinTime();
    const int64_t maxt = head_->MaxTime();
    if (mint <= maxt) {
      auto written = WriteHeadRange(mint, maxt + 1, dir);
      if (!written.ok() && written.status().code() != Status::Code::kNotFound) return written.status();
    }
  }
  LogInfo("tsdb", "snapshot written to {} (head included: {})", dir, with_head);
  return env_->SyncDir(dir);
}

}  // namespace promethium::tsdb
