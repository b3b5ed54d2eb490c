#include "tsdb/wal/wal.h"

#include <chrono>

#include "tsdb/base/logging.h"
#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/compression.h"
#include "tsdb/wal/segment.h"

namespace promethium::tsdb::wal {
namespace {

// Prometheus exposes fsync latency as a summary; a histogram carries the
// same information in our registry.
const std::vector<double> kFsyncBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

}  // namespace

Wal::Wal(Env* env, std::string dir, const WalOptions& opts, MetricsRegistry* metrics)
    : env_(env), dir_(std::move(dir)), opts_(opts) {
  if (metrics == nullptr) {
    own_metrics_ = std::make_unique<MetricsRegistry>();
    metrics = own_metrics_.get();
  }
  metrics_.fsync_duration = metrics->GetHistogram("prometheus_tsdb_wal_fsync_duration_seconds",
                                                  "Duration of write log fsync.", kFsyncBuckets);
  metrics_.writes_failed =
      metrics->GetCounter("prometheus_tsdb_wal_writes_failed_total", "Total number of write log writes that failed.");
  metrics_.segment_current = metrics->GetGauge("prometheus_tsdb_wal_segment_current",
                                               "Write log segment index that TSDB is currently writing to.");
  metrics_.storage_size =
      metrics->GetGauge("prometheus_tsdb_wal_storage_size_bytes", "Size of the write log directory.");
}

Result<std::unique_ptr<Wal>> Wal::Open(Env* env, const std::string& dir, const WalOptions& opts,
                                       MetricsRegistry* metrics, uint64_t first_segment) {
  if (opts.segment_size == 0) return Status::InvalidArgument("wal: segment size must be positive");
  if (opts.sync == SyncPolicy::kInterval && opts.sync_interval_ms <= 0) {
    return Status::InvalidArgument("wal: sync interval must be positive");
  }
  PROMETHIUM_RETURN_IF_ERROR(env->CreateDirs(dir));
  std::unique_ptr<Wal> w(new Wal(env, dir, opts, metrics));
  {
    MutexLock lock(&w->mu_);
    PROMETHIUM_ASSIGN_OR_RETURN(std::vector<uint64_t> existing, ListSegments(env, dir));
    for (uint64_t index : existing) {
      if (index >= first_segment) {
        return Status::InvalidArgument("wal: segment " + SegmentPath(dir, index) +
                                       " already exists past the replayed end");
      }
      auto size = env->GetFileSize(SegmentPath(dir, index));
      if (size.ok()) w->closed_bytes_ += *size;
    }
    PROMETHIUM_RETURN_IF_ERROR(w->OpenSegmentLocked(first_segment));
  }
  // Count the checkpoint too, so the size is right before the first one is
  // written by this process.
  PROMETHIUM_RETURN_IF_ERROR(w->RefreshStorageSize());
  if (opts.sync == SyncPolicy::kInterval) w->syncer_ = std::thread([raw = w.get()] { raw->SyncLoop(); });
  return w;
}

Wal::~Wal() {
  Status st = Close();
  if (!st.ok()) LogError("tsdb", "closing WAL {}: {}", dir_, st.ToString());
}

Status Wal::OpenSegmentLocked(uint64_t index) {
  const std::string path = SegmentPath(dir_, index);
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env_->NewWritableFile(path));
  // The header goes out first, so even a segment whose first frame is torn
  // is provably ours (see segment.h). If it fails, segment_ stays where it
  // was: the retry recreates this same index, so a torn header is never
  // followed by another segment (replay would cut everything after it).
  Status st = file->Append(SegmentHeader());
  if (st.ok()) st = file->Flush();
  if (!st.ok()) {
    file->Close().IgnoreError();  // the header write failed: that error is returned
    return st.WithContext("wal: writing the header of " + path);
  }
  file_ = std::move(file);
  segment_ = index;
  good_size_ = kSegmentHeaderSize;
  metrics_.segment_current->Set(static_cast<double>(index));
  metrics_.storage_size->Set(static_cast<double>(closed_bytes_));
  return env_->SyncDir(dir_);  // the new name survives a crash
}

