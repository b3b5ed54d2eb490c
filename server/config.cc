#include "server/config.h"
#include "server/config_paths.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <glob.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "scrape/textparse/scrape_protocol.h"
#include "server/config_alerting.h"
#include "server/config_decoder.h"
#include "server/config_http_client.h"
#include "server/config_remote_read.h"
#include "server/config_remote_write.h"
#include "tsdb/base/duration.h"
#include "tsdb/base/env.h"

namespace promethium::server {
namespace {

using config_internal::DecodeHttpClientField;
using config_internal::FinishHttpClient;
using config_internal::HttpClientDraft;
using config_internal::kScrapeType;
using config_internal::kUnsupportedHttpClientKeys;
using config_internal::LineOf;
using config_internal::YamlDecoder;

// Go type names used in "field x not found in type T" messages.
constexpr std::string_view kConfigType = "config.Config";
constexpr std::string_view kGlobalType = "config.GlobalConfig";
constexpr std::string_view kGroupType = "targetgroup.Group";
// relabel.Config decodes through a local `plain` type, which go-yaml names.
constexpr std::string_view kRelabelType = "relabel.plain";

// Keys Prometheus accepts that Promethium does not implement yet.
const std::set<std::string_view> kUnsupportedTopLevel = {"runtime", "tracing", "otlp"};
const std::set<std::string_view> kUnsupportedGlobal = {
    "query_log_file",       "scrape_failure_log_file", "metric_name_validation_scheme", "metric_name_escaping_scheme",
    "extra_scrape_metrics",
};
const std::set<std::string_view> kUnsupportedScrape = {
    // Scrape behaviour.
    "track_timestamps_staleness", "scrape_failure_log_file", "enable_compression", "metric_name_validation_scheme",
    "metric_name_escaping_scheme", "extra_scrape_metrics",
    // HTTP client (common/config.HTTPClientConfig, inlined): the parts not implemented.
    "oauth2", "http_headers",
    // Every service discovery mechanism except those in config_decoder.cc's kSupportedSd is
    // "<name>_sd_configs", matched by suffix.
};
// docker_sd_configs: no HTTP client options for the Engine API yet.
const std::set<std::string_view> kUnsupportedDockerSd = {
    "basic_auth",       "authorization", "oauth2",       "bearer_token",           "bearer_token_file",
    "tls_config",       "proxy_url",     "no_proxy",     "proxy_from_environment", "proxy_connect_header",
    "follow_redirects", "enable_http2",  "http_headers",
};
constexpr std::string_view kFileSdType = "file.SDConfig";
constexpr std::string_view kHttpSdType = "http.SDConfig";
constexpr std::string_view kDockerSdType = "moby.DockerSDConfig";
constexpr std::string_view kDockerFilterType = "moby.Filter";
constexpr std::string_view kDnsSdType = "dns.SDConfig";

// Prometheus's checkStaticTargets: targets are host:port, never URLs.
Status CheckTargetAddress(const std::string& target) {
  if (target.find('/') != std::string::npos) {
    return Status::InvalidArgument(fmt::format("{} is not a valid hostname", QuoteLabelValue(target)));
  }
  return Status::OK();
}

// os.Expand as Prometheus applies it to external label values: $VAR and
// ${VAR} become the variable's value ("" when unset); "$$" is a literal "$".
std::string ExpandEnv(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '$' || i + 1 == in.size()) {
      out.push_back(in[i]);
      continue;
    }
    std::string name;
    if (in[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    if (in[i + 1] == '{') {
      size_t close = in.find('}', i + 2);
      if (close == std::string_view::npos) {
        out.append(in.substr(i));
        break;
      }
      name = std::string(in.substr(i + 2, close - i - 2));
      i = close;
    } else {
      size_t j = i + 1;
      while (j < in.size() && (std::isalnum(static_cast<unsigned char>(in[j])) || in[j] == '_')) ++j;
      name = std::string(in.substr(i + 1, j - i - 1));
      i = j - 1;
    }
    if (const char* v = std::getenv(name.c_str())) out.append(v);
  }
  return out;
}

// Walks a YAML document into a Config. Mirrors go-yaml's strict decoding:
// type mismatches and unknown keys are collected ("unmarshal errors") and
// reported together; errors from custom decoders (durations, unsupported
// keys) stop decoding at once.
class Decoder : public YamlDecoder {
 public:
  Result<Config> Run(const YAML::Node& root) {
    Config cfg;
    GlobalConfig global{0, 0, 0, {}, 0, 0, 0, 0, 0, 0, 0, {}};
    PROMETHIUM_RETURN_IF_ERROR(DecodeTop(root, &global, &cfg.scrape_configs, &cfg.scrape_config_files));
    cfg.storage = storage_;
    cfg.rule_files = rule_files_;
    cfg.alerting = alerting_;
    cfg.remote_read = remote_read_;
    cfg.remote_write = remote_write_;
    if (!errors_.empty()) {
      std::string msg = "yaml: unmarshal errors:";
      for (const std::string& e : errors_) msg += "\n  " + e;
      return Status::InvalidArgument(msg);
    }
    PROMETHIUM_RETURN_IF_ERROR(ApplyGlobalDefaults(&global));
    cfg.global = global;
    std::set<std::string> jobs;
    for (scrape::ScrapeConfig& sc : cfg.scrape_configs) {
      PROMETHIUM_RETURN_IF_ERROR(ValidateScrapeConfig(global, &sc));
      if (!jobs.insert(sc.job_name).second) {
        return Status::InvalidArgument(
            fmt::format("found multiple scrape configs with job name {}", QuoteLabelValue(sc.job_name)));
      }
    }
    return cfg;
  }

