// DockerApiClient: a minimal, blocking HTTP/1.1 GET against the Docker
// Engine API, over a unix stream socket ("unix:///var/run/docker.sock") or
// TCP ("tcp://host:port", "http://host:port"), as docker_sd_configs needs.
//
// Each Get opens a fresh connection on a private io_context and is bounded
// in time (connect included) and in body size; non-200 answers are errors
// carrying Docker's {"message": ...} text when it sent one. Beast stays in
// docker_api_client.cc.
//
// Ownership: plain values. Thread-safety: Get may be called from any thread;
// calls share nothing.
#pragma once

#include <cstdint>
#include <string>

#include "tsdb/base/result.h"

namespace promethium::scrape {

struct DockerEndpoint {
  bool is_unix = false;
  std::string socket_path;  // unix only
  std::string host;         // tcp only: name or IP literal
  std::string port;         // tcp only
  std::string base_path;    // tcp only: a path prefix from the URL ("" or "/x")
};

// Parses a docker_sd_configs `host`: unix://<abs path>, tcp://h[:p] or
// http://h[:p][/prefix]. https:// and other schemes are unsupported.
Result<DockerEndpoint> ParseDockerHost(const std::string& host);

inline constexpr uint64_t kDockerApiMaxBody = 64ULL << 20;

// GETs `target` ("/containers/json?..."), returns the body of a 200 answer.
Result<std::string> DockerApiGet(const DockerEndpoint& endpoint, const std::string& target, int64_t timeout_ms);

}  // namespace promethium::scrape
