#include "tsdb/wal/checkpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "tsdb/base/logging.h"
#include "tsdb/wal/checkpoint_reader.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/segment_reader.h"

namespace promethium::tsdb::wal {
namespace {

constexpr std::string_view kCheckpointPrefix = "checkpoint.";
constexpr std::string_view kTmpSuffix = ".tmp";
constexpr size_t kWriteBuffer = 1 << 20;

bool ParseDigits(std::string_view s, uint64_t* v) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t r = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    r = r * 10 + static_cast<uint64_t>(c - '0');
  }
  *v = r;
  return true;
}

// The checkpoint.<n>.tmp directories in wal_dir, with their index.
Result<std::vector<std::pair<uint64_t, std::string>>> ListTmpCheckpoints(Env* env, const std::string& wal_dir) {
  std::vector<std::pair<uint64_t, std::string>> out;
  if (!env->FileExists(wal_dir)) return out;
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(wal_dir));
  for (const std::string& name : names) {
    std::string_view n = name;
    if (!n.starts_with(kCheckpointPrefix) || !n.ends_with(kTmpSuffix)) continue;
    n.remove_prefix(kCheckpointPrefix.size());
    n.remove_suffix(kTmpSuffix.size());
    uint64_t index = 0;
    if (ParseDigits(n, &index)) out.emplace_back(index, name);
  }
  return out;
}

