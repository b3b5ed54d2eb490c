#include "tsdb/datadir/prometheus_head_migration.h"

#include <algorithm>
#include <memory>
#include <span>

#include "tsdb/base/logging.h"
#include "tsdb/block/compactor.h"
#include "tsdb/head/head.h"
#include "tsdb/prometheus_format/wal_reader.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/wal.h"

namespace promethium::tsdb {
namespace {

using prometheus_format::PrometheusWalReadStats;
using prometheus_format::PrometheusWalVisitor;

// The staging directory holds wal/ (our converted WAL) and blocks/ (the
// out-of-order blocks) until the commit point: the rename of Prometheus's
// wal/ to kMigratedPrometheusWalDir.
constexpr char kStagingWal[] = "/wal";
constexpr char kStagingBlocks[] = "/blocks";
// Wide enough that the head behind the out-of-order blocks accepts every
// sample of the WBL, whatever the user's out-of-order window.
constexpr int64_t kAcceptAnyOrderWindowMs = int64_t{1} << 60;

// Writes Prometheus's records into our WAL, and gives the series to the
// out-of-order head (when there is one) so the WBL's samples find them.
class WalConverter final : public PrometheusWalVisitor {
 public:
  WalConverter(wal::Wal* out, Head* ooo_head, PrometheusHeadMigrationResult* result)
      : out_(out), ooo_head_(ooo_head), result_(result) {}

  Status OnSeries(std::span<const wal::RefSeries> series) override {
    buf_.clear();
    wal::EncodeSeries(series, &buf_);
    if (ooo_head_ != nullptr) {
      WalReplayStats ignored;
      PROMETHIUM_RETURN_IF_ERROR(ooo_head_->ReplayWalRecord(buf_, &ignored));
    }
    result_->series += series.size();
    return Log();
  }
  Status OnSamples(std::span<const wal::RefSample> samples) override {
    buf_.clear();
    wal::EncodeSamples(samples, &buf_);
    result_->samples += samples.size();
    return Log();
  }
  Status OnTombstones(std::span<const wal::Tombstone> tombstones) override {
    buf_.clear();
    wal::EncodeTombstones(tombstones, &buf_);
    result_->tombstones += tombstones.size();
    return Log();
  }
  Status OnExemplars(std::span<const wal::RefExemplar> exemplars) override {
    buf_.clear();
    wal::EncodeExemplars(exemplars, &buf_);
    result_->exemplars += exemplars.size();
    return Log();
  }
  // Histogram samples are counted with the samples, as Prometheus counts them.
  Status OnHistogramSamples(std::span<const wal::RefHistogramSample> samples) override {
    buf_.clear();
    wal::EncodeHistogramSamples(samples, &buf_);
    result_->samples += samples.size();
    return Log();
  }
  Status OnFloatHistogramSamples(std::span<const wal::RefFloatHistogramSample> samples) override {
    buf_.clear();
    wal::EncodeFloatHistogramSamples(samples, &buf_);
    result_->samples += samples.size();
    return Log();
  }

 private:
  Status Log() {
    const std::string_view rec = buf_;
    return out_->Log(std::span<const std::string_view>(&rec, 1));
  }

  wal::Wal* out_;
  Head* ooo_head_;
  PrometheusHeadMigrationResult* result_;
  std::string buf_;
};

// Applies the WBL's out-of-order samples to the out-of-order head.
class WblCollector final : public PrometheusWalVisitor {
 public:
  WblCollector(Head* head, PrometheusHeadMigrationResult* result) : head_(head), result_(result) {}
  Status OnSeries(std::span<const wal::RefSeries> series) override {
    buf_.clear();
    wal::EncodeSeries(series, &buf_);
    return head_->ReplayWalRecord(buf_, &stats_);
  }
  Status OnSamples(std::span<const wal::RefSample> samples) override {
    buf_.clear();
    wal::EncodeSamples(samples, &buf_);
    return ReplaySamples();
  }
  // Out-of-order histograms go to the head as our records; a head that
  // cannot replay them fails the takeover before anything is modified.
  Status OnHistogramSamples(std::span<const wal::RefHistogramSample> samples) override {
    buf_.clear();
    wal::EncodeHistogramSamples(samples, &buf_);
    return ReplaySamples();
  }
  Status OnFloatHistogramSamples(std::span<const wal::RefFloatHistogramSample> samples) override {
    buf_.clear();
    wal::EncodeFloatHistogramSamples(samples, &buf_);
    return ReplaySamples();
  }
  Status OnTombstones(std::span<const wal::Tombstone>) override { return Status::OK(); }
  Status OnExemplars(std::span<const wal::RefExemplar>) override { return Status::OK(); }
  const WalReplayStats& stats() const { return stats_; }

 private:
  Status ReplaySamples() {
    const uint64_t before = stats_.samples;
    PROMETHIUM_RETURN_IF_ERROR(head_->ReplayWalRecord(buf_, &stats_));
    result_->ooo_samples += stats_.samples - before;
    return Status::OK();
  }

