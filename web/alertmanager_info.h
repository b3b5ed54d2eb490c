// What /api/v1/alertmanagers renders: the URLs of the Alertmanagers the
// notifier sends to and of those its relabeling dropped, filled in by the
// server (web does not link rules/).
//
// Ownership: plain values. Thread-safety: values; the ApiDeps callback that
// produces them must be safe to call from any request thread.
#pragma once

#include <string>
#include <vector>

namespace promethium::web {

struct AlertmanagersInfo {
  std::vector<std::string> active;  // e.g. "http://127.0.0.1:9093/api/v2/alerts"
  std::vector<std::string> dropped;
};

}  // namespace promethium::web
