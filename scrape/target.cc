#include "scrape/target.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

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

Result<Target> BuildTarget(const ScrapeConfig& cfg, const TargetGroup& group, const std::string& address) {
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
  Target t;
  t.job = cfg.job_name;
  t.discovered_labels = b.Build();
  const Labels& all = t.discovered_labels;

  t.address = std::string(all.Get(kAddressLabel));
  if (t.address.empty()) return Status::InvalidArgument("no address");
  if (t.address.find('/') != std::string::npos) {
    return Status::InvalidArgument(fmt::format("invalid address: \"{}\" is not a valid hostname", t.address));
  }
  t.scheme = std::string(all.Get(kSchemeLabel));
  if (t.scheme != "http") return Status::Unsupported(fmt::format("scrape scheme \"{}\" (only http)", t.scheme));
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
  t.interval_ms = *interval;
  t.timeout_ms = *timeout;
  t.path_and_query = std::string(all.Get(kMetricsPathLabel)) + BuildQuery(cfg, all);

  std::vector<Label> final_labels;
  for (const Label& l : all) {
    if (!textparse::ValidUtf8(l.value)) {
      return Status::InvalidArgument(fmt::format("invalid label value for \"{}\": \"{}\"", l.name, l.value));
    }
    if (l.name.starts_with("__")) continue;  // also drops __meta_* (kMetaPrefix)
    final_labels.push_back(l);
  }
  static_assert(kMetaPrefix.starts_with("__"));
  LabelsBuilder fb(Labels::FromSortedUnchecked(std::move(final_labels)));
  if (fb.Get("instance").empty()) fb.Set("instance", t.address);
  t.labels = fb.Build();
  return t;
}

Result<std::vector<Target>> BuildTargets(const ScrapeConfig& cfg) {
  std::vector<Target> out;
  for (const TargetGroup& group : cfg.static_configs) {
    for (const std::string& address : group.targets) {
      Result<Target> t = BuildTarget(cfg, group, address);
      if (!t.ok()) {
        return t.status().WithContext(fmt::format("job \"{}\" target \"{}\"", cfg.job_name, address));
      }
      out.push_back(std::move(t).value());
    }
  }
  return out;
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
