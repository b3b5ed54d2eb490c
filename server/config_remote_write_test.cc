#include <gtest/gtest.h>

#include <string>

#include "server/config.h"
#include "server/config_test_util.h"

namespace promethium::server {
namespace {

using testutil::MustParse;
using testutil::ParseError;

TEST(ServerConfigRemoteWriteTest, DefaultsAreShipped) {
  Config cfg = MustParse(R"(
remote_write:
  - url: http://receiver:9090/api/v1/write
)");
  ASSERT_EQ(cfg.remote_write.size(), 1u);
  const remote::RemoteWriteConfig& rw = cfg.remote_write[0];
  EXPECT_EQ(rw.url, "http://receiver:9090/api/v1/write");
  EXPECT_EQ(rw.name.size(), 6u);  // the config hash's first 6 hex digits
  EXPECT_EQ(rw.name, rw.config_hash.substr(0, 6));
  EXPECT_EQ(rw.remote_timeout_ms, 30'000);
  EXPECT_EQ(rw.protocol, remote::WriteProtocol::kV1);
  EXPECT_FALSE(rw.send_exemplars);
  EXPECT_FALSE(rw.send_native_histograms);
  EXPECT_TRUE(rw.http_client.follow_redirects);
  const remote::QueueConfig& q = rw.queue_config;
  EXPECT_EQ(q.capacity, 10'000);
  EXPECT_EQ(q.max_shards, 50);
  EXPECT_EQ(q.min_shards, 1);
  EXPECT_EQ(q.max_samples_per_send, 2'000);
  EXPECT_EQ(q.batch_send_deadline_ms, 5'000);
  EXPECT_EQ(q.min_backoff_ms, 30);
  EXPECT_EQ(q.max_backoff_ms, 5'000);
  EXPECT_FALSE(q.retry_on_http_429);
  EXPECT_EQ(q.sample_age_limit_ms, 0);
  EXPECT_TRUE(rw.metadata_config.send);
  EXPECT_EQ(rw.metadata_config.send_interval_ms, 60'000);
  EXPECT_EQ(rw.metadata_config.max_samples_per_send, 2'000);
}

TEST(ServerConfigRemoteWriteTest, DecodesEveryField) {
  Config cfg = MustParse(R"(
remote_write:
  - url: https://receiver.example.org/push
    name: central
    remote_timeout: 10s
    headers:
      X-Scope-OrgID: tenant
    write_relabel_configs:
      - source_labels: [__name__]
        regex: go_.*
        action: drop
    send_exemplars: true
    send_native_histograms: true
    round_robin_dns: true
    protobuf_message: io.prometheus.write.v2.Request
    failed_request_logging: true
    basic_auth: {username: u, password: p}
    tls_config: {insecure_skip_verify: true}
    queue_config:
      capacity: 500
      max_shards: 4
      min_shards: 2
      max_samples_per_send: 100
      batch_send_deadline: 1s
      min_backoff: 10ms
      max_backoff: 1s
      retry_on_http_429: true
      sample_age_limit: 1h
    metadata_config:
      send: false
      send_interval: 2m
      max_samples_per_send: 10
)");
  ASSERT_EQ(cfg.remote_write.size(), 1u);
  const remote::RemoteWriteConfig& rw = cfg.remote_write[0];
  EXPECT_EQ(rw.name, "central");
  EXPECT_EQ(rw.remote_timeout_ms, 10'000);
  ASSERT_EQ(rw.headers.size(), 1u);
  EXPECT_EQ(rw.headers[0].second, "tenant");
  ASSERT_EQ(rw.write_relabel_configs.size(), 1u);
  EXPECT_EQ(rw.write_relabel_configs[0].action, scrape::RelabelAction::kDrop);
  EXPECT_TRUE(rw.send_exemplars);
  EXPECT_TRUE(rw.send_native_histograms);
  EXPECT_TRUE(rw.round_robin_dns);
  EXPECT_EQ(rw.protocol, remote::WriteProtocol::kV2);
  ASSERT_TRUE(rw.http_client.basic_auth.has_value());
  EXPECT_TRUE(rw.http_client.tls_config.insecure_skip_verify);
  const remote::QueueConfig& q = rw.queue_config;
  EXPECT_EQ(q.capacity, 500);
  EXPECT_EQ(q.max_shards, 4);
  EXPECT_EQ(q.min_shards, 2);
  EXPECT_EQ(q.max_samples_per_send, 100);
  EXPECT_EQ(q.batch_send_deadline_ms, 1'000);
  EXPECT_EQ(q.min_backoff_ms, 10);
  EXPECT_EQ(q.max_backoff_ms, 1'000);
  EXPECT_TRUE(q.retry_on_http_429);
  EXPECT_EQ(q.sample_age_limit_ms, 3'600'000);
  EXPECT_FALSE(rw.metadata_config.send);
  EXPECT_EQ(rw.metadata_config.send_interval_ms, 120'000);
  EXPECT_EQ(rw.metadata_config.max_samples_per_send, 10);

  const std::string yaml = ConfigToYaml(cfg);
  EXPECT_NE(yaml.find("remote_write:"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("protobuf_message: io.prometheus.write.v2.Request"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("password: <secret>"), std::string::npos) << yaml;
  // The effective config parses back to the same entry.
  Config again = MustParse(yaml);
  ASSERT_EQ(again.remote_write.size(), 1u);
  remote::RemoteWriteConfig copy = again.remote_write[0];
  copy.config_hash = rw.config_hash;
  copy.http_client.basic_auth = rw.http_client.basic_auth;  // the secret is masked
  EXPECT_EQ(copy, rw);
}

TEST(ServerConfigRemoteWriteTest, Errors) {
  EXPECT_EQ(ParseError("remote_write:\n  - name: x\n"), "url for remote_write is empty");
  EXPECT_EQ(ParseError("remote_write:\n  -\n"), "empty or null remote write config section");
  EXPECT_EQ(ParseError("remote_write:\n  - url: http://a/w\n    name: x\n  - url: http://b/w\n    name: x\n"),
            "found multiple remote write configs with job name \"x\"");
  EXPECT_EQ(ParseError("remote_write:\n  - url: http://a/w\n  - url: http://a/w\n"),
            "duplicate remote write configs are not allowed, found duplicate for URL: http://a/w");
  EXPECT_NE(ParseError("remote_write:\n  - url: ftp://a/w\n").find("(line 2)"), std::string::npos);
  EXPECT_NE(ParseError("remote_write:\n  - url: http://a/w\n    protobuf_message: foo\n")
                .find("invalid protobuf_message value"),
            std::string::npos);
  EXPECT_EQ(ParseError("remote_write:\n  - url: http://a/w\n    queue_config: {min_shards: 5, max_shards: 2}\n"),
            "remote_write at line 2: remote write queue min_shards must not be greater than max_shards");
  EXPECT_NE(ParseError("remote_write:\n  - url: http://a/w\n    queue_config: {capacity: 0}\n")
                .find("remote write queue capacity must be positive"),
            std::string::npos);
  EXPECT_NE(ParseError("remote_write:\n  - url: http://a/w\n    queue_config: {min_backoff: 1s, max_backoff: 10ms}\n")
                .find("max_backoff must not be less than min_backoff"),
            std::string::npos);
  EXPECT_EQ(ParseError("remote_write:\n  - url: http://a/w\n    headers: {Content-Type: x}\n"),
            "Content-Type is a reserved header. It must not be changed");
  EXPECT_EQ(ParseError("remote_write:\n  - url: http://a/w\n    write_relabel_configs: [null]\n"),
            "empty or null relabeling rule in remote write config");
  EXPECT_EQ(ParseError("remote_write:\n  - url: http://a/w\n    sigv4: {region: x}\n"), "unsupported: sigv4 (line 3)");
  EXPECT_NE(ParseError("remote_write:\n  - url: http://a/w\n    queue_config: {capacty: 1}\n")
                .find("field capacty not found in type config.QueueConfig"),
            std::string::npos);
}

}  // namespace
}  // namespace promethium::server
