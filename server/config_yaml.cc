// ConfigToYaml and the byte-size syntax of body_size_limit: the effective
// configuration rendered as Prometheus marshals it (secrets as <secret>).
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <string>
#include <string_view>
#include <utility>

#include "server/config.h"
#include "tsdb/base/duration.h"
#include "tsdb/base/metrics.h"

namespace promethium::server {

namespace {

struct SizeUnit {
  std::string_view name;
  uint64_t bytes;
};
// Largest first: FormatByteSize walks this order.
constexpr SizeUnit kSizeUnits[] = {
    {"EB", 1ULL << 60}, {"PB", 1ULL << 50}, {"TB", 1ULL << 40}, {"GB", 1ULL << 30},
    {"MB", 1ULL << 20}, {"KB", 1ULL << 10}, {"B", 1},
};

// Prometheus prints sizes as units.Base2Bytes does: "10MiB", "1GiB512MiB".
std::string FormatByteSize(uint64_t n) {
  if (n == 0) return "0B";
  std::string out;
  for (const SizeUnit& u : kSizeUnits) {
    if (n < u.bytes) continue;
    out += std::to_string(n / u.bytes);
    out += u.bytes == 1 ? "B" : std::string(u.name.substr(0, 1)) + "iB";
    n %= u.bytes;
  }
  return out;
}

// As Prometheus marshals relabel.Config: the default regex, a zero modulus
// and an empty target_label are omitted.
void EmitRelabelConfigs(YAML::Emitter& out, std::string_view key, const std::vector<scrape::RelabelConfig>& rules) {
  if (rules.empty()) return;
  out << YAML::Key << std::string(key) << YAML::Value << YAML::BeginSeq;
  for (const scrape::RelabelConfig& r : rules) {
    out << YAML::BeginMap;
    if (!r.source_labels.empty()) {
      out << YAML::Key << "source_labels" << YAML::Value << YAML::Flow << r.source_labels;
    }
    out << YAML::Key << "separator" << YAML::Value << r.separator;
    if (!r.regex.is_default()) out << YAML::Key << "regex" << YAML::Value << r.regex.pattern();
    if (r.modulus != 0) out << YAML::Key << "modulus" << YAML::Value << r.modulus;
    if (!r.target_label.empty()) out << YAML::Key << "target_label" << YAML::Value << r.target_label;
    out << YAML::Key << "replacement" << YAML::Value << r.replacement;
    out << YAML::Key << "action" << YAML::Value << std::string(scrape::RelabelActionName(r.action));
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

}  // namespace

Result<uint64_t> ParseByteSize(std::string_view text) {
  auto invalid = [&] {
    return Status::InvalidArgument(fmt::format("invalid size {}: a unit is required, one of B, KB, MB, GB, TB, PB, EB",
                                               QuoteLabelValue(std::string(text))));
  };
  if (text == "0") return uint64_t{0};
  if (text.empty()) return invalid();
  uint64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start || i - start > 18) return invalid();
    uint64_t n = std::stoull(std::string(text.substr(start, i - start)));
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit(text.substr(unit_start, i - unit_start));
    if (unit.size() == 3 && unit[1] == 'i') unit.erase(1, 1);  // "MiB" means "MB": both are base 2
    const SizeUnit* match = nullptr;
    for (const SizeUnit& u : kSizeUnits) {
      if (u.name == unit) match = &u;
    }
    if (match == nullptr) return invalid();
    if (n > (UINT64_MAX - total) / match->bytes) return invalid();
    total += n * match->bytes;
  }
  return total;
}

namespace {

void EmitScrapeProtocols(YAML::Emitter& out, const std::vector<scrape::ScrapeProtocol>& protocols) {
  if (protocols.empty()) return;
  out << YAML::Key << "scrape_protocols" << YAML::Value << YAML::BeginSeq;
  for (scrape::ScrapeProtocol p : protocols) out << std::string(scrape::ScrapeProtocolName(p));
  out << YAML::EndSeq;
}

// ProxyConfig, inlined, omitempty: the URL's password shows as "xxxxx" and
// proxy_connect_header values as <secret>, as Prometheus marshals them.
void EmitProxy(YAML::Emitter& out, const scrape::ProxyConfig& p) {
  if (!p.proxy_url.empty()) {
    Result<scrape::ProxyEndpoint> ep = scrape::ParseProxyUrl(p.proxy_url);
    out << YAML::Key << "proxy_url" << YAML::Value << (ep.ok() ? ep->redacted_url : std::string("<invalid>"));
  }
  if (!p.no_proxy.empty()) out << YAML::Key << "no_proxy" << YAML::Value << p.no_proxy;
  if (p.proxy_from_environment) out << YAML::Key << "proxy_from_environment" << YAML::Value << true;
  if (!p.proxy_connect_header.empty()) {
    out << YAML::Key << "proxy_connect_header" << YAML::Value << YAML::BeginMap;
    for (const auto& [name, values] : p.proxy_connect_header) {
      out << YAML::Key << name << YAML::Value << std::vector<std::string>(values.size(), "<secret>");
    }
    out << YAML::EndMap;
  }
}

// As Prometheus marshals HTTPClientConfig: secrets show as <secret>.
void EmitHttpClient(YAML::Emitter& out, const scrape::HttpClientConfig& c) {
  constexpr const char* kSecret = "<secret>";
  if (c.basic_auth) {
    out << YAML::Key << "basic_auth" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "username" << YAML::Value << c.basic_auth->username;
    if (!c.basic_auth->password.empty()) out << YAML::Key << "password" << YAML::Value << kSecret;
    if (!c.basic_auth->password_file.empty()) {
      out << YAML::Key << "password_file" << YAML::Value << c.basic_auth->password_file;
    }
    out << YAML::EndMap;
  }
  if (c.authorization) {
    out << YAML::Key << "authorization" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "type" << YAML::Value << c.authorization->type;
    if (!c.authorization->credentials.empty()) out << YAML::Key << "credentials" << YAML::Value << kSecret;
    if (!c.authorization->credentials_file.empty()) {
      out << YAML::Key << "credentials_file" << YAML::Value << c.authorization->credentials_file;
    }
    out << YAML::EndMap;
  }
  const scrape::TLSConfig& t = c.tls_config;
  out << YAML::Key << "tls_config" << YAML::Value << YAML::BeginMap;
  if (!t.ca_file.empty()) out << YAML::Key << "ca_file" << YAML::Value << t.ca_file;
  if (!t.cert_file.empty()) out << YAML::Key << "cert_file" << YAML::Value << t.cert_file;
  if (!t.key_file.empty()) out << YAML::Key << "key_file" << YAML::Value << t.key_file;
  if (!t.server_name.empty()) out << YAML::Key << "server_name" << YAML::Value << t.server_name;
  out << YAML::Key << "insecure_skip_verify" << YAML::Value << t.insecure_skip_verify;
  if (!t.min_version.empty()) out << YAML::Key << "min_version" << YAML::Value << t.min_version;
  out << YAML::EndMap;
  out << YAML::Key << "follow_redirects" << YAML::Value << c.follow_redirects;
  out << YAML::Key << "enable_http2" << YAML::Value << c.enable_http2;
  EmitProxy(out, c.proxy);
}

void EmitSdConfigs(YAML::Emitter& out, const scrape::ScrapeConfig& sc) {
  if (!sc.file_sd_configs.empty()) {
    out << YAML::Key << "file_sd_configs" << YAML::Value << YAML::BeginSeq;
    for (const scrape::FileSDConfig& f : sc.file_sd_configs) {
      out << YAML::BeginMap << YAML::Key << "files" << YAML::Value << f.files;
      out << YAML::Key << "refresh_interval" << YAML::Value << FormatDuration(f.refresh_interval_ms) << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!sc.docker_sd_configs.empty()) {
    out << YAML::Key << "docker_sd_configs" << YAML::Value << YAML::BeginSeq;
    for (const scrape::DockerSDConfig& d : sc.docker_sd_configs) {
      out << YAML::BeginMap << YAML::Key << "host" << YAML::Value << d.host;
      out << YAML::Key << "port" << YAML::Value << d.port;
      if (!d.filters.empty()) {
        out << YAML::Key << "filters" << YAML::Value << YAML::BeginSeq;
        for (const auto& [name, values] : d.filters) {
          out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name;
          out << YAML::Key << "values" << YAML::Value << values << YAML::EndMap;
        }
        out << YAML::EndSeq;
      }
      out << YAML::Key << "host_networking_host" << YAML::Value << d.host_networking_host;
      out << YAML::Key << "refresh_interval" << YAML::Value << FormatDuration(d.refresh_interval_ms);
      out << YAML::Key << "match_first_network" << YAML::Value << d.match_first_network << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!sc.dns_sd_configs.empty()) {
    out << YAML::Key << "dns_sd_configs" << YAML::Value << YAML::BeginSeq;
    for (const scrape::DnsSDConfig& d : sc.dns_sd_configs) {
      out << YAML::BeginMap << YAML::Key << "names" << YAML::Value << d.names;
      out << YAML::Key << "refresh_interval" << YAML::Value << FormatDuration(d.refresh_interval_ms);
      out << YAML::Key << "type" << YAML::Value << d.type;
      out << YAML::Key << "port" << YAML::Value << d.port << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!sc.http_sd_configs.empty()) {
    out << YAML::Key << "http_sd_configs" << YAML::Value << YAML::BeginSeq;
    for (const scrape::HttpSDConfig& h : sc.http_sd_configs) {
      out << YAML::BeginMap << YAML::Key << "url" << YAML::Value << h.url;
      out << YAML::Key << "refresh_interval" << YAML::Value << FormatDuration(h.refresh_interval_ms);
      EmitHttpClient(out, h.http_client);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
}

void EmitStaticConfigs(YAML::Emitter& out, const std::vector<scrape::TargetGroup>& groups) {
  out << YAML::Key << "static_configs" << YAML::Value << YAML::BeginSeq;
  for (const scrape::TargetGroup& g : groups) {
    out << YAML::BeginMap << YAML::Key << "targets" << YAML::Value << g.targets;
    if (!g.labels.empty()) {
      out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
      for (const Label& l : g.labels) out << YAML::Key << l.name << YAML::Value << l.value;
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

// alerting:, in Prometheus's field order; omitted when empty.
void EmitAlerting(YAML::Emitter& out, const rules::AlertingConfig& a) {
  if (a.alert_relabel_configs.empty() && a.alertmanagers.empty()) return;
  out << YAML::Key << "alerting" << YAML::Value << YAML::BeginMap;
  EmitRelabelConfigs(out, "alert_relabel_configs", a.alert_relabel_configs);
  if (!a.alertmanagers.empty()) {
    out << YAML::Key << "alertmanagers" << YAML::Value << YAML::BeginSeq;
    for (const rules::AlertmanagerConfig& am : a.alertmanagers) {
      out << YAML::BeginMap;
      EmitHttpClient(out, am.http_client);
      out << YAML::Key << "scheme" << YAML::Value << am.scheme;
      if (!am.path_prefix.empty()) out << YAML::Key << "path_prefix" << YAML::Value << am.path_prefix;
      out << YAML::Key << "timeout" << YAML::Value << FormatDuration(am.timeout_ms);
      out << YAML::Key << "api_version" << YAML::Value << am.api_version;
      EmitRelabelConfigs(out, "relabel_configs", am.relabel_configs);
      EmitRelabelConfigs(out, "alert_relabel_configs", am.alert_relabel_configs);
      scrape::ScrapeConfig sd;
      sd.file_sd_configs = am.file_sd_configs;
      sd.http_sd_configs = am.http_sd_configs;
      sd.dns_sd_configs = am.dns_sd_configs;
      EmitSdConfigs(out, sd);
      if (!am.static_configs.empty()) EmitStaticConfigs(out, am.static_configs);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

// remote_read:, in Prometheus's field order; omitted when empty.
void EmitRemoteRead(YAML::Emitter& out, const std::vector<remote::RemoteReadConfig>& list) {
  if (list.empty()) return;
  out << YAML::Key << "remote_read" << YAML::Value << YAML::BeginSeq;
  for (const remote::RemoteReadConfig& rr : list) {
    out << YAML::BeginMap << YAML::Key << "url" << YAML::Value << rr.url;
    out << YAML::Key << "remote_timeout" << YAML::Value << FormatDuration(rr.remote_timeout_ms);
    out << YAML::Key << "chunked_read_limit" << YAML::Value << rr.chunked_read_limit;
    if (!rr.headers.empty()) {
      out << YAML::Key << "headers" << YAML::Value << YAML::BeginMap;
      for (const auto& [name, value] : rr.headers) out << YAML::Key << name << YAML::Value << value;
      out << YAML::EndMap;
    }
    if (rr.read_recent) out << YAML::Key << "read_recent" << YAML::Value << true;
    if (!rr.name.empty()) out << YAML::Key << "name" << YAML::Value << rr.name;
    EmitHttpClient(out, rr.http_client);
    if (!rr.required_matchers.empty()) {
      out << YAML::Key << "required_matchers" << YAML::Value << YAML::BeginMap;
      for (const Label& l : rr.required_matchers) out << YAML::Key << l.name << YAML::Value << l.value;
      out << YAML::EndMap;
    }
    if (rr.filter_external_labels) out << YAML::Key << "filter_external_labels" << YAML::Value << true;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

// remote_write:, in Prometheus's field order; omitted when empty.
void EmitRemoteWrite(YAML::Emitter& out, const std::vector<remote::RemoteWriteConfig>& list) {
  if (list.empty()) return;
  out << YAML::Key << "remote_write" << YAML::Value << YAML::BeginSeq;
  for (const remote::RemoteWriteConfig& rw : list) {
    out << YAML::BeginMap << YAML::Key << "url" << YAML::Value << rw.url;
    out << YAML::Key << "remote_timeout" << YAML::Value << FormatDuration(rw.remote_timeout_ms);
    if (!rw.headers.empty()) {
      out << YAML::Key << "headers" << YAML::Value << YAML::BeginMap;
      for (const auto& [name, value] : rw.headers) out << YAML::Key << name << YAML::Value << value;
      out << YAML::EndMap;
    }
    EmitRelabelConfigs(out, "write_relabel_configs", rw.write_relabel_configs);
    out << YAML::Key << "name" << YAML::Value << rw.name;
    out << YAML::Key << "send_exemplars" << YAML::Value << rw.send_exemplars;
    out << YAML::Key << "send_native_histograms" << YAML::Value << rw.send_native_histograms;
    if (rw.round_robin_dns) out << YAML::Key << "round_robin_dns" << YAML::Value << true;
    out << YAML::Key << "protobuf_message" << YAML::Value
        << std::string(rw.protocol == remote::WriteProtocol::kV2 ? remote::kWriteV2MessageName
                                                                 : remote::kWriteV1MessageName);
    EmitHttpClient(out, rw.http_client);
    const remote::QueueConfig& q = rw.queue_config;
    out << YAML::Key << "queue_config" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "capacity" << YAML::Value << q.capacity;
    out << YAML::Key << "max_shards" << YAML::Value << q.max_shards;
    out << YAML::Key << "min_shards" << YAML::Value << q.min_shards;
    out << YAML::Key << "max_samples_per_send" << YAML::Value << q.max_samples_per_send;
    out << YAML::Key << "batch_send_deadline" << YAML::Value << FormatDuration(q.batch_send_deadline_ms);
    out << YAML::Key << "min_backoff" << YAML::Value << FormatDuration(q.min_backoff_ms);
    out << YAML::Key << "max_backoff" << YAML::Value << FormatDuration(q.max_backoff_ms);
    if (q.retry_on_http_429) out << YAML::Key << "retry_on_http_429" << YAML::Value << true;
    if (q.sample_age_limit_ms) {
      out << YAML::Key << "sample_age_limit" << YAML::Value << FormatDuration(q.sample_age_limit_ms);
    }
    out << YAML::EndMap;
    const remote::MetadataConfig& m = rw.metadata_config;
    out << YAML::Key << "metadata_config" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "send" << YAML::Value << m.send;
    out << YAML::Key << "send_interval" << YAML::Value << FormatDuration(m.send_interval_ms);
    out << YAML::Key << "max_samples_per_send" << YAML::Value << m.max_samples_per_send;
    out << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

}  // namespace

std::string ConfigToYaml(const Config& config) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "global" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "scrape_interval" << YAML::Value << FormatDuration(config.global.scrape_interval_ms);
  out << YAML::Key << "scrape_timeout" << YAML::Value << FormatDuration(config.global.scrape_timeout_ms);
  out << YAML::Key << "evaluation_interval" << YAML::Value << FormatDuration(config.global.evaluation_interval_ms);
  if (config.global.rule_query_offset_ms != 0) {
    out << YAML::Key << "rule_query_offset" << YAML::Value << FormatDuration(config.global.rule_query_offset_ms);
  }
  if (!config.global.external_labels.empty()) {
    out << YAML::Key << "external_labels" << YAML::Value << YAML::BeginMap;
    for (const Label& l : config.global.external_labels) out << YAML::Key << l.name << YAML::Value << l.value;
    out << YAML::EndMap;
  }
  EmitScrapeProtocols(out, config.global.scrape_protocols);
  // As Prometheus: a *bool (always shown) and two omitempty bools.
  out << YAML::Key << "scrape_native_histograms" << YAML::Value << config.global.scrape_native_histograms;
  if (config.global.convert_classic_histograms_to_nhcb) {
    out << YAML::Key << "convert_classic_histograms_to_nhcb" << YAML::Value << true;
  }
  if (config.global.always_scrape_classic_histograms) {
    out << YAML::Key << "always_scrape_classic_histograms" << YAML::Value << true;
  }
  out << YAML::EndMap;
  EmitAlerting(out, config.alerting);
  if (!config.rule_files.empty()) {
    out << YAML::Key << "rule_files" << YAML::Value << YAML::BeginSeq;
    for (const std::string& f : config.rule_files) out << f;
    out << YAML::EndSeq;
  }
  if (!config.scrape_configs.empty()) {
    out << YAML::Key << "scrape_configs" << YAML::Value << YAML::BeginSeq;
    for (const scrape::ScrapeConfig& sc : config.scrape_configs) {
      out << YAML::BeginMap;
      out << YAML::Key << "job_name" << YAML::Value << sc.job_name;
      out << YAML::Key << "honor_labels" << YAML::Value << sc.honor_labels;
      out << YAML::Key << "honor_timestamps" << YAML::Value << sc.honor_timestamps;
      EmitScrapeProtocols(out, sc.scrape_protocols);
      if (sc.fallback_scrape_protocol) {
        out << YAML::Key << "fallback_scrape_protocol" << YAML::Value
            << std::string(scrape::ScrapeProtocolName(*sc.fallback_scrape_protocol));
      }
      for (const auto& [key, value] :
           {std::pair{"scrape_native_histograms", sc.scrape_native_histograms},
            std::pair{"always_scrape_classic_histograms", sc.always_scrape_classic_histograms},
            std::pair{"convert_classic_histograms_to_nhcb", sc.convert_classic_histograms_to_nhcb}}) {
        if (value) out << YAML::Key << key << YAML::Value << *value;
      }
      if (!sc.params.empty()) out << YAML::Key << "params" << YAML::Value << sc.params;
      out << YAML::Key << "scrape_interval" << YAML::Value << FormatDuration(sc.scrape_interval_ms);
      out << YAML::Key << "scrape_timeout" << YAML::Value << FormatDuration(sc.scrape_timeout_ms);
      out << YAML::Key << "metrics_path" << YAML::Value << sc.metrics_path;
      out << YAML::Key << "scheme" << YAML::Value << sc.scheme;
      EmitHttpClient(out, sc.http_client);
      if (sc.body_size_limit)
        out << YAML::Key << "body_size_limit" << YAML::Value << FormatByteSize(sc.body_size_limit);
      if (sc.sample_limit) out << YAML::Key << "sample_limit" << YAML::Value << sc.sample_limit;
      if (sc.target_limit) out << YAML::Key << "target_limit" << YAML::Value << sc.target_limit;
      if (sc.keep_dropped_targets) {
        out << YAML::Key << "keep_dropped_targets" << YAML::Value << sc.keep_dropped_targets;
      }
      if (sc.label_limit) out << YAML::Key << "label_limit" << YAML::Value << sc.label_limit;
      if (sc.label_name_length_limit) {
        out << YAML::Key << "label_name_length_limit" << YAML::Value << sc.label_name_length_limit;
      }
      if (sc.label_value_length_limit) {
        out << YAML::Key << "label_value_length_limit" << YAML::Value << sc.label_value_length_limit;
      }
      if (sc.native_histogram_bucket_limit) {
        out << YAML::Key << "native_histogram_bucket_limit" << YAML::Value << sc.native_histogram_bucket_limit;
      }
      if (sc.native_histogram_min_bucket_factor != 0) {
        out << YAML::Key << "native_histogram_min_bucket_factor" << YAML::Value
            << FormatPromFloat(sc.native_histogram_min_bucket_factor);
      }
      EmitStaticConfigs(out, sc.static_configs);
      EmitSdConfigs(out, sc);
      EmitRelabelConfigs(out, "relabel_configs", sc.relabel_configs);
      EmitRelabelConfigs(out, "metric_relabel_configs", sc.metric_relabel_configs);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  EmitRemoteWrite(out, config.remote_write);
  EmitRemoteRead(out, config.remote_read);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace promethium::server
