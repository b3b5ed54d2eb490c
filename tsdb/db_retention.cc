// DB: retention by time and by size, as Prometheus's BeyondTimeRetention and
// BeyondSizeRetention.
#include <algorithm>

#include "tsdb/base/env.h"
#include "tsdb/base/logging.h"
#include "tsdb/block/block.h"
#include "tsdb/db.h"
#include "tsdb/db_metrics.h"
#include "tsdb/head/head_chunk_file.h"
#include "tsdb/wal/wal.h"

namespace promethium::tsdb {

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
    // As Prometheus: the WAL and the head chunk files count with the blocks.
    uint64_t total = wal_ != nullptr ? wal_->StorageSize() : 0;
    if (chunk_files_ != nullptr) total += chunk_files_->DiskBytes();
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
