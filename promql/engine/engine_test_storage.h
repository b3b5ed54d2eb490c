// TestStorage: an in-memory Queryable for the engine's unit tests. Series
// live in a map; it counts queriers and Select calls and keeps the last
// select hints and querier time range, so tests can check what the engine
// asked storage for.
// Thread-safety: one query at a time (the counters are atomic).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/api/series_list.h"
#include "tsdb/api/storage.h"

namespace promethium::promql {

// Series in a map; counts Select calls and iterators handed out.
class TestStorage final : public Queryable {
 public:
  void Add(const Labels& l, int64_t t, double v) { series_[l].push_back({t, v}); }
  // n samples v0, v0+step_v, ... at t = 0, interval, ...
  void AddSeq(const Labels& l, int64_t interval, double v0, double step_v, int n) {
    for (int i = 0; i < n; ++i) Add(l, i * interval, v0 + step_v * i);
  }

  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override {
    queriers++;
    last_mint = mint;
    last_maxt = maxt;
    if (on_new_querier) on_new_querier();
    return std::unique_ptr<Querier>(std::make_unique<Q>(this, mint, maxt));
  }

  std::atomic<int> queriers{0};
  std::atomic<int> selects{0};
  SelectHints last_hints;
  int64_t last_mint = 0;  // the time range of the last NewQuerier call
  int64_t last_maxt = 0;
  std::function<void()> on_new_querier;  // optional hook, e.g. to cancel a query

 private:
  class Q final : public Querier {
   public:
    Q(TestStorage* s, int64_t mint, int64_t maxt) : s_(s), mint_(mint), maxt_(maxt) {}
    std::unique_ptr<SeriesSet> Select(bool, const SelectHints* hints, const Matchers& ms) override {
      s_->selects++;
      if (hints) s_->last_hints = *hints;
      std::vector<std::unique_ptr<ListSeries>> out;
      for (const auto& [l, samples] : s_->series_) {
        bool ok = true;
        for (const auto& m : ms) ok = ok && m.Matches(l.Get(m.name()));
        if (!ok) continue;
        std::vector<Sample> in;
        for (const auto& smp : samples) {
          if (smp.t >= mint_ && smp.t <= maxt_) in.push_back(smp);
        }
        out.push_back(std::make_unique<ListSeries>(l, std::move(in)));
      }
      return std::make_unique<ListSeriesSet>(std::move(out));
    }
    Result<std::vector<std::string>> LabelValues(std::string_view, const Matchers&) override {
      return std::vector<std::string>{};
    }
    Result<std::vector<std::string>> LabelNames(const Matchers&) override { return std::vector<std::string>{}; }

   private:
    TestStorage* s_;
    int64_t mint_, maxt_;
  };
  std::map<Labels, std::vector<Sample>> series_;
};

}  // namespace promethium::promql
