#include "remote/write/queue_metrics.h"

namespace promethium::remote {
namespace {

constexpr char kPrefix[] = "prometheus_remote_storage_";

std::string N(const char* name) { return std::string(kPrefix) + name; }

Counter* Dropped(MetricsRegistry* r, const char* what, const MetricLabels& labels, const char* reason) {
  MetricLabels with_reason = {{"reason", reason}};  // label names in sorted order, as Prometheus renders them
  with_reason.insert(with_reason.end(), labels.begin(), labels.end());
  return r->GetCounter(N(what).append("_dropped_total"),
                       std::string("Total number of ") + what +
                           " which were dropped after being read from the WAL before being sent via remote write, "
                           "either via relabelling, due to being too old or unintentionally because of an unknown "
                           "reference ID.",
                       with_reason);
}

}  // namespace

QueueMetrics::QueueMetrics(MetricsRegistry* r, const std::string& remote_name, const std::string& url) {
  const MetricLabels l = {{"remote_name", remote_name}, {"url", url}};
  samples_total = r->GetCounter(N("samples_total"), "Total number of samples sent to remote storage.", l);
  exemplars_total = r->GetCounter(N("exemplars_total"), "Total number of exemplars sent to remote storage.", l);
  histograms_total = r->GetCounter(N("histograms_total"), "Total number of histograms sent to remote storage.", l);
  metadata_total = r->GetCounter(N("metadata_total"), "Total number of metadata entries sent to remote storage.", l);
  samples_failed_total =
      r->GetCounter(N("samples_failed_total"),
                    "Total number of samples which failed on send to remote storage, non-recoverable errors.", l);
  exemplars_failed_total =
      r->GetCounter(N("exemplars_failed_total"),
                    "Total number of exemplars which failed on send to remote storage, non-recoverable errors.", l);
  histograms_failed_total =
      r->GetCounter(N("histograms_failed_total"),
                    "Total number of histograms which failed on send to remote storage, non-recoverable errors.", l);
  metadata_failed_total = r->GetCounter(
      N("metadata_failed_total"),
      "Total number of metadata entries which failed on send to remote storage, non-recoverable errors.", l);
  samples_retried_total = r->GetCounter(N("samples_retried_total"),
                                        "Total number of samples which failed on send to remote storage but were "
                                        "retried because the send error was recoverable.",
                                        l);
  exemplars_retried_total = r->GetCounter(N("exemplars_retried_total"),
                                          "Total number of exemplars which failed on send to remote storage but "
                                          "were retried because the send error was recoverable.",
                                          l);
  histograms_retried_total = r->GetCounter(N("histograms_retried_total"),
                                           "Total number of histograms which failed on send to remote storage but "
                                           "were retried because the send error was recoverable.",
                                           l);
  metadata_retried_total = r->GetCounter(N("metadata_retried_total"),
                                         "Total number of metadata entries which failed on send to remote storage "
                                         "but were retried because the send error was recoverable.",
                                         l);
  samples_dropped_too_old = Dropped(r, "samples", l, "too_old");
  samples_dropped_series = Dropped(r, "samples", l, "dropped_series");
  samples_dropped_unintentional_series = Dropped(r, "samples", l, "unintentionally_dropped_series");
  exemplars_dropped_too_old = Dropped(r, "exemplars", l, "too_old");
  exemplars_dropped_series = Dropped(r, "exemplars", l, "dropped_series");
  exemplars_dropped_unintentional_series = Dropped(r, "exemplars", l, "unintentionally_dropped_series");
  histograms_dropped_too_old = Dropped(r, "histograms", l, "too_old");
  histograms_dropped_series = Dropped(r, "histograms", l, "dropped_series");
  histograms_dropped_unintentional_series = Dropped(r, "histograms", l, "unintentionally_dropped_series");
  enqueue_retries_total = r->GetCounter(N("enqueue_retries_total"),
                                        "Total number of times enqueue has failed because a shards queue was full.", l);
  sent_batch_duration_seconds =
      r->GetHistogram(N("sent_batch_duration_seconds"), "Duration of send calls to the remote storage.",
                      {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 25, 60, 120, 300}, l);
  queue_highest_timestamp_seconds =
      r->GetGauge(N("queue_highest_timestamp_seconds"),
                  "Highest timestamp that was enqueued, in seconds since epoch. Initialized to 0 when no data has "
                  "been received yet.",
                  l);
  queue_highest_sent_timestamp_seconds =
      r->GetGauge(N("queue_highest_sent_timestamp_seconds"),
                  "Highest timestamp successfully sent by this queue, in seconds since epoch. Initialized to 0 when "
                  "no data has been sent yet.",
                  l);
  samples_pending = r->GetGauge(
      N("samples_pending"), "The number of samples pending in the queues shards to be sent to the remote storage.", l);
  exemplars_pending =
      r->GetGauge(N("exemplars_pending"),
                  "The number of exemplars pending in the queues shards to be sent to the remote storage.", l);
  histograms_pending =
      r->GetGauge(N("histograms_pending"),
                  "The number of histograms pending in the queues shards to be sent to the remote storage.", l);
  shard_capacity =
      r->GetGauge(N("shard_capacity"),
                  "The capacity of each shard of the queue used for parallel sending to the remote storage.", l);
  shards = r->GetGauge(N("shards"), "The number of shards used for parallel sending to the remote storage.", l);
  shards_max = r->GetGauge(N("shards_max"), "The maximum number of shards that the queue is allowed to run.", l);
  shards_min = r->GetGauge(N("shards_min"), "The minimum number of shards that the queue is allowed to run.", l);
  shards_desired =
      r->GetGauge(N("shards_desired"),
                  "The number of shards that the queues shard calculation wants to run based on the rate of samples "
                  "in vs. samples out.",
                  l);
  max_samples_per_send = r->GetGauge(
      N("max_samples_per_send"),
      "The maximum number of samples to be sent, in a single request, to the remote storage. Note that, when sending "
      "of exemplars over remote write is enabled, exemplars count towards this limt.",
      l);
  bytes_total = r->GetCounter(N("bytes_total"),
                              "The total number of bytes of data (not metadata) sent by the queue after compression. "
                              "Note that when exemplars over remote write is enabled the exemplars included in a "
                              "remote write request count towards this metric.",
                              l);
  metadata_bytes_total = r->GetCounter(N("metadata_bytes_total"),
                                       "The total number of bytes of metadata sent by the queue after compression.", l);
  samples_in_total =
      r->GetCounter(N("samples_in_total"), "Samples in to remote storage, compare to samples out for queue managers.");
  exemplars_in_total = r->GetCounter(N("exemplars_in_total"),
                                     "Exemplars in to remote storage, compare to exemplars out for queue managers.");
  histograms_in_total = r->GetCounter(
      N("histograms_in_total"), "HistogramSamples in to remote storage, compare to histograms out for queue managers.");
  highest_timestamp_in_seconds =
      r->GetGauge(N("highest_timestamp_in_seconds"),
                  "Highest timestamp that has come into the remote storage via the Appender interface, in seconds "
                  "since epoch. Initialized to 0 when no data has been received yet.");
}

void SetGaugeToMax(Gauge* gauge, double value) {
  // Gauge has no compare-exchange; racing writers may briefly lower it, and
  // the next higher value restores it. Values only grow in practice.
  if (value > gauge->Value()) gauge->Set(value);
}

}  // namespace promethium::remote