Result<std::vector<uint64_t>> ListCheckpoints(Env* env, const std::string& wal_dir) {
  std::vector<uint64_t> out;
  if (!env->FileExists(wal_dir)) return out;
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(wal_dir));
  for (const std::string& name : names) {
    uint64_t index = 0;
    if (ParseCheckpointName(name, &index)) out.push_back(index);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Writes framed records into segment files 00000000, 00000001, ... of one
// checkpoint directory, buffering up to kWriteBuffer bytes per write.
class CheckpointWriter {
 public:
  CheckpointWriter(Env* env, std::string dir, const CheckpointOptions& opts)
      : env_(env), dir_(std::move(dir)), opts_(opts) {}

  Status Add(std::string_view record) {
    CompressRecord(opts_.compression, record, &payload_);
    if (payload_.size() > kMaxRecordSize) {
      return Status::ResourceExhausted("wal: checkpoint record of " + std::to_string(payload_.size()) + " bytes");
    }
    const uint64_t frame = kFrameHeaderSize + payload_.size();
    if (file_ == nullptr || (segment_bytes_ > kSegmentHeaderSize && segment_bytes_ + frame > opts_.segment_size)) {
      PROMETHIUM_RETURN_IF_ERROR(NextSegment());
    }
    AppendFrame(payload_, &buf_);
    segment_bytes_ += frame;
    if (buf_.size() >= kWriteBuffer) return FlushBuffer();
    return Status::OK();
  }

  // Writes out and fsyncs everything, closes the file and fsyncs the dir.
  Status Finish() {
    if (file_ == nullptr) PROMETHIUM_RETURN_IF_ERROR(NextSegment());  // an empty checkpoint still has a segment
    PROMETHIUM_RETURN_IF_ERROR(CloseSegment());
    return env_->SyncDir(dir_);
  }

 private:
  Status FlushBuffer() {
    if (buf_.empty()) return Status::OK();
    PROMETHIUM_RETURN_IF_ERROR(file_->Append(buf_));
    buf_.clear();
    return Status::OK();
  }
  Status CloseSegment() {
    if (file_ == nullptr) return Status::OK();
    PROMETHIUM_RETURN_IF_ERROR(FlushBuffer());
    PROMETHIUM_RETURN_IF_ERROR(file_->Flush());
    PROMETHIUM_RETURN_IF_ERROR(file_->Sync());
    Status st = file_->Close();
    file_.reset();
    return st;
  }
  Status NextSegment() {
    PROMETHIUM_RETURN_IF_ERROR(CloseSegment());
    PROMETHIUM_ASSIGN_OR_RETURN(file_, env_->NewWritableFile(SegmentPath(dir_, next_index_)));
    ++next_index_;
    buf_ = SegmentHeader();
    segment_bytes_ = kSegmentHeaderSize;
    return Status::OK();
  }

  Env* const env_;
  const std::string dir_;
  const CheckpointOptions opts_;
  std::unique_ptr<WritableFile> file_;
  uint64_t next_index_ = 0;
  uint64_t segment_bytes_ = 0;
  std::string buf_;
  std::string payload_;
};

// Rewrites one record keeping only what the checkpoint needs; *out is left
// empty when nothing is kept.
class RecordFilter {
 public:
  RecordFilter(const std::function<bool(SeriesRef)>& keep, int64_t mint, CheckpointStats* stats)
      : keep_(keep), mint_(mint), stats_(stats) {}

  Status Filter(std::string_view rec, std::string* out) {
    out->clear();
    PROMETHIUM_ASSIGN_OR_RETURN(RecordType type, PeekRecordType(rec));
    switch (type) {
      case RecordType::kSeries: return FilterSeries(rec, out);
      case RecordType::kSamples: return FilterSamples(rec, out);
      case RecordType::kTombstones: return FilterTombstones(rec, out);
      case RecordType::kExemplars: return FilterExemplars(rec, out);
      case RecordType::kHistogramSamples: return FilterHistograms(rec, out);
      case RecordType::kFloatHistogramSamples: return FilterFloatHistograms(rec, out);
    }
    return Status::Internal("wal: unhandled record type " + std::to_string(static_cast<int>(type)));
  }

 private:
  Status FilterSeries(std::string_view rec, std::string* out) {
    PROMETHIUM_RETURN_IF_ERROR(DecodeSeries(rec, &series_));
    stats_->total_series += series_.size();
    const size_t before = series_.size();
    std::erase_if(series_, [&](const RefSeries& s) { return !keep_(s.ref); });
    stats_->dropped_series += before - series_.size();
    if (!series_.empty()) EncodeSeries(series_, out);
    return Status::OK();
  }
  Status FilterSamples(std::string_view rec, std::string* out) {
    PROMETHIUM_RETURN_IF_ERROR(DecodeSamples(rec, &samples_));
    stats_->total_samples += samples_.size();
    const size_t before = samples_.size();
    std::erase_if(samples_, [&](const RefSample& s) { return s.t < mint_ || !keep_(s.ref); });
    stats_->dropped_samples += before - samples_.size();
    if (!samples_.empty()) EncodeSamples(samples_, out);
    return Status::OK();
  }
  Status FilterTombstones(std::string_view rec, std::string* out) {
    PROMETHIUM_RETURN_IF_ERROR(DecodeTombstones(rec, &tombstones_));
    stats_->total_tombstones += tombstones_.size();
    const size_t before = tombstones_.size();
    std::erase_if(tombstones_, [&](const Tombstone& t) { return t.maxt < mint_ || !keep_(t.ref); });
    stats_->dropped_tombstones += before - tombstones_.size();
    if (!tombstones_.empty()) EncodeTombstones(tombstones_, out);
    return Status::OK();
  }

  // As Prometheus: the exemplars of kept series with t >= mint.
  Status FilterExemplars(std::string_view rec, std::string* out) {
    PROMETHIUM_RETURN_IF_ERROR(DecodeExemplars(rec, &exemplars_));
    stats_->total_exemplars += exemplars_.size();
    const size_t before = exemplars_.size();
    std::erase_if(exemplars_, [&](const RefExemplar& e) { return e.t < mint_ || !keep_(e.ref); });
    stats_->dropped_exemplars += before - exemplars_.size();
    if (!exemplars_.empty()) EncodeExemplars(exemplars_, out);
    return Status::OK();
  }

  // Histogram samples are kept like float samples and, as Prometheus's
  // checkpoint counts them, in the same sample counters.
  Status FilterHistograms(std::string_view rec, std::string* out) {
    PROMETHIUM_RETURN_IF_ERROR(DecodeHistogramSamples(rec, &histograms_));
    KeepSamples(&histograms_);
    if (!histograms_.empty()) EncodeHistogramSamples(histograms_, out);
    return Status::OK();
  }
  Status FilterFloatHistograms(std::string_view rec, std::string* out) {
    PROMETHIUM_RETURN_IF_ERROR(DecodeFloatHistogramSamples(rec, &float_histograms_));
    KeepSamples(&float_histograms_);
    if (!float_histograms_.empty()) EncodeFloatHistogramSamples(float_histograms_, out);
    return Status::OK();
  }
  template <typename Sample>
  void KeepSamples(std::vector<Sample>* samples) {
    stats_->total_samples += samples->size();
    const size_t before = samples->size();
    std::erase_if(*samples, [&](const Sample& s) { return s.t < mint_ || !keep_(s.ref); });
    stats_->dropped_samples += before - samples->size();
  }

  const std::function<bool(SeriesRef)>& keep_;
  const int64_t mint_;
  CheckpointStats* stats_;
  std::vector<RefSeries> series_;
  std::vector<RefSample> samples_;
  std::vector<Tombstone> tombstones_;
  std::vector<RefExemplar> exemplars_;
  std::vector<RefHistogramSample> histograms_;
  std::vector<RefFloatHistogramSample> float_histograms_;
};

struct CheckpointMetrics {
  explicit CheckpointMetrics(MetricsRegistry* m) {
    if (m == nullptr) {
      own = std::make_unique<MetricsRegistry>();
      m = own.get();
    }
    creations =
        m->GetCounter("prometheus_tsdb_checkpoint_creations_total", "Total number of checkpoint creations attempted.");
    creations_failed = m->GetCounter("prometheus_tsdb_checkpoint_creations_failed_total",
                                     "Total number of checkpoint creations that failed.");
    deletions =
        m->GetCounter("prometheus_tsdb_checkpoint_deletions_total", "Total number of checkpoint deletions attempted.");
    deletions_failed = m->GetCounter("prometheus_tsdb_checkpoint_deletions_failed_total",
                                     "Total number of checkpoint deletions that failed.");
    truncations =
        m->GetCounter("prometheus_tsdb_wal_truncations_total", "Total number of write log truncations attempted.");
    truncations_failed = m->GetCounter("prometheus_tsdb_wal_truncations_failed_total",
                                       "Total number of write log truncations that failed.");
  }
  std::unique_ptr<MetricsRegistry> own;
  Counter* creations;
  Counter* creations_failed;
  Counter* deletions;
  Counter* deletions_failed;
  Counter* truncations;
  Counter* truncations_failed;
};

// Writes checkpoint.<to> from the previous checkpoint (if any) and
// segments [from, to]. Deletes nothing but a stale checkpoint.<to>.tmp.
Status WriteCheckpoint(Env* env, const std::string& wal_dir, std::optional<uint64_t> previous, uint64_t from,
                       uint64_t to, const std::function<bool(SeriesRef)>& keep, int64_t mint,
                       const CheckpointOptions& opts, CheckpointStats* stats) {
  const std::string final_dir = wal_dir + "/" + CheckpointName(to);
  const std::string tmp_dir = final_dir + std::string(kTmpSuffix);
  if (env->FileExists(tmp_dir)) PROMETHIUM_RETURN_IF_ERROR(env->RemoveDirRecursively(tmp_dir));
  PROMETHIUM_RETURN_IF_ERROR(env->CreateDirs(tmp_dir));

  CheckpointWriter writer(env, tmp_dir, opts);
  RecordFilter filter(keep, mint, stats);
  std::string kept;
  const RecordHandler copy = [&](std::string_view rec) -> Status {
    PROMETHIUM_RETURN_IF_ERROR(filter.Filter(rec, &kept));
    return kept.empty() ? Status::OK() : writer.Add(kept);
  };
  if (previous.has_value()) {
    PROMETHIUM_RETURN_IF_ERROR(ReadCheckpoint(env, wal_dir + "/" + CheckpointName(*previous), copy, nullptr));
  }
  for (uint64_t index = from; index <= to; ++index) {
    const std::string path = SegmentPath(wal_dir, index);
    SegmentReadOutcome outcome;
    PROMETHIUM_RETURN_IF_ERROR(ReadSegmentRecords(env, path, copy, &outcome).WithContext("wal: checkpointing " + path));
    if (!outcome.problem.empty()) {
      return Status::Corruption(fmt::format("wal: cannot checkpoint damaged segment {} at offset {}: {}", path,
                                            outcome.good_bytes, outcome.problem));
    }
  }
  PROMETHIUM_RETURN_IF_ERROR(writer.Finish());
  PROMETHIUM_RETURN_IF_ERROR(env->RenameFile(tmp_dir, final_dir));
  return env->SyncDir(wal_dir);
}

// Deletes what checkpoint.<index> made obsolete, counting as Prometheus:
// segment deletion is a WAL truncation (its failure fails the call), old
// checkpoints are only disk space (their failure is logged and counted).
Status DeleteObsolete(Env* env, const std::string& wal_dir, uint64_t index, CheckpointMetrics* m,
                      CheckpointStats* stats) {
  m->truncations->Inc();
  Status st = DeleteSegmentsBefore(env, wal_dir, index + 1, &stats->segments_deleted);
  if (!st.ok()) {
    m->truncations_failed->Inc();
    return st.WithContext("wal: deleting segments checkpointed in " + CheckpointName(index));
  }
  m->deletions->Inc();
  Status del = DeleteCheckpointsBefore(env, wal_dir, index, &stats->checkpoints_deleted);
  if (!del.ok()) {
    m->deletions_failed->Inc();
    LogWarn("tsdb", "wal: deleting checkpoints older than {} in {}: {}", CheckpointName(index), wal_dir,
            del.ToString());
  }
  return Status::OK();
}

}  // namespace

