#include "remote/write/wal_watcher.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "remote/write/wal_tailer.h"
#include "tsdb/base/logging.h"
#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/segment.h"

namespace promethium::remote {
namespace {

constexpr auto kRetryMin = std::chrono::milliseconds(200);
constexpr auto kRetryMax = std::chrono::milliseconds(5000);

}  // namespace

struct WalWatcher::Metrics {
  std::unique_ptr<MetricsRegistry> own;  // when the caller passed none
  WalTailerMetrics tailer;
  Gauge* durable_segment = nullptr;
  Counter* persist_failures = nullptr;
};

WalWatcher::WalWatcher(Env* env, WalWatcherOptions opts, WalConsumer* consumer, MetricsRegistry* metrics)
    : env_(env), opts_(std::move(opts)), consumer_(consumer), metrics_(std::make_unique<Metrics>()) {
  if (metrics == nullptr) {
    metrics_->own = std::make_unique<MetricsRegistry>();
    metrics = metrics_->own.get();
  }
  const MetricLabels consumer_label = {{"consumer", opts_.queue_name}};
  const auto records = [&](const char* type) {
    return metrics->GetCounter("prometheus_wal_watcher_records_read_total",
                               "Number of records read by the WAL watcher from the WAL.",
                               {{"consumer", opts_.queue_name}, {"type", type}});
  };
  WalTailerMetrics& t = metrics_->tailer;
  t.series_records = records("series");
  t.samples_records = records("samples");
  t.exemplars_records = records("exemplars");
  t.histogram_records = records("histogram_samples");  // Prometheus's record type names
  t.float_histogram_records = records("float_histogram_samples");
  t.tombstones_records = records("tombstones");
  t.unknown_records = records("unknown");
  t.decode_failures = metrics->GetCounter("prometheus_wal_watcher_record_decode_failures_total",
                                          "Number of records read by the WAL watcher that resulted in an error "
                                          "when decoding.",
                                          consumer_label);
  t.segments_lost = metrics->GetCounter("promethium_wal_watcher_segments_lost_total",
                                        "WAL segments deleted before the WAL watcher read them (the queue lagged "
                                        "beyond the WAL retention bound).",
                                        consumer_label);
  t.current_segment = metrics->GetGauge("prometheus_wal_watcher_current_segment",
                                        "Current segment the WAL watcher is reading records from.", consumer_label);
  metrics_->durable_segment = metrics->GetGauge(
      "promethium_wal_watcher_acknowledged_segment",
      "WAL segment of the queue's persisted send position: segments from it on are kept for it.", consumer_label);
  metrics_->persist_failures = metrics->GetCounter("promethium_wal_watcher_position_persist_failures_total",
                                                   "Failed writes of the queue's send position file.", consumer_label);
}

WalWatcher::~WalWatcher() { Stop(); }

WalPosition WalWatcher::DurablePosition() const { return std::max(send_from_, consumer_->AcknowledgedPosition()); }

WalPosition WalWatcher::ReadPosition() const { return tailer_ ? tailer_->Position() : send_from_; }

std::optional<WalPosition> WalWatcher::LoadPersistedPosition(uint64_t live) {
  auto loaded = position_file_->Load();
  if (!loaded.ok()) {
    LogWarn("remote", "queue {}: cannot read its send position {} ({}); sending from the live WAL segment {}",
            opts_.queue_name, position_file_->path(), loaded.status().ToString(), live);
    return std::nullopt;
  }
  switch (loaded->kind) {
    case LoadedPosition::Kind::kMissing:
      LogInfo("remote", "queue {}: no persisted send position; sending from the live WAL segment {}", opts_.queue_name,
              live);
      return std::nullopt;
    case LoadedPosition::Kind::kCorrupt:
      LogWarn("remote",
              "queue {}: ignoring its damaged send position file {} ({}); sending from the live WAL "
              "segment {}; the file is replaced at the next save",
              opts_.queue_name, position_file_->path(), loaded->problem, live);
      return std::nullopt;
    case LoadedPosition::Kind::kForeign:
      LogError("remote",
               "queue {}: {} is not its send position file ({}); leaving it untouched, sending from the "
               "live WAL segment {} and not saving positions in this run",
               opts_.queue_name, position_file_->path(), loaded->problem, live);
      position_file_.reset();
      return std::nullopt;
    case LoadedPosition::Kind::kOk: break;
  }
  return loaded->position;
}

Status WalWatcher::PickSendPosition() {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, tsdb::wal::ListSegments(env_, opts_.wal_dir));
  const uint64_t live = segments.empty() ? 0 : segments.back();
  send_from_ = WalPosition{live, 0};
  if (!position_file_) return Status::OK();
  const std::optional<WalPosition> persisted = LoadPersistedPosition(live);
  if (!persisted) return Status::OK();
  const WalPosition p = *persisted;
  auto live_size =
      segments.empty() ? Result<uint64_t>(uint64_t{0}) : env_->GetFileSize(tsdb::wal::SegmentPath(opts_.wal_dir, live));
  if (p.segment > live || (p.segment == live && live_size.ok() && p.offset > *live_size)) {
    LogWarn("remote",
            "queue {}: persisted send position {}:{} is beyond the WAL's end (segment {}); sending from "
            "the live WAL segment",
            opts_.queue_name, p.segment, p.offset, live);
    return Status::OK();
  }
  send_from_ = p;
  LogInfo("remote", "queue {}: resuming remote write after WAL position {}:{}", opts_.queue_name, p.segment, p.offset);
  PROMETHIUM_ASSIGN_OR_RETURN(std::optional<uint64_t> checkpoint, tsdb::wal::LastCheckpoint(env_, opts_.wal_dir));
  const uint64_t first_readable = checkpoint ? *checkpoint + 1 : (segments.empty() ? live : segments.front());
  if (p.segment < first_readable) {
    LogWarn("remote",
            "queue {}: WAL segments {}..{} were deleted before they were sent (the queue lagged beyond "
            "the WAL retention bound); their samples are lost for this queue",
            opts_.queue_name, p.segment, first_readable - 1);
    metrics_->tailer.segments_lost->Inc(static_cast<double>(first_readable - p.segment));
  }
  return Status::OK();
}