  Head* head_;
  PrometheusHeadMigrationResult* result_;
  WalReplayStats stats_;
  std::string buf_;
};

wal::WalOptions StagingWalOptions(const PrometheusHeadMigrationOptions& opts) {
  wal::WalOptions w;
  w.segment_size = opts.wal_segment_size;
  w.compression = opts.wal_compression;
  w.sync = wal::SyncPolicy::kNever;  // Close fsyncs; nothing is visible before the commit point
  return w;
}

// Writes the out-of-order head's samples as level-1 blocks, one per aligned
// block range, into `blocks_dir`.
Status WriteOutOfOrderBlocks(Env* env, Head* head, const std::string& blocks_dir,
                             const PrometheusHeadMigrationOptions& opts, PrometheusHeadMigrationResult* result) {
  if (head->NumSeries() == 0 || head->MinTime() > head->MaxTime()) return Status::OK();
  PROMETHIUM_RETURN_IF_ERROR(env->CreateDirs(blocks_dir));
  auto index = head->NewIndexReader();
  auto chunks = head->NewChunkReader();
  const BlockSource source{index.get(), chunks.get()};
  BlockWriteOptions write_opts;
  write_opts.format = opts.block_format;
  write_opts.samples_per_chunk = opts.samples_per_chunk;
  const int64_t range = opts.block_range_ms;
  const int64_t first = head->MinTime() - (((head->MinTime() % range) + range) % range);
  for (int64_t start = first; start <= head->MaxTime(); start += range) {
    BlockCompaction compaction;
    compaction.hints.push_back(kFromOutOfOrderHint);  // does not bound the head (DB::Open)
    auto meta = WriteBlock(env, blocks_dir, std::span<const BlockSource>(&source, 1), start, start + range, compaction,
                           write_opts);
    if (meta.status().code() == Status::Code::kNotFound) continue;  // no sample in this range
    PROMETHIUM_RETURN_IF_ERROR(meta.status());
    result->ooo_blocks++;
  }
  return Status::OK();
}

// Step 1: converts Prometheus's wal/ and wbl/ into the staging directory.
Status Convert(Env* env, const std::string& dir, const std::string& staging, const DataDirSurvey& survey,
               const PrometheusHeadMigrationOptions& opts, PrometheusHeadMigrationResult* result) {
  PROMETHIUM_RETURN_IF_ERROR(env->CreateDirs(staging));
  const bool has_wbl = env->IsDirectory(dir + "/wbl");
  std::unique_ptr<Head> ooo_head;
  if (has_wbl) {
    HeadOptions head_opts;
    head_opts.cut.chunk_range_ms = opts.block_range_ms;
    head_opts.cut.samples_per_chunk = opts.samples_per_chunk;
    head_opts.ooo_window_ms = kAcceptAnyOrderWindowMs;
    head_opts.replay_workers = 1;
    ooo_head = std::make_unique<Head>(head_opts, nullptr);
  }
  PROMETHIUM_ASSIGN_OR_RETURN(auto out,
                              wal::Wal::Open(env, staging + kStagingWal, StagingWalOptions(opts), nullptr, 0));
  if (survey.wal == FileOwner::kPrometheus) {
    WalConverter converter(out.get(), ooo_head.get(), result);
    PROMETHIUM_ASSIGN_OR_RETURN(PrometheusWalReadStats stats,
                                prometheus_format::ReadPrometheusWal(env, dir + "/wal", &converter));
    result->torn_tail = stats.torn_tail;
    if (!stats.torn_tail.empty()) {
      LogWarn("tsdb", "Prometheus's WAL ends in a torn record ({} at offset {}: {}); the records before it are kept",
              stats.torn_tail_segment, stats.torn_tail_offset, stats.torn_tail);
    }
  }
  PROMETHIUM_RETURN_IF_ERROR(out->Close());
  if (ooo_head != nullptr) {
    WblCollector collector(ooo_head.get(), result);
    PROMETHIUM_RETURN_IF_ERROR(prometheus_format::ReadPrometheusWbl(env, dir + "/wbl", &collector).status());
    ooo_head->FinishWalReplay();
    if (collector.stats().unknown_refs > 0) {
      LogWarn("tsdb", "Prometheus's wbl/ has {} samples of series its WAL does not define; they are skipped",
              collector.stats().unknown_refs);
    }
    PROMETHIUM_RETURN_IF_ERROR(WriteOutOfOrderBlocks(env, ooo_head.get(), staging + kStagingBlocks, opts, result));
  }
  return env->SyncDir(staging);
}

// Removes what Prometheus's head was made of, now that our WAL holds it.
Status RemovePrometheusHead(Env* env, const std::string& dir) {
  auto remove_dir = [&](const std::string& path, const char* what) -> Status {
    if (!env->FileExists(path)) return Status::OK();
    PROMETHIUM_RETURN_IF_ERROR(env->RemoveDirRecursively(path));
    LogInfo("tsdb", "removed {} ({}): its data is now in Promethium's WAL", path, what);
    return Status::OK();
  };
  PROMETHIUM_RETURN_IF_ERROR(remove_dir(dir + "/" + kMigratedPrometheusWalDir, "Prometheus's WAL"));
  PROMETHIUM_RETURN_IF_ERROR(remove_dir(dir + "/wbl", "Prometheus's out-of-order WAL"));
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  for (const std::string& name : names) {
    if (name.starts_with("chunk_snapshot.")) {
      PROMETHIUM_RETURN_IF_ERROR(remove_dir(dir + "/" + name, "Prometheus's head snapshot"));
    }
  }
  const std::string chunks_head = dir + "/chunks_head";
  if (env->IsDirectory(chunks_head)) {
    PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> files, env->GetChildren(chunks_head));
    for (const std::string& name : files) {
      PROMETHIUM_ASSIGN_OR_RETURN(FileProbe probe, ProbeHeadChunkFile(env, chunks_head + "/" + name));
      if (probe.owner != FileOwner::kPrometheus) continue;
      PROMETHIUM_RETURN_IF_ERROR(env->RemoveFile(chunks_head + "/" + name));
      LogInfo("tsdb", "removed {}/{} (Prometheus's head chunks): its data is now in Promethium's WAL", chunks_head,
              name);
    }
  }
  return env->SyncDir(dir);
}

// Steps 2 and 3 from the commit point on: publishes the staged blocks and
// WAL, then removes Prometheus's head. Resumable after a crash.
Status Publish(Env* env, const std::string& dir, const std::string& staging) {
  const std::string blocks = staging + kStagingBlocks;
  if (env->IsDirectory(blocks)) {
    PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(blocks));
    for (const std::string& name : names) {
      if (!IsValidUlid(name)) continue;
      PROMETHIUM_RETURN_IF_ERROR(env->RenameFile(blocks + "/" + name, dir + "/" + name));
      LogInfo("tsdb", "block {} holds the out-of-order samples of Prometheus's wbl/", name);
    }
  }
  if (!env->FileExists(dir + "/wal")) {
    PROMETHIUM_RETURN_IF_ERROR(env->RenameFile(staging + kStagingWal, dir + "/wal"));
  }
  PROMETHIUM_RETURN_IF_ERROR(env->SyncDir(dir));
  PROMETHIUM_RETURN_IF_ERROR(env->RemoveDirRecursively(staging));
  return RemovePrometheusHead(env, dir);
}

}  // namespace

