// Manager (see manager.h).
#include "rules/manager/manager.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "rules/manager/alerting_rule.h"
#include "rules/manager/recording_rule.h"
#include "rules/template/template.h"
#include "tsdb/base/logging.h"

namespace promethium::rules {

namespace {

Labels MergeLabels(const Labels& group, const Labels& rule) {
  LabelsBuilder lb(group);
  for (const Label& l : rule) lb.Set(l.name, l.value);
  return lb.Build();
}

std::unique_ptr<Rule> BuildRule(const RuleNode& r, const RuleGroup& g, const Labels& external_labels,
                                const std::string& external_url, bool restored) {
  Labels labels = MergeLabels(g.labels, r.labels);
  if (r.alert.empty()) return std::make_unique<RecordingRule>(r.record, r.expr, std::move(labels));
  AlertingRuleOptions o;
  o.name = r.alert;
  o.expr = r.expr;
  o.for_ms = r.for_ms;
  o.keep_firing_for_ms = r.keep_firing_for_ms;
  o.labels = std::move(labels);
  o.annotations = r.annotations;
  o.external_labels = external_labels;
  o.external_url = external_url;
  o.restored = restored;
  return std::make_unique<AlertingRule>(std::move(o));
}

}  // namespace

Status CheckAlertTemplate(std::string_view name, std::string_view text) {
  TemplateOptions o;
  o.alert_preamble = false;  // rulefmt passes the text with the preamble
  auto t = Template::Parse(name, text, o);
  return t.ok() ? Status::OK() : t.status();
}

Manager::Manager(ManagerOptions opts) : opts_(std::move(opts)) {}

Manager::~Manager() { Stop(); }

int64_t Manager::NowMs() const {
  if (opts_.rules.now_ms) return opts_.rules.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<Manager::GroupMap> Manager::LoadGroups(int64_t interval_ms, const std::vector<std::string>& files,
                                              const Labels& external_labels, const std::string& external_url,
                                              bool should_restore) const {
  Env* env = opts_.env != nullptr ? opts_.env : Env::Default();
  GroupMap out;
  for (const std::string& file : files) {
    PROMETHIUM_ASSIGN_OR_RETURN(RuleFile rf, LoadRuleFile(env, file, CheckAlertTemplate, opts_.file_options));
    for (const RuleGroup& g : rf.groups) {
      GroupOptions go;
      go.name = g.name;
      go.file = file;
      go.interval_ms = g.interval_ms != 0 ? g.interval_ms : interval_ms;
      go.query_offset_ms = g.query_offset_ms;
      go.limit = g.limit;
      go.should_restore = should_restore;
      for (const RuleNode& r : g.rules) {
        go.rules.push_back(BuildRule(r, g, external_labels, external_url, !should_restore));
      }
      out[GroupKey(file, g.name)] = std::make_shared<Group>(std::move(go), &opts_.rules);
    }
  }
  return out;
}

Status Manager::Update(int64_t interval_ms, const std::vector<std::string>& files, const Labels& external_labels,
                       const std::string& external_url, int64_t query_offset_ms) {
  MutexLock l(&mu_);
  if (stopped_) return Status::OK();
  const bool should_restore = !restored_ || opts_.restore_new_rule_groups;
  Result<GroupMap> loaded = LoadGroups(interval_ms, files, external_labels, external_url, should_restore);
  if (!loaded.ok()) {
    LogError("rules", "loading groups failed err={}", loaded.status().message());
    return loaded.status();
  }
  restored_ = true;
  GroupMap next = std::move(loaded).value();
  for (auto& [key, ng] : next) {
    auto old = groups_.find(key);
    if (old != groups_.end() && old->second->Equals(*ng)) {
      ng = old->second;  // unchanged: keep it running
      groups_.erase(old);
      ng->SetDefaultQueryOffset(query_offset_ms);
      continue;
    }
    ng->SetDefaultQueryOffset(query_offset_ms);
    if (old != groups_.end()) {
      old->second->Stop();
      ng->CopyState(*old->second);
      groups_.erase(old);
    }
    if (started_) ng->Start();
  }
  // Groups no longer configured: stop them and mark their series stale.
  // Prometheus waits two intervals before writing the markers (so a rule
  // moved to another group can take its series over first); we write them
  // now. TODO: defer them the same way.
  for (auto& [key, og] : groups_) {
    og->Stop();
    og->WriteStaleMarkersForAll(NowMs());
  }
  groups_ = std::move(next);
  return Status::OK();
}

void Manager::Start() {
  MutexLock l(&mu_);
  if (started_ || stopped_) return;
  started_ = true;
  for (auto& [key, g] : groups_) g->Start();
}

void Manager::Stop() {
  MutexLock l(&mu_);
  if (stopped_) return;
  stopped_ = true;
  for (auto& [key, g] : groups_) g->Stop();
}

std::vector<std::shared_ptr<Group>> Manager::RuleGroups() const {
  MutexLock l(&mu_);
  std::vector<std::shared_ptr<Group>> out;
  out.reserve(groups_.size());
  for (const auto& [key, g] : groups_) out.push_back(g);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a->file() != b->file() ? a->file() < b->file() : a->name() < b->name();
  });
  return out;
}

std::vector<Alert> Manager::ActiveAlerts() const {
  std::vector<Alert> out;
  for (const auto& g : RuleGroups()) {
    for (const auto& r : g->rules()) {
      if (!r->is_alerting()) continue;
      auto alerts = static_cast<const AlertingRule&>(*r).ActiveAlerts();
      out.insert(out.end(), alerts.begin(), alerts.end());
    }
  }
  return out;
}

}  // namespace promethium::rules
