#include "tsdb/querier/merge_querier.h"

#include <algorithm>
#include <queue>

#include "tsdb/api/series_list.h"

namespace promethium::tsdb {
namespace {

// Merges sample iterators sorted by time; on equal timestamps the iterator
// with the lowest index wins and the others skip that sample. Samples keep
// their type (float or histogram): the current one is read from the
// iterator that holds it.
class MergedSampleIterator final : public SampleIterator {
 public:
  explicit MergedSampleIterator(std::vector<std::unique_ptr<SampleIterator>> its) : its_(std::move(its)) {
    types_.assign(its_.size(), ValueType::kNone);
    exhausted_.assign(its_.size(), false);
  }

  ValueType Next() override {
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < its_.size(); ++i) types_[i] = Advance(i, its_[i]->Next());
    } else {
      if (cur_ == kNoCurrent) return ValueType::kNone;
      StepPast(cur_t_);
    }
    return Pick();
  }

  ValueType Seek(int64_t t) override {
    if (started_ && cur_ != kNoCurrent && cur_t_ >= t) return types_[cur_];
    started_ = true;
    for (size_t i = 0; i < its_.size(); ++i) {
      if (exhausted_[i] || (types_[i] != ValueType::kNone && its_[i]->AtT() >= t)) continue;
      types_[i] = Advance(i, its_[i]->Seek(t));
    }
    return Pick();
  }

  Sample At() const override { return cur_ == kNoCurrent ? Sample() : its_[cur_]->At(); }
  int64_t AtHistogram(Histogram* h) const override { return its_[cur_]->AtHistogram(h); }
  int64_t AtFloatHistogram(FloatHistogram* fh) const override { return its_[cur_]->AtFloatHistogram(fh); }
  int64_t AtT() const override { return cur_t_; }
  Status Err() const override { return err_; }

 private:
  static constexpr size_t kNoCurrent = static_cast<size_t>(-1);

  ValueType Advance(size_t i, ValueType vt) {
    if (vt != ValueType::kNone) return vt;
    exhausted_[i] = true;
    if (err_.ok() && !its_[i]->Err().ok()) err_ = its_[i]->Err();
    return vt;
  }

  // Moves every iterator whose current sample is at time <= t forward.
  void StepPast(int64_t t) {
    for (size_t i = 0; i < its_.size(); ++i) {
      while (types_[i] != ValueType::kNone && its_[i]->AtT() <= t) types_[i] = Advance(i, its_[i]->Next());
    }
  }

  ValueType Pick() {
    cur_ = kNoCurrent;
    if (!err_.ok()) return ValueType::kNone;
    for (size_t i = 0; i < its_.size(); ++i) {
      if (types_[i] == ValueType::kNone) continue;
      const int64_t t = its_[i]->AtT();
      if (cur_ == kNoCurrent || t < cur_t_) {
        cur_ = i;
        cur_t_ = t;
      }
    }
    return cur_ == kNoCurrent ? ValueType::kNone : types_[cur_];
  }

  std::vector<std::unique_ptr<SampleIterator>> its_;
  std::vector<ValueType> types_;  // of its_[i]'s current sample; kNone: not positioned on one
  std::vector<bool> exhausted_;   // its_[i] returned kNone: never asked again
  bool started_ = false;
  size_t cur_ = kNoCurrent;  // the iterator holding the current sample
  int64_t cur_t_ = 0;
  Status err_;
};

// A series present in several sets. It borrows the sets' current series,
// which stay valid until the merged set advances (SeriesSet's contract).
class MergedSeries final : public Series {
 public:
  MergedSeries(Labels labels, std::vector<const Series*> parts)
      : labels_(std::move(labels)), parts_(std::move(parts)) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<SampleIterator> Iterator(std::unique_ptr<SampleIterator> /*reuse*/) const override {
    std::vector<std::unique_ptr<SampleIterator>> its;
    its.reserve(parts_.size());
    for (const Series* part : parts_) its.push_back(part->Iterator(nullptr));
    return std::make_unique<MergedSampleIterator>(std::move(its));
  }

 private:
  Labels labels_;
  std::vector<const Series*> parts_;
};

class MergedSeriesSet final : public SeriesSet {
 public:
  explicit MergedSeriesSet(std::vector<std::unique_ptr<SeriesSet>> sets) : sets_(std::move(sets)) {
    has_.assign(sets_.size(), false);
  }