Result<PrometheusHeadMigrationResult> MigratePrometheusHead(Env* env, const std::string& dir,
                                                            const DataDirSurvey& survey,
                                                            const PrometheusHeadMigrationOptions& opts) {
  PrometheusHeadMigrationResult result;
  const std::string staging = dir + "/" + kMigrationTmpWalDir;
  const std::string migrated = dir + "/" + kMigratedPrometheusWalDir;
  if (env->FileExists(migrated)) {
    // A crash after the commit point: finish publishing.
    LogInfo("tsdb", "finishing the takeover of Prometheus's head that an earlier start began");
    PROMETHIUM_RETURN_IF_ERROR(Publish(env, dir, staging));
    result.migrated = true;
    return result;
  }
  if (env->FileExists(staging)) {
    // A crash before the commit point: our staging copy is redone.
    PROMETHIUM_RETURN_IF_ERROR(env->RemoveDirRecursively(staging));
  }
  if (!survey.HasPrometheusHead()) return result;
  LogInfo("tsdb",
          "taking over Prometheus's head in {}: converting its WAL once; its files stay untouched until "
          "the data is safe in Promethium's WAL",
          dir);
  Status st = Convert(env, dir, staging, survey, opts, &result);
  if (!st.ok()) {
    env->RemoveDirRecursively(staging).IgnoreError();  // ours; Prometheus's files were only read
    return st.WithContext("taking over Prometheus's head in " + dir + " (nothing of Prometheus's was modified)");
  }
  // The commit point. Without a Prometheus WAL (only wbl/ or head chunks),
  // the staged empty WAL is still published.
  if (survey.wal == FileOwner::kPrometheus) {
    PROMETHIUM_RETURN_IF_ERROR(env->RenameFile(dir + "/wal", migrated));
  } else {
    PROMETHIUM_RETURN_IF_ERROR(env->CreateDirs(migrated));
  }
  PROMETHIUM_RETURN_IF_ERROR(env->SyncDir(dir));
  PROMETHIUM_RETURN_IF_ERROR(Publish(env, dir, staging));
  result.migrated = true;
  LogInfo("tsdb",
          "took over Prometheus's head: series={} samples={} tombstones={} exemplars={} out_of_order_samples={} "
          "out_of_order_blocks={}",
          result.series, result.samples, result.tombstones, result.exemplars, result.ooo_samples, result.ooo_blocks);
  return result;
}

}  // namespace promethium::tsdb
