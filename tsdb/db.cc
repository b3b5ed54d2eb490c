#include "tsdb/db.h"

#include <algorithm>
#include <chrono>

#include "tsdb/base/env.h"
#include "tsdb/base/logging.h"
#include "tsdb/block/block.h"
#include "tsdb/block/compactor.h"
#include "tsdb/datadir/data_dir_survey.h"
#include "tsdb/datadir/prometheus_head_migration.h"
#include "tsdb/db_metrics.h"
#include "tsdb/exemplar/circular_exemplar_storage.h"
#include "tsdb/exemplar/exemplar_appender.h"
#include "tsdb/head/head.h"
#include "tsdb/head/wal_replayer.h"
#include "tsdb/querier/merge_querier.h"
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

// Start-up stops, having changed nothing, on files in neither format.
Status CheckSurvey(const std::string& dir, const DataDirSurvey& survey) {
  if (!survey.foreign.empty()) return FailedPreconditionFor(dir, survey);
  for (const SurveyedPath& p : survey.foreign_tmp_dirs) {
    LogWarn("tsdb",
            "leaving {} alone: it is named like a temporary block directory but holds files of unknown format "
            "({}); it is never loaded",
            p.path, p.detail);
  }
  return Status::OK();
}

// Takes over Prometheus's head if the survey found one (or finishes a
// takeover a crash interrupted). True when it published anything.
Result<bool> TakeOverPrometheusHead(Env* env, const std::string& dir, const DataDirSurvey& survey,
                                    const DBOptions& opts) {
  PrometheusHeadMigrationOptions mopts;
  mopts.wal_compression = ToWalCompression(opts.wal_compression);
  mopts.wal_segment_size = opts.wal_segment_size;
  mopts.block_range_ms = opts.chunk_range_ms;
  mopts.samples_per_chunk = opts.samples_per_chunk;
  mopts.block_format = opts.block_format;
  PROMETHIUM_ASSIGN_OR_RETURN(PrometheusHeadMigrationResult migration, MigratePrometheusHead(env, dir, survey, mopts));
  return migration.migrated;
}

// Removes the leftovers of interrupted block writes and deletions that the
// survey proved hold only files of a known format (or none).
Status RemoveLeftoverTmpDirs(Env* env, const std::string& dir, const DataDirSurvey& survey) {
  for (const std::string& name : survey.removable_tmp_dirs) {
    LogInfo("tsdb", "removing leftover temporary directory {}/{}", dir, name);
    PROMETHIUM_RETURN_IF_ERROR(env->RemoveDirRecursively(dir + "/" + name));
  }
  return Status::OK();
}

}  // namespace

wal::Compression ToWalCompression(DBOptions::WalCompression c) {
  switch (c) {
    case DBOptions::WalCompression::kNone: return wal::Compression::kNone;
    case DBOptions::WalCompression::kZstd: return wal::Compression::kZstd;
    case DBOptions::WalCompression::kSnappy: break;
  }
  return wal::Compression::kSnappy;
}

namespace {

const std::vector<double> kCompactionBuckets = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

}  // namespace