  // A file named by scrape_config_files: only `scrape_configs`, validated
  // under the main file's `global`.
  Result<std::vector<scrape::ScrapeConfig>> RunScrapeConfigsFile(const YAML::Node& root, const GlobalConfig& global) {
    std::vector<scrape::ScrapeConfig> out;
    PROMETHIUM_RETURN_IF_ERROR(
        ForEachField(root, "config.ScrapeConfigs", {}, [&](const std::string& key, const YAML::Node& v) {
          if (key != "scrape_configs") return Unknown();
          return DecodeScrapeConfigList(v, &out);
        }));
    if (!errors_.empty()) {
      std::string msg = "yaml: unmarshal errors:";
      for (const std::string& e : errors_) msg += "\n  " + e;
      return Status::InvalidArgument(msg);
    }
    for (scrape::ScrapeConfig& sc : out) PROMETHIUM_RETURN_IF_ERROR(ValidateScrapeConfig(global, &sc));
    return out;
  }

 private:
  // model.LabelSet: a mapping of valid label names to string values.
  Status DecodeLabels(const YAML::Node& v, Labels* out, bool expand_env) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsMap()) return TypeError(v, "model.LabelSet");
    std::vector<Label> labels;
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string name, value;
      PROMETHIUM_RETURN_IF_ERROR(DecodeString(it->first, &name));
      PROMETHIUM_RETURN_IF_ERROR(DecodeString(it->second, &value));
      if (!IsValidLabelName(name)) {
        return Status::InvalidArgument(fmt::format("{} is not a valid label name", QuoteLabelValue(name)));
      }
      labels.push_back({name, expand_env ? ExpandEnv(value) : value});
    }
    *out = Labels::FromVector(std::move(labels));
    return Status::OK();
  }

  Status DecodeTop(const YAML::Node& root, GlobalConfig* global, std::vector<scrape::ScrapeConfig>* scrape_configs,
                   std::vector<std::string>* scrape_config_files) {
    return ForEachField(root, kConfigType, kUnsupportedTopLevel, [&](const std::string& key, const YAML::Node& v) {
      if (key == "global") return DecodeGlobal(v, global);
      if (key == "scrape_config_files") return DecodeStringList(v, scrape_config_files);
      if (key == "rule_files") return DecodeStringList(v, &rule_files_);
      if (key == "storage") return DecodeStorage(v, &storage_);
      if (key == "remote_read") return config_internal::DecodeRemoteReadList(*this, v, &remote_read_);
      if (key == "remote_write") {  // config_remote_write.cc; relabel rules decode as in a scrape config
        auto field = [this](const std::string& k, const YAML::Node& x, scrape::ScrapeConfig* sc) {
          return DecodeScrapeField(x, k, x, sc);
        };
        return config_internal::DecodeRemoteWriteList(*this, v, field, &remote_write_);
      }
      if (key == "alerting") {  // config_alerting.cc; target fields decode as in a scrape config
        auto field = [this](const std::string& k, const YAML::Node& x, scrape::ScrapeConfig* sc) {
          return DecodeScrapeField(x, k, x, sc);
        };
        return config_internal::DecodeAlerting(*this, v, field, &alerting_);
      }
      if (key != "scrape_configs") return Unknown();
      return DecodeScrapeConfigList(v, scrape_configs);
    });
  }

  Status DecodeScrapeConfigList(const YAML::Node& v, std::vector<scrape::ScrapeConfig>* scrape_configs) {
    {
      if (v.IsNull()) return Status::OK();
      if (!v.IsSequence()) return TypeError(v, "[]*config.ScrapeConfig");
      for (const YAML::Node& item : v) {
        if (item.IsNull()) return Status::InvalidArgument("empty or null scrape config section");
        scrape::ScrapeConfig sc;
        sc.scrape_interval_ms = 0;  // 0: inherit from global, as in Prometheus
        sc.scrape_timeout_ms = 0;
        PROMETHIUM_RETURN_IF_ERROR(DecodeScrapeConfig(item, &sc));
        scrape_configs->push_back(std::move(sc));
      }
      return Status::OK();
    }
  }

  // storage: tsdb.out_of_order_time_window and exemplars.max_exemplars.
  Status DecodeStorage(const YAML::Node& node, StorageConfig* out) {
    return ForEachField(node, "config.StorageConfig", {}, [&](const std::string& key, const YAML::Node& v) {
      if (key == "exemplars") {
        return ForEachField(v, "config.ExemplarsConfig", {}, [&](const std::string& k, const YAML::Node& w) {
          if (k != "max_exemplars") return Unknown();
          return DecodeInt64(w, &out->exemplars.max_exemplars);
        });
      }
      if (key != "tsdb") return Unknown();
      return ForEachField(v, "config.TSDBConfig", {}, [&](const std::string& k, const YAML::Node& w) {
        if (k != "out_of_order_time_window") return Unknown();
        return DecodeDuration(w, &out->tsdb.out_of_order_time_window_ms);
      });
    });
  }

  Status DecodeGlobal(const YAML::Node& node, GlobalConfig* g) {
    return ForEachField(node, kGlobalType, kUnsupportedGlobal, [&](const std::string& key, const YAML::Node& v) {
      if (key == "scrape_interval") return DecodeDuration(v, &g->scrape_interval_ms);
      if (key == "scrape_timeout") return DecodeDuration(v, &g->scrape_timeout_ms);
      if (key == "evaluation_interval") return DecodeDuration(v, &g->evaluation_interval_ms);
      if (key == "rule_query_offset") return DecodeDuration(v, &g->rule_query_offset_ms);
      if (key == "external_labels") return DecodeLabels(v, &g->external_labels, /*expand_env=*/true);
      if (key == "body_size_limit") return DecodeSize(v, &g->body_size_limit);
      if (key == "sample_limit") return DecodeUint(v, &g->sample_limit);
      if (key == "target_limit") return DecodeUint(v, &g->target_limit);
      if (key == "keep_dropped_targets") return DecodeUint(v, &g->keep_dropped_targets);
      if (key == "label_limit") return DecodeUint(v, &g->label_limit);
      if (key == "label_name_length_limit") return DecodeUint(v, &g->label_name_length_limit);
      if (key == "label_value_length_limit") return DecodeUint(v, &g->label_value_length_limit);
      if (key == "scrape_protocols") return DecodeScrapeProtocols(v, "global config", &g->scrape_protocols);
      if (key == "scrape_native_histograms") return DecodeBool(v, &g->scrape_native_histograms);
      if (key == "always_scrape_classic_histograms") return DecodeBool(v, &g->always_scrape_classic_histograms);
      if (key == "convert_classic_histograms_to_nhcb") return DecodeBool(v, &g->convert_classic_histograms_to_nhcb);
      return Unknown();
    });
  }

  Status DecodeScrapeConfig(const YAML::Node& node, scrape::ScrapeConfig* sc) {
    HttpClientDraft client;
    PROMETHIUM_RETURN_IF_ERROR(
        ForEachField(node, kScrapeType, kUnsupportedScrape, [&](const std::string& key, const YAML::Node& v) {
          Status s = DecodeHttpClientField(*this, key, v, &client);
          if (s.code() != Status::Code::kNotFound) return s;
          return DecodeScrapeField(node, key, v, sc);
        }));
    return FinishHttpClient(&client, &sc->http_client);
  }

  Status DecodeScrapeField(const YAML::Node& node, const std::string& key, const YAML::Node& v,
                           scrape::ScrapeConfig* sc) {
    {
      if (key == "job_name") return DecodeString(v, &sc->job_name);
      if (key == "scrape_interval") return DecodeDuration(v, &sc->scrape_interval_ms);
      if (key == "scrape_timeout") return DecodeDuration(v, &sc->scrape_timeout_ms);
      if (key == "metrics_path") return DecodeString(v, &sc->metrics_path);
      if (key == "scheme") return DecodeScheme(v, &sc->scheme);
      if (key == "params") return DecodeParams(v, &sc->params);
      if (key == "honor_labels") return DecodeBool(v, &sc->honor_labels);
      if (key == "honor_timestamps") return DecodeBool(v, &sc->honor_timestamps);
      if (key == "sample_limit") return DecodeUint(v, &sc->sample_limit);
      if (key == "target_limit") return DecodeUint(v, &sc->target_limit);
      if (key == "keep_dropped_targets") return DecodeUint(v, &sc->keep_dropped_targets);
      if (key == "label_limit") return DecodeUint(v, &sc->label_limit);
      if (key == "label_name_length_limit") return DecodeUint(v, &sc->label_name_length_limit);
      if (key == "label_value_length_limit") return DecodeUint(v, &sc->label_value_length_limit);
      if (key == "body_size_limit") return DecodeSize(v, &sc->body_size_limit);
      if (key == "scrape_protocols") return DecodeScrapeProtocols(v, JobContext(node), &sc->scrape_protocols);
      if (key == "fallback_scrape_protocol") return DecodeFallbackProtocol(v, node, &sc->fallback_scrape_protocol);
      if (key == "scrape_native_histograms") return DecodeOptionalBool(v, &sc->scrape_native_histograms);
      if (key == "always_scrape_classic_histograms") {
        return DecodeOptionalBool(v, &sc->always_scrape_classic_histograms);
      }
      if (key == "convert_classic_histograms_to_nhcb") {
        return DecodeOptionalBool(v, &sc->convert_classic_histograms_to_nhcb);
      }
      if (key == "native_histogram_bucket_limit") return DecodeUint(v, &sc->native_histogram_bucket_limit);
      if (key == "native_histogram_min_bucket_factor") {
        return DecodeFloat64(v, &sc->native_histogram_min_bucket_factor);
      }
      if (key == "static_configs") return DecodeStaticConfigs(v, &sc->static_configs);
      if (key == "file_sd_configs") return DecodeFileSdConfigs(v, &sc->file_sd_configs);
      if (key == "http_sd_configs") return DecodeHttpSdConfigs(v, &sc->http_sd_configs);
      if (key == "docker_sd_configs") return DecodeDockerSdConfigs(v, &sc->docker_sd_configs);
      if (key == "dns_sd_configs") return DecodeDnsSdConfigs(v, &sc->dns_sd_configs);
      if (key == "relabel_configs") return DecodeRelabelConfigs(v, "target", &sc->relabel_configs);
      if (key == "metric_relabel_configs") return DecodeRelabelConfigs(v, "metric", &sc->metric_relabel_configs);
      return Unknown();
    }
  }

  // "scrape config with job name \"x\"": the suffix of Prometheus's
  // scrape_protocols errors, read from the node since keys come in any order.
  static std::string JobContext(const YAML::Node& scrape_config) {
    const YAML::Node name = scrape_config["job_name"];
    std::string job = name && name.IsScalar() ? name.Scalar() : "";
    return fmt::format("scrape config with job name {}", QuoteLabelValue(job));
  }

  // []config.ScrapeProtocol with validateAcceptScrapeProtocols' checks; null
  // leaves the list unset (inherited). `context` ends each message.
  Status DecodeScrapeProtocols(const YAML::Node& v, std::string_view context,
                               std::vector<scrape::ScrapeProtocol>* out) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsSequence()) return TypeError(v, "[]config.ScrapeProtocol");
    std::vector<std::string> names;
    PROMETHIUM_RETURN_IF_ERROR(DecodeStringList(v, &names));
    if (names.empty()) return Status::InvalidArgument(fmt::format("scrape_protocols cannot be empty for {}", context));
    std::set<std::string> seen;
    out->clear();
    for (const std::string& name : names) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      if (!seen.insert(lower).second) {
        return Status::InvalidArgument(
            fmt::format("duplicated protocol in scrape_protocols, got [{}] for {}", fmt::join(names, " "), context));
      }
      scrape::ScrapeProtocol p;
      if (!scrape::ParseScrapeProtocolName(name, &p)) {
        return Status::InvalidArgument(fmt::format("scrape_protocols: unknown scrape protocol {}, supported: {} for {}",
                                                   name, scrape::SupportedScrapeProtocolNames(), context));
      }
      out->push_back(p);
    }
    return Status::OK();
  }

  Status DecodeFallbackProtocol(const YAML::Node& v, const YAML::Node& scrape_config,
                                std::optional<scrape::ScrapeProtocol>* out) {
    std::string name;
    PROMETHIUM_RETURN_IF_ERROR(DecodeString(v, &name));
    if (name.empty()) return Status::OK();
    scrape::ScrapeProtocol p;
    if (!scrape::ParseScrapeProtocolName(name, &p)) {
      const YAML::Node job = scrape_config["job_name"];
      return Status::InvalidArgument(fmt::format(
          "invalid fallback_scrape_protocol for scrape config with job name {}: unknown scrape protocol {}, "
          "supported: {}",
          QuoteLabelValue(job && job.IsScalar() ? job.Scalar() : ""), name, scrape::SupportedScrapeProtocolNames()));
    }
    *out = p;
    return Status::OK();
  }

  // []*relabel.Config. `kind` names the list in Prometheus's message for a
  // null rule ("empty or null target relabeling rule in scrape config").
  Status DecodeRelabelConfigs(const YAML::Node& v, std::string_view kind, std::vector<scrape::RelabelConfig>* out) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsSequence()) return TypeError(v, "[]*relabel.Config");
    for (const YAML::Node& item : v) {
      if (item.IsNull()) {
        return Status::InvalidArgument(fmt::format("empty or null {} relabeling rule in scrape config", kind));
      }
      scrape::RelabelConfig rule;
      PROMETHIUM_RETURN_IF_ERROR(DecodeRelabelConfig(item, &rule));
      out->push_back(std::move(rule));
    }
    return Status::OK();
  }

  // One relabel.Config over Prometheus's defaults. As with go-yaml, an
  // explicit null resets a field to its zero value (`regex:` is the empty
  // regex, `action:` no action, which Validate rejects).
  Status DecodeRelabelConfig(const YAML::Node& node, scrape::RelabelConfig* rule) {
    bool action_set = true;
    PROMETHIUM_RETURN_IF_ERROR(
        ForEachField(node, kRelabelType, {}, [&](const std::string& key, const YAML::Node& v) -> Status {
          if (key == "source_labels") return DecodeLabelNames(v, &rule->source_labels);
          if (key == "separator") return DecodeNullableString(v, &rule->separator);
          if (key == "target_label") return DecodeNullableString(v, &rule->target_label);
          if (key == "replacement") return DecodeNullableString(v, &rule->replacement);
          if (key == "modulus") return DecodeUint(v, &rule->modulus);
          if (key == "regex") {
            std::string pattern;
            PROMETHIUM_RETURN_IF_ERROR(DecodeNullableString(v, &pattern));
            if (!v.IsNull() && !v.IsScalar()) return Status::OK();  // type error recorded
            PROMETHIUM_ASSIGN_OR_RETURN(rule->regex, scrape::RelabelRegex::Make(pattern));
            return Status::OK();
          }
          if (key == "action") {
            if (v.IsNull()) {
              action_set = false;
              return Status::OK();
            }
            if (!v.IsScalar()) return TypeError(v, "relabel.Action");
            PROMETHIUM_ASSIGN_OR_RETURN(rule->action, scrape::ParseRelabelAction(v.Scalar()));
            return Status::OK();
          }
          return Unknown();
        }));
    if (!action_set) return Status::InvalidArgument("relabel action cannot be empty");
    return Status::OK();
  }

  // model.LabelNames: each name must be valid (UTF-8 names, Prometheus 3's
  // default validation scheme).
  Status DecodeLabelNames(const YAML::Node& v, std::vector<std::string>* out) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsSequence()) return TypeError(v, "model.LabelNames");
    for (const YAML::Node& item : v) {
      std::string name;
      if (!item.IsScalar()) return TypeError(item, "model.LabelName");
      name = item.Scalar();
      if (!scrape::IsValidLabelNameFor(scrape::NameValidation::kUtf8, name)) {
        return Status::InvalidArgument(fmt::format("{} is not a valid label name", QuoteLabelValue(name)));
      }
      out->push_back(std::move(name));
    }
    return Status::OK();
  }

  Status DecodeScheme(const YAML::Node& v, std::string* scheme) {
    std::string s = "http";
    PROMETHIUM_RETURN_IF_ERROR(DecodeString(v, &s));
    if (s != "http" && s != "https") {
      return Status::InvalidArgument(
          fmt::format("invalid scheme {} (line {}): must be http or https", QuoteLabelValue(s), LineOf(v)));
    }
    *scheme = s;
    return Status::OK();
  }

  // url.Values: name -> list of values.
  Status DecodeParams(const YAML::Node& v, std::map<std::string, std::vector<std::string>>* params) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsMap()) return TypeError(v, "url.Values");
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string name;
      PROMETHIUM_RETURN_IF_ERROR(DecodeString(it->first, &name));
      std::vector<std::string>& values = (*params)[name];
      PROMETHIUM_RETURN_IF_ERROR(DecodeStringList(it->second, &values));
    }
    return Status::OK();
  }

  Status DecodeStaticConfigs(const YAML::Node& v, std::vector<scrape::TargetGroup>* groups) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsSequence()) return TypeError(v, "discovery.StaticConfig");
    for (const YAML::Node& item : v) {
      scrape::TargetGroup group;
      group.source = fmt::format("static_configs/{}", groups->size());
      PROMETHIUM_RETURN_IF_ERROR(
          ForEachField(item, kGroupType, {}, [&](const std::string& key, const YAML::Node& value) {
            if (key == "labels") return DecodeLabels(value, &group.labels, /*expand_env=*/false);
            if (key == "targets") return DecodeStringList(value, &group.targets);
            return Unknown();
          }));
      groups->push_back(std::move(group));
    }
    return Status::OK();
  }

  // []*file.SDConfig, with file.SDConfig.UnmarshalYAML's defaults and checks.
  Status DecodeFileSdConfigs(const YAML::Node& v, std::vector<scrape::FileSDConfig>* out) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsSequence()) return TypeError(v, "[]*file.SDConfig");
    for (const YAML::Node& item : v) {
      scrape::FileSDConfig sd;
      PROMETHIUM_RETURN_IF_ERROR(
          ForEachField(item, kFileSdType, {}, [&](const std::string& key, const YAML::Node& value) {
            if (key == "files") return DecodeStringList(value, &sd.files);
            if (key == "refresh_interval") return DecodeDuration(value, &sd.refresh_interval_ms);
            return Unknown();
          }));
      if (sd.files.empty()) {
        return Status::InvalidArgument(
            fmt::format("file service discovery config must contain at least one path name (line {})", LineOf(item)));
      }
      for (const std::string& name : sd.files) {
        if (!ValidFileSdPattern(name)) {
          return Status::InvalidArgument(fmt::format("path name {} is not valid for file discovery (line {})",
                                                     QuoteLabelValue(name), LineOf(item)));
        }
      }
      out->push_back(std::move(sd));
    }
    return Status::OK();
  }

  // Prometheus's patFileSDName, ^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$, and no "*" in the directory.
  static bool ValidFileSdPattern(const std::string& name) {
    size_t star = name.find('*');
    if (star != std::string::npos) {
      if (name.find('/', star) != std::string::npos || name.find('*', star + 1) != std::string::npos) return false;
    }
    for (std::string_view ext : {".json", ".yml", ".yaml", ".JSON", ".YML", ".YAML"}) {
      if (name.size() > ext.size() && name.ends_with(ext)) return true;
    }
    return false;
  }

  // []*http.SDConfig: url and refresh_interval; the HTTP client options are unsupported.
  Status DecodeHttpSdConfigs(const YAML::Node& v, std::vector<scrape::HttpSDConfig>* out) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsSequence()) return TypeError(v, "[]*http.SDConfig");
    for (const YAML::Node& item : v) {
      scrape::HttpSDConfig sd;
      HttpClientDraft client;
      int url_line = LineOf(item);
      PROMETHIUM_RETURN_IF_ERROR(ForEachField(item, kHttpSdType, kUnsupportedHttpClientKeys,
                                              [&](const std::string& key, const YAML::Node& value) {
                                                Status s = DecodeHttpClientField(*this, key, value, &client);
                                                if (s.code() != Status::Code::kNotFound) return s;
                                                if (key == "refresh_interval")
                                                  return DecodeDuration(value, &sd.refresh_interval_ms);
                                                if (key != "url") return Unknown();
                                                url_line = LineOf(value);
                                                return DecodeString(value, &sd.url);
                                              }));
      PROMETHIUM_RETURN_IF_ERROR(FinishHttpClient(&client, &sd.http_client));
      PROMETHIUM_RETURN_IF_ERROR(CheckHttpSdUrl(sd.url, url_line));
      out->push_back(std::move(sd));
    }
    return Status::OK();
  }

  // []*moby.DockerSDConfig. The Engine API HTTP client options (TLS, auth)
  // are unsupported; `host` is checked by the discoverer's parser.
  Status DecodeDockerSdConfigs(const YAML::Node& v, std::vector<scrape::DockerSDConfig>* out) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsSequence()) return TypeError(v, "[]*moby.DockerSDConfig");
    for (const YAML::Node& item : v) {
      scrape::DockerSDConfig sd;
      PROMETHIUM_RETURN_IF_ERROR(
          ForEachField(item, kDockerSdType, kUnsupportedDockerSd, [&](const std::string& key, const YAML::Node& value) {
            if (key == "host") return DecodeString(value, &sd.host);
            if (key == "port") return DecodePort(value, &sd.port);
            if (key == "host_networking_host") return DecodeString(value, &sd.host_networking_host);
            if (key == "match_first_network") return DecodeBool(value, &sd.match_first_network);
            if (key == "refresh_interval") return DecodeDuration(value, &sd.refresh_interval_ms);
            if (key == "filters") return DecodeDockerFilters(value, &sd.filters);
            return Unknown();
          }));
      if (sd.host.empty()) return Status::InvalidArgument("host missing");
      if (!sd.host.starts_with("unix:///") && !sd.host.starts_with("tcp://") && !sd.host.starts_with("http://")) {
        return Status::Unsupported(
            fmt::format("docker_sd_configs host {} (only unix:///path, tcp:// and http://) (line {})",
                        QuoteLabelValue(sd.host), LineOf(item)));
      }
      out->push_back(std::move(sd));
    }
    return Status::OK();
  }

  // []*dns.SDConfig with SDConfig.UnmarshalYAML's checks.
  Status DecodeDnsSdConfigs(const YAML::Node& v, std::vector<scrape::DnsSDConfig>* out) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsSequence()) return TypeError(v, "[]*dns.SDConfig");
    for (const YAML::Node& item : v) {
      scrape::DnsSDConfig sd;
      PROMETHIUM_RETURN_IF_ERROR(
          ForEachField(item, kDnsSdType, {}, [&](const std::string& key, const YAML::Node& value) {
            if (key == "names") return DecodeStringList(value, &sd.names);
            if (key == "type") return DecodeString(value, &sd.type);
            if (key == "port") return DecodePort(value, &sd.port);
            if (key == "refresh_interval") return DecodeDuration(value, &sd.refresh_interval_ms);
            return Unknown();
          }));
      if (sd.names.empty()) return Status::InvalidArgument("DNS-SD config must contain at least one SRV record name");
      std::transform(sd.type.begin(), sd.type.end(), sd.type.begin(), [](unsigned char c) { return std::toupper(c); });
      if (sd.type.empty()) sd.type = "SRV";
      if (sd.type == "MX" || sd.type == "NS") {
        return Status::Unsupported(fmt::format("dns_sd_configs type {} (line {})", sd.type, LineOf(item)));
      }
      if (sd.type != "SRV" && sd.type != "A" && sd.type != "AAAA") {
        return Status::InvalidArgument(fmt::format("invalid DNS-SD records type {}", sd.type));
      }
      if (sd.type != "SRV" && sd.port == 0) {
        return Status::InvalidArgument("a port is required in DNS-SD configs for all record types except SRV");
      }
      out->push_back(std::move(sd));
    }
    return Status::OK();
  }

  Status DecodePort(const YAML::Node& v, int* out) {
    uint64_t port = static_cast<uint64_t>(*out);
    PROMETHIUM_RETURN_IF_ERROR(DecodeUint(v, &port));
    if (port > 65535) return TypeError(v, "int");
    *out = static_cast<int>(port);
    return Status::OK();
  }

  // []moby.Filter: {name, values}.
  Status DecodeDockerFilters(const YAML::Node& v, std::vector<std::pair<std::string, std::vector<std::string>>>* out) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsSequence()) return TypeError(v, "[]moby.Filter");
    for (const YAML::Node& item : v) {
      std::pair<std::string, std::vector<std::string>> filter;
      PROMETHIUM_RETURN_IF_ERROR(
          ForEachField(item, kDockerFilterType, {}, [&](const std::string& key, const YAML::Node& value) {
            if (key == "name") return DecodeString(value, &filter.first);
            if (key == "values") return DecodeStringList(value, &filter.second);
            return Unknown();
          }));
      out->push_back(std::move(filter));
    }
    return Status::OK();
  }

  // http.SDConfig.UnmarshalYAML's URL checks.
  static Status CheckHttpSdUrl(const std::string& url, int line) {
    if (url.empty()) return Status::InvalidArgument(fmt::format("URL is missing (line {})", line));
    size_t colon = url.find("://");
    std::string scheme = colon == std::string::npos ? "" : url.substr(0, colon);
    if (scheme != "http" && scheme != "https") {
      return Status::InvalidArgument(fmt::format("URL scheme must be 'http' or 'https' (line {})", line));
    }
    std::string rest = url.substr(colon + 3);
    if (rest.empty() || rest[0] == '/' || rest[0] == '?' || rest[0] == '#') {
      return Status::InvalidArgument(fmt::format("host is missing in URL (line {})", line));
    }
    return Status::OK();
  }

  // GlobalConfig.UnmarshalYAML's defaulting and checks.
  static Status ApplyGlobalDefaults(GlobalConfig* g) {
    const GlobalConfig defaults;
    if (g->scrape_interval_ms == 0) g->scrape_interval_ms = defaults.scrape_interval_ms;
    if (g->scrape_timeout_ms > g->scrape_interval_ms) {
      return Status::InvalidArgument("global scrape timeout greater than scrape interval");
    }
    if (g->scrape_timeout_ms == 0) g->scrape_timeout_ms = std::min(defaults.scrape_timeout_ms, g->scrape_interval_ms);
    if (g->evaluation_interval_ms == 0) g->evaluation_interval_ms = defaults.evaluation_interval_ms;
    return Status::OK();
  }

  // ScrapeConfig.UnmarshalYAML's and Validate's checks and inheritance.
  static Status ValidateScrapeConfig(const GlobalConfig& g, scrape::ScrapeConfig* sc) {
    if (sc->job_name.empty()) return Status::InvalidArgument("job_name is empty");
    // With relabeling, a URL-like target may still become a valid address.
    if (sc->relabel_configs.empty()) {
      for (const scrape::TargetGroup& group : sc->static_configs) {
        for (const std::string& t : group.targets) PROMETHIUM_RETURN_IF_ERROR(CheckTargetAddress(t));
      }
    }
    for (const auto* rules : {&sc->relabel_configs, &sc->metric_relabel_configs}) {
      for (const scrape::RelabelConfig& rule : *rules) PROMETHIUM_RETURN_IF_ERROR(rule.Validate());
    }
    if (sc->scrape_interval_ms == 0) sc->scrape_interval_ms = g.scrape_interval_ms;
    if (sc->scrape_timeout_ms > sc->scrape_interval_ms) {
      return Status::InvalidArgument(
          fmt::format("scrape timeout greater than scrape interval for scrape config with job name {}",
                      QuoteLabelValue(sc->job_name)));
    }
    if (sc->scrape_timeout_ms == 0) sc->scrape_timeout_ms = std::min(g.scrape_timeout_ms, sc->scrape_interval_ms);
    if (sc->body_size_limit == 0) sc->body_size_limit = g.body_size_limit;
    if (sc->sample_limit == 0) sc->sample_limit = g.sample_limit;
    if (sc->target_limit == 0) sc->target_limit = g.target_limit;
    if (sc->keep_dropped_targets == 0) sc->keep_dropped_targets = g.keep_dropped_targets;
    if (sc->label_limit == 0) sc->label_limit = g.label_limit;
    if (sc->label_name_length_limit == 0) sc->label_name_length_limit = g.label_name_length_limit;
    if (sc->label_value_length_limit == 0) sc->label_value_length_limit = g.label_value_length_limit;
    if (!sc->scrape_native_histograms) sc->scrape_native_histograms = g.scrape_native_histograms;
    if (sc->scrape_protocols.empty()) {  // as Prometheus: global, else proto-first for native histograms
      if (!g.scrape_protocols.empty()) {
        sc->scrape_protocols = g.scrape_protocols;
      } else if (*sc->scrape_native_histograms) {
        sc->scrape_protocols = scrape::DefaultProtoFirstScrapeProtocols();
      } else {
        sc->scrape_protocols = scrape::DefaultScrapeProtocols();
      }
    }
    if (!sc->convert_classic_histograms_to_nhcb) {
      sc->convert_classic_histograms_to_nhcb = g.convert_classic_histograms_to_nhcb;
    }
    if (!sc->always_scrape_classic_histograms)
      sc->always_scrape_classic_histograms = g.always_scrape_classic_histograms;
    return Status::OK();
  }

  StorageConfig storage_;
  std::vector<std::string> rule_files_;
  rules::AlertingConfig alerting_;
  std::vector<remote::RemoteReadConfig> remote_read_;
  std::vector<remote::RemoteWriteConfig> remote_write_;
};

}  // namespace