std::string CheckpointName(uint64_t index) { return fmt::format("checkpoint.{:08d}", index); }

bool ParseCheckpointName(std::string_view name, uint64_t* index) {
  if (!name.starts_with(kCheckpointPrefix)) return false;
  name.remove_prefix(kCheckpointPrefix.size());
  return ParseDigits(name, index);
}

Result<std::optional<uint64_t>> LastCheckpoint(Env* env, const std::string& wal_dir) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<uint64_t> all, ListCheckpoints(env, wal_dir));
  if (all.empty()) return std::optional<uint64_t>();
  return std::optional<uint64_t>(all.back());
}

Result<std::pair<uint64_t, uint64_t>> SegmentRange(Env* env, const std::string& wal_dir) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(env, wal_dir));
  if (segments.empty()) return Status::NotFound("wal: no segments in " + wal_dir);
  return std::make_pair(segments.front(), segments.back());
}

std::optional<std::pair<uint64_t, uint64_t>> CheckpointSegmentsFor(uint64_t first, uint64_t last) {
  if (last <= first) return std::nullopt;  // only the segment being written
  const uint64_t old_last = last - 1;
  const uint64_t to = first + (old_last - first) * 2 / 3;
  if (to <= first) return std::nullopt;
  return std::make_pair(first, to);
}

