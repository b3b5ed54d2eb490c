// Sample: one (timestamp, value) point of a float series.
//
// Timestamps are int64 milliseconds since the Unix epoch, as in Prometheus.
// A "stale marker" is a special NaN bit pattern that ends a series (written
// when a target or series disappears); it must be compared by bits, since
// every NaN compares unequal.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>

namespace promethium {

struct Sample {
  int64_t t = 0;
  double v = 0;
};

// Prometheus's value.StaleNaN.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
inline double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }
inline bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min() / 2;
inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max() / 2;

}  // namespace promethium
