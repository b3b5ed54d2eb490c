#include "tsdb/block/compaction_plan.h"

#include <algorithm>

namespace promethium::tsdb {
namespace {

using MetaList = std::vector<const BlockMeta*>;

std::vector<std::string> Ulids(const MetaList& list) {
  std::vector<std::string> out;
  for (const BlockMeta* m : list) out.push_back(m->ulid);
  return out;
}

// The first run of blocks overlapping each other (input sorted by minTime).
MetaList SelectOverlapping(const MetaList& ds) {
  MetaList out;
  if (ds.size() < 2) return out;
  int64_t global_max = ds[0]->max_time;
  for (size_t i = 1; i < ds.size(); ++i) {
    if (ds[i]->min_time < global_max) {
      if (out.empty()) out.push_back(ds[i - 1]);
      out.push_back(ds[i]);
    } else if (!out.empty()) {
      break;
    }
    global_max = std::max(global_max, ds[i]->max_time);
  }
  return out;
}

// Groups blocks into aligned windows [t0, t0+tr]; blocks that do not fit
// their window are skipped.
std::vector<MetaList> SplitByRange(const MetaList& ds, int64_t tr) {
  std::vector<MetaList> out;
  for (size_t i = 0; i < ds.size();) {
    const BlockMeta* m = ds[i];
    // Floor division, also for negative times.
    const int64_t t0 = m->min_time >= 0 ? tr * (m->min_time / tr) : tr * ((m->min_time - tr + 1) / tr);
    if (m->max_time > t0 + tr) {
      ++i;
      continue;
    }
    MetaList group;
    for (; i < ds.size() && ds[i]->max_time <= t0 + tr; ++i) group.push_back(ds[i]);
    if (!group.empty()) out.push_back(std::move(group));
  }
  return out;
}

MetaList SelectDirs(const MetaList& ds, const std::vector<int64_t>& ranges) {
  if (ranges.size() < 2 || ds.empty()) return {};
  const int64_t high_time = ds.back()->min_time;
  for (size_t r = 1; r < ranges.size(); ++r) {
    const int64_t iv = ranges[r];
    for (const MetaList& p : SplitByRange(ds, iv)) {
      if (std::any_of(p.begin(), p.end(), [](const BlockMeta* m) { return m->compaction.failed; })) continue;
      const int64_t mint = p.front()->min_time, maxt = p.back()->max_time;
      if ((maxt - mint == iv || maxt <= high_time) && p.size() > 1) return p;
    }
  }
  return {};
}

}  // namespace

std::vector<std::string> PlanCompaction(const std::vector<BlockMeta>& metas, const std::vector<int64_t>& ranges) {
  if (metas.empty()) return {};
  MetaList ds;
  for (const BlockMeta& m : metas) ds.push_back(&m);
  std::stable_sort(ds.begin(), ds.end(),
                   [](const BlockMeta* a, const BlockMeta* b) { return a->min_time < b->min_time; });

  MetaList res = SelectOverlapping(ds);
  if (!res.empty()) return Ulids(res);

  ds.pop_back();  // leave the newest block alone
  res = SelectDirs(ds, ranges);
  if (!res.empty()) return Ulids(res);
  if (ranges.empty()) return {};

  for (size_t i = ds.size(); i-- > 0;) {
    const BlockMeta& m = *ds[i];
    const BlockStats& s = m.stats;
    if (m.max_time - m.min_time < ranges[ranges.size() / 2]) {
      // A fully deleted block is worth rewriting whatever its size.
      if (s.num_tombstones > 0 && s.num_tombstones >= s.num_series) return {m.ulid};
      break;
    }
    if (static_cast<double>(s.num_tombstones) / static_cast<double>(s.num_series + 1) > 0.05) return {m.ulid};
  }
  return {};
}

std::vector<int64_t> ExponentialBlockRanges(int64_t min, int steps, int64_t step_size) {
  std::vector<int64_t> out;
  int64_t cur = min;
  for (int i = 0; i < steps; ++i) {
    out.push_back(cur);
    cur *= step_size;
  }
  return out;
}

}  // namespace promethium::tsdb
