#include "tsdb/agent/agent_db.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "tsdb/base/logging.h"
#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/wal_reader.h"

namespace promethium::tsdb::agent {
namespace {

constexpr std::string_view kLog = "agent";

// The "lock" file Prometheus's agent takes in its directory (tsdbutil
// DirLocker). flock is not file I/O in Env's sense: it is held for the
// process lifetime and released by the kernel on exit.
Result<int> LockDir(const std::string& dir) {
  const std::string path = dir + "/lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    return Status::FailedPrecondition("lock DB directory " + path + ": " + std::strerror(err) +
                                      " (another process uses this directory; or use --storage.agent.no-lockfile)");
  }
  return fd;
}

}  // namespace

AgentDB::AgentDB(Env* env, std::string dir, AgentOptions opts, MetricsRegistry* metrics)
    : env_(env), dir_(std::move(dir)), wal_dir_(dir_ + "/wal"), opts_(std::move(opts)), metrics_(metrics) {}

Result<std::unique_ptr<AgentDB>> AgentDB::Open(Env* env, const std::string& dir, AgentOptions opts,
                                               MetricsRegistry* metrics) {
  std::unique_ptr<AgentDB> db(new AgentDB(env, dir, std::move(opts), metrics));
  PROMETHIUM_RETURN_IF_ERROR(env->CreateDirs(db->wal_dir_));
  if (!db->opts_.no_lockfile) {
    PROMETHIUM_ASSIGN_OR_RETURN(db->lock_fd_, LockDir(dir));
  }
  PROMETHIUM_RETURN_IF_ERROR(db->Replay());
  if (db->opts_.start_truncation_thread) db->truncator_ = std::thread([p = db.get()] { p->TruncateLoop(); });
  return db;
}

AgentDB::~AgentDB() {
  // As DB: a failed close of a DB that was only destroyed is logged, not lost.
  if (Status st = Close(); !st.ok()) LogError(kLog, "closing the agent DB in {}: {}", dir_, st.ToString());
}

// Before replay may repair anything: every entry of wal/ must be named as
// one of our segments or checkpoints, and every segment must be provably
// ours (Prometheus's agent WAL uses the same names in another format).
Status AgentDB::CheckWalDirIsOurs() {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> children, env_->GetChildren(wal_dir_));
  for (const std::string& name : children) {
    if (name == "." || name == "..") continue;
    uint64_t index = 0;
    const std::string path = wal_dir_ + "/" + name;
    if (wal::ParseSegmentName(name, &index)) {
      PROMETHIUM_ASSIGN_OR_RETURN(bool ours, wal::IsOurSegmentOrEmpty(env_, path));
      if (!ours) {
        return Status::FailedPrecondition(path +
                                          " is not a Promethium WAL segment (a Prometheus agent's WAL?); nothing was "
                                          "changed: move it out of " +
                                          wal_dir_ + " or use another --storage.agent.path");
      }
      continue;
    }
    if (wal::ParseCheckpointName(name, &index) || name.ends_with(".tmp")) continue;
    return Status::FailedPrecondition("unexpected file " + path + " in the agent WAL directory; nothing was changed");
  }
  return Status::OK();
}

