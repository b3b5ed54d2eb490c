// The `alerting:` section of prometheus.yml (see config_alerting.h).
#include "server/config_alerting.h"
#include "server/config_paths.h"

#include <fmt/format.h>

#include <set>

#include "server/config_http_client.h"

namespace promethium::server::config_internal {
namespace {

constexpr std::string_view kAlertingType = "config.AlertingConfig";
constexpr std::string_view kAlertmanagerType = "config.AlertmanagerConfig";

// Known to Prometheus, not implemented here.
const std::set<std::string_view> kUnsupportedAlertmanager = {"sigv4", "oauth2", "http_headers", "docker_sd_configs"};
// Decoded by the scrape config decoder into a scratch ScrapeConfig.
const std::set<std::string_view> kTargetKeys = {"static_configs", "file_sd_configs", "http_sd_configs",
                                                "dns_sd_configs", "scheme"};

Status DecodeAlertmanager(YamlDecoder& dec, const YAML::Node& node, const ScrapeFieldFn& scrape_field,
                          rules::AlertmanagerConfig* am) {
  HttpClientDraft client;
  scrape::ScrapeConfig targets;  // only its target fields are used
  PROMETHIUM_RETURN_IF_ERROR(dec.ForEachField(
      node, kAlertmanagerType, kUnsupportedAlertmanager, [&](const std::string& key, const YAML::Node& v) -> Status {
        if (key.ends_with("_sd_configs") && !kTargetKeys.contains(key)) {
          if (v.IsNull() || (v.IsSequence() && v.size() == 0)) return Status::OK();
          return Status::Unsupported(fmt::format("{} in alertmanagers (line {})", key, LineOf(v)));
        }
        Status s = DecodeHttpClientField(dec, key, v, &client);
        if (s.code() != Status::Code::kNotFound) return s;
        if (kTargetKeys.contains(key)) return scrape_field(key, v, &targets);
        if (key == "path_prefix") return dec.DecodeString(v, &am->path_prefix);
        if (key == "timeout") return dec.DecodeDuration(v, &am->timeout_ms);
        if (key == "api_version") {
          std::string version;
          PROMETHIUM_RETURN_IF_ERROR(dec.DecodeString(v, &version));
          if (version != "v2") {
            return Status::InvalidArgument(
                fmt::format("expected Alertmanager api version to be one of [v2] but got {}", version));
          }
          am->api_version = version;
          return Status::OK();
        }
        if (key == "relabel_configs") {
          return DecodeRelabelList(v, "empty or null Alertmanager target relabeling rule", scrape_field,
                                   &am->relabel_configs);
        }
        if (key == "alert_relabel_configs") {
          return DecodeRelabelList(v, "empty or null Alertmanager alert relabeling rule", scrape_field,
                                   &am->alert_relabel_configs);
        }
        return YamlDecoder::Unknown();
      }));
  PROMETHIUM_RETURN_IF_ERROR(FinishHttpClient(&client, &am->http_client));
  am->static_configs = std::move(targets.static_configs);
  am->file_sd_configs = std::move(targets.file_sd_configs);
  am->http_sd_configs = std::move(targets.http_sd_configs);
  am->dns_sd_configs = std::move(targets.dns_sd_configs);
  am->scheme = targets.scheme;
  // checkStaticTargets: without relabeling, targets must be host:port.
  if (am->relabel_configs.empty()) {
    for (const scrape::TargetGroup& g : am->static_configs) {
      for (const std::string& t : g.targets) {
        if (t.find('/') != std::string::npos) {
          return Status::InvalidArgument(fmt::format("{} is not a valid hostname", QuoteLabelValue(t)));
        }
      }
    }
  }
  return Status::OK();
}

}  // namespace

// A relabel rule list whose null entries get Prometheus's message for
// `kind`, then the scrape decoder's rules and checks.
Status DecodeRelabelList(const YAML::Node& v, std::string_view message, const ScrapeFieldFn& scrape_field,
                         std::vector<scrape::RelabelConfig>* out) {
  if (v.IsSequence()) {
    for (const YAML::Node& item : v) {
      if (item.IsNull()) return Status::InvalidArgument(std::string(message));
    }
  }
  scrape::ScrapeConfig scratch;
  PROMETHIUM_RETURN_IF_ERROR(scrape_field("metric_relabel_configs", v, &scratch));
  for (const scrape::RelabelConfig& r : scratch.metric_relabel_configs) PROMETHIUM_RETURN_IF_ERROR(r.Validate());
  *out = std::move(scratch.metric_relabel_configs);
  return Status::OK();
}

Status DecodeAlerting(YamlDecoder& dec, const YAML::Node& v, const ScrapeFieldFn& scrape_field,
                      rules::AlertingConfig* out) {
  *out = rules::AlertingConfig{};
  return dec.ForEachField(v, kAlertingType, {}, [&](const std::string& key, const YAML::Node& value) -> Status {
    if (key == "alert_relabel_configs") {
      return DecodeRelabelList(value, "empty or null alert relabeling rule", scrape_field, &out->alert_relabel_configs);
    }
    if (key != "alertmanagers") return YamlDecoder::Unknown();
    if (value.IsNull()) return Status::OK();
    if (!value.IsSequence()) return dec.TypeError(value, "config.AlertmanagerConfigs");
    for (const YAML::Node& item : value) {
      if (item.IsNull()) return Status::InvalidArgument("empty or null alertmanager config");
      rules::AlertmanagerConfig am;
      PROMETHIUM_RETURN_IF_ERROR(DecodeAlertmanager(dec, item, scrape_field, &am));
      out->alertmanagers.push_back(std::move(am));
    }
    return Status::OK();
  });
}

void ResolveAlertingPaths(const std::string& dir, rules::AlertingConfig* cfg) {
  for (rules::AlertmanagerConfig& am : cfg->alertmanagers) {
    ResolveHttpClientPaths(dir, &am.http_client);
    for (scrape::FileSDConfig& sd : am.file_sd_configs) {
      for (std::string& file : sd.files) JoinConfigDir(dir, &file);
    }
    for (scrape::HttpSDConfig& sd : am.http_sd_configs) ResolveHttpClientPaths(dir, &sd.http_client);
  }
}

}  // namespace promethium::server::config_internal
