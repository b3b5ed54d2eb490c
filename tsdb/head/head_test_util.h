// Test helpers shared by the head's tests: small head options, one-sample
// appends and reading a querier (or any index + chunk reader pair) back into
// a map.
// Thread-safety: plain functions; each call uses its own querier.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tsdb/head/head.h"
#include "tsdb/querier/block_querier.h"

namespace promethium::tsdb::testing_util {

using SeriesMap = std::map<std::string, std::vector<Sample>>;

inline Matcher Eq(std::string name, std::string value) { return *Matcher::Make(MatchType::kEqual, name, value); }
inline Matcher Re(std::string name, std::string value) { return *Matcher::Make(MatchType::kRegexMatch, name, value); }

// Options for a test head: chunk ranges of `chunk_range_ms`, 16 stripes and
// an out-of-order window of `ooo_window_ms` (0: disabled).
inline HeadOptions SmallHeadOptions(int64_t chunk_range_ms, int64_t ooo_window_ms = 0) {
  HeadOptions o;
  o.cut.chunk_range_ms = chunk_range_ms;
  o.stripe_count = 16;
  o.ooo_window_ms = ooo_window_ms;
  return o;
}

inline Status AppendOne(Head* head, const Labels& l, int64_t t, double v) {
  auto app = head->NewAppender();
  auto ref = app->Append(0, l, t, v);
  if (!ref.ok()) return ref.status();
  return app->Commit();
}

inline SeriesMap ReadAll(Querier* q, const Matchers& ms) {
  auto set = q->Select(true, nullptr, ms);
  SeriesMap out;
  while (set->Next()) {
    auto it = set->At().Iterator(nullptr);
    std::vector<Sample>& samples = out[set->At().labels().ToString()];
    while (it->Next() == ValueType::kFloat) samples.push_back(it->At());
    EXPECT_TRUE(it->Err().ok()) << it->Err().ToString();
  }
  EXPECT_TRUE(set->Err().ok()) << set->Err().ToString();
  return out;
}

inline SeriesMap Query(Head* head, const Matchers& ms, int64_t mint = kMinTime, int64_t maxt = kMaxTime) {
  auto q = head->NewQuerier(mint, maxt);
  return ReadAll(q.get(), ms);
}

// Every sample of the range view [mint, maxt], read as a block would be.
inline SeriesMap QueryRange(Head* head, const Matchers& ms, int64_t mint, int64_t maxt) {
  BlockQuerier q(head->NewRangeIndexReader(mint, maxt), head->NewRangeChunkReader(mint, maxt), kMinTime, kMaxTime);
  return ReadAll(&q, ms);
}

inline std::vector<int64_t> Times(const std::vector<Sample>& samples) {
  std::vector<int64_t> out;
  for (const Sample& s : samples) out.push_back(s.t);
  return out;
}

}  // namespace promethium::tsdb::testing_util
