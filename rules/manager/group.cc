// Group: evaluation of one iteration, staleness and reload state
// (see group.h). Scheduling is in group_run.cc, `for` restore in restore.cc.
#include "rules/manager/group.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <chrono>
#include <utility>

#include "tsdb/api/sample.h"
#include "tsdb/base/logging.h"

namespace promethium::rules {

namespace {
constexpr std::string_view kLog = "rules";

bool IsExpectedAppendError(const Status& st) {
  return st.code() == Status::Code::kOutOfOrder || st.code() == Status::Code::kOutOfBounds ||
         st.code() == Status::Code::kDuplicate;
}
}  // namespace

std::string GroupKey(std::string_view file, std::string_view name) { return fmt::format("{};{}", file, name); }

int64_t MissedIterations(int64_t now_ms, int64_t last_eval_ts_ms, int64_t interval_ms) {
  if (interval_ms <= 0) return 0;
  return (now_ms - last_eval_ts_ms) / interval_ms - 1;
}

Group::Group(GroupOptions opts, const RulesOptions* deps)
    : opts_(std::move(opts)), deps_(deps), metrics_(deps->metrics, GroupKey(opts_.file, opts_.name)) {
  MutexLock l(&eval_mu_);
  series_in_previous_eval_.resize(opts_.rules.size());
  metrics_.rules->Set(static_cast<double>(opts_.rules.size()));
  metrics_.interval_seconds->Set(static_cast<double>(opts_.interval_ms) / 1000.0);
}

Group::~Group() { Stop(); }

int64_t Group::query_offset_ms() const {
  return opts_.query_offset_ms >= 0 ? opts_.query_offset_ms : default_query_offset_ms_.load();
}

int64_t Group::NowMs() const {
  if (deps_->now_ms) return deps_->now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t GroupSlotHash(std::string_view file, std::string_view name) {
  // Prometheus hashes labels{file, name} (sorted: file first) with XXH64
  // over "name\xffvalue\xff" per label. Labels::Hash is XXH3 (faster, but
  // other slots), so the bytes are hashed here.
  std::string bytes;
  bytes.reserve(file.size() + name.size() + 12);
  for (auto [n, v] : {std::pair{std::string_view("file"), file}, std::pair{std::string_view("name"), name}}) {
    bytes.append(n).push_back('\xff');
    bytes.append(v).push_back('\xff');
  }
  return XXH64(bytes.data(), bytes.size(), 0);
}

int64_t Group::EvalTimestamp(int64_t start_ms) const {
  const int64_t interval_ns = opts_.interval_ms * 1'000'000;
  if (interval_ns <= 0) return start_ms;
  const uint64_t h = GroupSlotHash(opts_.file, opts_.name);
  const int64_t offset = static_cast<int64_t>(h % static_cast<uint64_t>(interval_ns));
  const int64_t adj = start_ms * 1'000'000 - offset;
  const int64_t base = adj - adj % interval_ns;
  return (base + offset) / 1'000'000;
}

int32_t Group::SlotSubMsNs() const {
  const int64_t interval_ns = opts_.interval_ms * 1'000'000;
  if (interval_ns <= 0) return 0;
  // Intervals are whole milliseconds, so every slot has the offset's sub-ms part.
  return static_cast<int32_t>(GroupSlotHash(opts_.file, opts_.name) % static_cast<uint64_t>(interval_ns) % 1'000'000);
}

void Group::EvalOnce(int64_t ts_ms) {
  metrics_.iterations->Inc();
  const int64_t wall_start = NowMs();
  const auto start = std::chrono::steady_clock::now();
  {
    MutexLock l(&eval_mu_);
    Eval(ts_ms);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.group_duration->Observe(secs);
  metrics_.group_duration_summary->Observe(secs);
  metrics_.last_duration_seconds->Set(secs);
  metrics_.last_evaluation_timestamp_seconds->Set(static_cast<double>(wall_start) / 1000.0);
  MutexLock l(&state_mu_);
  evaluation_seconds_ = secs;
  last_evaluation_ms_ = wall_start;
  last_eval_ts_ms_ = ts_ms;
}

void Group::Eval(int64_t ts_ms) {
  const int64_t offset = query_offset_ms();
  double samples = 0;
  double rule_seconds = 0;
  for (size_t i = 0; i < opts_.rules.size(); ++i) {
    if (stopping_.load()) return;
    rule_seconds += EvalRule(i, ts_ms, offset, &samples);
  }
  metrics_.last_evaluation_samples->Set(samples);
  metrics_.last_rule_duration_sum_seconds->Set(rule_seconds);
  CleanupStaleSeries(ts_ms);
}

double Group::EvalRule(size_t i, int64_t ts_ms, int64_t offset_ms, double* samples) {
  Rule& rule = *opts_.rules[i];
  const int64_t wall_start = NowMs();
  const auto start = std::chrono::steady_clock::now();
  metrics_.evaluations->Inc();

  RuleEvalContext ctx{ts_ms, offset_ms, &deps_->query, opts_.limit, SlotSubMsNs()};
  Result<promql::Vector> res = rule.Eval(ctx);
  if (!res.ok()) {
    rule.SetResult(res.status());
    metrics_.failures->Inc();
    LogWarn(kLog, "Evaluating rule failed group={} rule={} err={}", opts_.name, rule.name(), res.status().message());
  } else {
    rule.SetResult(Status::OK());
    *samples += static_cast<double>(res->size());
    if (rule.is_alerting()) {
      auto& ar = static_cast<AlertingRule&>(rule);
      std::vector<Alert> to_send = ar.TakeAlertsToSend(ts_ms, deps_->resend_delay_ms, opts_.interval_ms);
      if (deps_->notify) deps_->notify(ar.expr(), to_send);
    }
    AppendResult(i, rule, *res, ts_ms - offset_ms);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.eval_duration->Observe(secs);
  metrics_.eval_duration_summary->Observe(secs);
  rule.SetTiming(wall_start, secs);
  return secs;
}

void Group::AppendResult(size_t i, Rule& rule, const promql::Vector& vec, int64_t stale_ts) {
  std::unique_ptr<Appender> app = deps_->appendable->NewAppender();
  std::set<Labels> returned;
  for (const auto& s : vec) {
    // A histogram result keeps its float counts, as Prometheus appends s.H.
    Result<SeriesRef> r = s.h != nullptr ? app->AppendHistogram(0, s.metric, s.t, nullptr, s.h.get())
                                         : app->Append(0, s.metric, s.t, s.v);
    if (!r.ok()) {
      rule.SetResult(r.status());
      if (!IsExpectedAppendError(r.status())) {
        LogWarn(kLog, "Rule evaluation result discarded rule={} err={}", rule.name(), r.status().message());
      }
      continue;
    }
    returned.insert(s.metric);
  }
  // Series that disappeared get a float StaleNaN even when they held
  // histograms: Prometheus writes the same marker for both kinds.
  for (const Labels& lset : series_in_previous_eval_[i]) {
    if (returned.count(lset) != 0) continue;
    Result<SeriesRef> r = app->Append(0, lset, stale_ts, StaleNaN());
    if (!r.ok() && !IsExpectedAppendError(r.status())) {
      LogWarn(kLog, "Adding stale sample failed series={} err={}", lset.ToString(), r.status().message());
    }
  }
  Status st = app->Commit();
  if (!st.ok()) {
    rule.SetResult(st);
    metrics_.failures->Inc();
    LogWarn(kLog, "Rule sample appending failed rule={} err={}", rule.name(), st.message());
    return;
  }
  series_in_previous_eval_[i] = std::move(returned);
}

void Group::CleanupStaleSeries(int64_t ts_ms) {
  if (stale_series_.empty()) return;
  std::unique_ptr<Appender> app = deps_->appendable->NewAppender();
  const int64_t t = ts_ms - query_offset_ms();
  for (const Labels& s : stale_series_) {
    Result<SeriesRef> r = app->Append(0, s, t, StaleNaN());
    if (!r.ok() && !IsExpectedAppendError(r.status())) {
      LogWarn(kLog, "Adding stale sample for previous configuration failed series={} err={}", s.ToString(),
              r.status().message());
    }
  }
  Status st = app->Commit();
  if (!st.ok()) {
    LogWarn(kLog, "Stale sample appending for previous configuration failed err={}", st.message());
    return;
  }
  stale_series_.clear();
}

void Group::WriteStaleMarkersForAll(int64_t ts_ms) {
  MutexLock l(&eval_mu_);
  for (auto& series : series_in_previous_eval_) {
    stale_series_.insert(stale_series_.end(), series.begin(), series.end());
    series.clear();
  }
  CleanupStaleSeries(ts_ms);
}

bool Group::Equals(const Group& o) const {
  if (opts_.name != o.opts_.name || opts_.file != o.opts_.file || opts_.interval_ms != o.opts_.interval_ms ||
      opts_.limit != o.opts_.limit || opts_.query_offset_ms != o.opts_.query_offset_ms ||
      opts_.rules.size() != o.opts_.rules.size()) {
    return false;
  }
  for (size_t i = 0; i < opts_.rules.size(); ++i) {
    if (opts_.rules[i]->Definition() != o.opts_.rules[i]->Definition()) return false;
  }
  return true;
}

void Group::CopyState(Group& from) {
  {
    MutexLock fs(&from.state_mu_);
    MutexLock s(&state_mu_);
    evaluation_seconds_ = from.evaluation_seconds_;
    last_evaluation_ms_ = from.last_evaluation_ms_;
  }
  auto key_of = [](const Rule& r) { return r.name() + r.labels().ToString(); };
  MutexLock fl(&from.eval_mu_);
  MutexLock l(&eval_mu_);
  std::map<std::string, std::vector<size_t>> from_rules;
  for (size_t fi = 0; fi < from.opts_.rules.size(); ++fi) from_rules[key_of(*from.opts_.rules[fi])].push_back(fi);

  for (size_t i = 0; i < opts_.rules.size(); ++i) {
    auto it = from_rules.find(key_of(*opts_.rules[i]));
    if (it == from_rules.end() || it->second.empty()) continue;
    const size_t fi = it->second.front();
    it->second.erase(it->second.begin());
    series_in_previous_eval_[i] = from.series_in_previous_eval_[fi];
    Rule& nr = *opts_.rules[i];
    Rule& fr = *from.opts_.rules[fi];
    if (nr.is_alerting() && fr.is_alerting()) {
      static_cast<AlertingRule&>(nr).CopyAlertsFrom(static_cast<AlertingRule&>(fr));
    }
  }
  // Removed rules and unmatched duplicates: their series go stale.
  stale_series_ = from.stale_series_;
  for (const auto& [k, left] : from_rules) {
    for (size_t fi : left) {
      const auto& s = from.series_in_previous_eval_[fi];
      stale_series_.insert(stale_series_.end(), s.begin(), s.end());
    }
  }
}

int64_t Group::last_evaluation_ms() const {
  MutexLock l(&state_mu_);
  return last_evaluation_ms_;
}

double Group::evaluation_seconds() const {
  MutexLock l(&state_mu_);
  return evaluation_seconds_;
}

int64_t Group::last_eval_timestamp_ms() const {
  MutexLock l(&state_mu_);
  return last_eval_ts_ms_;
}

}  // namespace promethium::rules
