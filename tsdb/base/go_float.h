// GoFloatToInt64: Go's int64(float64) conversion as it behaves on amd64, for
// code that must print or compute exactly what Prometheus does with values
// beyond the int64 range (PromQL's date functions, the humanizeDuration
// template function). In C++ such a cast would be undefined behaviour.
//
// Thread-safety: a pure function.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace promethium {

// Truncation toward zero; NaN and values outside [-2^63, 2^63) give -2^63
// (the CVTTSD2SQ "integer indefinite" value).
inline int64_t GoFloatToInt64(double v) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (std::isnan(v) || v >= kTwo63 || v < -kTwo63) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

}  // namespace promethium