Result<Config> ParseConfig(std::string_view yaml_text) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml_text));
    return Decoder().Run(root);
  } catch (const YAML::Exception& e) {
    // go-yaml: "yaml: line 3: mapping values are not allowed in this context"
    return Status::InvalidArgument(fmt::format("yaml: line {}: {}", e.mark.line + 1, e.msg));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(fmt::format("yaml: {}", e.what()));
  }
}

namespace {

// SetDirectory: relative file_sd, TLS and secret file paths of one job
// become relative to `dir` ("" or ending in '/').
void ResolvePaths(const std::string& dir, scrape::ScrapeConfig* sc) {
  for (scrape::FileSDConfig& sd : sc->file_sd_configs) {
    for (std::string& file : sd.files) JoinConfigDir(dir, &file);
  }
  ResolveHttpClientPaths(dir, &sc->http_client);
  for (scrape::HttpSDConfig& sd : sc->http_sd_configs) ResolveHttpClientPaths(dir, &sd.http_client);
}

Result<std::vector<scrape::ScrapeConfig>> ParseScrapeConfigsText(const std::string& text, const GlobalConfig& global) {
  try {
    YAML::Node root = YAML::Load(text);
    return Decoder().RunScrapeConfigsFile(root, global);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("yaml: line {}: {}", e.mark.line + 1, e.msg));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(fmt::format("yaml: {}", e.what()));
  }
}

