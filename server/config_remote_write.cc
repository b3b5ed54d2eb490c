// The `remote_write:` section of prometheus.yml (see config_remote_write.h).
#include "server/config_remote_write.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "scrape/relabel/md5.h"
#include "server/config_http_client.h"
#include "server/config_paths.h"
#include "server/config_remote_read.h"

namespace promethium::server::config_internal {
namespace {

// go-yaml names the types these decode through.
constexpr std::string_view kRemoteWriteType = "config.plain";
constexpr std::string_view kQueueType = "config.QueueConfig";
constexpr std::string_view kMetadataType = "config.MetadataConfig";

// Remote-storage auth and HTTP client options Prometheus has and we do not.
const std::set<std::string_view> kUnsupportedRemoteWrite = {"oauth2", "http_headers", "sigv4", "azuread", "google_iam"};

Status DecodeQueueConfig(YamlDecoder& dec, const YAML::Node& v, remote::QueueConfig* q) {
  if (v.IsNull()) return Status::OK();
  return dec.ForEachField(v, kQueueType, {}, [&](const std::string& key, const YAML::Node& x) -> Status {
    if (key == "capacity") return dec.DecodeInt64(x, &q->capacity);
    if (key == "max_shards") return dec.DecodeInt64(x, &q->max_shards);
    if (key == "min_shards") return dec.DecodeInt64(x, &q->min_shards);
    if (key == "max_samples_per_send") return dec.DecodeInt64(x, &q->max_samples_per_send);
    if (key == "batch_send_deadline") return dec.DecodeDuration(x, &q->batch_send_deadline_ms);
    if (key == "min_backoff") return dec.DecodeDuration(x, &q->min_backoff_ms);
    if (key == "max_backoff") return dec.DecodeDuration(x, &q->max_backoff_ms);
    if (key == "retry_on_http_429") return dec.DecodeBool(x, &q->retry_on_http_429);
    if (key == "sample_age_limit") return dec.DecodeDuration(x, &q->sample_age_limit_ms);
    return YamlDecoder::Unknown();
  });
}

// QueueConfig.Validate, with its messages.
Status ValidateQueueConfig(const remote::QueueConfig& q) {
  if (q.max_shards <= 0) return Status::InvalidArgument("remote write queue max_shards must be positive");
  if (q.min_shards <= 0) return Status::InvalidArgument("remote write queue min_shards must be positive");
  if (q.min_shards > q.max_shards) {
    return Status::InvalidArgument("remote write queue min_shards must not be greater than max_shards");
  }
  if (q.max_samples_per_send <= 0) {
    return Status::InvalidArgument("remote write queue max_samples_per_send must be positive");
  }
  if (q.capacity <= 0) return Status::InvalidArgument("remote write queue capacity must be positive");
  if (q.max_backoff_ms < q.min_backoff_ms) {
    return Status::InvalidArgument("remote write queue max_backoff must not be less than min_backoff");
  }
  // Not in Prometheus (Go allocates lazily); bounds what one queue may hold.
  constexpr int64_t kMaxShards = 10'000, kMaxCapacity = 10'000'000;
  if (q.max_shards > kMaxShards || q.capacity > kMaxCapacity) {
    return Status::InvalidArgument(fmt::format(
        "remote write queue max_shards must be at most {} and capacity at most {}", kMaxShards, kMaxCapacity));
  }
  return Status::OK();
}

Status DecodeMetadataConfig(YamlDecoder& dec, const YAML::Node& v, remote::MetadataConfig* m) {
  if (v.IsNull()) return Status::OK();
  return dec.ForEachField(v, kMetadataType, {}, [&](const std::string& key, const YAML::Node& x) -> Status {
    if (key == "send") return dec.DecodeBool(x, &m->send);
    if (key == "send_interval") return dec.DecodeDuration(x, &m->send_interval_ms);
    if (key == "max_samples_per_send") return dec.DecodeInt64(x, &m->max_samples_per_send);
    return YamlDecoder::Unknown();
  });
}

Status DecodeProtobufMessage(YamlDecoder& dec, const YAML::Node& v, remote::WriteProtocol* out) {
  std::string name;
  PROMETHIUM_RETURN_IF_ERROR(dec.DecodeString(v, &name));
  if (name == remote::kWriteV1MessageName) {
    *out = remote::WriteProtocol::kV1;
  } else if (name == remote::kWriteV2MessageName) {
    *out = remote::WriteProtocol::kV2;
  } else {
    return Status::InvalidArgument(fmt::format(
        "invalid protobuf_message value: unknown remote write protobuf message {}, supported: {}, {} (line {})", name,
        remote::kWriteV1MessageName, remote::kWriteV2MessageName, LineOf(v)));
  }
  return Status::OK();
}

// One entry's own keys (the HTTP client keys are decoded before).
Status DecodeRemoteWriteField(YamlDecoder& dec, const std::string& key, const YAML::Node& v,
                              const ScrapeFieldFn& scrape_field, remote::RemoteWriteConfig* rw) {
  if (key == "url") return dec.DecodeString(v, &rw->url);
  if (key == "name") return dec.DecodeString(v, &rw->name);
  if (key == "remote_timeout") return dec.DecodeDuration(v, &rw->remote_timeout_ms);
  if (key == "headers") return DecodeRemoteHeaders(dec, v, "remote_write", &rw->headers);
  if (key == "write_relabel_configs") {
    return DecodeRelabelList(v, "empty or null relabeling rule in remote write config", scrape_field,
                             &rw->write_relabel_configs);
  }
  if (key == "send_exemplars") return dec.DecodeBool(v, &rw->send_exemplars);
  if (key == "send_native_histograms") return dec.DecodeBool(v, &rw->send_native_histograms);
  if (key == "round_robin_dns") return dec.DecodeBool(v, &rw->round_robin_dns);
  if (key == "protobuf_message") return DecodeProtobufMessage(dec, v, &rw->protocol);
  if (key == "failed_request_logging") {
    bool ignored = false;  // debug logging of failed 2.0 requests: nothing to log it with
    return dec.DecodeBool(v, &ignored);
  }
  if (key == "queue_config") return DecodeQueueConfig(dec, v, &rw->queue_config);
  if (key == "metadata_config") return DecodeMetadataConfig(dec, v, &rw->metadata_config);
  return YamlDecoder::Unknown();
}

std::string HexDigest(std::string_view text) {
  std::string out;
  for (uint8_t b : scrape::Md5(text)) out += fmt::format("{:02x}", b);
  return out;
}

Status DecodeRemoteWrite(YamlDecoder& dec, const YAML::Node& node, const ScrapeFieldFn& scrape_field,
                         remote::RemoteWriteConfig* rw) {
  HttpClientDraft client;
  client.config.enable_http2 = false;  // DefaultRemoteWriteHTTPClientConfig
  int url_line = 0;
  const size_t errors_before = dec.errors().size();
  PROMETHIUM_RETURN_IF_ERROR(dec.ForEachField(node, kRemoteWriteType, kUnsupportedRemoteWrite,
                                              [&](const std::string& key, const YAML::Node& v) -> Status {
                                                Status s = DecodeHttpClientField(dec, key, v, &client);
                                                if (s.code() != Status::Code::kNotFound) return s;
                                                if (key == "url") url_line = LineOf(v);
                                                return DecodeRemoteWriteField(dec, key, v, scrape_field, rw);
                                              }));
  // go-yaml's unmarshal errors come before UnmarshalYAML's own checks.
  if (dec.errors().size() != errors_before) return Status::OK();
  if (url_line == 0 || rw->url.empty()) return Status::InvalidArgument("url for remote_write is empty");
  PROMETHIUM_RETURN_IF_ERROR(CheckRemoteUrl(rw->url, url_line, "remote_write"));
  PROMETHIUM_RETURN_IF_ERROR(FinishHttpClient(&client, &rw->http_client));
  Status queue = ValidateQueueConfig(rw->queue_config);
  if (!queue.ok()) return queue.WithContext(fmt::format("remote_write at line {}", LineOf(node)));
  YAML::Emitter emitted;
  emitted << node;
  rw->config_hash = HexDigest(emitted.c_str());
  return Status::OK();
}

}  // namespace

Status DecodeRemoteWriteList(YamlDecoder& dec, const YAML::Node& v, const ScrapeFieldFn& scrape_field,
                             std::vector<remote::RemoteWriteConfig>* out) {
  out->clear();
  if (v.IsNull()) return Status::OK();
  if (!v.IsSequence()) return dec.TypeError(v, "[]*config.RemoteWriteConfig");
  std::set<std::string> names;
  for (const YAML::Node& item : v) {
    if (item.IsNull()) return Status::InvalidArgument("empty or null remote write config section");
    remote::RemoteWriteConfig rw;
    PROMETHIUM_RETURN_IF_ERROR(DecodeRemoteWrite(dec, item, scrape_field, &rw));
    if (!rw.name.empty() && !names.insert(rw.name).second) {
      return Status::InvalidArgument(
          fmt::format("found multiple remote write configs with job name {}", QuoteLabelValue(rw.name)));
    }
    out->push_back(std::move(rw));
  }
  // Unnamed entries are named after their hash, as Prometheus does; two
  // identical entries would be one queue twice (Prometheus refuses them
  // when it applies the config).
  std::set<std::string> hashes;
  for (remote::RemoteWriteConfig& rw : *out) {
    if (!hashes.insert(rw.config_hash).second) {
      return Status::InvalidArgument(
          fmt::format("duplicate remote write configs are not allowed, found duplicate for URL: {}", rw.url));
    }
    if (rw.name.empty() && rw.config_hash.size() >= 6) rw.name = rw.config_hash.substr(0, 6);
  }
  return Status::OK();
}

void ResolveRemoteWritePaths(const std::string& dir, std::vector<remote::RemoteWriteConfig>* cfgs) {
  for (remote::RemoteWriteConfig& rw : *cfgs) ResolveHttpClientPaths(dir, &rw.http_client);
}

}  // namespace promethium::server::config_internal
