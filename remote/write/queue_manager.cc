#include "remote/write/queue_manager.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <exception>
#include <future>

#include "remote/write/queue_state.h"
#include "scrape/relabel/relabel.h"
#include "tsdb/base/logging.h"

namespace promethium::remote {
namespace {

constexpr std::string_view kLog = "remote";
// Append re-checks for room this often even without a wake-up, so a lost
// notification can only delay it, never hang it.
constexpr auto kEnqueueRecheck = std::chrono::milliseconds(100);

// Counts gathered while holding the lock, published once per Append.
struct AppendTally {
  int64_t enqueued = 0;
  int64_t too_old = 0;
  int64_t dropped_series = 0;
  int64_t unknown_series = 0;
  int64_t highest_t = INT64_MIN;
};

}  // namespace

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

QueueManager::State::State(QueueManager::Options o)
    : options(std::move(o)),
      count_process_input(options.count_process_input),
      metrics(options.metrics, options.config.name, options.config.url),
      shards_exited(io),
      update_timer(io),
      metadata_timer(io),
      data_in(options.shard_update_interval_ms / 1000.0),
      data_out(options.shard_update_interval_ms / 1000.0),
      data_dropped(options.shard_update_interval_ms / 1000.0),
      data_out_duration_us(options.shard_update_interval_ms / 1000.0) {
  shards_exited.expires_at(net::steady_timer::time_point::max());
}

void QueueManager::State::Acknowledge(const std::vector<QueueItem>& batch) {
  MutexLock l(&mu);
  for (size_t i = 0; i < batch.size();) {
    size_t j = i;
    while (j < batch.size() && batch[j].record_seq == batch[i].record_seq) ++j;
    acks.Ack(batch[i].record_seq, j - i);
    i = j;
  }
}

std::vector<MetricMetadataEntry> QueueManager::State::RefreshMetadata() {
  if (!options.metadata_source) return {};
  std::vector<MetricMetadataEntry> all = options.metadata_source();
  auto index = std::make_shared<MetadataIndex>();
  for (const MetricMetadataEntry& m : all) index->try_emplace(m.family, m);  // the first target's entry wins
  MutexLock l(&mu);
  metadata = std::move(index);
  return all;
}

Result<std::unique_ptr<QueueManager>> QueueManager::Make(Options options) {
  if (options.metrics == nullptr) return Status::InvalidArgument("remote write queue needs a metrics registry");
  PROMETHIUM_ASSIGN_OR_RETURN(std::shared_ptr<const WriteEndpoint> endpoint, WriteEndpoint::Make(options.config));
  auto state = std::make_unique<State>(std::move(options));
  state->endpoint = std::move(endpoint);
  return std::unique_ptr<QueueManager>(new QueueManager(std::move(state)));
}

QueueManager::QueueManager(std::unique_ptr<State> state) : s_(std::move(state)) {}

QueueManager::~QueueManager() { Stop(); }

void QueueManager::SetCountsProcessInput(bool counts) { s_->count_process_input.store(counts); }

const RemoteWriteConfig& QueueManager::config() const { return s_->options.config; }

int QueueManager::shards() const {
  MutexLock l(&s_->mu);
  return static_cast<int>(s_->shards.size());
}

void QueueManager::Start() {
  State& s = *s_;
  MutexLock life(&s.lifecycle_mu);
  if (s.started) return;
  s.started = true;
  const QueueConfig& qc = s.qc();
  s.metrics.shard_capacity->Set(static_cast<double>(qc.capacity));
  s.metrics.shards_max->Set(static_cast<double>(qc.max_shards));
  s.metrics.shards_min->Set(static_cast<double>(qc.min_shards));
  s.metrics.shards_desired->Set(static_cast<double>(qc.min_shards));
  s.metrics.max_samples_per_send->Set(static_cast<double>(qc.max_samples_per_send));
  s.work = std::make_unique<net::executor_work_guard<net::io_context::executor_type>>(s.io.get_executor());
  net::post(s.io, [&s, n = static_cast<int>(qc.min_shards)] {
    {
      MutexLock l(&s.mu);
      s.accepting = !s.stopping;
    }
    s.StartShards(n);
    s.space_cv.SignalAll();
  });
  net::co_spawn(s.io, s.UpdateShardsLoop(), net::detached);
  net::co_spawn(s.io, s.MetadataLoop(), net::detached);
  s.thread = std::thread([&s] {
    for (;;) {
      try {
        s.io.run();
        return;
      } catch (const std::exception& e) {  // Boost.Asio edge: log and keep the queue alive
        LogError(kLog, "Remote write queue I/O failed: remote_name={} err={}", s.options.config.name, e.what());
      }
    }
  });
  LogInfo(kLog, "Starting remote write queue: remote_name={} url={}", s.options.config.name, s.options.config.url);
}

void QueueManager::Stop() {
  State& s = *s_;
  MutexLock life(&s.lifecycle_mu);
  if (!s.started || s.stopped) {
    s.stopped = true;
    return;
  }
  s.stopped = true;
  LogInfo(kLog, "Stopping remote storage: remote_name={}", s.options.config.name);
  {
    MutexLock l(&s.mu);
    s.stopping = true;
    s.accepting = false;
  }
  s.space_cv.SignalAll();
  std::promise<void> flushed;
  net::co_spawn(
      s.io,
      [&s, &flushed]() -> net::awaitable<void> {
        s.update_timer.cancel();
        s.metadata_timer.cancel();
        net::steady_timer deadline(s.io);
        deadline.expires_after(std::chrono::milliseconds(s.options.flush_deadline_ms));
        deadline.async_wait([&s](const boost::system::error_code& ec) {
          if (!ec) s.HardStop();  // the flush took too long
        });
        co_await s.FlushShards();
        deadline.cancel();
        s.HardStop();  // ends a metadata send still retrying
        flushed.set_value();
      },
      net::detached);
  flushed.get_future().wait();
  s.work.reset();
  s.thread.join();
  LogInfo(kLog, "Remote storage stopped: remote_name={}", s.options.config.name);
}

void QueueManager::Reshard(int n) {
  State& s = *s_;
  // Held throughout, so Stop cannot end the I/O thread under the reshard.
  MutexLock life(&s.lifecycle_mu);
  if (!s.started || s.stopped) return;
  std::promise<void> done;
  net::co_spawn(
      s.io,
      [&s, &done, n]() -> net::awaitable<void> {
        co_await s.ReshardTo(n);
        done.set_value();
      },
      net::detached);
  done.get_future().wait();
}

void QueueManager::StoreSeries(std::span<const tsdb::wal::RefSeries> series, uint64_t segment) {
  State& s = *s_;
  std::vector<std::pair<uint64_t, CachedSeries>> built;
  built.reserve(series.size());
  LabelsBuilder b;
  for (const tsdb::wal::RefSeries& rs : series) {
    b.Reset(rs.labels);
    for (const Label& ext : s.options.external_labels) {
      if (rs.labels.Get(ext.name).empty()) b.Set(ext.name, ext.value);
    }
    CachedSeries cached;
    cached.segment = segment;
    if (scrape::RelabelBuilder(&b, s.options.config.write_relabel_configs)) {
      cached.entry = std::make_shared<const SeriesEntry>(SeriesEntry{b.Build()});
    }
    built.emplace_back(rs.ref, std::move(cached));
  }
  MutexLock l(&s.mu);
  for (auto& [ref, cached] : built) s.series[ref] = std::move(cached);
}

void QueueManager::SeriesReset(uint64_t segment) {
  MutexLock l(&s_->mu);
  std::erase_if(s_->series, [segment](const auto& kv) { return kv.second.segment < segment; });
}

WalPosition QueueManager::AcknowledgedPosition() const {
  MutexLock l(&s_->mu);
  return s_->acks.Acknowledged();
}

namespace {

// Puts `item` on its series' shard, waiting for room. False: stopping.
bool Enqueue(QueueManager::State& s, uint64_t ref, QueueItem&& item) REQUIRES(s.mu) {
  const size_t capacity = static_cast<size_t>(s.qc().capacity);
  const size_t batch = static_cast<size_t>(s.qc().max_samples_per_send);
  for (;;) {
    if (s.stopping) return false;
    if (s.accepting && !s.shards.empty()) {
      const std::shared_ptr<QueueShard>& shard = s.shards[ref % s.shards.size()];
      auto& [queue, wake_posted] = s.Locked(*shard);
      if (queue.size() < capacity) {
        s.acks.Add(item.record_seq, 1);
        queue.push_back(std::move(item));
        if (queue.size() >= batch && !wake_posted) {
          wake_posted = true;
          net::post(s.io, [weak = std::weak_ptr<QueueShard>(shard)] {
            if (auto sh = weak.lock()) sh->wake.cancel();
          });
        }
        return true;
      }
    }
    s.metrics.enqueue_retries_total->Inc();
    s.space_cv.WaitFor(&s.mu, kEnqueueRecheck);
  }
}

// What one Append call carries, for its metrics.
enum class DataKind { kSamples, kExemplars, kHistograms };

// The metrics of one DataKind.
struct KindMetrics {
  Gauge* pending;
  Counter* dropped_too_old;
  Counter* dropped_series;
  Counter* dropped_unintentional_series;
  Counter* in_total;
  const char* name;
};

KindMetrics MetricsOf(QueueMetrics& m, DataKind kind) {
  switch (kind) {
    case DataKind::kExemplars:
      return {m.exemplars_pending,        m.exemplars_dropped_too_old,
              m.exemplars_dropped_series, m.exemplars_dropped_unintentional_series,
              m.exemplars_in_total,       "exemplars"};
    case DataKind::kHistograms:
      return {m.histograms_pending,        m.histograms_dropped_too_old,
              m.histograms_dropped_series, m.histograms_dropped_unintentional_series,
              m.histograms_in_total,       "histograms"};
    case DataKind::kSamples: break;
  }
  return {m.samples_pending,        m.samples_dropped_too_old,
          m.samples_dropped_series, m.samples_dropped_unintentional_series,
          m.samples_in_total,       "samples"};
}

// Publishes one Append's counts. Samples and histograms (not exemplars)
// raise the highest received timestamp, as in Prometheus.
void Publish(QueueManager::State& s, const AppendTally& t, DataKind kind) {
  QueueMetrics& m = s.metrics;
  const KindMetrics km = MetricsOf(m, kind);
  if (t.enqueued > 0) {
    km.pending->Add(static_cast<double>(t.enqueued));
    const double seconds = static_cast<double>(t.highest_t / 1000);
    SetGaugeToMax(m.queue_highest_timestamp_seconds, seconds);
    if (kind != DataKind::kExemplars) {
      double prev = s.highest_received_seconds.load();
      while (seconds > prev && !s.highest_received_seconds.compare_exchange_weak(prev, seconds)) {
      }
      if (s.count_process_input.load()) SetGaugeToMax(m.highest_timestamp_in_seconds, seconds);
    }
  }
  if (t.too_old > 0) km.dropped_too_old->Inc(t.too_old);
  if (t.dropped_series > 0) km.dropped_series->Inc(t.dropped_series);
  if (t.unknown_series > 0) {
    km.dropped_unintentional_series->Inc(t.unknown_series);
    LogDebug(kLog, "Dropped {} for series that were not explicitly dropped via relabelling: remote_name={}", km.name,
             s.options.config.name);
  }
  s.data_dropped.Add(t.dropped_series + t.unknown_series);
}

// The shared body of the Append* calls: `make` builds the item of one input
// (series set by the caller).
template <typename T, typename Make>
bool AppendRecord(QueueManager::State& s, std::span<const T> in, WalPosition end, DataKind kind, Make make) {
  const int64_t age_limit = s.qc().sample_age_limit_ms;
  const int64_t oldest = age_limit > 0 ? WallNowMs() - age_limit : INT64_MIN;
  s.data_in.Add(static_cast<int64_t>(in.size()));
  if (s.count_process_input.load()) MetricsOf(s.metrics, kind).in_total->Inc(static_cast<double>(in.size()));
  AppendTally tally;
  bool ok = true;
  {
    MutexLock l(&s.mu);
    if (s.stopping) return false;
    const uint64_t seq = s.acks.Open(end);
    for (const T& x : in) {
      if (x.t < oldest) {
        ++tally.too_old;
        continue;
      }
      auto it = s.series.find(x.ref);
      if (it == s.series.end() || it->second.entry == nullptr) {
        ++(it == s.series.end() ? tally.unknown_series : tally.dropped_series);
        continue;
      }
      QueueItem item = make(x);
      item.series = it->second.entry;
      item.record_seq = seq;
      if (!Enqueue(s, x.ref, std::move(item))) {
        ok = false;  // the record stays open: never acknowledged
        break;
      }
      ++tally.enqueued;
      tally.highest_t = std::max(tally.highest_t, x.t);
    }
    if (ok) s.acks.Close(seq);
  }
  Publish(s, tally, kind);
  return ok;
}

}  // namespace

bool QueueManager::Append(std::span<const tsdb::wal::RefSample> samples, WalPosition end) {
  return AppendRecord(*s_, samples, end, DataKind::kSamples, [](const tsdb::wal::RefSample& x) {
    QueueItem item;
    item.t = x.t;
    item.v = x.v;
    return item;
  });
}

bool QueueManager::AppendExemplars(std::span<const tsdb::wal::RefExemplar> exemplars, WalPosition end) {
  if (!s_->options.config.send_exemplars) exemplars = {};  // nothing to send, but the position advances
  return AppendRecord(*s_, exemplars, end, DataKind::kExemplars, [](const tsdb::wal::RefExemplar& x) {
    QueueItem item;
    item.t = x.t;
    item.v = x.v;
    item.kind = QueueItem::Kind::kExemplar;
    item.exemplar_labels = x.labels;
    return item;
  });
}

bool QueueManager::AppendHistograms(std::span<const tsdb::wal::RefHistogramSample> histograms, WalPosition end) {
  // As Prometheus: without send_native_histograms nothing is sent (the
  // position still advances).
  if (!s_->options.config.send_native_histograms) histograms = {};
  return AppendRecord(*s_, histograms, end, DataKind::kHistograms, [](const tsdb::wal::RefHistogramSample& x) {
    QueueItem item;
    item.t = x.t;
    item.kind = QueueItem::Kind::kHistogram;
    item.h = std::make_shared<const Histogram>(x.h);
    return item;
  });
}

bool QueueManager::AppendFloatHistograms(std::span<const tsdb::wal::RefFloatHistogramSample> histograms,
                                         WalPosition end) {
  if (!s_->options.config.send_native_histograms) histograms = {};
  return AppendRecord(*s_, histograms, end, DataKind::kHistograms, [](const tsdb::wal::RefFloatHistogramSample& x) {
    QueueItem item;
    item.t = x.t;
    item.kind = QueueItem::Kind::kFloatHistogram;
    item.fh = std::make_shared<const FloatHistogram>(x.fh);
    return item;
  });
}

}  // namespace promethium::remote
