// The fixed dataset the PromQL engine and web handler fuzz targets query:
// a MemoryStorage (tsdb/api/memory_storage.h, the store of the engine and
// promqltest tests) with ten minutes of a few series.
//
// Ownership: the caller owns the returned storage. Thread-safety: build
// once, then read only.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>

#include "tsdb/api/labels.h"
#include "tsdb/api/memory_storage.h"

namespace promethium::fuzz {

// 10 minutes of samples every 15 s: counters with a reset, a gauge with
// NaN and Inf, a classic histogram and a series with a gap.
inline std::unique_ptr<MemoryStorage> MakeDataset() {
  auto s = std::make_unique<MemoryStorage>();
  const double kInf = std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i <= 40; ++i) {
    const int64_t t = i * 15000;
    const double x = static_cast<double>(i);
    s->Add(Labels({{"__name__", "http_requests_total"}, {"job", "api"}, {"instance", "a"}}), t, 10 * x);
    s->Add(Labels({{"__name__", "http_requests_total"}, {"job", "api"}, {"instance", "b"}}), t,
           i < 20 ? 5 * x : x - 20);
    s->Add(Labels({{"__name__", "temperature"}, {"room", "x"}}), t,
           i == 7 ? std::numeric_limits<double>::quiet_NaN() : (i == 9 ? kInf : 20 - x / 3));
    s->Add(Labels({{"__name__", "up"}, {"job", "api"}, {"instance", "a"}}), t, 1);
    if (i % 10 < 5) s->Add(Labels({{"__name__", "up"}, {"job", "db"}, {"instance", "c"}}), t, i % 2);
    const char* kLe[] = {"0.1", "1", "10", "+Inf"};
    for (int b = 0; b < 4; ++b) {
      s->Add(Labels({{"__name__", "latency_seconds_bucket"}, {"job", "api"}, {"le", kLe[b]}}), t, x * (b + 1));
    }
    s->Add(Labels({{"__name__", "latency_seconds_count"}, {"job", "api"}}), t, 4 * x);
    s->Add(Labels({{"__name__", "latency_seconds_sum"}, {"job", "api"}}), t, 1.5 * x);
  }
  return s;
}

}  // namespace promethium::fuzz
