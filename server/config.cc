#include "server/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <optional>
#include <set>
#include <string_view>

#include "scrape/textparse/scrape_protocol.h"
#include "tsdb/base/duration.h"
#include "tsdb/base/env.h"

namespace promethium::server {
namespace {

// Go type names used in "field x not found in type T" messages.
constexpr std::string_view kConfigType = "config.Config";
constexpr std::string_view kGlobalType = "config.GlobalConfig";
constexpr std::string_view kScrapeType = "config.ScrapeConfig";
constexpr std::string_view kGroupType = "targetgroup.Group";
// relabel.Config decodes through a local `plain` type, which go-yaml names.
constexpr std::string_view kRelabelType = "relabel.plain";

// Keys Prometheus accepts that Promethium does not implement yet.
const std::set<std::string_view> kUnsupportedTopLevel = {
    "runtime",      "alerting",    "rule_files", "scrape_config_files", "storage", "tracing",
    "remote_write", "remote_read", "otlp",
};
const std::set<std::string_view> kUnsupportedGlobal = {
    "rule_query_offset",
    "query_log_file",
    "scrape_failure_log_file",
    "target_limit",
    "label_name_length_limit",
    "label_value_length_limit",
    "keep_dropped_targets",
    "metric_name_validation_scheme",
    "metric_name_escaping_scheme",
    "scrape_native_histograms",
    "convert_classic_histograms_to_nhcb",
    "always_scrape_classic_histograms",
    "extra_scrape_metrics",
};
const std::set<std::string_view> kUnsupportedScrape = {
    // Scrape behaviour.
    "track_timestamps_staleness", "scrape_native_histograms", "always_scrape_classic_histograms",
    "convert_classic_histograms_to_nhcb", "scrape_failure_log_file", "enable_compression", "target_limit",
    "label_name_length_limit", "label_value_length_limit", "native_histogram_bucket_limit",
    "native_histogram_min_bucket_factor", "keep_dropped_targets", "metric_name_validation_scheme",
    "metric_name_escaping_scheme", "extra_scrape_metrics",
    // HTTP client (common/config.HTTPClientConfig, inlined).
    "basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file", "tls_config", "proxy_url", "no_proxy",
    "proxy_from_environment", "proxy_connect_header", "follow_redirects", "enable_http2", "http_headers",
    // Every service discovery mechanism except static_configs, file_sd_configs and http_sd_configs is
    // "<name>_sd_configs", matched by suffix (kSupportedSd).
};
const std::set<std::string_view> kSupportedSd = {"file_sd_configs", "http_sd_configs"};
// http_sd_configs inline common/config.HTTPClientConfig; none of it is implemented for discovery yet.
const std::set<std::string_view> kUnsupportedHttpSd = {
    "basic_auth",       "authorization", "oauth2",       "bearer_token",           "bearer_token_file",
    "tls_config",       "proxy_url",     "no_proxy",     "proxy_from_environment", "proxy_connect_header",
    "follow_redirects", "enable_http2",  "http_headers",
};
constexpr std::string_view kFileSdType = "file.SDConfig";
constexpr std::string_view kHttpSdType = "http.SDConfig";

int LineOf(const YAML::Node& node) { return node.Mark().line + 1; }

// null, "", [] or {}: a value that asks for nothing.
bool IsEmptyValue(const YAML::Node& node) {
  if (node.IsNull()) return true;
  if (node.IsScalar()) return node.Scalar().empty();
  return node.size() == 0;
}

// go-yaml's name for a node's resolved tag, for "cannot unmarshal" messages.
std::string TagOf(const YAML::Node& node) {
  if (node.IsNull()) return "!!null";
  if (node.IsSequence()) return "!!seq";
  if (node.IsMap()) return "!!map";
  if (node.Tag() == "!") return "!!str";  // quoted: always a string
  bool b;
  int64_t i;
  double d;
  if (YAML::convert<int64_t>::decode(node, i)) return "!!int";
  if (YAML::convert<double>::decode(node, d)) return "!!float";
  if (YAML::convert<bool>::decode(node, b)) return "!!bool";
  return "!!str";
}

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
class Decoder {
 public:
  Result<Config> Run(const YAML::Node& root) {
    Config cfg;
    GlobalConfig global{0, 0, 0, {}, 0, 0, 0};
    PROMETHIUM_RETURN_IF_ERROR(DecodeTop(root, &global, &cfg.scrape_configs));
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

 private:
  using FieldFn = std::function<Status(const std::string& key, const YAML::Node& value)>;

  // Records a type mismatch and lets decoding continue (returns OK).
  Status TypeError(const YAML::Node& node, std::string_view into) {
    if (node.IsScalar()) {
      errors_.push_back(
          fmt::format("line {}: cannot unmarshal {} `{}` into {}", LineOf(node), TagOf(node), node.Scalar(), into));
    } else {
      errors_.push_back(fmt::format("line {}: cannot unmarshal {} into {}", LineOf(node), TagOf(node), into));
    }
    return Status::OK();
  }

  // Calls fn for each key of a mapping in order. Reports a non-mapping node,
  // non-scalar and duplicate keys, unknown keys (those fn does not claim by
  // returning NotFound) and known-but-unsupported keys.
  Status ForEachField(const YAML::Node& node, std::string_view type, const std::set<std::string_view>& unsupported,
                      const FieldFn& fn) {
    if (node.IsNull()) return Status::OK();
    if (!node.IsMap()) return TypeError(node, type);
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;  // copies: the iterator yields temporaries
      const YAML::Node value = it->second;
      if (!key.IsScalar()) {
        TypeError(key, "string");
        continue;
      }
      const std::string& name = key.Scalar();
      if (!seen.insert(name).second) {
        errors_.push_back(fmt::format("line {}: key {} already set in map", LineOf(key), QuoteLabelValue(name)));
        continue;
      }
      bool is_sd = type == kScrapeType && name.ends_with("_sd_configs") && !kSupportedSd.contains(name);
      if (unsupported.contains(name) || is_sd) {
        if (IsEmptyValue(value)) continue;  // asks for nothing: honoured exactly
        return Status::Unsupported(fmt::format("{} (line {})", name, LineOf(key)));
      }
      Status s = fn(name, value);
      if (s.code() == Status::Code::kNotFound) {
        errors_.push_back(fmt::format("line {}: field {} not found in type {}", LineOf(key), name, type));
      } else if (!s.ok()) {
        return s;
      }
    }
    return Status::OK();
  }

