// RemoteWriteConfig: one `remote_write:` entry of prometheus.yml, resolved
// (Prometheus's config.RemoteWriteConfig, QueueConfig and MetadataConfig,
// with their defaults).
//
// server/ decodes YAML into these plain structs (defaults applied, relative
// file paths resolved, everything validated), so remote/write/ never sees
// YAML. Header-only, so the config loader can fill it without linking the
// sender.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scrape/http_client_config.h"
#include "scrape/relabel/relabel_config.h"

namespace promethium::remote {

// Which protobuf message the queue sends (`protobuf_message`).
enum class WriteProtocol {
  kV1,  // prometheus.WriteRequest (Remote Write 1.0)
  kV2,  // io.prometheus.write.v2.Request (Remote Write 2.0)
};

inline constexpr std::string_view kWriteV1MessageName = "prometheus.WriteRequest";
inline constexpr std::string_view kWriteV2MessageName = "io.prometheus.write.v2.Request";

struct QueueConfig {
  int64_t capacity = 10'000;  // samples buffered per shard before Append blocks
  int64_t max_shards = 50;
  int64_t min_shards = 1;
  int64_t max_samples_per_send = 2'000;
  int64_t batch_send_deadline_ms = 5'000;
  int64_t min_backoff_ms = 30;
  int64_t max_backoff_ms = 5'000;
  bool retry_on_http_429 = false;   // Prometheus's default (its docs say so too)
  int64_t sample_age_limit_ms = 0;  // 0: samples never expire

  friend bool operator==(const QueueConfig&, const QueueConfig&) = default;
};

struct MetadataConfig {
  bool send = true;
  int64_t send_interval_ms = 60'000;
  int64_t max_samples_per_send = 2'000;

  friend bool operator==(const MetadataConfig&, const MetadataConfig&) = default;
};

struct RemoteWriteConfig {
  std::string url;   // absolute http:// or https:// URL
  std::string name;  // "" in the file: the server fills in the config hash's first 6 hex digits
  int64_t remote_timeout_ms = 30'000;
  std::vector<std::pair<std::string, std::string>> headers;  // reserved names rejected by the loader
  std::vector<scrape::RelabelConfig> write_relabel_configs;
  bool send_exemplars = false;
  // Whether native-histogram samples of the WAL are sent (Prometheus's
  // default: no; the queue still reads past them).
  bool send_native_histograms = false;
  bool round_robin_dns = false;  // accepted; hosts are dialled as the system resolver orders them
  WriteProtocol protocol = WriteProtocol::kV1;
  scrape::HttpClientConfig http_client;  // TLS, auth, proxy (follow_redirects defaults to true)
  QueueConfig queue_config;
  MetadataConfig metadata_config;
  // A digest of the entry as configured (hex), for names and logs; equality
  // of the structs decides whether a reload restarts the queue.
  std::string config_hash;

  friend bool operator==(const RemoteWriteConfig&, const RemoteWriteConfig&) = default;
};

}  // namespace promethium::remote
