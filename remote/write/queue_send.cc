// Sending for QueueManager (queue_state.h), on its I/O thread: one batch
// with retries (Prometheus's sendSamplesWithBackoff) and the 1.0 metadata
// loop.
#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <chrono>

#include "remote/write/queue_state.h"
#include "tsdb/base/logging.h"

namespace promethium::remote {
namespace {

constexpr std::string_view kLog = "remote";

// Exponential backoff between retries, overridden by the receiver's
// Retry-After. `backoff` holds the next default delay; returns this retry's.
int64_t NextRetryDelay(int64_t retry_after_ms, int64_t max_backoff_ms, int64_t* backoff) {
  const int64_t sleep = retry_after_ms > 0 ? retry_after_ms : *backoff;
  *backoff = std::min(sleep * 2, max_backoff_ms);
  return sleep;
}

// What one batch held when it left its shard.
ItemCounts Count(const std::vector<QueueItem>& batch) {
  ItemCounts c;
  for (const QueueItem& item : batch) c.Add(item);
  return c;
}

int64_t OldestAllowed(int64_t age_limit_ms) { return age_limit_ms > 0 ? WallNowMs() - age_limit_ms : INT64_MIN; }

}  // namespace

// The outcome of all attempts at one batch.
struct SendResult {
  Status status;
  bool canceled = false;  // hard stop: not sent, not acknowledged
  WriteResponseStats stats;
};

net::awaitable<void> QueueManager::State::SendBatch(QueueShard* shard, std::vector<QueueItem> batch) {
  const auto begin = std::chrono::steady_clock::now();
  const ItemCounts queued = Count(batch);
  const RemoteWriteConfig& cfg = options.config;
  std::shared_ptr<const MetadataIndex> md;
  {
    MutexLock l(&mu);
    md = metadata;
  }
  EncodedBatch enc;
  size_t recorded_drops_samples = 0, recorded_drops_exemplars = 0, recorded_drops_histograms = 0;
  // Encodes the batch again leaving out what became too old; counts the new drops.
  auto encode = [&]() -> Status {
    PROMETHIUM_ASSIGN_OR_RETURN(enc,
                                EncodeBatch(cfg.protocol, batch, md.get(), OldestAllowed(qc().sample_age_limit_ms)));
    metrics.samples_dropped_too_old->Inc(static_cast<double>(enc.dropped_samples - recorded_drops_samples));
    metrics.exemplars_dropped_too_old->Inc(static_cast<double>(enc.dropped_exemplars - recorded_drops_exemplars));
    metrics.histograms_dropped_too_old->Inc(static_cast<double>(enc.dropped_histograms - recorded_drops_histograms));
    recorded_drops_samples = enc.dropped_samples;
    recorded_drops_exemplars = enc.dropped_exemplars;
    recorded_drops_histograms = enc.dropped_histograms;
    return Status::OK();
  };
  SendResult result;
  result.status = encode();
  int64_t backoff = qc().min_backoff_ms;
  for (int attempt = 0; result.status.ok() && enc.samples + enc.exemplars + enc.histograms > 0; ++attempt) {
    metrics.samples_total->Inc(static_cast<double>(enc.samples));
    metrics.exemplars_total->Inc(static_cast<double>(enc.exemplars));
    metrics.histograms_total->Inc(static_cast<double>(enc.histograms));
    if (cfg.protocol == WriteProtocol::kV2) metrics.metadata_total->Inc(static_cast<double>(enc.metadata));
    const auto t0 = std::chrono::steady_clock::now();
    StoreOutcome o = co_await StoreBatch(&shard->client, *endpoint, enc.body, attempt);
    metrics.sent_batch_duration_seconds->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    result.stats.samples += o.stats.samples;
    result.stats.histograms += o.stats.histograms;
    result.stats.exemplars += o.stats.exemplars;
    result.stats.confirmed = o.stats.confirmed;
    if (hard_stop) {
      result.canceled = true;
      break;
    }
    if (o.status.ok()) {
      // A 2.0 receiver must say what it wrote; nothing written means it did
      // not understand the request (e.g. a 1.0-only receiver).
      if (cfg.protocol == WriteProtocol::kV2 && o.stats.samples + o.stats.histograms + o.stats.exemplars == 0) {
        result.status = Status::IOError(fmt::format(
            "sent v2 request with {} samples, {} histograms and {} exemplars; got 2xx, but PRW 2.0 response header "
            "statistics indicate {} samples, {} histograms and {} exemplars were accepted; assuming failure e.g. the "
            "target only supports PRW 1.0 prometheus.WriteRequest, but does not check the Content-Type header "
            "correctly",
            enc.samples, enc.histograms, enc.exemplars, o.stats.samples, o.stats.histograms, o.stats.exemplars));
      }
      break;
    }
    if (!o.recoverable) {
      result.status = o.status;
      break;
    }
    const int64_t sleep = NextRetryDelay(o.retry_after_ms, qc().max_backoff_ms, &backoff);
    // More shards would not help against a struggling receiver.
    reshard_disabled_until_ms = std::max(reshard_disabled_until_ms, SteadyNowMs() + 2 * sleep);
    LogWarn(kLog, "Failed to send batch, retrying: remote_name={} url={} err={}", cfg.name, cfg.url,
            o.status.message());
    co_await Sleep(shard->backoff, RetryWaitMs(sleep));
    if (hard_stop) {
      result.canceled = true;
      break;
    }
    metrics.samples_retried_total->Inc(static_cast<double>(enc.samples));
    metrics.exemplars_retried_total->Inc(static_cast<double>(enc.exemplars));
    metrics.histograms_retried_total->Inc(static_cast<double>(enc.histograms));
    if (qc().sample_age_limit_ms > 0 && enc.lowest_timestamp < OldestAllowed(qc().sample_age_limit_ms)) {
      result.status = encode();
    }
  }

  metrics.samples_pending->Add(-static_cast<double>(queued.samples));
  metrics.exemplars_pending->Add(-static_cast<double>(queued.exemplars));
  metrics.histograms_pending->Add(-static_cast<double>(queued.histograms));
  if (result.canceled) {
    metrics.samples_failed_total->Inc(static_cast<double>(enc.samples));
    metrics.exemplars_failed_total->Inc(static_cast<double>(enc.exemplars));
    metrics.histograms_failed_total->Inc(static_cast<double>(enc.histograms));
    LogWarn(kLog, "Stopped before the batch was sent; it is sent again after the next start: remote_name={} count={}",
            cfg.name, enc.samples + enc.exemplars + enc.histograms);
    co_return;  // not acknowledged: the WAL keeps it for the next start
  }
  WriteResponseStats written = result.stats;
  if (result.status.ok() && !written.confirmed) {  // a 1.0 receiver: success means everything
    written.samples = static_cast<int64_t>(enc.samples);
    written.exemplars = static_cast<int64_t>(enc.exemplars);
    written.histograms = static_cast<int64_t>(enc.histograms);
  }
  const int64_t failed_samples = std::max<int64_t>(0, static_cast<int64_t>(enc.samples) - written.samples);
  const int64_t failed_exemplars = std::max<int64_t>(0, static_cast<int64_t>(enc.exemplars) - written.exemplars);
  const int64_t failed_histograms = std::max<int64_t>(0, static_cast<int64_t>(enc.histograms) - written.histograms);
  metrics.samples_failed_total->Inc(static_cast<double>(failed_samples));
  metrics.exemplars_failed_total->Inc(static_cast<double>(failed_exemplars));
  metrics.histograms_failed_total->Inc(static_cast<double>(failed_histograms));
  if (!result.status.ok()) {
    LogError(kLog,
             "non-recoverable error: remote_name={} url={} failedSampleCount={} failedHistogramCount={} "
             "failedExemplarCount={} err={}",
             cfg.name, cfg.url, failed_samples, failed_histograms, failed_exemplars, result.status.message());
  } else if (failed_samples + failed_exemplars + failed_histograms > 0) {
    LogError(kLog,
             "we got 2xx status code from the Receiver yet statistics indicate some data was not written; "
             "investigation needed: remote_name={} failedSampleCount={} failedHistogramCount={} "
             "failedExemplarCount={}",
             cfg.name, failed_samples, failed_histograms, failed_exemplars);
  }
  // The resharding inputs count every item that left, sent or not.
  data_out.Add(queued.Total());
  data_out_duration_us.Add(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - begin).count());
  last_send_steady_ms.store(SteadyNowMs());
  if (enc.samples + enc.exemplars + enc.histograms > 0) {
    metrics.bytes_total->Inc(static_cast<double>(enc.body.size()));
    const double sent_seconds = static_cast<double>(enc.highest_timestamp / 1000);
    SetGaugeToMax(metrics.queue_highest_sent_timestamp_seconds, sent_seconds);
    if (sent_seconds > highest_sent_seconds.load()) highest_sent_seconds.store(sent_seconds);
  }
  Acknowledge(batch);
}