DB::Metrics::Metrics(MetricsRegistry* r)
    : compactions(r->GetCounter("prometheus_tsdb_compactions_total",
                                "Total number of compactions that were executed for the partition.")),
      compactions_failed(
          r->GetCounter("prometheus_tsdb_compactions_failed_total", "Total number of compactions that failed.")),
      compactions_triggered(r->GetCounter("prometheus_tsdb_compactions_triggered_total",
                                          "Total number of triggered compactions for the partition.")),
      compaction_duration(r->GetHistogram("prometheus_tsdb_compaction_duration_seconds", "Duration of compaction runs",
                                          kCompactionBuckets)),
      head_truncations_failed(r->GetCounter("prometheus_tsdb_head_truncations_failed_total",
                                            "Total number of head truncations that failed.")),
      reloads(r->GetCounter("prometheus_tsdb_reloads_total", "Number of times the database reloaded block data.")),
      reloads_failed(r->GetCounter("prometheus_tsdb_reloads_failures_total",
                                   "Number of times the database failed to reloadBlocks block data from disk.")),
      time_retentions(r->GetCounter("prometheus_tsdb_time_retentions_total",
                                    "The number of times that blocks were deleted because the maximum time limit "
                                    "was exceeded.")),
      size_retentions(r->GetCounter("prometheus_tsdb_size_retentions_total",
                                    "The number of times that blocks were deleted because the maximum number of "
                                    "bytes was exceeded.")),
      quarantined(r->GetCounter("promethium_tsdb_blocks_quarantined_total",
                                "Blocks that failed verification on open and were moved to <data>/quarantine.")),
      blocks_loaded(r->GetGauge("prometheus_tsdb_blocks_loaded", "Number of currently loaded data blocks")),
      blocks_bytes(r->GetGauge("prometheus_tsdb_storage_blocks_bytes",
                               "The number of bytes that are currently used for local storage by all blocks.")),
      lowest_timestamp(r->GetGauge("prometheus_tsdb_lowest_timestamp",
                                   "Lowest timestamp value stored in the database. The unit is decided by the "
                                   "library consumer.")),
      retention_limit_bytes(r->GetGauge("prometheus_tsdb_retention_limit_bytes",
                                        "Max number of bytes to be retained in the tsdb blocks, configured 0 means "
                                        "disabled")),
      retention_limit_seconds(
          r->GetGauge("prometheus_tsdb_retention_limit_seconds", "How long to retain samples in storage.")) {}

DB::DB(std::string dir, DBOptions opts, Env* env, MetricsRegistry* metrics)
    : dir_(std::move(dir)), opts_(opts), env_(env), registry_(metrics) {}

DB::~DB() {
  // Close() is idempotent: after an explicit Close this is OK again. A DB
  // only destroyed must not lose a failed close (e.g. the WAL's last flush).
  if (Status st = Close(); !st.ok()) LogError("tsdb", "closing the DB in {} on destruction: {}", dir_, st.ToString());
}

Status DB::ReplayAndOpenWal() {
  const std::string wal_dir = dir_ + "/wal";
  Counter* corruptions = nullptr;
  Gauge* replay_duration = nullptr;
  if (registry_ != nullptr) {
    corruptions = registry_->GetCounter("prometheus_tsdb_wal_corruptions_total", "Total number of WAL corruptions.");
    replay_duration =
        registry_->GetGauge("prometheus_tsdb_data_replay_duration_seconds", "Time taken to replay the data on disk.");
  }
  const auto start = std::chrono::steady_clock::now();
  WalReplayStats stats;
  // Exemplar records go to the exemplar storage (created before replay).
  WalReplayer replayer(head_.get(), &stats, exemplars_.get());
  const size_t workers = replayer.workers();
  auto replayed = wal::ReplayAndRepair(
      env_, wal_dir, [&](std::string_view rec) { return replayer.Apply(rec); }, corruptions);
  replayer.Finish();  // joins the workers, on error too
  head_->FinishWalReplay();
  if (!replayed.ok()) return replayed.status().WithContext("replaying WAL in " + wal_dir);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (replay_duration != nullptr) replay_duration->Set(seconds);
  LogInfo("tsdb",
          "WAL replay completed: segments={} series={} samples={} skipped_samples={} unknown_series_refs={} "
          "repaired={} workers={} duration={:.3f}s",
          replayed->segments, stats.series, stats.samples, stats.skipped_samples, stats.unknown_refs,
          replayed->repaired, workers, seconds);
  const ExemplarReplayStats& ex = replayer.exemplar_stats();
  if (ex.exemplars + ex.skipped + ex.unknown_refs > 0) {
    LogInfo("tsdb", "WAL replay restored exemplars: exemplars={} skipped_exemplars={} unknown_exemplar_refs={}",
            ex.exemplars, ex.skipped, ex.unknown_refs);
  }
  if (stats.unknown_refs > 0) {
    // Expected after a checkpoint dropped series that were already gone from
    // the head: their late samples are older than the blocks anyway.
    LogInfo("tsdb", "WAL replay skipped {} samples of series no longer in the head", stats.unknown_refs);
  }

  wal::WalOptions wal_opts;
  wal_opts.segment_size = opts_.wal_segment_size;
  wal_opts.sync = ToSyncPolicy(opts_.wal_sync);
  wal_opts.sync_interval_ms = opts_.wal_sync_interval_ms;
  wal_opts.compression = ToWalCompression(opts_.wal_compression);
  // Like Prometheus, never append to a replayed segment: start a fresh one.
  PROMETHIUM_ASSIGN_OR_RETURN(wal_, wal::Wal::Open(env_, wal_dir, wal_opts, registry_, replayed->next_segment));
  head_->SetWal(wal_.get());
  return Status::OK();
}

