// Group scheduling: the per-group thread, aligned ticks and missed
// iterations (see group.h).
#include <chrono>

#include "rules/manager/group.h"

namespace promethium::rules {

void Group::Start() {
  if (thread_.joinable()) return;
  running_.store(true);
  thread_ = std::thread([this] {
    Run();
    running_.store(false);
  });
}

void Group::Stop() {
  {
    MutexLock l(&run_mu_);
    stopping_.store(true);
  }
  run_cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

bool Group::WaitUntil(int64_t target_ms) {
  MutexLock l(&run_mu_);
  while (!stopping_.load()) {
    const int64_t now = NowMs();
    if (now >= target_ms) return true;
    run_cv_.WaitFor(&run_mu_, std::chrono::milliseconds(target_ms - now));
  }
  return false;
}

bool Group::NextTick(int64_t* ts_ms) {
  if (!WaitUntil(*ts_ms + opts_.interval_ms)) return false;
  const int64_t missed = MissedIterations(NowMs(), *ts_ms, opts_.interval_ms);
  if (missed > 0) {
    metrics_.iterations_missed->Inc(static_cast<double>(missed));
    metrics_.iterations->Inc(static_cast<double>(missed));
  }
  *ts_ms += (std::max<int64_t>(missed, 0) + 1) * opts_.interval_ms;
  return true;
}

void Group::Run() {
  // Wait for the first slot, one interval after the aligned start, so that
  // evaluations fall on this group's slots.
  int64_t ts = EvalTimestamp(NowMs()) + opts_.interval_ms;
  if (!WaitUntil(ts)) return;
  EvalOnce(ts);
  if (opts_.should_restore) {
    // As Prometheus: restore after a second evaluation, so recording rules
    // the alerts depend on have caught up.
    if (!NextTick(&ts)) return;
    EvalOnce(ts);
    RestoreForState(NowMs());
  }
  while (NextTick(&ts)) EvalOnce(ts);
}

}  // namespace promethium::rules