Status Wal::CutSegmentLocked() {
  // As Prometheus: a finished segment is fsynced whatever the policy, so at
  // most the open segment can lose data on power loss.
  PROMETHIUM_RETURN_IF_ERROR(SyncLocked());
  PROMETHIUM_RETURN_IF_ERROR(file_->Close());
  file_.reset();
  closed_bytes_ += good_size_;
  return OpenSegmentLocked(segment_ + 1);
}

Status Wal::SyncLocked() {
  if (!dirty_) return Status::OK();
  const auto start = std::chrono::steady_clock::now();
  PROMETHIUM_RETURN_IF_ERROR(file_->Sync());
  metrics_.fsync_duration->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  dirty_ = false;
  return Status::OK();
}

Status Wal::RepairTailLocked() {
  const std::string path = SegmentPath(dir_, segment_);
  if (file_ != nullptr) {
    file_->Close().IgnoreError();  // the write already failed; the fd only needs to go
    file_.reset();
  }
  PROMETHIUM_RETURN_IF_ERROR(env_->TruncateFile(path, good_size_));
  PROMETHIUM_ASSIGN_OR_RETURN(file_, env_->NewAppendableFile(path));
  needs_repair_ = false;
  return Status::OK();
}

Status Wal::WriteBatchLocked(std::string_view batch) {
  if (needs_repair_) {
    PROMETHIUM_RETURN_IF_ERROR(RepairTailLocked().WithContext("wal: repairing a failed write"));
  } else if (file_ == nullptr) {
    // The previous segment was finished but creating the next one failed.
    PROMETHIUM_RETURN_IF_ERROR(OpenSegmentLocked(segment_ + 1).WithContext("wal: creating a segment"));
  }
  if (good_size_ > kSegmentHeaderSize && good_size_ + batch.size() > opts_.segment_size) {
    PROMETHIUM_RETURN_IF_ERROR(CutSegmentLocked());
  }
  dirty_ = true;
  Status st = file_->Append(batch);
  if (st.ok()) st = file_->Flush();
  if (st.ok() && opts_.sync == SyncPolicy::kOnCommit) st = SyncLocked();
  if (!st.ok()) {
    // Drop whatever part of the batch reached the file, so the commit that
    // fails leaves no trace and the next batch does not follow a torn frame.
    needs_repair_ = true;
    Status repaired = RepairTailLocked();
    if (!repaired.ok()) LogWarn("tsdb", "wal: truncating {} after a failed write: {}", dir_, repaired.ToString());
    return st;
  }
  good_size_ += batch.size();
  metrics_.storage_size->Set(static_cast<double>(closed_bytes_ + good_size_));
  return Status::OK();
}

Status Wal::Log(std::span<const std::string_view> records) {
  for (std::string_view rec : records) {
    if (rec.size() > kMaxRecordSize) {
      metrics_.writes_failed->Inc();
      return Status::ResourceExhausted("wal: record of " + std::to_string(rec.size()) + " bytes exceeds the limit of " +
                                       std::to_string(kMaxRecordSize));
    }
  }
  if (opts_.compression != Compression::kNone) return LogCompressed(records);
  MutexLock lock(&mu_);
  if (closed_) return Status::Internal("wal: write to a closed WAL");
  frame_buf_.clear();
  for (std::string_view rec : records) AppendFrame(rec, &frame_buf_);
  if (frame_buf_.empty()) return Status::OK();
  Status st = WriteBatchLocked(frame_buf_);
  if (!st.ok()) metrics_.writes_failed->Inc();
  if (frame_buf_.capacity() > (4u << 20)) std::string().swap(frame_buf_);  // do not pin a huge buffer
  return st;
}