  bool Next() override {
    if (!err_.ok()) return false;
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < sets_.size(); ++i) has_[i] = AdvanceSet(i);
    } else {
      for (size_t i : current_) has_[i] = AdvanceSet(i);
    }
    if (!err_.ok()) return false;
    current_.clear();
    const Labels* lowest = nullptr;
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (!has_[i]) continue;
      const Labels& ls = sets_[i]->At().labels();
      if (lowest == nullptr || ls < *lowest) {
        lowest = &ls;
        current_.assign(1, i);
      } else if (ls == *lowest) {
        current_.push_back(i);
      }
    }
    if (current_.empty()) return false;
    if (current_.size() == 1) {
      single_ = &sets_[current_[0]]->At();
      return true;
    }
    std::vector<const Series*> parts;
    for (size_t i : current_) parts.push_back(&sets_[i]->At());
    merged_ = std::make_unique<MergedSeries>(*lowest, std::move(parts));
    single_ = merged_.get();
    return true;
  }

  const Series& At() const override { return *single_; }
  Status Err() const override { return err_; }
  std::vector<std::string> Warnings() const override {
    std::vector<std::string> out;
    for (const auto& set : sets_) {
      for (auto& w : set->Warnings()) out.push_back(std::move(w));
    }
    return out;
  }

 private:
  bool AdvanceSet(size_t i) {
    if (sets_[i]->Next()) return true;
    if (err_.ok() && !sets_[i]->Err().ok()) err_ = sets_[i]->Err();
    return false;
  }

  std::vector<std::unique_ptr<SeriesSet>> sets_;
  std::vector<bool> has_;
  std::vector<size_t> current_;  // sets positioned on the current labels
  std::unique_ptr<MergedSeries> merged_;
  const Series* single_ = nullptr;
  bool started_ = false;
  Status err_;
};

// Sorted union of sorted string lists.
std::vector<std::string> SortedUnion(std::vector<std::vector<std::string>> lists) {
  std::vector<std::string> out;
  for (auto& list : lists) {
    std::vector<std::string> merged;
    merged.reserve(out.size() + list.size());
    std::set_union(std::make_move_iterator(out.begin()), std::make_move_iterator(out.end()),
                   std::make_move_iterator(list.begin()), std::make_move_iterator(list.end()),
                   std::back_inserter(merged));
    out = std::move(merged);
  }
  return out;
}

}  // namespace

std::unique_ptr<SeriesSet> MergeSortedSeriesSets(std::vector<std::unique_ptr<SeriesSet>> sets) {
  if (sets.size() == 1) return std::move(sets[0]);
  return std::make_unique<MergedSeriesSet>(std::move(sets));
}

std::unique_ptr<SeriesSet> MergeQuerier::Select(bool sorted, const SelectHints* hints, const Matchers& matchers) {
  if (queriers_.empty()) return ErrorSeriesSet(Status::OK());
  if (queriers_.size() == 1) return queriers_[0]->Select(sorted, hints, matchers);
  std::vector<std::unique_ptr<SeriesSet>> sets;
  sets.reserve(queriers_.size());
  // Merging needs every input sorted, whatever the caller asked for.
  for (auto& q : queriers_) sets.push_back(q->Select(/*sorted=*/true, hints, matchers));
  return MergeSortedSeriesSets(std::move(sets));
}

Result<std::vector<std::string>> MergeQuerier::LabelValues(std::string_view name, const Matchers& matchers) {
  std::vector<std::vector<std::string>> lists;
  for (auto& q : queriers_) {
    PROMETHIUM_ASSIGN_OR_RETURN(auto values, q->LabelValues(name, matchers));
    lists.push_back(std::move(values));
  }
  return SortedUnion(std::move(lists));
}

Result<std::vector<std::string>> MergeQuerier::LabelNames(const Matchers& matchers) {
  std::vector<std::vector<std::string>> lists;
  for (auto& q : queriers_) {
    PROMETHIUM_ASSIGN_OR_RETURN(auto names, q->LabelNames(matchers));
    lists.push_back(std::move(names));
  }
  return SortedUnion(std::move(lists));
}

}  // namespace promethium::tsdb
