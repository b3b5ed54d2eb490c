#include "server/features.h"

namespace promethium::server {

std::vector<std::string> ApplyFeatureFlags(std::string_view features, promql::EngineOptions* opts) {
  std::vector<std::string> unsupported;
  size_t start = 0;
  while (start <= features.size()) {
    size_t comma = features.find(',', start);
    if (comma == std::string_view::npos) comma = features.size();
    std::string_view name = features.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name == "promql-experimental-functions") {
      // Prometheus 3.x gates both the experimental functions and
      // limitk/limit_ratio behind this one feature.
      opts->parse.enable_experimental_functions = true;
      opts->parse.enable_limit_aggregations = true;
    } else if (name == "promql-delayed-name-removal") {
      opts->enable_delayed_name_removal = true;
    } else if (!name.empty()) {
      unsupported.emplace_back(name);
    }
    start = comma + 1;
  }
  return unsupported;
}

}  // namespace promethium::server
