// DB: the blocks on disk (opening, quarantining, publishing, dropping).
#include <algorithm>
#include <set>

#include "tsdb/base/env.h"
#include "tsdb/base/logging.h"
#include "tsdb/block/block.h"
#include "tsdb/block/compactor.h"
#include "tsdb/datadir/data_dir_survey.h"
#include "tsdb/db.h"
#include "tsdb/db_metrics.h"

namespace promethium::tsdb {

Status DB::DeleteBlockDir(const std::string& ulid) {
  const std::string from = dir_ + "/" + ulid;
  const std::string doomed = from + kTmpForDeletionSuffix;
  PROMETHIUM_RETURN_IF_ERROR(env_->RenameFile(from, doomed));
  return env_->RemoveDirRecursively(doomed);
}

void DB::QuarantineBlock(const std::string& name, const Status& why) {
  const std::string qdir = dir_ + "/quarantine";
  Status st = env_->CreateDirs(qdir);
  if (st.ok()) st = env_->RenameFile(dir_ + "/" + name, qdir + "/" + name);
  if (st.ok()) st = env_->SyncDir(dir_);
  metrics_->quarantined->Inc();
  if (st.ok()) {
    LogError("tsdb", "block {} failed verification and was moved to {}/{}: {}", name, qdir, name, why.ToString());
  } else {
    LogError("tsdb", "block {} failed verification ({}) and could not be moved aside: {}; it is ignored", name,
             why.ToString(), st.ToString());
  }
}

Result<DB::BlockList> DB::OpenBlocks(const DataDirSurvey& survey) {
  BlockList blocks;
  // Prometheus's first: one that fails refuses start-up, and that must
  // happen before anything (a quarantine of ours) changes the directory.
  PROMETHIUM_RETURN_IF_ERROR(OpenPrometheusBlocks(survey, &blocks));
  for (const std::string& name : survey.promethium_blocks) {
    // The survey proved these are ours (by their index or chunk magic), so
    // one that fails verification may be set aside.
    auto block = Block::Open(env_, dir_ + "/" + name);
    if (!block.ok()) {
      QuarantineBlock(name, block.status());
      continue;
    }
    blocks.push_back(std::move(*block));
  }
  // A compaction that finished but crashed before deleting its parents
  // leaves them behind: the new block already holds their data.
  std::set<std::string> parents;
  for (const auto& b : blocks) {
    const BlockMeta meta = b->meta();
    for (const auto& p : meta.compaction.parents) parents.insert(p.ulid);
  }
  BlockList kept;
  for (auto& b : blocks) {
    if (!parents.contains(b->meta().ulid)) {
      kept.push_back(std::move(b));
      continue;
    }
    const std::string ulid = b->meta().ulid;
    LogInfo("tsdb", "removing block {}: a later compaction already holds its data", ulid);
    b.reset();
    PROMETHIUM_RETURN_IF_ERROR(DeleteBlockDir(ulid));
  }
  metrics_->reloads->Inc();
  return kept;
}

Status DB::OpenPrometheusBlocks(const DataDirSurvey& survey, BlockList* blocks) {
  for (const std::string& name : survey.prometheus_blocks) {
    // Prometheus's blocks are read in place. One that fails verification is
    // not ours to set aside: start-up stops, as Prometheus's own does.
    auto block = Block::Open(env_, dir_ + "/" + name);
    if (!block.ok()) {
      return Status::FailedPrecondition("Prometheus block " + dir_ + "/" + name +
                                        " failed verification: " + block.status().ToString() +
                                        ". Nothing was modified. Move the block out of the data directory to start "
                                        "without it, or restore it from a backup");
    }
    LogInfo("tsdb", "serving Prometheus block {} in place ({} format)", name, BlockFormatName((*block)->format()));
    blocks->push_back(std::move(*block));
  }
  return Status::OK();
}

Status DB::OpenNewBlocks(const DataDirSurvey& survey, BlockList* blocks) {
  std::set<std::string> open;
  for (const auto& b : *blocks) open.insert(b->meta().ulid);
  for (const std::string& name : survey.promethium_blocks) {
    if (open.contains(name)) continue;
    PROMETHIUM_ASSIGN_OR_RETURN(auto block, Block::Open(env_, dir_ + "/" + name));
    blocks->push_back(std::move(block));
  }
  return Status::OK();
}

int64_t DB::InOrderBlocksMaxTime() const {
  int64_t max_time = kMinTime;
  for (const auto& b : BlocksSnapshot()) {
    const BlockMeta meta = b->meta();
    if (!meta.compaction.FromOutOfOrder()) max_time = std::max(max_time, meta.max_time);
  }
  return max_time;
}

Status DB::ReloadBlocksLocked() {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->GetChildren(dir_));
  std::set<std::string> loaded;
  BlockList blocks = BlocksSnapshot();
  for (const auto& b : blocks) loaded.insert(b->meta().ulid);
  bool added = false;
  for (const std::string& name : names) {
    if (!IsValidUlid(name) || loaded.contains(name) || !env_->IsDirectory(dir_ + "/" + name)) continue;
    // A block dropped in by a user (promtool's backfill, a copy): it may be
    // half copied, so one that fails is left as it is and tried again on
    // the next reload, never quarantined or removed.
    auto probe = ProbeBlockDir(env_, dir_ + "/" + name);
    if (!probe.ok() || (probe->owner != FileOwner::kPromethium && probe->owner != FileOwner::kPrometheus)) {
      if (reload_warned_.insert(name).second) {
        LogWarn("tsdb", "not loading {}/{}: {}", dir_, name, probe.ok() ? probe->detail : probe.status().ToString());
      }
      continue;
    }
    auto block = Block::Open(env_, dir_ + "/" + name);
    if (!block.ok()) {
      metrics_->reloads_failed->Inc();
      if (reload_warned_.insert(name).second) {
        LogWarn("tsdb", "not loading new block {}/{} yet: {}", dir_, name, block.status().ToString());
      }
      continue;
    }
    reload_warned_.erase(name);
    const BlockMeta meta = (*block)->meta();
    LogInfo("tsdb", "loaded new block {} ({} format, [{}, {}), {} samples)", name, BlockFormatName((*block)->format()),
            meta.min_time, meta.max_time, meta.stats.num_samples);
    blocks.push_back(std::move(*block));
    added = true;
  }
  metrics_->reloads->Inc();
  if (added) SetBlocks(std::move(blocks));
  return Status::OK();
}