Status DeleteSegmentsBefore(Env* env, const std::string& wal_dir, uint64_t before, uint64_t* deleted) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(env, wal_dir));
  bool any = false;
  for (uint64_t index : segments) {  // ascending: a crash midway leaves a suffix, never a gap
    if (index >= before) break;
    PROMETHIUM_RETURN_IF_ERROR(env->RemoveFile(SegmentPath(wal_dir, index)));
    any = true;
    if (deleted != nullptr) ++*deleted;
  }
  return any ? env->SyncDir(wal_dir) : Status::OK();
}

Status DeleteCheckpointsBefore(Env* env, const std::string& wal_dir, uint64_t before, uint64_t* deleted) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<uint64_t> all, ListCheckpoints(env, wal_dir));
  PROMETHIUM_ASSIGN_OR_RETURN(auto tmps, ListTmpCheckpoints(env, wal_dir));
  bool any = false;
  for (uint64_t index : all) {
    if (index >= before) break;
    PROMETHIUM_RETURN_IF_ERROR(env->RemoveDirRecursively(wal_dir + "/" + CheckpointName(index)));
    any = true;
    if (deleted != nullptr) ++*deleted;
  }
  for (const auto& [index, name] : tmps) {
    if (index >= before) continue;
    PROMETHIUM_RETURN_IF_ERROR(env->RemoveDirRecursively(wal_dir + "/" + name));
    any = true;
  }
  return any ? env->SyncDir(wal_dir) : Status::OK();
}

