#include "scrape/discovery/docker_sd.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <string_view>
#include <unordered_map>

#include "scrape/discovery/docker_api_client.h"
#include "tsdb/base/logging.h"

namespace promethium::scrape {
namespace {

namespace json = boost::json;

constexpr int64_t kMaxFetchMs = 10'000;
constexpr std::string_view kPrefix = "__meta_docker_";

using LabelMap = std::map<std::string, std::string>;

// Prometheus's strutil.SanitizeLabelName: every byte outside [a-zA-Z0-9_] becomes '_'.
std::string SanitizeLabelName(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) c = '_';
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// Field accessors tolerant of absent and null members, as Go's decoder is.
const json::object* ObjectField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}
const json::array* ArrayField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}
std::string StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}
uint64_t UintField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() > 0) return static_cast<uint64_t>(v->get_int64());
  return 0;
}
bool BoolField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_bool() && v->get_bool();
}

void AddSanitizedLabels(const json::object* labels, std::string_view prefix, LabelMap* out) {
  if (labels == nullptr) return;
  for (const auto& [k, v] : *labels) {
    if (v.is_string()) (*out)[fmt::format("{}{}", prefix, SanitizeLabelName(k))] = std::string(v.get_string());
  }
}

// getNetworksLabels: network id -> its __meta_docker_network_* labels.
Result<std::unordered_map<std::string, LabelMap>> NetworkLabels(const json::value& networks) {
  if (!networks.is_array()) return Status::InvalidArgument("docker /networks: expected a JSON array");
  std::unordered_map<std::string, LabelMap> out;
  for (const json::value& nv : networks.get_array()) {
    if (!nv.is_object()) continue;
    const json::object& n = nv.get_object();
    std::string id = StringField(n, "Id");
    LabelMap& l = out[id];
    l[fmt::format("{}network_id", kPrefix)] = id;
    l[fmt::format("{}network_name", kPrefix)] = StringField(n, "Name");
    l[fmt::format("{}network_scope", kPrefix)] = StringField(n, "Scope");
    l[fmt::format("{}network_internal", kPrefix)] = BoolField(n, "Internal") ? "true" : "false";
    l[fmt::format("{}network_ingress", kPrefix)] = BoolField(n, "Ingress") ? "true" : "false";
    AddSanitizedLabels(ObjectField(n, "Labels"), fmt::format("{}network_label_", kPrefix), &l);
  }
  return out;
}

std::string NetworkMode(const json::object& c) {
  const json::object* hc = ObjectField(c, "HostConfig");
  return hc ? StringField(*hc, "NetworkMode") : std::string();
}

const json::object* Networks(const json::object& c) {
  const json::object* ns = ObjectField(c, "NetworkSettings");
  return ns ? ObjectField(*ns, "Networks") : nullptr;
}

// A container's networks, following "container:<id>" modes to the container
// whose network stack it shares, as Prometheus does (by exact id).
std::vector<const json::object*> ContainerNetworks(const json::object& c,
                                                   const std::unordered_map<std::string, const json::object*>& by_id,
                                                   bool match_first) {
  const json::object* nets = Networks(c);
  std::string mode = NetworkMode(c);
  for (size_t hops = 0; (nets == nullptr || nets->empty()) && hops <= by_id.size(); ++hops) {
    if (!mode.starts_with("container:")) break;
    auto it = by_id.find(mode.substr(10));
    if (it == by_id.end()) break;
    nets = Networks(*it->second);
    mode = NetworkMode(*it->second);
  }
  std::vector<std::pair<std::string, const json::object*>> named;
  if (nets != nullptr) {
    for (const auto& [name, v] : *nets) {
      if (v.is_object()) named.emplace_back(std::string(name), &v.get_object());
    }
  }
  if (match_first && named.size() > 1) {
    auto first = std::min_element(named.begin(), named.end());
    named = {*first};
  }
  std::vector<const json::object*> out;
  for (const auto& [name, n] : named) out.push_back(n);
  return out;
}

std::string JoinHostPort(const std::string& host, uint64_t port) {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

TargetGroup MakeGroup(const std::string& address, const LabelMap& labels) {
  LabelsBuilder b;
  for (const auto& [k, v] : labels) b.Set(k, v);
  return TargetGroup{{address}, b.Build(), "Docker"};
}

// The targets of one container on one network.
void AddNetworkTargets(const json::object& c, const json::object& net, const LabelMap& common,
                       const std::unordered_map<std::string, LabelMap>& network_labels, const DockerSDConfig& config,
                       std::vector<TargetGroup>* out) {
  const std::string ip = StringField(net, "IPAddress");
  LabelMap base = common;
  base[fmt::format("{}network_ip", kPrefix)] = ip;
  if (auto it = network_labels.find(StringField(net, "NetworkID")); it != network_labels.end()) {
    for (const auto& [k, v] : it->second) base[k] = v;
  }
  bool added = false;
  if (const json::array* ports = ArrayField(c, "Ports")) {
    for (const json::value& pv : *ports) {
      if (!pv.is_object() || StringField(pv.get_object(), "Type") != "tcp") continue;
      const json::object& p = pv.get_object();
      LabelMap labels = base;
      uint64_t private_port = UintField(p, "PrivatePort");
      labels[fmt::format("{}port_private", kPrefix)] = std::to_string(private_port);
      if (uint64_t pub = UintField(p, "PublicPort"); pub > 0) {
        labels[fmt::format("{}port_public", kPrefix)] = std::to_string(pub);
        labels[fmt::format("{}port_public_ip", kPrefix)] = StringField(p, "IP");
      }
      out->push_back(MakeGroup(JoinHostPort(ip, private_port), labels));
      added = true;
    }
  }
  if (added) return;
  // No TCP port: the configured port, or the host itself in host networking.
  std::string address =
      NetworkMode(c) != "host" ? JoinHostPort(ip, static_cast<uint64_t>(config.port)) : config.host_networking_host;
  out->push_back(MakeGroup(address, base));
}

}  // namespace