Status Wal::LogCompressed(std::span<const std::string_view> records) {
  // Compress before taking the mutex: commits compress in parallel and only
  // the write itself is serialised.
  std::string batch, payload;
  for (std::string_view rec : records) {
    CompressRecord(opts_.compression, rec, &payload);
    AppendFrame(payload, &batch);
  }
  MutexLock lock(&mu_);
  if (closed_) return Status::Internal("wal: write to a closed WAL");
  if (batch.empty()) return Status::OK();
  Status st = WriteBatchLocked(batch);
  if (!st.ok()) metrics_.writes_failed->Inc();
  return st;
}

Result<uint64_t> Wal::CutSegment() {
  MutexLock lock(&mu_);
  if (closed_) return Status::Internal("wal: cutting a segment of a closed WAL");
  if (needs_repair_) {
    PROMETHIUM_RETURN_IF_ERROR(RepairTailLocked().WithContext("wal: repairing a failed write"));
  } else if (file_ == nullptr) {
    PROMETHIUM_RETURN_IF_ERROR(OpenSegmentLocked(segment_ + 1).WithContext("wal: creating a segment"));
  }
  if (good_size_ <= kSegmentHeaderSize) return segment_;  // already fresh: nothing to close
  PROMETHIUM_RETURN_IF_ERROR(CutSegmentLocked());
  return segment_;
}

Status Wal::RefreshStorageSize() {
  uint64_t total = 0;
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(env_, dir_));
  PROMETHIUM_ASSIGN_OR_RETURN(std::optional<uint64_t> checkpoint, LastCheckpoint(env_, dir_));
  MutexLock lock(&mu_);  // no segment is cut meanwhile
  for (uint64_t index : segments) {
    if (index == segment_) continue;  // counted as good_size_
    auto size = env_->GetFileSize(SegmentPath(dir_, index));
    if (size.ok()) total += *size;  // deleted meanwhile: not there any more
  }
  if (checkpoint.has_value()) {
    const std::string cp_dir = dir_ + "/" + CheckpointName(*checkpoint);
    PROMETHIUM_ASSIGN_OR_RETURN(std::vector<uint64_t> cp_segments, ListSegments(env_, cp_dir));
    for (uint64_t index : cp_segments) {
      auto size = env_->GetFileSize(SegmentPath(cp_dir, index));
      if (size.ok()) total += *size;
    }
  }
  closed_bytes_ = total;
  metrics_.storage_size->Set(static_cast<double>(closed_bytes_ + good_size_));
  return Status::OK();
}

Status Wal::Sync() {
  MutexLock lock(&mu_);
  if (closed_ || file_ == nullptr) return Status::OK();
  return SyncLocked();
}

Status Wal::Close() {
  {
    MutexLock lock(&stop_mu_);
    stop_ = true;
  }
  stop_cv_.SignalAll();
  if (syncer_.joinable()) syncer_.join();
  MutexLock lock(&mu_);
  if (closed_) return Status::OK();
  closed_ = true;
  if (needs_repair_) {
    // Leave no torn frame behind a clean shutdown.
    PROMETHIUM_RETURN_IF_ERROR(RepairTailLocked().WithContext("wal: repairing a failed write on close"));
  }
  if (file_ == nullptr) return Status::OK();
  Status st = SyncLocked();
  Status closed = file_->Close();
  file_.reset();
  return st.ok() ? closed : st;
}

uint64_t Wal::StorageSize() const {
  MutexLock lock(&mu_);
  return closed_bytes_ + good_size_;
}

uint64_t Wal::CurrentSegment() const {
  MutexLock lock(&mu_);
  return segment_;
}

void Wal::SyncLoop() {
  const auto interval = std::chrono::milliseconds(opts_.sync_interval_ms);
  while (true) {
    {
      MutexLock lock(&stop_mu_);
      if (stop_cv_.WaitFor(&stop_mu_, interval, [this]() REQUIRES(stop_mu_) { return stop_; })) return;
    }
    Status st = Sync();
    if (!st.ok()) LogWarn("tsdb", "wal: periodic fsync of {} failed: {}", dir_, st.ToString());
  }
}

}  // namespace promethium::tsdb::wal