Status WalWatcher::Start() {
  if (started_) return Status::FailedPrecondition("WAL watcher already started");
  if (!opts_.position_dir.empty()) position_file_.emplace(env_, opts_.position_dir, opts_.position_key);
  PROMETHIUM_RETURN_IF_ERROR(PickSendPosition());
  started_ = true;
  last_persisted_ = send_from_;
  metrics_->durable_segment->Set(static_cast<double>(send_from_.segment));
  if (opts_.retention != nullptr) retention_handle_ = opts_.retention->Add([this] { return SegmentFloor(); });
  tailer_ = std::make_unique<WalTailer>(env_, opts_.wal_dir, opts_.send_exemplars,
                                        std::chrono::milliseconds(opts_.checkpoint_check_interval_ms), send_from_,
                                        consumer_, metrics_->tailer, &stopping_);
  reader_thread_ = std::thread([this] { ReadLoop(); });
  persister_thread_ = std::thread([this] { PersistLoop(); });
  return Status::OK();
}

void WalWatcher::ReadLoop() {
  auto retry = kRetryMin;
  const auto min_poll = std::chrono::milliseconds(opts_.poll_interval_ms);
  const auto max_poll = std::max(min_poll, std::chrono::milliseconds(opts_.max_poll_interval_ms));
  auto poll = min_poll;
  while (!stopping_.load()) {
    auto next = tailer_->Step();
    if (!next.ok()) {
      LogWarn("remote", "queue {}: reading the WAL failed (retrying in {}ms): {}", opts_.queue_name, retry.count(),
              next.status().ToString());
      if (WaitStop(retry)) return;
      retry = std::min(retry * 2, kRetryMax);
      continue;
    }
    retry = kRetryMin;
    if (*next == WalTailer::Next::kStopped) return;
    if (*next != WalTailer::Next::kWait) {
      poll = min_poll;
      continue;
    }
    if (WaitStop(poll)) return;
    poll = std::min(poll * 2, max_poll);  // idle: back off, so an idle queue costs next to nothing
  }
}

bool WalWatcher::WaitStop(std::chrono::milliseconds d) {
  MutexLock lock(&mu_);
  return cv_.WaitFor(&mu_, d, [this]() REQUIRES(mu_) { return stop_; });
}

void WalWatcher::PersistLoop() {
  while (!WaitStop(std::chrono::milliseconds(opts_.persist_interval_ms))) PersistNow();
}

void WalWatcher::PersistNow() {
  const WalPosition pos = DurablePosition();
  metrics_->durable_segment->Set(static_cast<double>(pos.segment));
  if (!position_file_ || (persisted_once_ && pos == last_persisted_)) return;
  Status st = position_file_->Store(pos);
  if (!st.ok()) {
    metrics_->persist_failures->Inc();
    if (st.message() != last_persist_error_) {
      LogWarn("remote", "queue {}: saving its send position failed: {}", opts_.queue_name, st.ToString());
      last_persist_error_ = st.message();
    }
    return;
  }
  last_persist_error_.clear();
  last_persisted_ = pos;
  persisted_once_ = true;
}

void WalWatcher::Stop() {
  if (!started_) return;
  started_ = false;
  stopping_.store(true);
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (reader_thread_.joinable()) reader_thread_.join();
  if (persister_thread_.joinable()) persister_thread_.join();
  PersistNow();
  if (opts_.retention != nullptr) opts_.retention->Remove(retention_handle_);
}

}  // namespace promethium::remote
