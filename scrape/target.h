// Target: one scrape target of a pool, with its labels as Prometheus builds
// them (PopulateLabels), its URL and its scrape offset.
//
// BuildTargets turns a ScrapeConfig into targets:
//   discovered labels = __address__ (the target string) + group labels
//     + job, __scrape_interval__, __scrape_timeout__, __metrics_path__,
//       __scheme__ and __param_<name> (first value) unless the group set them
//   then relabel_configs run on them; a target they drop is kept aside (for
//   /api/v1/targets droppedTargets); after relabeling, __address__,
//   __scheme__, __metrics_path__, __param_*, __scrape_interval__ and
//   __scrape_timeout__ give the URL and timing (no __address__ left is the
//   error "no address");
//   labels            = relabeled labels, __meta_* removed, "instance"
//                       defaulting to __address__, then every "__"-prefixed
//                       label dropped
// and validates them with Prometheus's error messages.
//
// MergeTargetLabels builds a sample's labels from its exposition labels and
// the target labels (Prometheus's mutateSampleLabels, before metric
// relabeling, which AppendScrapeBody applies with the target's
// metric_relabel_configs).
//
// Thread-safety: Target is an immutable value once built; functions here are
// pure.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scrape/scrape_config.h"
#include "tsdb/api/labels.h"
#include "tsdb/base/result.h"

namespace promethium::scrape {

struct Target {
  std::string job;
  Labels discovered_labels;    // before dropping "__" labels
  Labels labels;               // final target labels
  std::string scheme;          // "http"
  std::string address;         // host:port
  std::string path_and_query;  // "/metrics?a=b"
  int64_t interval_ms = 0;
  int64_t timeout_ms = 0;
  // The job's metric_relabel_configs, shared by all its targets; null or
  // empty: none.
  std::shared_ptr<const std::vector<RelabelConfig>> metric_relabel_configs;

  std::string Url() const { return scheme + "://" + address + path_and_query; }
  // Hash identifying the target within its pool (of discovered labels).
  uint64_t Hash() const { return discovered_labels.Hash(); }
  // Delay from `now_ms` to this target's next scrape slot: scrapes of a
  // target fall at a fixed phase within the interval (hash mod interval),
  // spreading targets evenly, as Prometheus's Target.offset.
  int64_t OffsetMs(int64_t now_ms) const;
};

// The discovered labels of one static target (`address` from group.targets),
// before relabeling.
Labels DiscoveredLabels(const ScrapeConfig& cfg, const TargetGroup& group, const std::string& address);
// Builds one static target; nullopt when relabel_configs drop it.
Result<std::optional<Target>> BuildTarget(const ScrapeConfig& cfg, const TargetGroup& group,
                                          const std::string& address);

// The targets of a config: those to scrape, and the discovered labels of
// those relabeling dropped.
struct TargetSet {
  std::vector<Target> active;
  std::vector<Labels> dropped;
};
// Builds every target of `cfg`; fails on the first invalid one.
Result<TargetSet> BuildTargetSet(const ScrapeConfig& cfg);
// BuildTargetSet's active targets only.
Result<std::vector<Target>> BuildTargets(const ScrapeConfig& cfg);

// Sample labels = exposition labels (`exposed`, which include __name__)
// plus target labels. With honor_labels the exposition wins conflicts;
// otherwise the target wins and the exposed label is kept as
// exported_<name> (exported_exported_<name>, ... if that is taken).
Labels MergeTargetLabels(const Labels& exposed, const Labels& target, bool honor_labels);

// Escapes a URL query component as Go's url.QueryEscape.
std::string QueryEscape(std::string_view s);

}  // namespace promethium::scrape
