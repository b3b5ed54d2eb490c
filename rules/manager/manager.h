// Manager: loads rule files into groups, runs them, and swaps them on
// reload keeping what can be kept, as Prometheus's rules.Manager.
//
//   Manager m(opts);                 // storage, engine query, notifier, flags
//   m.Update(60000, files, ext, url, 0);  // initial load (before Start)
//   m.Start();                       // groups begin evaluating
//   m.Update(...);                   // SIGHUP: reload
//   m.Stop();                        // shutdown: no staleness markers
//
// Update loads every file (rulefmt, with the template engine as the
// template checker); any error returns it and leaves the running groups
// untouched. Otherwise groups are matched by (file, group name): an
// identical group keeps running as is; a changed one is stopped and the new
// one takes over its series and the alerts of equal rules (Group::CopyState);
// groups no longer configured are stopped and their series marked stale.
// Group labels are merged under each rule's labels (the rule's win).
//
// `for` state restoring: groups loaded by the first Update (and, with
// restore_new_rule_groups, by later ones) write no ALERTS series until they
// restored their alerts' activeAt from ALERTS_FOR_STATE after their second
// evaluation (Group::RestoreForState).
//
// Ownership: the Manager owns its groups (shared with readers of
// RuleGroups()); RulesOptions pointers are borrowed.
// Thread-safety: all methods may be called from any thread; Update, Start
// and Stop serialize on mu_.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rules/manager/group.h"
#include "rules/manager/options.h"
#include "rules/rulefmt/rulefmt.h"
#include "tsdb/base/env.h"

namespace promethium::rules {

struct ManagerOptions {
  RulesOptions rules;
  Env* env = nullptr;  // null: Env::Default()
  RuleFileOptions file_options;
  bool restore_new_rule_groups = false;  // Prometheus's RestoreNewRuleGroups
};

// The template checker rule files are validated with: Prometheus's template
// parser (our rules/template), on the text rulefmt already prefixed.
Status CheckAlertTemplate(std::string_view name, std::string_view text);

class Manager {
 public:
  explicit Manager(ManagerOptions opts);
  ~Manager();  // Stop()
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Loads `files` (already glob-expanded, e.g. by ExpandRuleFileGlobs) and
  // applies them. interval_ms: global evaluation_interval; query_offset_ms:
  // global rule_query_offset. A no-op after Stop.
  Status Update(int64_t interval_ms, const std::vector<std::string>& files, const Labels& external_labels,
                const std::string& external_url, int64_t query_offset_ms) EXCLUDES(mu_);

  void Start() EXCLUDES(mu_);
  void Stop() EXCLUDES(mu_);

  // The groups, sorted by file then name.
  std::vector<std::shared_ptr<Group>> RuleGroups() const EXCLUDES(mu_);
  // Every alerting rule's active (unresolved) alerts, for /api/v1/alerts.
  std::vector<Alert> ActiveAlerts() const EXCLUDES(mu_);

 private:
  using GroupMap = std::map<std::string, std::shared_ptr<Group>>;  // by GroupKey
  Result<GroupMap> LoadGroups(int64_t interval_ms, const std::vector<std::string>& files, const Labels& external_labels,
                              const std::string& external_url, bool should_restore) const;
  int64_t NowMs() const;

  const ManagerOptions opts_;
  mutable Mutex mu_;
  GroupMap groups_ GUARDED_BY(mu_);
  bool started_ GUARDED_BY(mu_) = false;
  bool stopped_ GUARDED_BY(mu_) = false;
  bool restored_ GUARDED_BY(mu_) = false;  // an Update succeeded once
};

}  // namespace promethium::rules