// Like Go's filepath.Glob: matches sorted, none is not an error.
Result<std::vector<std::string>> Glob(const std::string& pattern) {
  glob_t g{};
  int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) {
    return Status::InvalidArgument(
        fmt::format("error retrieving scrape config files for {}", QuoteLabelValue(pattern)));
  }
  return out;
}

// Prometheus's GetScrapeConfigs for scrape_config_files: each file's jobs,
// validated under the main global config, with file-relative paths; a job
// name seen before is an error naming where it was first found.
Status LoadScrapeConfigFiles(const std::string& dir, Config* cfg) {
  std::map<std::string, std::string> first_seen;
  for (const scrape::ScrapeConfig& sc : cfg->scrape_configs) first_seen[sc.job_name] = "main config file";
  for (std::string pattern : cfg->scrape_config_files) {
    if (!pattern.starts_with('/')) pattern = dir + pattern;
    PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> files, Glob(pattern));
    for (const std::string& file : files) {
      auto file_err = [&](const Status& s) {
        return Status::InvalidArgument(fmt::format("{}: {}", QuoteLabelValue(file), s.message()));
      };
      Result<std::string> text = ReadFileToString(Env::Default(), file);
      if (!text.ok()) return file_err(text.status());
      Result<std::vector<scrape::ScrapeConfig>> jobs = ParseScrapeConfigsText(*text, cfg->global);
      if (!jobs.ok()) return file_err(jobs.status());
      const std::string file_dir = file.substr(0, file.rfind('/') + 1);
      for (scrape::ScrapeConfig& sc : *jobs) {
        if (auto it = first_seen.find(sc.job_name); it != first_seen.end()) {
          return file_err(
              Status::InvalidArgument(fmt::format("found multiple scrape configs with job name {}, first found in {}",
                                                  QuoteLabelValue(sc.job_name), it->second)));
        }
        first_seen[sc.job_name] = QuoteLabelValue(file);
        ResolvePaths(file_dir, &sc);
        cfg->scrape_configs.push_back(std::move(sc));
      }
    }
  }
  return Status::OK();
}

}  // namespace

Result<Config> LoadConfigFile(const std::string& path) {
  Result<std::string> text = ReadFileToString(Env::Default(), path);
  if (!text.ok()) return text.status();
  Result<Config> cfg = ParseConfig(*text);
  if (!cfg.ok()) return Status::InvalidArgument(fmt::format("parsing YAML file {}: {}", path, cfg.status().message()));
  // Like Prometheus's SetDirectory: relative file_sd, TLS and secret file paths are relative to the config file.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  for (scrape::ScrapeConfig& sc : cfg->scrape_configs) ResolvePaths(dir, &sc);
  config_internal::ResolveAlertingPaths(dir, &cfg->alerting);
  config_internal::ResolveRemoteReadPaths(dir, &cfg->remote_read);
  config_internal::ResolveRemoteWritePaths(dir, &cfg->remote_write);
  cfg->config_dir = dir;
  Status files = LoadScrapeConfigFiles(dir, &*cfg);
  if (!files.ok()) return Status::InvalidArgument(fmt::format("parsing YAML file {}: {}", path, files.message()));
  return cfg;
}

}  // namespace promethium::server