namespace {

// Whether every segment file in a checkpoint directory is provably ours
// (other files in it would be removed with it too, so they count against).
Result<bool> IsOurCheckpointDir(Env* env, const std::string& dir) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  for (const std::string& name : names) {
    uint64_t index = 0;
    if (!ParseSegmentName(name, &index)) return false;
    PROMETHIUM_ASSIGN_OR_RETURN(bool ours, IsOurSegmentOrEmpty(env, dir + "/" + name));
    if (!ours) return false;
  }
  return true;
}

}  // namespace

Status RemoveTmpCheckpoints(Env* env, const std::string& wal_dir) {
  PROMETHIUM_ASSIGN_OR_RETURN(auto tmps, ListTmpCheckpoints(env, wal_dir));
  for (const auto& [index, name] : tmps) {
    PROMETHIUM_ASSIGN_OR_RETURN(bool ours, IsOurCheckpointDir(env, wal_dir + "/" + name));
    if (!ours) {
      return Status::FailedPrecondition("wal: " + wal_dir + "/" + name +
                                        " holds files that are not Promethium WAL segments; nothing was removed. "
                                        "Move it out of " +
                                        wal_dir + " and start again");
    }
    LogInfo("tsdb", "wal: removing {} left by an interrupted checkpoint", wal_dir + "/" + name);
    PROMETHIUM_RETURN_IF_ERROR(env->RemoveDirRecursively(wal_dir + "/" + name));
  }
  return tmps.empty() ? Status::OK() : env->SyncDir(wal_dir);
}

Result<CheckpointStats> Checkpoint(Env* env, const std::string& wal_dir, uint64_t from_segment, uint64_t to_segment,
                                   const std::function<bool(SeriesRef)>& keep_series, int64_t mint,
                                   MetricsRegistry* metrics, const CheckpointOptions& opts) {
  CheckpointMetrics m(metrics);
  m.creations->Inc();
  CheckpointStats stats;
  auto fail = [&](Status st) {
    m.creations_failed->Inc();
    return st.WithContext("wal: creating " + CheckpointName(to_segment) + " in " + wal_dir);
  };
  if (from_segment > to_segment) {
    return fail(Status::InvalidArgument(fmt::format("segment range [{}, {}] is empty", from_segment, to_segment)));
  }
  auto previous = LastCheckpoint(env, wal_dir);
  if (!previous.ok()) return fail(previous.status());
  if (previous->has_value() && **previous >= to_segment) {
    // Already done (e.g. a crash hit between the rename and the deletions):
    // only finish the clean-up.
    stats.index = **previous;
    PROMETHIUM_RETURN_IF_ERROR(DeleteObsolete(env, wal_dir, stats.index, &m, &stats));
    return stats;
  }
  uint64_t from = from_segment;
  if (!previous->has_value()) {
    // Segments below `from` would be deleted without being checkpointed.
    auto segments = ListSegments(env, wal_dir);
    if (!segments.ok()) return fail(segments.status());
    if (!segments->empty() && segments->front() < from) {
      return fail(Status::InvalidArgument(fmt::format("segment {} is below the first segment to checkpoint {}",
                                                      SegmentName(segments->front()), SegmentName(from))));
    }
  } else {
    if (from > **previous + 1) {
      return fail(Status::InvalidArgument(fmt::format("gap between {} and the first segment to checkpoint {}",
                                                      CheckpointName(**previous), SegmentName(from))));
    }
    from = **previous + 1;  // segments at or below it are already in it
  }
  Status st = WriteCheckpoint(env, wal_dir, *previous, from, to_segment, keep_series, mint, opts, &stats);
  if (!st.ok()) {
    // Give the space of a half-written checkpoint back at once (a full disk
    // is the usual cause); the next attempt, or Open, would remove it too.
    env->RemoveDirRecursively(wal_dir + "/" + CheckpointName(to_segment) + std::string(kTmpSuffix)).IgnoreError();
    return fail(st);
  }
  stats.created = true;
  stats.index = to_segment;
  PROMETHIUM_RETURN_IF_ERROR(DeleteObsolete(env, wal_dir, to_segment, &m, &stats));
  return stats;
}

}  // namespace promethium::tsdb::wal