  static Status Unknown() { return Status::NotFound(""); }

  // The decoders below return OK after recording a type mismatch, and an
  // error only when decoding must stop.
  Status DecodeString(const YAML::Node& v, std::string* out) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsScalar()) return TypeError(v, "string");
    *out = v.Scalar();
    return Status::OK();
  }

  Status DecodeBool(const YAML::Node& v, bool* out) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsScalar() || !YAML::convert<bool>::decode(v, *out)) return TypeError(v, "bool");
    return Status::OK();
  }

  Status DecodeUint(const YAML::Node& v, uint64_t* out) {
    if (v.IsNull()) return Status::OK();
    const std::string s = v.IsScalar() ? v.Scalar() : std::string();
    bool digits = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!v.IsScalar() || !digits || s.size() > 19) return TypeError(v, "uint");
    *out = std::stoull(s);
    return Status::OK();
  }

  // model.Duration: a string in Prometheus duration syntax. Its errors come
  // from a custom unmarshaler, so they stop decoding and carry no line.
  Status DecodeDuration(const YAML::Node& v, int64_t* out_ms) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsScalar()) return TypeError(v, "string");
    Result<int64_t> ms = ParseDuration(v.Scalar());
    if (!ms.ok()) return Status::InvalidArgument(ms.status().message());
    *out_ms = *ms;
    return Status::OK();
  }

  Status DecodeSize(const YAML::Node& v, uint64_t* out) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsScalar()) return TypeError(v, "string");
    Result<uint64_t> n = ParseByteSize(v.Scalar());
    if (!n.ok()) return n.status();
    *out = *n;
    return Status::OK();
  }

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

  Status DecodeTop(const YAML::Node& root, GlobalConfig* global, std::vector<scrape::ScrapeConfig>* scrape_configs) {
    return ForEachField(root, kConfigType, kUnsupportedTopLevel, [&](const std::string& key, const YAML::Node& v) {
      if (key == "global") return DecodeGlobal(v, global);
      if (key != "scrape_configs") return Unknown();
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
    });
  }

  Status DecodeGlobal(const YAML::Node& node, GlobalConfig* g) {
    return ForEachField(node, kGlobalType, kUnsupportedGlobal, [&](const std::string& key, const YAML::Node& v) {
      if (key == "scrape_interval") return DecodeDuration(v, &g->scrape_interval_ms);
      if (key == "scrape_timeout") return DecodeDuration(v, &g->scrape_timeout_ms);
      if (key == "evaluation_interval") return DecodeDuration(v, &g->evaluation_interval_ms);
      if (key == "external_labels") return DecodeLabels(v, &g->external_labels, /*expand_env=*/true);
      if (key == "body_size_limit") return DecodeSize(v, &g->body_size_limit);
      if (key == "sample_limit") return DecodeUint(v, &g->sample_limit);
      if (key == "label_limit") return DecodeUint(v, &g->label_limit);
      if (key == "scrape_protocols") return DecodeScrapeProtocols(v, "global config", &g->scrape_protocols);
      return Unknown();
    });
  }

  Status DecodeScrapeConfig(const YAML::Node& node, scrape::ScrapeConfig* sc) {
    return ForEachField(node, kScrapeType, kUnsupportedScrape, [&](const std::string& key, const YAML::Node& v) {
      if (key == "job_name") return DecodeString(v, &sc->job_name);
      if (key == "scrape_interval") return DecodeDuration(v, &sc->scrape_interval_ms);
      if (key == "scrape_timeout") return DecodeDuration(v, &sc->scrape_timeout_ms);
      if (key == "metrics_path") return DecodeString(v, &sc->metrics_path);
      if (key == "scheme") return DecodeScheme(v, &sc->scheme);
      if (key == "params") return DecodeParams(v, &sc->params);
      if (key == "honor_labels") return DecodeBool(v, &sc->honor_labels);
      if (key == "honor_timestamps") return DecodeBool(v, &sc->honor_timestamps);
      if (key == "sample_limit") return DecodeUint(v, &sc->sample_limit);
      if (key == "label_limit") return DecodeUint(v, &sc->label_limit);
      if (key == "body_size_limit") return DecodeSize(v, &sc->body_size_limit);
      if (key == "scrape_protocols") return DecodeScrapeProtocols(v, JobContext(node), &sc->scrape_protocols);
      if (key == "fallback_scrape_protocol") return DecodeFallbackProtocol(v, node, &sc->fallback_scrape_protocol);
      if (key == "static_configs") return DecodeStaticConfigs(v, &sc->static_configs);
      if (key == "file_sd_configs") return DecodeFileSdConfigs(v, &sc->file_sd_configs);
      if (key == "http_sd_configs") return DecodeHttpSdConfigs(v, &sc->http_sd_configs);
      if (key == "relabel_configs") return DecodeRelabelConfigs(v, "target", &sc->relabel_configs);
      if (key == "metric_relabel_configs") return DecodeRelabelConfigs(v, "metric", &sc->metric_relabel_configs);
      return Unknown();
    });
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
      if (p == scrape::ScrapeProtocol::kPrometheusProto) {
        return Status::Unsupported(
            fmt::format("scrape protocol PrometheusProto (protobuf exposition) in "
                        "scrape_protocols for {} (line {})",
                        context, LineOf(v)));
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
    if (p == scrape::ScrapeProtocol::kPrometheusProto) {
      return Status::Unsupported(
          fmt::format("fallback_scrape_protocol PrometheusProto (protobuf exposition) (line {})", LineOf(v)));
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

  // A string field for which null means "" (not "keep the default").
  Status DecodeNullableString(const YAML::Node& v, std::string* out) {
    if (v.IsNull()) {
      out->clear();
      return Status::OK();
    }
    return DecodeString(v, out);
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
    if (s == "https") return Status::Unsupported(fmt::format("scheme https (line {})", LineOf(v)));
    if (s != "http") {
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

  Status DecodeStringList(const YAML::Node& v, std::vector<std::string>* out) {
    if (v.IsNull()) return Status::OK();
    if (!v.IsSequence()) return TypeError(v, "[]string");
    for (const YAML::Node& item : v) {
      std::string value;
      PROMETHIUM_RETURN_IF_ERROR(DecodeString(item, &value));
      out->push_back(std::move(value));
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
      int url_line = LineOf(item);
      PROMETHIUM_RETURN_IF_ERROR(
          ForEachField(item, kHttpSdType, kUnsupportedHttpSd, [&](const std::string& key, const YAML::Node& value) {
            if (key == "refresh_interval") return DecodeDuration(value, &sd.refresh_interval_ms);
            if (key != "url") return Unknown();
            url_line = LineOf(value);
            return DecodeString(value, &sd.url);
          }));
      PROMETHIUM_RETURN_IF_ERROR(CheckHttpSdUrl(sd.url, url_line));
      out->push_back(std::move(sd));
    }
    return Status::OK();
  }

  // http.SDConfig.UnmarshalYAML's URL checks; https needs TLS support we lack.
  static Status CheckHttpSdUrl(const std::string& url, int line) {
    if (url.empty()) return Status::InvalidArgument(fmt::format("URL is missing (line {})", line));
    size_t colon = url.find("://");
    std::string scheme = colon == std::string::npos ? "" : url.substr(0, colon);
    if (scheme == "https") return Status::Unsupported(fmt::format("http_sd_configs https URL (line {})", line));
    if (scheme != "http") {
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
    if (sc->label_limit == 0) sc->label_limit = g.label_limit;
    if (sc->scrape_protocols.empty()) {
      sc->scrape_protocols = g.scrape_protocols.empty() ? scrape::DefaultScrapeProtocols() : g.scrape_protocols;
    }
    return Status::OK();
  }

  std::vector<std::string> errors_;
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

Result<Config> LoadConfigFile(const std::string& path) {
  Result<std::string> text = ReadFileToString(Env::Default(), path);
  if (!text.ok()) return text.status();
  Result<Config> cfg = ParseConfig(*text);
  if (!cfg.ok()) return Status::InvalidArgument(fmt::format("parsing YAML file {}: {}", path, cfg.status().message()));
  // Like Prometheus's SetDirectory: relative file_sd paths are relative to the config file.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  for (scrape::ScrapeConfig& sc : cfg->scrape_configs) {
    for (scrape::FileSDConfig& sd : sc.file_sd_configs) {
      for (std::string& file : sd.files) {
        if (!file.starts_with('/')) file = dir + file;
      }
    }
  }
  return cfg;
}

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

void EmitSdConfigs(YAML::Emitter& out, const scrape::ScrapeConfig& sc) {
  if (!sc.file_sd_configs.empty()) {
    out << YAML::Key << "file_sd_configs" << YAML::Value << YAML::BeginSeq;
    for (const scrape::FileSDConfig& f : sc.file_sd_configs) {
      out << YAML::BeginMap << YAML::Key << "files" << YAML::Value << f.files;
      out << YAML::Key << "refresh_interval" << YAML::Value << FormatDuration(f.refresh_interval_ms) << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!sc.http_sd_configs.empty()) {
    out << YAML::Key << "http_sd_configs" << YAML::Value << YAML::BeginSeq;
    for (const scrape::HttpSDConfig& h : sc.http_sd_configs) {
      out << YAML::BeginMap << YAML::Key << "url" << YAML::Value << h.url;
      out << YAML::Key << "refresh_interval" << YAML::Value << FormatDuration(h.refresh_interval_ms) << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
}

}  // namespace

std::string ConfigToYaml(const Config& config) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "global" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "scrape_interval" << YAML::Value << FormatDuration(config.global.scrape_interval_ms);
  out << YAML::Key << "scrape_timeout" << YAML::Value << FormatDuration(config.global.scrape_timeout_ms);
  out << YAML::Key << "evaluation_interval" << YAML::Value << FormatDuration(config.global.evaluation_interval_ms);
  if (!config.global.external_labels.empty()) {
    out << YAML::Key << "external_labels" << YAML::Value << YAML::BeginMap;
    for (const Label& l : config.global.external_labels) out << YAML::Key << l.name << YAML::Value << l.value;
    out << YAML::EndMap;
  }
  EmitScrapeProtocols(out, config.global.scrape_protocols);
  out << YAML::EndMap;
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
      if (!sc.params.empty()) out << YAML::Key << "params" << YAML::Value << sc.params;
      out << YAML::Key << "scrape_interval" << YAML::Value << FormatDuration(sc.scrape_interval_ms);
      out << YAML::Key << "scrape_timeout" << YAML::Value << FormatDuration(sc.scrape_timeout_ms);
      out << YAML::Key << "metrics_path" << YAML::Value << sc.metrics_path;
      out << YAML::Key << "scheme" << YAML::Value << sc.scheme;
      if (sc.body_size_limit)
        out << YAML::Key << "body_size_limit" << YAML::Value << FormatByteSize(sc.body_size_limit);
      if (sc.sample_limit) out << YAML::Key << "sample_limit" << YAML::Value << sc.sample_limit;
      if (sc.label_limit) out << YAML::Key << "label_limit" << YAML::Value << sc.label_limit;
      out << YAML::Key << "static_configs" << YAML::Value << YAML::BeginSeq;
      for (const scrape::TargetGroup& g : sc.static_configs) {
        out << YAML::BeginMap << YAML::Key << "targets" << YAML::Value << g.targets;
        if (!g.labels.empty()) {
          out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
          for (const Label& l : g.labels) out << YAML::Key << l.name << YAML::Value << l.value;
          out << YAML::EndMap;
        }
        out << YAML::EndMap;
      }
      out << YAML::EndSeq;
      EmitSdConfigs(out, sc);
      EmitRelabelConfigs(out, "relabel_configs", sc.relabel_configs);
      EmitRelabelConfigs(out, "metric_relabel_configs", sc.metric_relabel_configs);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace promethium::server