Status AgentDB::Replay() {
  const auto start = std::chrono::steady_clock::now();
  PROMETHIUM_RETURN_IF_ERROR(CheckWalDirIsOurs());
  LogInfo(kLog, "replaying WAL, this may take a while: dir={}", wal_dir_);
  // Refs of duplicate series records map to the series that owns the labels.
  std::unordered_map<SeriesRef, SeriesRef> alias;
  SeriesRef max_ref = 0;
  int64_t max_ts = kMinTime;
  uint64_t unknown_refs = 0;
  std::vector<wal::RefSeries> series;
  std::vector<wal::RefSample> samples;
  std::vector<wal::RefHistogramSample> histograms;
  std::vector<wal::RefFloatHistogramSample> float_histograms;
  // Float and histogram samples alike only move their series' newest time.
  const auto replay_sample = [&](SeriesRef wal_ref, int64_t t) {
    auto it = alias.find(wal_ref);
    SeriesRef ref = it == alias.end() ? wal_ref : it->second;
    if (!series_.Contains(ref)) {
      ++unknown_refs;
      return;
    }
    series_.UpdateTimestamp(ref, t);
    max_ts = std::max(max_ts, t);
  };
  auto on_record = [&](std::string_view rec) -> Status {
    PROMETHIUM_ASSIGN_OR_RETURN(wal::RecordType type, wal::PeekRecordType(rec));
    if (type == wal::RecordType::kSeries) {
      PROMETHIUM_RETURN_IF_ERROR(wal::DecodeSeries(rec, &series));
      for (const wal::RefSeries& s : series) {
        // As Prometheus: a series without samples keeps timestamp 0, so the
        // next truncation drops it.
        SeriesRef owner = series_.AddReplayed(s.ref, s.labels, 0);
        if (owner != s.ref) alias[s.ref] = owner;
        max_ref = std::max(max_ref, s.ref);
      }
    } else if (type == wal::RecordType::kSamples) {
      PROMETHIUM_RETURN_IF_ERROR(wal::DecodeSamples(rec, &samples));
      for (const wal::RefSample& s : samples) replay_sample(s.ref, s.t);
    } else if (type == wal::RecordType::kHistogramSamples) {
      PROMETHIUM_RETURN_IF_ERROR(wal::DecodeHistogramSamples(rec, &histograms));
      for (const auto& s : histograms) replay_sample(s.ref, s.t);
    } else if (type == wal::RecordType::kFloatHistogramSamples) {
      PROMETHIUM_RETURN_IF_ERROR(wal::DecodeFloatHistogramSamples(rec, &float_histograms));
      for (const auto& s : float_histograms) replay_sample(s.ref, s.t);
    }
    // Exemplars and tombstones carry nothing the agent needs on start.
    return Status::OK();
  };
  Result<wal::ReplayResult> replayed = wal::ReplayAndRepair(env_, wal_dir_, on_record, metrics_.corruptions);
  if (!replayed.ok()) return replayed.status().WithContext("replaying agent WAL " + wal_dir_);
  if (unknown_refs > 0) LogWarn(kLog, "found sample referencing non-existing series: skipped_samples={}", unknown_refs);
  next_ref_.store(max_ref + 1);
  metrics_.active_series->Set(static_cast<double>(series_.size()));

  wal::WalOptions wopts;
  wopts.segment_size = opts_.wal_segment_size;
  wopts.compression = opts_.compression;
  PROMETHIUM_ASSIGN_OR_RETURN(wal_, wal::Wal::Open(env_, wal_dir_, wopts, nullptr, replayed->next_segment));
  // Replayed segments: their newest sample is at most the newest replayed.
  Result<std::pair<uint64_t, uint64_t>> range = wal::SegmentRange(env_, wal_dir_);
  if (range.ok() && max_ts != kMinTime) NoteSegmentMaxTime(range->first, range->second, max_ts);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.replay_duration->Set(seconds);
  LogInfo(kLog, "WAL replay completed: series={} segments={} repaired={} duration={:.3f}s", series_.size(),
          replayed->segments, replayed->repaired, seconds);
  return Status::OK();
}

Result<std::unique_ptr<Querier>> AgentDB::NewQuerier(int64_t, int64_t) {
  // Prometheus's exact wording (agent.ErrUnsupported), which /federate and
  // remote read show.
  return Status::FailedPrecondition("unsupported operation with WAL-only storage");
}

int64_t AgentDB::NowMs() const {
  if (opts_.now_ms) return opts_.now_ms();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void AgentDB::NoteSegmentMaxTime(uint64_t from, uint64_t to, int64_t max_ts) {
  MutexLock lock(&segments_mu_);
  for (uint64_t seg = from; seg <= to; ++seg) {
    auto [it, inserted] = segment_max_ts_.emplace(seg, max_ts);
    if (!inserted) it->second = std::max(it->second, max_ts);
  }
}

void AgentDB::TruncateLoop() {
  const std::chrono::milliseconds every(opts_.truncate_frequency_ms);
  for (;;) {
    {
      MutexLock lock(&stop_mu_);
      if (stop_cv_.WaitFor(&stop_mu_, every, [this]() REQUIRES(stop_mu_) { return stop_; })) return;
    }
    Result<TruncateOutcome> out = Truncate();
    if (!out.ok()) LogWarn(kLog, "failed to truncate WAL: err={}", out.status().ToString());
  }
}

Status AgentDB::Close() {
  if (closed_) return Status::OK();
  closed_ = true;
  {
    MutexLock lock(&stop_mu_);
    stop_ = true;
  }
  stop_cv_.SignalAll();
  if (truncator_.joinable()) truncator_.join();
  Status s = wal_ ? wal_->Close() : Status::OK();
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock
    lock_fd_ = -1;
  }
  return s;
}

}  // namespace promethium::tsdb::agent
