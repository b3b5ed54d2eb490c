// DumpAll (tests only): every sample of every series a DB holds, as
// labels text -> [(t, value bits)], so tests compare what a DB returns
// bit for bit (NaN payloads and stale markers included) across faults and
// restarts.
// Thread-safety: as the DB's queriers (any thread).
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tsdb/db.h"

namespace promethium::tsdb {

// Series labels -> its samples as (t, value bits), for exact comparison.
using Dump = std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>>;

inline Dump DumpAll(DB* db) {
  Dump out;
  auto q = db->NewQuerier(kMinTime, kMaxTime);
  EXPECT_TRUE(q.ok());
  if (!q.ok()) return out;
  auto set = (*q)->Select(true, nullptr, {*Matcher::Make(MatchType::kRegexMatch, "__name__", ".+")});
  while (set->Next()) {
    auto& samples = out[set->At().labels().ToString()];
    auto it = set->At().Iterator(nullptr);
    while (it->Next() != ValueType::kNone) samples.emplace_back(it->At().t, std::bit_cast<uint64_t>(it->At().v));
    EXPECT_TRUE(it->Err().ok()) << it->Err().ToString();
  }
  EXPECT_TRUE(set->Err().ok()) << set->Err().ToString();
  return out;
}

}  // namespace promethium::tsdb
