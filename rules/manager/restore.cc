// Group::RestoreForState: Prometheus's restoration of the `for` state of
// alerts after a restart, from the ALERTS_FOR_STATE series (see group.h).
//
// For every alerting rule whose `for` is at least the grace period, the
// newest ALERTS_FOR_STATE sample of each active alert within
// [ts - outage tolerance, ts] gives the old activeAt and when we went down;
// the alert's activeAt is moved so that it still has to wait what remained
// of its `for` (at least the grace period) counted from now. Rules end up
// restored (ALERTS output starts) whatever happens.
#include <chrono>
#include <map>
#include <string>

#include "rules/manager/group.h"
#include "tsdb/api/sample.h"
#include "tsdb/base/logging.h"

namespace promethium::rules {

namespace {
constexpr std::string_view kLog = "rules";

Result<Matchers> MatchersFor(const Labels& ls) {
  Matchers ms;
  for (const Label& l : ls) {
    PROMETHIUM_ASSIGN_OR_RETURN(Matcher m, Matcher::Make(MatchType::kEqual, l.name, l.value));
    ms.push_back(std::move(m));
  }
  return ms;
}

// The newest sample of each ALERTS_FOR_STATE series, keyed by its labels
// without __name__ (which are the alert labels).
std::map<Labels, Sample> LastForStateSamples(Querier& q, const Matchers& ms) {
  std::map<Labels, Sample> out;
  std::unique_ptr<SeriesSet> set = q.Select(false, nullptr, ms);
  while (set->Next()) {
    const Series& s = set->At();
    std::unique_ptr<SampleIterator> it = s.Iterator(nullptr);
    bool any = false;
    Sample last{};
    while (it->Next() == ValueType::kFloat) {
      last = it->At();
      any = true;
    }
    if (any && it->Err().ok()) out[s.labels().DropMetricName()] = last;
  }
  return out;
}

// Prometheus's adjustment of activeAt (all in ms, times truncated to seconds
// as there).
int64_t RestoredActiveAt(int64_t ts_ms, const Sample& last, int64_t hold_ms, int64_t grace_ms) {
  const int64_t down_at = last.t / 1000 * 1000;
  int64_t active_at = static_cast<int64_t>(last.v) * 1000;
  const int64_t remaining = hold_ms - (down_at - active_at);
  if (remaining <= 0) return active_at;  // was firing: the next evaluation decides
  if (remaining < grace_ms) return ts_ms + grace_ms - hold_ms;
  return active_at + (ts_ms - down_at);
}
}  // namespace

void Group::RestoreForState(int64_t ts_ms) {
  const auto start = std::chrono::steady_clock::now();
  auto done = [&] {
    metrics_.last_restore_duration_seconds->Set(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    opts_.should_restore = false;
  };
  std::unique_ptr<Querier> q;
  if (deps_->queryable != nullptr) {
    auto qr = deps_->queryable->NewQuerier(ts_ms - deps_->outage_tolerance_ms, ts_ms);
    if (qr.ok()) {
      q = std::move(qr).value();
    } else {
      LogError(kLog, "Failed to get Querier err={}", qr.status().message());
    }
  }
  for (const auto& rule : opts_.rules) {
    if (!rule->is_alerting()) continue;
    auto& ar = static_cast<AlertingRule&>(*rule);
    if (q == nullptr || ar.for_ms() < deps_->for_grace_period_ms) {
      ar.SetRestored(true);
      continue;
    }
    Result<Matchers> ms = MatchersFor(ar.ForStateSelectorLabels());
    if (!ms.ok()) {
      ar.SetRestored(true);
      continue;
    }
    std::map<Labels, Sample> last = LastForStateSamples(*q, *ms);
    ar.ForEachAlert([&](Alert* a) {
      auto it = last.find(a->labels);
      if (it == last.end() || IsStaleNaN(it->second.v)) return;
      a->active_at_ms = RestoredActiveAt(ts_ms, it->second, ar.for_ms(), deps_->for_grace_period_ms);
    });
    ar.SetRestored(true);
  }
  done();
}

}  // namespace promethium::rules
