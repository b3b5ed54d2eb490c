// DB: retention by time and by size, as Prometheus's BeyondTimeRetention and
// BeyondSizeRetention.
#include <algorithm>

#include "tsdb/base/env.h"
#include "tsdb/base/logging.h"
#include "tsdb/block/block.h"
#include "tsdb/db.h"
#include "tsdb/db_metrics.h"

namespace promethium::tsdb {
namespace {

// Bytes of every file under `dir` (the WAL counts against the size limit).
uint64_t DirSize(Env* env, const std::string& dir) {
  auto children = env->GetChildren(dir);
  if (!children.ok()) return 0;
  uint64_t total = 0;
  for (const auto& name : *children) {
    const std::string path = dir + "/" + name;
    if (env->IsDirectory(path)) {
      total += DirSize(env, path);  // a checkpoint directory
    } else if (auto size = env->GetFileSize(path); size.ok()) {
      total += *size;
    }
  }
  return total;
}

}  // namespace

Status DB::ApplyRetentionLocked() {
  BlockList blocks = BlocksSnapshot();
  if (blocks.empty()) return Status::OK();
  // Newest first.
  std::sort(blocks.begin(), blocks.end(),
            [](const auto& a, const auto& b) { return a->meta().max_time > b->meta().max_time; });
  std::vector<std::string> doomed;
  if (opts_.retention_ms > 0) {
    const int64_t newest = blocks.front()->meta().max_time;
    // Never the newest block (i starts at 1), as Prometheus.
    for (size_t i = 1; i < blocks.size(); ++i) {
      if (newest - blocks[i]->meta().max_time < opts_.retention_ms) continue;
      for (size_t j = i; j < blocks.size(); ++j) doomed.push_back(blocks[j]->meta().ulid);
      metrics_->time_retentions->Inc();
      break;
    }
  }
  if (opts_.retention_bytes > 0) {
    uint64_t total = DirSize(env_, dir_ + "/wal");
    for (size_t i = 0; i < blocks.size(); ++i) {
      total += blocks[i]->SizeBytes();
      if (total <= static_cast<uint64_t>(opts_.retention_bytes)) continue;
      for (size_t j = i; j < blocks.size(); ++j) {
        const std::string& ulid = blocks[j]->meta().ulid;
        if (std::find(doomed.begin(), doomed.end(), ulid) == doomed.end()) doomed.push_back(ulid);
      }
      metrics_->size_retentions->Inc();
      break;
    }
  }
  if (doomed.empty()) return Status::OK();
  LogInfo("tsdb", "retention deletes {} blocks", doomed.size());
  return DropBlocks(doomed);
}

}  // namespace promethium::tsdb