std::string DockerFiltersJson(const std::vector<std::pair<std::string, std::vector<std::string>>>& filters) {
  json::object root;
  for (const auto& [name, values] : filters) {
    json::value& slot = root[name];
    if (!slot.is_object()) slot = json::object();
    for (const std::string& v : values) slot.get_object()[v] = true;
  }
  return json::serialize(root);
}

Result<std::vector<TargetGroup>> DockerTargetGroups(const std::string& containers_json,
                                                    const std::string& networks_json, const DockerSDConfig& config) {
  boost::system::error_code ec;
  json::value containers = json::parse(containers_json, ec);
  if (ec || !containers.is_array()) {
    return Status::InvalidArgument(fmt::format("error while listing containers: invalid JSON answer"));
  }
  json::value networks = json::parse(networks_json, ec);
  if (ec) return Status::InvalidArgument("error while computing network labels: invalid JSON answer");
  Result<std::unordered_map<std::string, LabelMap>> network_labels = NetworkLabels(networks);
  if (!network_labels.ok()) return network_labels.status();

  std::unordered_map<std::string, const json::object*> by_id;
  for (const json::value& cv : containers.get_array()) {
    if (cv.is_object()) by_id[StringField(cv.get_object(), "Id")] = &cv.get_object();
  }
  std::vector<TargetGroup> out;
  for (const json::value& cv : containers.get_array()) {
    if (!cv.is_object()) continue;
    const json::object& c = cv.get_object();
    const json::array* names = ArrayField(c, "Names");
    if (names == nullptr || names->empty() || !(*names)[0].is_string()) continue;
    LabelMap common;
    common[fmt::format("{}container_id", kPrefix)] = StringField(c, "Id");
    common[fmt::format("{}container_name", kPrefix)] = std::string((*names)[0].get_string());
    common[fmt::format("{}container_network_mode", kPrefix)] = NetworkMode(c);
    AddSanitizedLabels(ObjectField(c, "Labels"), fmt::format("{}container_label_", kPrefix), &common);
    for (const json::object* net : ContainerNetworks(c, by_id, config.match_first_network)) {
      AddNetworkTargets(c, *net, common, *network_labels, config, &out);
    }
  }
  return out;
}

Result<std::vector<TargetGroup>> FetchDockerTargetGroups(const DockerSDConfig& config, int64_t timeout_ms) {
  PROMETHIUM_ASSIGN_OR_RETURN(DockerEndpoint ep, ParseDockerHost(config.host));
  std::string containers_target = "/containers/json";
  if (!config.filters.empty()) containers_target += "?filters=" + PercentEncode(DockerFiltersJson(config.filters));
  Result<std::string> containers = DockerApiGet(ep, containers_target, timeout_ms);
  if (!containers.ok()) {
    return Status::IOError(fmt::format("error while listing containers: {}", containers.status().message()));
  }
  Result<std::string> networks = DockerApiGet(ep, "/networks", timeout_ms);
  if (!networks.ok()) {
    return Status::IOError(fmt::format("error while computing network labels: {}", networks.status().message()));
  }
  return DockerTargetGroups(*containers, *networks, config);
}

DockerDiscoverer::DockerDiscoverer(DockerSDConfig config, Counter* failures)
    : config_(std::move(config)), failures_(failures) {}

std::optional<std::vector<TargetGroup>> DockerDiscoverer::Poll(int64_t now_ms) {
  if (refreshed_once_ && now_ms - last_refresh_ms_ < config_.refresh_interval_ms) return std::nullopt;
  refreshed_once_ = true;
  last_refresh_ms_ = now_ms;
  Result<std::vector<TargetGroup>> groups =
      FetchDockerTargetGroups(config_, std::min(config_.refresh_interval_ms, kMaxFetchMs));
  if (!groups.ok()) {
    LogError("discovery", "Unable to refresh target groups from docker {}: {}", config_.host,
             groups.status().message());
    if (failures_) failures_->Inc();
  } else {
    groups_ = std::move(*groups);
  }
  return groups_;
}

}  // namespace promethium::scrape
