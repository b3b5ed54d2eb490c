#include "tsdb/index/mem_postings.h"

#include <algorithm>
#include <iterator>

namespace promethium::tsdb {

void MemPostings::InsertSorted(std::vector<SeriesRef>* list, SeriesRef ref) {
  // Concurrent creators may add refs slightly out of order: walk back from
  // the end (cheap in the common, in-order case) to keep the list sorted.
  list->push_back(ref);
  for (size_t i = list->size() - 1; i > 0 && (*list)[i - 1] > (*list)[i]; --i) std::swap((*list)[i - 1], (*list)[i]);
}

void MemPostings::Add(SeriesRef ref, const Labels& labels) { AddInterned(ref, labels, nullptr); }

void MemPostings::AddInterned(SeriesRef ref, const Labels& labels, const std::string** symbols) {
  MutexLock lock(&mu_);
  for (const Label& l : labels) {
    auto name_it = index_.find(l.name);
    if (name_it == index_.end()) name_it = index_.emplace(l.name, ValueMap()).first;
    auto value_it = name_it->second.find(l.value);
    if (value_it == name_it->second.end()) value_it = name_it->second.emplace(l.value, std::vector<SeriesRef>()).first;
    InsertSorted(&value_it->second, ref);
    if (symbols != nullptr) {
      *symbols++ = &name_it->first;
      *symbols++ = &value_it->first;
    }
  }
  InsertSorted(&all_, ref);
}

namespace {

// Removes the sorted `drop` refs from the sorted `list`.
void RemoveSorted(std::vector<SeriesRef>* list, const std::vector<SeriesRef>& drop) {
  std::vector<SeriesRef> kept;
  kept.reserve(list->size());
  std::set_difference(list->begin(), list->end(), drop.begin(), drop.end(), std::back_inserter(kept));
  if (kept.size() * 2 < list->capacity()) kept.shrink_to_fit();
  list->swap(kept);
}

}  // namespace

void MemPostings::Delete(const std::vector<SeriesRef>& refs, std::span<const LabelPair> affected) {
  if (refs.empty()) return;
  MutexLock lock(&mu_);
  for (const auto& [name, value] : affected) {
    auto name_it = index_.find(name);
    if (name_it == index_.end()) continue;
    auto value_it = name_it->second.find(value);
    if (value_it == name_it->second.end()) continue;
    RemoveSorted(&value_it->second, refs);
    // `value` (and `name`) may view these very keys: they are not used
    // after the erase. A name empties only once all its values are gone,
    // i.e. after its last pair in `affected`.
    if (value_it->second.empty()) name_it->second.erase(value_it);
    if (name_it->second.empty()) index_.erase(name_it);
  }
  RemoveSorted(&all_, refs);
}

std::vector<SeriesRef> MemPostings::All() const {
  ReaderMutexLock lock(&mu_);
  return all_;
}

std::vector<SeriesRef> MemPostings::Get(std::string_view name, const std::vector<std::string>& values) const {
  std::vector<SeriesRef> out;
  ReaderMutexLock lock(&mu_);
  auto name_it = index_.find(name);
  if (name_it == index_.end()) return out;
  size_t lists = 0;
  for (const std::string& v : values) {
    auto value_it = name_it->second.find(v);
    if (value_it == name_it->second.end()) continue;
    out.insert(out.end(), value_it->second.begin(), value_it->second.end());
    ++lists;
  }
  // One series has one value per name, so lists are disjoint; sort only when
  // several were concatenated (duplicates can only come from repeated values).
  if (lists > 1) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

std::vector<std::string> MemPostings::LabelNames() const {
  std::vector<std::string> out;
  ReaderMutexLock lock(&mu_);
  out.reserve(index_.size());
  for (const auto& [name, values] : index_) out.push_back(name);
  return out;
}

std::vector<std::string> MemPostings::LabelValues(std::string_view name) const {
  std::vector<std::string> out;
  ReaderMutexLock lock(&mu_);
  auto it = index_.find(name);
  if (it == index_.end()) return out;
  out.reserve(it->second.size());
  for (const auto& [value, refs] : it->second) out.push_back(value);
  return out;
}

namespace {

void SortAndCut(std::vector<PostingsStats::Stat>* stats, size_t limit) {
  auto by_count = [](const PostingsStats::Stat& a, const PostingsStats::Stat& b) {
    return a.count != b.count ? a.count > b.count : a.name < b.name;
  };
  if (stats->size() > limit) {
    std::partial_sort(stats->begin(), stats->begin() + static_cast<long>(limit), stats->end(), by_count);
    stats->resize(limit);
  } else {
    std::sort(stats->begin(), stats->end(), by_count);
  }
}

}  // namespace

PostingsStats MemPostings::Stats(std::string_view metric_label, size_t limit) const {
  PostingsStats out;
  {
    ReaderMutexLock lock(&mu_);
    for (const auto& [name, values] : index_) {
      out.label_value_count_by_label_name.push_back({name, values.size()});
      out.num_label_pairs += values.size();
      uint64_t bytes = 0;
      for (const auto& [value, refs] : values) {
        if (name == metric_label) out.series_count_by_metric_name.push_back({value, refs.size()});
        out.series_count_by_label_value_pair.push_back({name + "=" + value, refs.size()});
        bytes += value.size() * refs.size();
      }
      out.memory_in_bytes_by_label_name.push_back({name, bytes});
    }
  }
  SortAndCut(&out.series_count_by_metric_name, limit);
  SortAndCut(&out.label_value_count_by_label_name, limit);
  SortAndCut(&out.memory_in_bytes_by_label_name, limit);
  SortAndCut(&out.series_count_by_label_value_pair, limit);
  return out;
}

}  // namespace promethium::tsdb
