// BuildInfo: what this binary is (version, git revision, build host), as
// `promethium --version` prints it and prometheus_build_info exports it.
//
// The values are fixed at build time: server/CMakeLists.txt passes the git
// branch and revision found at configure time as compile definitions.
// Thread-safety: immutable; GetBuildInfo() may be called from any thread.
#pragma once

#include <string>
#include <string_view>

namespace promethium::server {

struct BuildInfo {
  std::string version;   // "0.1.0"
  std::string revision;  // git commit, "unknown" outside a checkout
  std::string branch;    // git branch, "unknown" outside a checkout
  std::string build_user;
  std::string build_date;  // "20261121-23:50:00"
  std::string compiler;    // "gcc 12.2.0" (Prometheus prints its Go version here)
  std::string platform;    // "linux/amd64"
};

const BuildInfo& GetBuildInfo();

// The multi-line `--version` text in Prometheus's layout:
//   promethium, version 0.1.0 (branch: main, revision: abc123)
//     build user:       root@host
//     ...
std::string VersionText(std::string_view program);

}  // namespace promethium::server
