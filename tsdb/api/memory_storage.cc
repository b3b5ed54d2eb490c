// MemoryStorage (see memory_storage.h).
#include "tsdb/api/memory_storage.h"

#include <algorithm>
#include <set>

namespace promethium {

void MemoryStorage::Add(const Labels& labels, int64_t t, double v) {
  auto& samples = series_[labels];
  if (!samples.empty() && samples.back().t >= t) {
    auto it = std::lower_bound(samples.begin(), samples.end(), t, [](const Sample& s, int64_t ts) { return s.t < ts; });
    if (it != samples.end() && it->t == t) {
      it->v = v;
    } else {
      samples.insert(it, Sample{t, v});
    }
    return;
  }
  samples.push_back({t, v});
}

namespace {

bool MatchesAll(const Labels& l, const Matchers& ms) {
  for (const auto& m : ms) {
    if (!m.Matches(l.Get(m.name()))) return false;
  }
  return true;
}

class MemoryQuerier final : public Querier {
 public:
  MemoryQuerier(const std::map<Labels, std::vector<Sample>>* series, int64_t mint, int64_t maxt)
      : series_(series), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<SeriesSet> Select(bool, const SelectHints*, const Matchers& matchers) override {
    std::vector<std::unique_ptr<ListSeries>> out;
    for (const auto& [labels, samples] : *series_) {
      if (!MatchesAll(labels, matchers)) continue;
      auto lo =
          std::lower_bound(samples.begin(), samples.end(), mint_, [](const Sample& s, int64_t t) { return s.t < t; });
      auto hi =
          std::upper_bound(samples.begin(), samples.end(), maxt_, [](int64_t t, const Sample& s) { return t < s.t; });
      if (lo >= hi) continue;
      out.push_back(std::make_unique<ListSeries>(labels, std::vector<Sample>(lo, hi)));
    }
    return std::make_unique<ListSeriesSet>(std::move(out));
  }

  Result<std::vector<std::string>> LabelValues(std::string_view name, const Matchers& matchers) override {
    std::set<std::string> values;
    for (const auto& [labels, samples] : *series_) {
      if (!MatchesAll(labels, matchers)) continue;
      std::string_view v = labels.Get(name);
      if (!v.empty()) values.emplace(v);
    }
    return std::vector<std::string>(values.begin(), values.end());
  }

  Result<std::vector<std::string>> LabelNames(const Matchers& matchers) override {
    std::set<std::string> names;
    for (const auto& [labels, samples] : *series_) {
      if (!MatchesAll(labels, matchers)) continue;
      for (const auto& l : labels) names.insert(l.name);
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

 private:
  const std::map<Labels, std::vector<Sample>>* series_;
  int64_t mint_;
  int64_t maxt_;
};

}  // namespace

Result<std::unique_ptr<Querier>> MemoryStorage::NewQuerier(int64_t mint, int64_t maxt) {
  return std::unique_ptr<Querier>(std::make_unique<MemoryQuerier>(&series_, mint, maxt));
}

}  // namespace promethium
