#include "tsdb/db.h"

#include <chrono>

#include "tsdb/base/env.h"
#include "tsdb/base/logging.h"
#include "tsdb/head/head.h"
#include "tsdb/wal/wal.h"
#include "tsdb/wal/wal_reader.h"

namespace promethium::tsdb {
namespace {

wal::SyncPolicy ToSyncPolicy(DBOptions::WalSync sync) {
  switch (sync) {
    case DBOptions::WalSync::kOnCommit: return wal::SyncPolicy::kOnCommit;
    case DBOptions::WalSync::kInterval: return wal::SyncPolicy::kInterval;
    case DBOptions::WalSync::kNever: break;
  }
  return wal::SyncPolicy::kNever;
}

}  // namespace

DB::DB(std::string dir, DBOptions opts, std::unique_ptr<wal::Wal> wal, std::unique_ptr<Head> head)
    : dir_(std::move(dir)), opts_(opts), wal_(std::move(wal)), head_(std::move(head)) {}

DB::~DB() {
  if (head_) head_->Close();
}

Result<std::unique_ptr<wal::Wal>> DB::ReplayAndOpenWal(const std::string& dir, const DBOptions& opts, Env* env,
                                                       Head* head, MetricsRegistry* metrics) {
  const std::string wal_dir = dir + "/wal";
  Counter* corruptions = nullptr;
  Gauge* replay_duration = nullptr;
  if (metrics != nullptr) {
    corruptions = metrics->GetCounter("prometheus_tsdb_wal_corruptions_total", "Total number of WAL corruptions.");
    replay_duration =
        metrics->GetGauge("prometheus_tsdb_data_replay_duration_seconds", "Time taken to replay the data on disk.");
  }
  const auto start = std::chrono::steady_clock::now();
  WalReplayStats stats;
  auto replayed = wal::ReplayAndRepair(
      env, wal_dir, [&](std::string_view rec) { return head->ReplayWalRecord(rec, &stats); }, corruptions);
  head->FinishWalReplay();
  if (!replayed.ok()) return replayed.status().WithContext("replaying WAL in " + wal_dir);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (replay_duration != nullptr) replay_duration->Set(seconds);
  LogInfo("tsdb",
          "WAL replay completed: segments={} series={} samples={} skipped_samples={} unknown_series_refs={} "
          "repaired={} duration={:.3f}s",
          replayed->segments, stats.series, stats.samples, stats.skipped_samples, stats.unknown_refs,
          replayed->repaired, seconds);
  if (stats.unknown_refs > 0) {
    LogWarn("tsdb", "WAL replay dropped {} samples of series with no series record", stats.unknown_refs);
  }

  wal::WalOptions wal_opts;
  wal_opts.segment_size = opts.wal_segment_size;
  wal_opts.sync = ToSyncPolicy(opts.wal_sync);
  wal_opts.sync_interval_ms = opts.wal_sync_interval_ms;
  // Like Prometheus, never append to a replayed segment: start a fresh one.
  return wal::Wal::Open(env, wal_dir, wal_opts, metrics, replayed->next_segment);
}

Result<std::unique_ptr<DB>> DB::Open(const std::string& dir, const DBOptions& opts, MetricsRegistry* metrics) {
  if (opts.out_of_order_window_ms != 0) {
    return Status::Unsupported("out-of-order ingestion (out_of_order_window_ms must be 0)");
  }
  if (opts.chunk_range_ms <= 0) return Status::InvalidArgument("chunk_range_ms must be positive");
  if (opts.samples_per_chunk <= 0) return Status::InvalidArgument("samples_per_chunk must be positive");
  if (dir.empty()) return Status::InvalidArgument("tsdb: empty data directory");
  Env* env = opts.env != nullptr ? opts.env : Env::Default();
  Status st = env->CreateDirs(dir);
  if (!st.ok()) return st.WithContext("create data directory " + dir);

  HeadOptions head_opts;
  head_opts.cut.chunk_range_ms = opts.chunk_range_ms;
  head_opts.cut.samples_per_chunk = opts.samples_per_chunk;
  head_opts.max_label_count = opts.max_label_count;
  auto head = std::make_unique<Head>(head_opts, metrics);
  std::unique_ptr<wal::Wal> wal;
  if (opts.wal_enabled) {
    PROMETHIUM_ASSIGN_OR_RETURN(wal, ReplayAndOpenWal(dir, opts, env, head.get(), metrics));
    head->SetWal(wal.get());
    LogInfo("tsdb", "opened head in {} with WAL (segment {})", dir, wal->CurrentSegment());
  } else {
    LogInfo("tsdb", "opened in-memory head in {} without WAL: data is not persisted", dir);
  }
  return std::unique_ptr<DB>(new DB(dir, opts, std::move(wal), std::move(head)));
}

std::unique_ptr<Appender> DB::NewAppender() { return head_->NewAppender(); }

Result<std::unique_ptr<Querier>> DB::NewQuerier(int64_t mint, int64_t maxt) { return head_->NewQuerier(mint, maxt); }

Status DB::Close() {
  head_->Close();
  if (wal_ != nullptr) return wal_->Close();
  return Status::OK();
}

DB::HeadStats DB::Stats() const {
  return HeadStats{head_->NumSeries(), head_->NumChunks(), head_->MinTime(), head_->MaxTime()};
}

PostingsStats DB::CardinalityStats(size_t limit) const { return head_->CardinalityStats(limit); }

}  // namespace promethium::tsdb
