#include "remote/write/wal_retention.h"

#include <algorithm>
#include <utility>

namespace promethium::remote {

uint64_t WalRetention::Add(FloorFn floor) {
  MutexLock lock(&mu_);
  const uint64_t handle = next_handle_++;
  floors_.emplace(handle, std::move(floor));
  return handle;
}

void WalRetention::Remove(uint64_t handle) {
  MutexLock lock(&mu_);
  floors_.erase(handle);
}

void WalRetention::Hold(bool held) {
  MutexLock lock(&mu_);
  held_ = held;
}

std::optional<uint64_t> WalRetention::SegmentFloor() const {
  MutexLock lock(&mu_);
  if (held_) return 0;
  std::optional<uint64_t> floor;
  for (const auto& [handle, fn] : floors_) {
    const uint64_t f = fn();
    floor = floor ? std::min(*floor, f) : f;
  }
  return floor;
}

}  // namespace promethium::remote