Result<std::unique_ptr<DB>> DB::Open(const std::string& dir, const DBOptions& opts, MetricsRegistry* metrics) {
  if (opts.out_of_order_window_ms < 0) return Status::InvalidArgument("out_of_order_window_ms must not be negative");
  if (opts.chunk_range_ms <= 0) return Status::InvalidArgument("chunk_range_ms must be positive");
  if (opts.samples_per_chunk <= 0) return Status::InvalidArgument("samples_per_chunk must be positive");
  if (opts.max_block_duration_ms != 0 && opts.max_block_duration_ms < opts.chunk_range_ms) {
    return Status::InvalidArgument("max block duration must not be smaller than the min block duration");
  }
  if (dir.empty()) return Status::InvalidArgument("tsdb: empty data directory");
  if (opts.max_exemplars < 0) return Status::InvalidArgument("max_exemplars must not be negative");
  Env* env = opts.env != nullptr ? opts.env : Env::Default();
  Status st = env->CreateDirs(dir);
  if (!st.ok()) return st.WithContext("create data directory " + dir);

  std::unique_ptr<DB> db(new DB(dir, opts, env, metrics));
  db->own_registry_ = metrics == nullptr ? std::make_unique<MetricsRegistry>() : nullptr;
  MetricsRegistry* registry = metrics != nullptr ? metrics : db->own_registry_.get();
  db->metrics_ = std::make_unique<Metrics>(registry);
  db->metrics_->retention_limit_bytes->Set(static_cast<double>(opts.retention_bytes));
  db->metrics_->retention_limit_seconds->Set(static_cast<double>(opts.retention_ms) / 1000.0);
  db->exemplars_ = std::make_unique<CircularExemplarStorage>(static_cast<size_t>(opts.max_exemplars), registry);

  // Nothing below may touch a file before the survey has proven whose it
  // is, and everything that can refuse start-up (foreign files, a damaged
  // Prometheus block) runs before anything is changed.
  PROMETHIUM_ASSIGN_OR_RETURN(DataDirSurvey survey, SurveyDataDir(env, dir));
  PROMETHIUM_RETURN_IF_ERROR(CheckSurvey(dir, survey));
  PROMETHIUM_ASSIGN_OR_RETURN(BlockList blocks, db->OpenBlocks(survey));
  PROMETHIUM_ASSIGN_OR_RETURN(bool took_over, TakeOverPrometheusHead(env, dir, survey, opts));
  if (took_over) {
    // The takeover published our WAL and, for out-of-order samples, blocks.
    PROMETHIUM_ASSIGN_OR_RETURN(survey, SurveyDataDir(env, dir));
    PROMETHIUM_RETURN_IF_ERROR(CheckSurvey(dir, survey));
    PROMETHIUM_RETURN_IF_ERROR(db->OpenNewBlocks(survey, &blocks));
  }
  PROMETHIUM_RETURN_IF_ERROR(RemoveLeftoverTmpDirs(env, dir, survey));
  db->SetBlocks(std::move(blocks));

  HeadOptions head_opts;
  head_opts.cut.chunk_range_ms = opts.chunk_range_ms;
  head_opts.cut.samples_per_chunk = opts.samples_per_chunk;
  head_opts.max_label_count = opts.max_label_count;
  head_opts.ooo_window_ms = opts.out_of_order_window_ms;
  if (opts.head_chunk_files) {
    // Removes the previous run's files: replay below rebuilds them.
    HeadChunkFilesOptions files_opts;
    files_opts.segment_size = opts.head_chunk_segment_size;
    PROMETHIUM_ASSIGN_OR_RETURN(db->chunk_files_,
                                HeadChunkFiles::Open(env, dir + "/chunks_head", files_opts, registry));
    head_opts.cut.files = db->chunk_files_.get();
  }
  db->head_ = std::make_unique<Head>(head_opts, metrics);
  // Samples the blocks already hold (the WAL keeps them until the next
  // checkpoint) are skipped by replay, and older appends are out of bounds.
  // Blocks of out-of-order samples do not count (as Prometheus's
  // inOrderBlocksMaxTime): they may reach past the head's newest sample.
  const int64_t blocks_max = db->InOrderBlocksMaxTime();
  if (blocks_max != kMinTime) db->head_->SetMinValidTime(blocks_max);
  if (opts.wal_enabled) {
    PROMETHIUM_RETURN_IF_ERROR(db->ReplayAndOpenWal());
    LogInfo("tsdb", "opened head in {} with WAL (segment {})", dir, db->wal_->CurrentSegment());
  } else {
    LogInfo("tsdb", "opened in-memory head in {} without WAL: data is not persisted", dir);
  }
  if (opts.background_compaction) db->bg_thread_ = std::thread([d = db.get()] { d->BackgroundLoop(); });
  return db;
}

