// MemoryQueryable: a tiny in-memory Queryable for web/ tests.
//
// Holds a fixed list of series (built with tsdb/api/series_list.h types)
// and answers Select, LabelNames and LabelValues by scanning them. Test-only:
// linear scans, no indexes.
// Ownership: the Queryable owns its series; queriers copy what they return.
// Thread-safety: immutable after construction; safe from any thread.
#pragma once

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tsdb/api/series_list.h"
#include "tsdb/api/storage.h"

namespace promethium::web {

class MemoryQueryable final : public Queryable {
 public:
  struct Data {
    Labels labels;
    std::vector<Sample> samples;
  };

  explicit MemoryQueryable(std::vector<Data> series) : series_(std::move(series)) {}

  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override {
    return std::unique_ptr<Querier>(new MemoryQuerier(this, mint, maxt));
  }

 private:
  class MemoryQuerier final : public Querier {
   public:
    MemoryQuerier(const MemoryQueryable* q, int64_t mint, int64_t maxt) : q_(q), mint_(mint), maxt_(maxt) {}

    std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints*, const Matchers& matchers) override {
      std::vector<std::unique_ptr<ListSeries>> out;
      for (const Data& d : q_->series_) {
        if (!MatchesAll(d.labels, matchers)) continue;
        std::vector<Sample> samples;
        for (const Sample& s : d.samples) {
          if (s.t >= mint_ && s.t <= maxt_) samples.push_back(s);
        }
        if (samples.empty()) continue;
        out.push_back(std::make_unique<ListSeries>(d.labels, std::move(samples)));
      }
      if (sorted) {
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->labels() < b->labels(); });
      }
      return std::make_unique<ListSeriesSet>(std::move(out));
    }

    Result<std::vector<std::string>> LabelValues(std::string_view name, const Matchers& matchers) override {
      std::set<std::string> values;
      for (const Data& d : q_->series_) {
        if (!InRange(d) || !MatchesAll(d.labels, matchers)) continue;
        std::string_view v = d.labels.Get(name);
        if (!v.empty()) values.insert(std::string(v));
      }
      return std::vector<std::string>(values.begin(), values.end());
    }

    Result<std::vector<std::string>> LabelNames(const Matchers& matchers) override {
      std::set<std::string> names;
      for (const Data& d : q_->series_) {
        if (!InRange(d) || !MatchesAll(d.labels, matchers)) continue;
        for (const Label& l : d.labels) names.insert(l.name);
      }
      return std::vector<std::string>(names.begin(), names.end());
    }

   private:
    static bool MatchesAll(const Labels& labels, const Matchers& matchers) {
      return std::all_of(matchers.begin(), matchers.end(),
                         [&](const Matcher& m) { return m.Matches(labels.Get(m.name())); });
    }
    bool InRange(const Data& d) const {
      return std::any_of(d.samples.begin(), d.samples.end(),
                         [&](const Sample& s) { return s.t >= mint_ && s.t <= maxt_; });
    }
    const MemoryQueryable* q_;
    int64_t mint_, maxt_;
  };

  std::vector<Data> series_;
};

}  // namespace promethium::web
