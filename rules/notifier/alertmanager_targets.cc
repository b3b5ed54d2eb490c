#include "rules/notifier/alertmanager_targets.h"

#include <fmt/format.h>

#include "scrape/relabel/relabel.h"

namespace promethium::rules {
namespace {

constexpr std::string_view kAddressLabel = "__address__";
constexpr std::string_view kSchemeLabel = "__scheme__";

// Go's path.Clean for an absolute path: no empty, "." or ".." elements, no
// trailing slash (except the root).
std::string CleanAbsPath(std::string_view p) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view part = p.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (std::string_view part : parts) out.append("/").append(part);
  return out.empty() ? "/" : out;
}

AlertmanagerTarget TargetFrom(const Labels& labels) {
  AlertmanagerTarget t;
  t.labels = labels;
  t.scheme = std::string(labels.Get(kSchemeLabel));
  t.address = std::string(labels.Get(kAddressLabel));
  t.path = std::string(labels.Get(kAlertsPathLabel));
  return t;
}

}  // namespace

std::string AlertsPostPath(std::string_view prefix, std::string_view api_version) {
  return CleanAbsPath(fmt::format("/{}/api/{}/alerts", prefix, api_version));
}

Status AlertmanagersFromGroup(const scrape::TargetGroup& group, const AlertmanagerConfig& cfg,
                              std::vector<AlertmanagerTarget>* active, std::vector<AlertmanagerTarget>* dropped) {
  const std::string path = AlertsPostPath(cfg.path_prefix, cfg.api_version);
  std::vector<AlertmanagerTarget> group_active, group_dropped;
  for (const std::string& address : group.targets) {
    LabelsBuilder b;
    b.Set(kAddressLabel, address);
    b.Set(kSchemeLabel, cfg.scheme);
    b.Set(kAlertsPathLabel, path);
    for (const Label& l : group.labels) {
      if (l.name != kAddressLabel) b.Set(l.name, l.value);
    }
    const Labels pre = b.Build();
    if (!scrape::RelabelBuilder(&b, cfg.relabel_configs)) {
      group_dropped.push_back(TargetFrom(pre));
      continue;
    }
    AlertmanagerTarget t = TargetFrom(b.Build());
    if (t.address.find('/') != std::string::npos) {
      return Status::InvalidArgument(fmt::format("{} is not a valid hostname", QuoteLabelValue(t.address)));
    }
    group_active.push_back(std::move(t));
  }
  active->insert(active->end(), group_active.begin(), group_active.end());
  dropped->insert(dropped->end(), group_dropped.begin(), group_dropped.end());
  return Status::OK();
}

}  // namespace promethium::rules
