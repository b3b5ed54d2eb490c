#include "scrape/target.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "scrape/relabel/relabel.h"
#include "scrape/textparse/utf8.h"
#include "tsdb/base/duration.h"

namespace promethium::scrape {
namespace {

constexpr std::string_view kAddressLabel = "__address__";
constexpr std::string_view kSchemeLabel = "__scheme__";
constexpr std::string_view kMetricsPathLabel = "__metrics_path__";
constexpr std::string_view kIntervalLabel = "__scrape_interval__";
constexpr std::string_view kTimeoutLabel = "__scrape_timeout__";
constexpr std::string_view kParamPrefix = "__param_";
constexpr std::string_view kMetaPrefix = "__meta_";

// Builds "?k=v&..." from cfg.params overridden by __param_<k> labels, sorted
// by key as Go's url.Values.Encode.
std::string BuildQuery(const ScrapeConfig& cfg, const Labels& all) {
  std::map<std::string, std::vector<std::string>> params = cfg.params;
  for (const Label& l : all) {
    if (!l.name.starts_with(kParamPrefix)) continue;
    auto& values = params[l.name.substr(kParamPrefix.size())];
    if (values.empty()) {
      values.push_back(l.value);
    } else {
      values[0] = l.value;
    }
  }
  std::string query;
  for (const auto& [key, values] : params) {
    for (const std::string& v : values) {
      query += query.empty() ? '?' : '&';
      query += QueryEscape(key) + "=" + QueryEscape(v);
    }
  }
  return query;
}

}  // namespace

std::string QueryEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                 c == '.' || c == '~';
    if (plain) {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

int64_t Target::OffsetMs(int64_t now_ms) const {
  if (interval_ms <= 0) return 0;
  int64_t base = interval_ms - now_ms % interval_ms;
  auto offset = static_cast<int64_t>(Hash() % static_cast<uint64_t>(interval_ms));
  int64_t next = base + offset;
  if (next > interval_ms) next -= interval_ms;
  return next;
}

Labels DiscoveredLabels(const ScrapeConfig& cfg, const TargetGroup& group, const std::string& address) {
  // The target's own label first; group labels fill in what it lacks; the
  // config's scrape labels fill in what both lack (Prometheus's order).
  LabelsBuilder b(group.labels);
  b.Set(kAddressLabel, address);
  auto set_default = [&](std::string_view name, std::string_view value) {
    if (b.Get(name).empty()) b.Set(name, value);
  };
  set_default("job", cfg.job_name);
  set_default(kIntervalLabel, FormatDuration(cfg.scrape_interval_ms));
  set_default(kTimeoutLabel, FormatDuration(cfg.scrape_timeout_ms));
  set_default(kMetricsPathLabel, cfg.metrics_path);
  set_default(kSchemeLabel, cfg.scheme);
  for (const auto& [name, values] : cfg.params) {
    if (!values.empty()) set_default(std::string(kParamPrefix) + name, values[0]);
  }
  return b.Build();
}

namespace {

// Address, scheme, interval and timeout from the relabeled labels.
Status ResolveScrapeSettings(const Labels& all, Target* t) {
  t->address = std::string(all.Get(kAddressLabel));
  if (t->address.empty()) return Status::InvalidArgument("no address");
  if (t->address.find('/') != std::string::npos) {
    return Status::InvalidArgument(fmt::format("invalid address: \"{}\" is not a valid hostname", t->address));
  }
  t->scheme = std::string(all.Get(kSchemeLabel));
  if (t->scheme != "http" && t->scheme != "https") {
    return Status::Unsupported(fmt::format("scrape scheme \"{}\" (only http and https)", t->scheme));
  }
  auto interval = ParseDuration(all.Get(kIntervalLabel));
  if (!interval.ok()) return interval.status().WithContext("error parsing scrape interval");
  if (*interval == 0) return Status::InvalidArgument("scrape interval cannot be 0");
  auto timeout = ParseDuration(all.Get(kTimeoutLabel));
  if (!timeout.ok()) return timeout.status().WithContext("error parsing scrape timeout");
  if (*timeout == 0) return Status::InvalidArgument("scrape timeout cannot be 0");
  if (*timeout > *interval) {
    return Status::InvalidArgument(
        fmt::format("scrape timeout cannot be greater than scrape interval (\"{}\" > \"{}\")", all.Get(kTimeoutLabel),
                    all.Get(kIntervalLabel)));
  }
  t->interval_ms = *interval;
  t->timeout_ms = *timeout;
  return Status::OK();
}

// BuildTarget with the job's metric relabeling rules already shared.
Result<std::optional<Target>> BuildTargetWithRules(const ScrapeConfig& cfg, const TargetGroup& group,
                                                   const std::string& address,
                                                   std::shared_ptr<const std::vector<RelabelConfig>> metric_rules) {
  Target t;
  t.job = cfg.job_name;
  t.discovered_labels = DiscoveredLabels(cfg, group, address);
  LabelsBuilder b(t.discovered_labels);
  if (!RelabelBuilder(&b, cfg.relabel_configs)) return std::optional<Target>();
  const Labels all = b.Build();
  PROMETHIUM_RETURN_IF_ERROR(ResolveScrapeSettings(all, &t));
  t.path_and_query = std::string(all.Get(kMetricsPathLabel)) + BuildQuery(cfg, all);

  // __meta_* go first (so they never validate); the remaining "__" labels
  // only steered the scrape and are not target labels either.
  std::vector<Label> final_labels;
  for (const Label& l : all) {
    if (l.name.starts_with(kMetaPrefix)) continue;
    if (!textparse::ValidUtf8(l.value)) {
      return Status::InvalidArgument(fmt::format("invalid label value for \"{}\": \"{}\"", l.name, l.value));
    }
    if (l.name.starts_with("__")) continue;
    final_labels.push_back(l);
  }
  LabelsBuilder fb(Labels::FromSortedUnchecked(std::move(final_labels)));
  if (fb.Get("instance").empty()) fb.Set("instance", t.address);
  t.labels = fb.Build();
  t.metric_relabel_configs = std::move(metric_rules);
  return std::optional<Target>(std::move(t));
}

std::shared_ptr<const std::vector<RelabelConfig>> MetricRules(const ScrapeConfig& cfg) {
  if (cfg.metric_relabel_configs.empty()) return nullptr;
  return std::make_shared<const std::vector<RelabelConfig>>(cfg.metric_relabel_configs);
}

}  // namespace

Result<std::optional<Target>> BuildTarget(const ScrapeConfig& cfg, const TargetGroup& group,
                                          const std::string& address) {
  return BuildTargetWithRules(cfg, group, address, MetricRules(cfg));
}

Result<TargetSet> BuildTargetSet(const ScrapeConfig& cfg) {
  TargetSet out;
  // One copy of the metric relabeling rules for the whole job.
  const std::shared_ptr<const std::vector<RelabelConfig>> metric_rules = MetricRules(cfg);
  for (const TargetGroup& group : cfg.static_configs) {
    for (const std::string& address : group.targets) {
      Result<std::optional<Target>> t = BuildTargetWithRules(cfg, group, address, metric_rules);
      if (!t.ok()) {
        return t.status().WithContext(fmt::format("job \"{}\" target \"{}\"", cfg.job_name, address));
      }
      if (!t->has_value()) {
        out.dropped.push_back(DiscoveredLabels(cfg, group, address));
        continue;
      }
      out.active.push_back(std::move(**t));
    }
  }
  return out;
}

Result<std::vector<Target>> BuildTargets(const ScrapeConfig& cfg) {
  PROMETHIUM_ASSIGN_OR_RETURN(TargetSet set, BuildTargetSet(cfg));
  return std::move(set.active);
}

Labels MergeTargetLabels(const Labels& exposed, const Labels& target, bool honor_labels) {
  LabelsBuilder b(exposed);
  if (honor_labels) {
    for (const Label& l : target) {
      if (!exposed.Has(l.name)) b.Set(l.name, l.value);
    }
    return b.Build();
  }
  std::vector<Label> conflicts;
  for (const Label& l : target) {
    std::string_view existing = exposed.Get(l.name);
    if (!existing.empty()) conflicts.push_back({l.name, std::string(existing)});
    b.Set(l.name, l.value);
  }
  std::stable_sort(conflicts.begin(), conflicts.end(),
                   [](const Label& a, const Label& b) { return a.name.size() < b.name.size(); });
  for (const Label& c : conflicts) {
    std::string name = "exported_" + c.name;
    while (!b.Get(name).empty()) name = "exported_" + name;
    b.Set(name, c.value);
  }
  return b.Build();
}

}  // namespace promethium::scrape
