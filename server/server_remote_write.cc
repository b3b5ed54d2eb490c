// Server's remote write wiring (docs/REMOTE.md, "Remote write"): the WAL
// retention floor the storage honours, and one queue with its WAL watcher
// per remote_write entry (remote::WriteStorage), fed with the scraped
// targets' metric metadata.
#include <utility>
#include <vector>

#include "remote/write/send_position.h"
#include "remote/write/wal_retention.h"
#include "remote/write/write_storage.h"
#include "scrape/scrape_manager.h"
#include "server/server.h"
#include "tsdb/base/logging.h"

namespace promethium::server {

void Server::InitRemoteWrite() {
  wal_retention_ = std::make_unique<remote::WalRetention>();
  // Until the queues have started and registered their saved positions,
  // truncation keeps the WAL (within the DB's bound).
  wal_retention_->Hold(true);
  // Read by the storage's compaction thread; set before the storage opens.
  wal_segment_floor_ = [retention = wal_retention_.get()] { return retention->SegmentFloor(); };
  remote::WriteStorage::Options o;
  o.env = Env::Default();
  o.wal_dir = wal_dir();
  o.position_dir =
      (flags_.agent ? flags_.storage_agent_path : flags_.storage_tsdb_path) + "/" + remote::kRemoteWriteDirName;
  o.metrics = &registry_;
  o.retention = wal_retention_.get();
  o.flush_deadline_ms = flags_.storage_remote_flush_deadline_ms;
  // Called on the queues' threads, which stop before scrape_ is destroyed.
  o.metadata_source = [this] {
    std::vector<remote::MetricMetadataEntry> out;
    if (!scrape_) return out;
    for (scrape::TargetMetadata& m : scrape_->TargetsMetadata()) {
      out.push_back({std::move(m.metric), std::move(m.type), std::move(m.help), std::move(m.unit)});
    }
    return out;
  };
  remote_write_ = std::make_unique<remote::WriteStorage>(std::move(o));
}

Status Server::ApplyRemoteWrite(const Config& cfg) {
  if (!remote_write_) return Status::OK();
  Status st = remote_write_->ApplyConfig(cfg.remote_write, cfg.global.external_labels);
  wal_retention_->Hold(false);  // the queues that started hold their own floors now
  return st;
}

void Server::StopRemoteWrite() {
  if (!remote_write_) return;
  LogInfo("main", "Stopping remote storage...");
  remote_write_->Close();
  LogInfo("main", "Remote storage stopped.");
}

}  // namespace promethium::server
