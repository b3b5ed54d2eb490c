// DockerDiscoverer: docker_sd_configs. Every refresh_interval it lists the
// running containers (GET /containers/json, with the configured `filters`
// as Docker's JSON query parameter) and the networks (GET /networks) of the
// Docker Engine API, and turns them into targets exactly as Prometheus's
// discovery/moby does:
//   - one target per (container network, TCP port): address <ip>:<private
//     port>, with __meta_docker_port_private and, when published,
//     __meta_docker_port_public / __meta_docker_port_public_ip;
//   - a container without TCP ports gets one target per network at <ip>:<port>
//     (the configured port), or host_networking_host (no port) in host mode;
//   - "container:<id>" network modes borrow the networks of that container;
//   - match_first_network keeps only the alphabetically first network;
//   - labels: __meta_docker_container_{id,name,network_mode}, container and
//     network labels (names sanitized to [a-zA-Z0-9_]), network id, name,
//     scope, internal, ingress, and __meta_docker_network_ip.
// Containers without names are skipped. Each target is its own group (a
// TargetGroup carries per-group labels), all with source "Docker".
//
// A failed refresh keeps the previous targets, logs the error and counts
// prometheus_sd_refresh_failures_total{mechanism="docker"} when given.
//
// Ownership: `failures` is borrowed (may be null) and must outlive the
// discoverer. Thread-safety: as Discoverer (one polling thread). Requests are
// bounded by min(refresh_interval, 10s).
#pragma once

#include <string>
#include <vector>

#include "scrape/discovery/discoverer.h"
#include "tsdb/base/metrics.h"
#include "tsdb/base/result.h"

namespace promethium::scrape {

// Docker's filters query value: {"name":{"value":true,...},...}, unescaped.
std::string DockerFiltersJson(const std::vector<std::pair<std::string, std::vector<std::string>>>& filters);

// The pure translation: Docker's /containers/json and /networks answers
// (JSON text) into target groups under `config`.
Result<std::vector<TargetGroup>> DockerTargetGroups(const std::string& containers_json,
                                                    const std::string& networks_json, const DockerSDConfig& config);

// One refresh against the Engine API.
Result<std::vector<TargetGroup>> FetchDockerTargetGroups(const DockerSDConfig& config, int64_t timeout_ms);

class DockerDiscoverer final : public Discoverer {
 public:
  DockerDiscoverer(DockerSDConfig config, Counter* failures);
  std::optional<std::vector<TargetGroup>> Poll(int64_t now_ms) override;

 private:
  const DockerSDConfig config_;
  Counter* const failures_;
  bool refreshed_once_ = false;
  int64_t last_refresh_ms_ = 0;
  std::vector<TargetGroup> groups_;  // last good answer
};

}  // namespace promethium::scrape