void DB::SetBlocks(BlockList blocks) {
  std::sort(blocks.begin(), blocks.end(), [](const auto& a, const auto& b) {
    const BlockMeta ma = a->meta(), mb = b->meta();
    return ma.min_time != mb.min_time ? ma.min_time < mb.min_time : ma.ulid < mb.ulid;
  });
  uint64_t bytes = 0;
  for (const auto& b : blocks) bytes += b->SizeBytes();
  metrics_->blocks_loaded->Set(static_cast<double>(blocks.size()));
  metrics_->blocks_bytes->Set(static_cast<double>(bytes));
  if (!blocks.empty()) metrics_->lowest_timestamp->Set(static_cast<double>(blocks.front()->meta().min_time));
  MutexLock lock(&blocks_mu_);
  blocks_ = std::move(blocks);
}

DB::BlockList DB::BlocksSnapshot() const {
  MutexLock lock(&blocks_mu_);
  return blocks_;
}

Status DB::DropBlocks(const std::vector<std::string>& doomed_ulids) {
  if (doomed_ulids.empty()) return Status::OK();
  const std::set<std::string> doomed(doomed_ulids.begin(), doomed_ulids.end());
  BlockList remaining;
  for (auto& b : BlocksSnapshot()) {
    if (!doomed.contains(b->meta().ulid)) remaining.push_back(b);
  }
  SetBlocks(std::move(remaining));
  // Queries that still hold a dropped block keep reading its open files.
  for (const std::string& ulid : doomed) PROMETHIUM_RETURN_IF_ERROR(DeleteBlockDir(ulid));
  return env_->SyncDir(dir_);
}

std::vector<DB::BlockInfo> DB::Blocks() const {
  std::vector<BlockInfo> out;
  for (const auto& b : BlocksSnapshot()) {
    const BlockMeta m = b->meta();
    out.push_back(BlockInfo{m.ulid, m.min_time, m.max_time, m.stats.num_samples, m.stats.num_series, m.compaction.level,
                            b->SizeBytes()});
  }
  return out;
}

}  // namespace promethium::tsdb