net::awaitable<void> QueueManager::State::SendMetadata(std::span<const MetricMetadataEntry> entries) {
  Result<std::string> body = EncodeMetadataV1(entries);
  const double n = static_cast<double>(entries.size());
  if (!body.ok()) {
    metrics.metadata_failed_total->Inc(n);
    co_return;
  }
  if (!metadata_client) metadata_client = std::make_unique<scrape::HttpClient>(io.get_executor());
  int64_t backoff = qc().min_backoff_ms;
  for (int attempt = 0;; ++attempt) {
    metrics.metadata_total->Inc(n);
    StoreOutcome o = co_await StoreBatch(metadata_client.get(), *endpoint, *body, attempt);
    if (hard_stop) co_return;
    if (o.status.ok()) break;
    if (!o.recoverable) {
      metrics.metadata_failed_total->Inc(n);
      LogError(kLog, "non-recoverable error while sending metadata: remote_name={} count={} err={}",
               options.config.name, entries.size(), o.status.message());
      co_return;
    }
    const int64_t sleep = NextRetryDelay(o.retry_after_ms, qc().max_backoff_ms, &backoff);
    co_await Sleep(metadata_timer, RetryWaitMs(sleep));
    if (hard_stop) co_return;
    metrics.metadata_retried_total->Inc(n);
  }
  metrics.metadata_bytes_total->Inc(static_cast<double>(body->size()));
}

net::awaitable<void> QueueManager::State::MetadataLoop() {
  const MetadataConfig& mc = options.config.metadata_config;
  const bool v1_send = options.config.protocol == WriteProtocol::kV1 && mc.send;
  const bool v2 = options.config.protocol == WriteProtocol::kV2;
  if (!options.metadata_source || (!v1_send && !v2)) co_return;
  const size_t per_send = static_cast<size_t>(std::max<int64_t>(1, mc.max_samples_per_send));
  for (;;) {
    std::vector<MetricMetadataEntry> all = RefreshMetadata();
    if (v1_send) {
      for (size_t i = 0; i < all.size() && !hard_stop; i += per_send) {
        co_await SendMetadata(std::span(all).subspan(i, std::min(per_send, all.size() - i)));
      }
    }
    if (hard_stop) co_return;
    co_await Sleep(metadata_timer, mc.send_interval_ms);
    if (hard_stop) co_return;
    MutexLock l(&mu);
    if (stopping) co_return;
  }
}

}  // namespace promethium::remote