std::unique_ptr<Appender> DB::NewAppender() {
  return std::make_unique<ExemplarAppender>(head_->NewAppender(), exemplars_.get());
}

ExemplarQueryable* DB::exemplars() const { return exemplars_.get(); }

Result<std::unique_ptr<Querier>> DB::NewQuerier(int64_t mint, int64_t maxt) {
  std::vector<std::unique_ptr<Querier>> queriers;
  std::vector<std::shared_ptr<const void>> keep_alive;
  for (const auto& block : BlocksSnapshot()) {
    const BlockMeta meta = block->meta();
    // meta max time is exclusive.
    if (meta.max_time <= mint || meta.min_time > maxt) continue;
    queriers.push_back(block->NewQuerier(mint, maxt));
    keep_alive.push_back(block);
  }
  // The head last: on equal timestamps the blocks' samples win (they are
  // the same samples until the head is truncated).
  queriers.push_back(head_->NewQuerier(mint, maxt));
  return std::unique_ptr<Querier>(std::make_unique<MergeQuerier>(std::move(queriers), std::move(keep_alive)));
}

Status DB::Close() {
  {
    MutexLock lock(&bg_mu_);
    bg_stop_ = true;
  }
  bg_cv_.SignalAll();
  if (bg_thread_.joinable()) bg_thread_.join();
  // Wait for a deletion, snapshot or Compact() call in flight: they write to
  // the WAL and the data directory, which are closed below.
  MutexLock lock(&compact_mu_);
  if (closed_.exchange(true)) return Status::OK();
  if (head_) head_->Close();
  if (wal_ != nullptr) return wal_->Close();
  return Status::OK();
}

DB::HeadStats DB::Stats() const {
  return HeadStats{head_->NumSeries(), head_->NumChunks(), head_->MinTime(), head_->MaxTime()};
}

PostingsStats DB::CardinalityStats(size_t limit) const { return head_->CardinalityStats(limit); }

}  // namespace promethium::tsdb
