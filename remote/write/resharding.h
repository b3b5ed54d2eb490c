// Resharding: how many shards a remote write queue wants, computed every
// shard update interval (10 s) as Prometheus's calculateDesiredShards does.
//
// From exponentially weighted per-second rates of items in (read from the
// WAL), out (sent) and dropped, and of time spent sending: the time one item
// takes to send times the items to send per second (the kept share of the
// incoming rate plus 5% of the backlog, estimated from how far the highest
// sent timestamp lags the highest received one), rounded up. Changes within
// 30% of the current count are ignored; going down is refused while more
// than 10 s behind; the result is clamped to [min_shards, max_shards].
// Nothing is sent yet (out rate 0): keep the current count.
//
// Thread-safety: EwmaRate::Add is lock-free from any thread; Tick and Rate
// belong to the one thread that runs the shard update loop.
// DesiredShards is a pure function.
#pragma once

#include <atomic>
#include <cstdint>

namespace promethium::remote {

inline constexpr double kEwmaWeight = 0.2;
inline constexpr int64_t kShardUpdateIntervalMs = 10'000;
inline constexpr double kShardToleranceFraction = 0.3;

class EwmaRate {
 public:
  explicit EwmaRate(double interval_seconds, double alpha = kEwmaWeight)
      : interval_seconds_(interval_seconds), alpha_(alpha) {}
  void Add(int64_t n) { pending_.fetch_add(n, std::memory_order_relaxed); }
  // Folds the events since the last tick into the rate; once per interval.
  void Tick();
  double Rate() const { return rate_; }

 private:
  std::atomic<int64_t> pending_{0};
  double interval_seconds_;
  double alpha_;
  double rate_ = 0;
  bool initialized_ = false;
};

struct ReshardInputs {
  double data_in_rate = 0;       // items/s read from the WAL
  double data_out_rate = 0;      // items/s sent (or failed for good)
  double data_dropped_rate = 0;  // items/s dropped before sending
  double data_out_duration = 0;  // seconds spent sending per second
  double highest_sent_seconds = 0;
  double highest_received_seconds = 0;
  int current_shards = 1;
  int min_shards = 1;
  int max_shards = 50;
};

struct ReshardDecision {
  int shards = 1;          // what to run next (== current: no change)
  double desired = 0;      // the unrounded estimate (prometheus_remote_storage_shards_desired)
  bool estimated = false;  // false: nothing was sent, no estimate
};

ReshardDecision DesiredShards(const ReshardInputs& in);

}  // namespace promethium::remote
