#include "remote/write/resharding.h"

#include <algorithm>
#include <cmath>

namespace promethium::remote {

void EwmaRate::Tick() {
  const int64_t events = pending_.exchange(0, std::memory_order_relaxed);
  const double instant = static_cast<double>(events) / interval_seconds_;
  if (initialized_) {
    rate_ += alpha_ * (instant - rate_);
  } else if (events > 0) {
    initialized_ = true;
    rate_ = instant;
  }
}

ReshardDecision DesiredShards(const ReshardInputs& in) {
  ReshardDecision d{.shards = in.current_shards};
  if (in.data_out_rate <= 0) return d;
  const double kept_ratio = in.data_out_rate / (in.data_dropped_rate + in.data_out_rate);
  const double delay = in.highest_received_seconds - in.highest_sent_seconds;
  const double pending = delay * in.data_in_rate * kept_ratio;
  const double backlog_catchup = 0.05 * pending;  // catch up on 5% of the backlog per second
  const double time_per_item = in.data_out_duration / in.data_out_rate;
  d.desired = time_per_item * (in.data_in_rate * kept_ratio + backlog_catchup);
  d.estimated = true;

  const double lower = in.current_shards * (1 - kShardToleranceFraction);
  const double upper = in.current_shards * (1 + kShardToleranceFraction);
  const double rounded = std::ceil(d.desired);
  if (lower <= rounded && rounded <= upper) return d;
  int shards = static_cast<int>(std::min(rounded, 1e9));
  if (shards < in.current_shards && delay > 10.0) return d;  // too far behind to scale down
  d.shards = std::clamp(shards, in.min_shards, in.max_shards);
  return d;
}

}  // namespace promethium::remote
