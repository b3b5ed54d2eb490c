// MemoryStorage (see memory_storage.h).
#include "tsdb/api/memory_storage.h"

#include <algorithm>
#include <map>
#include <set>

namespace promethium {

namespace {

// Inserts s into the t-sorted vector, replacing a sample at the same t.
template <typename S>
void InsertSorted(std::vector<S>* samples, S s) {
  if (samples->empty() || samples->back().t < s.t) {
    samples->push_back(std::move(s));
    return;
  }
  auto it = std::lower_bound(samples->begin(), samples->end(), s.t, [](const S& a, int64_t ts) { return a.t < ts; });
  if (it != samples->end() && it->t == s.t) {
    *it = std::move(s);
  } else {
    samples->insert(it, std::move(s));
  }
}

// Removes the sample at t from the series' vector in `m`, if any.
template <typename S>
void EraseAt(std::map<Labels, std::vector<S>>* m, const Labels& labels, int64_t t) {
  auto series = m->find(labels);
  if (series == m->end()) return;
  auto& v = series->second;
  auto it = std::lower_bound(v.begin(), v.end(), t, [](const S& a, int64_t ts) { return a.t < ts; });
  if (it == v.end() || it->t != t) return;
  v.erase(it);
  if (v.empty()) m->erase(series);
}

// The samples of v with mint <= t <= maxt.
template <typename S>
std::vector<S> InRange(const std::vector<S>& v, int64_t mint, int64_t maxt) {
  auto lo = std::lower_bound(v.begin(), v.end(), mint, [](const S& s, int64_t t) { return s.t < t; });
  auto hi = std::upper_bound(v.begin(), v.end(), maxt, [](int64_t t, const S& s) { return t < s.t; });
  return lo < hi ? std::vector<S>(lo, hi) : std::vector<S>{};
}

bool MatchesAll(const Labels& l, const Matchers& ms) {
  for (const auto& m : ms) {
    if (!m.Matches(l.Get(m.name()))) return false;
  }
  return true;
}

// Iterates a series' float and histogram samples merged by timestamp (no
// timestamp appears in both).
class MixedIterator final : public SampleIterator {
 public:
  MixedIterator(const std::vector<Sample>* floats, const std::vector<MemoryHistogramSample>* hists)
      : floats_(floats), hists_(hists) {}

  ValueType Next() override {
    if (started_) {
      if (current_ == ValueType::kFloat) ++fi_;
      if (current_ == ValueType::kHistogram || current_ == ValueType::kFloatHistogram) ++hi_;
      if (current_ == ValueType::kNone) return current_;
    }
    started_ = true;
    return Settle();
  }

  ValueType Seek(int64_t t) override {
    if (started_ && current_ == ValueType::kNone) return current_;
    if (started_ && AtT() >= t) return current_;
    while (fi_ < floats_->size() && (*floats_)[fi_].t < t) ++fi_;
    while (hi_ < hists_->size() && (*hists_)[hi_].t < t) ++hi_;
    started_ = true;
    return Settle();
  }

  Sample At() const override { return (*floats_)[fi_]; }
  int64_t AtHistogram(Histogram* h) const override {
    *h = *(*hists_)[hi_].h;
    return (*hists_)[hi_].t;
  }
  int64_t AtFloatHistogram(FloatHistogram* fh) const override {
    const MemoryHistogramSample& s = (*hists_)[hi_];
    *fh = s.fh ? *s.fh : s.h->ToFloat();
    return s.t;
  }
  int64_t AtT() const override { return current_ == ValueType::kFloat ? (*floats_)[fi_].t : (*hists_)[hi_].t; }
  Status Err() const override { return Status::OK(); }

 private:
  ValueType Settle() {
    bool has_float = fi_ < floats_->size();
    bool has_hist = hi_ < hists_->size();
    if (has_float && (!has_hist || (*floats_)[fi_].t < (*hists_)[hi_].t)) {
      current_ = ValueType::kFloat;
    } else if (has_hist) {
      current_ = (*hists_)[hi_].h ? ValueType::kHistogram : ValueType::kFloatHistogram;
    } else {
      current_ = ValueType::kNone;
    }
    return current_;
  }

  const std::vector<Sample>* floats_;
  const std::vector<MemoryHistogramSample>* hists_;
  size_t fi_ = 0, hi_ = 0;
  bool started_ = false;
  ValueType current_ = ValueType::kNone;
};

class MixedSeries final : public Series {
 public:
  MixedSeries(Labels labels, std::vector<Sample> floats, std::vector<MemoryHistogramSample> hists)
      : labels_(std::move(labels)), floats_(std::move(floats)), hists_(std::move(hists)) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<SampleIterator> Iterator(std::unique_ptr<SampleIterator> /*reuse*/) const override {
    return std::make_unique<MixedIterator>(&floats_, &hists_);
  }

 private:
  Labels labels_;
  std::vector<Sample> floats_;
  std::vector<MemoryHistogramSample> hists_;
};

class MixedSeriesSet final : public SeriesSet {
 public:
  explicit MixedSeriesSet(std::vector<std::unique_ptr<MixedSeries>> series) : series_(std::move(series)) {}
  bool Next() override { return ++pos_ < static_cast<long>(series_.size()); }
  const Series& At() const override { return *series_[static_cast<size_t>(pos_)]; }
  Status Err() const override { return Status::OK(); }

 private:
  std::vector<std::unique_ptr<MixedSeries>> series_;
  long pos_ = -1;
};

class MemoryQuerier final : public Querier {
 public:
  MemoryQuerier(const MemoryStorage* storage, int64_t mint, int64_t maxt)
      : storage_(storage), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<SeriesSet> Select(bool, const SelectHints*, const Matchers& matchers) override {
    std::vector<std::unique_ptr<MixedSeries>> out;
    for (const Labels& labels : MatchingLabels(matchers)) {
      std::vector<Sample> floats;
      std::vector<MemoryHistogramSample> hists;
      if (auto it = storage_->series().find(labels); it != storage_->series().end()) {
        floats = InRange(it->second, mint_, maxt_);
      }
      if (auto it = storage_->histograms().find(labels); it != storage_->histograms().end()) {
        hists = InRange(it->second, mint_, maxt_);
      }
      if (floats.empty() && hists.empty()) continue;
      out.push_back(std::make_unique<MixedSeries>(labels, std::move(floats), std::move(hists)));
    }
    return std::make_unique<MixedSeriesSet>(std::move(out));
  }

  Result<std::vector<std::string>> LabelValues(std::string_view name, const Matchers& matchers) override {
    std::set<std::string> values;
    for (const Labels& labels : MatchingLabels(matchers)) {
      std::string_view v = labels.Get(name);
      if (!v.empty()) values.emplace(v);
    }
    return std::vector<std::string>(values.begin(), values.end());
  }

  Result<std::vector<std::string>> LabelNames(const Matchers& matchers) override {
    std::set<std::string> names;
    for (const Labels& labels : MatchingLabels(matchers)) {
      for (const auto& l : labels) names.insert(l.name);
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

 private:
  // The label sets of every series (of either kind) matching, sorted.
  std::set<Labels> MatchingLabels(const Matchers& matchers) const {
    std::set<Labels> out;
    for (const auto& [labels, samples] : storage_->series()) {
      if (MatchesAll(labels, matchers)) out.insert(labels);
    }
    for (const auto& [labels, samples] : storage_->histograms()) {
      if (MatchesAll(labels, matchers)) out.insert(labels);
    }
    return out;
  }

  const MemoryStorage* storage_;
  int64_t mint_;
  int64_t maxt_;
};

// The non-empty buckets of one side, by bucket index.
std::map<int64_t, double> BucketsByIndex(const std::vector<HistogramSpan>& spans, const std::vector<double>& buckets) {
  std::map<int64_t, double> out;
  int64_t index = 0;
  size_t b = 0;
  for (const auto& span : spans) {
    index += span.offset;
    for (uint32_t k = 0; k < span.length && b < buckets.size(); ++k, ++index, ++b) {
      if (buckets[b] != 0) out[index] = buckets[b];
    }
  }
  return out;
}

// Whether a bucket of `prev` lost observations in `cur` (a missing bucket
// counts as empty), as Prometheus's chunk appender decides.
bool BucketsDecreased(const std::vector<HistogramSpan>& prev_spans, const std::vector<double>& prev_buckets,
                      const std::vector<HistogramSpan>& cur_spans, const std::vector<double>& cur_buckets) {
  auto cur = BucketsByIndex(cur_spans, cur_buckets);
  for (const auto& [index, count] : BucketsByIndex(prev_spans, prev_buckets)) {
    auto it = cur.find(index);
    if (count > (it == cur.end() ? 0 : it->second)) return true;
  }
  return false;
}

// Whether `cur` can continue the chunk that holds `prev` (same layout
// family, no stale-marker boundary), and for counters, without a reset.
bool ContinuesChunk(const FloatHistogram& prev, const FloatHistogram& cur) {
  bool gauge = cur.counter_reset_hint == CounterResetHint::kGauge;
  if (gauge != (prev.counter_reset_hint == CounterResetHint::kGauge)) return false;
  if (!gauge && cur.counter_reset_hint == CounterResetHint::kCounterReset) return false;
  if (IsStaleNaN(cur.sum)) return true;
  if (IsStaleNaN(prev.sum)) return false;
  if (gauge) return cur.schema == prev.schema && cur.zero_threshold == prev.zero_threshold;
  if (cur.count < prev.count || cur.schema != prev.schema || cur.zero_threshold != prev.zero_threshold) return false;
  if (IsCustomBucketsSchema(cur.schema) && cur.custom_values != prev.custom_values) return false;
  if (cur.zero_count < prev.zero_count) return false;
  return !BucketsDecreased(prev.positive_spans, prev.positive_buckets, cur.positive_spans, cur.positive_buckets) &&
         !BucketsDecreased(prev.negative_spans, prev.negative_buckets, cur.negative_spans, cur.negative_buckets);
}

FloatHistogram AsFloat(const MemoryHistogramSample& s) { return s.fh ? *s.fh : s.h->ToFloat(); }

}  // namespace

CounterResetHint MemoryStorage::ReadHint(const Labels& labels, const MemoryHistogramSample& s) const {
  FloatHistogram cur = AsFloat(s);
  bool gauge = cur.counter_reset_hint == CounterResetHint::kGauge;
  auto hists = histograms_.find(labels);
  if (hists == histograms_.end() || hists->second.empty())
    return gauge ? cur.counter_reset_hint : CounterResetHint::kUnknown;
  const MemoryHistogramSample& prev = hists->second.back();
  auto floats = series_.find(labels);
  bool float_between = floats != series_.end() && !floats->second.empty() && floats->second.back().t > prev.t;
  bool same_kind = (prev.h != nullptr) == (s.h != nullptr);
  if (gauge) return CounterResetHint::kGauge;
  if (float_between || !same_kind || !ContinuesChunk(AsFloat(prev), cur)) return CounterResetHint::kUnknown;
  return CounterResetHint::kNotCounterReset;
}

void MemoryStorage::Add(const Labels& labels, int64_t t, double v) {
  EraseAt(&histograms_, labels, t);
  InsertSorted(&series_[labels], Sample{t, v});
}

void MemoryStorage::AddHistogramSample(const Labels& labels, MemoryHistogramSample s) {
  EraseAt(&series_, labels, s.t);
  InsertSorted(&histograms_[labels], std::move(s));
}

bool MemoryStorage::IsNewest(const Labels& labels, int64_t t) const {
  auto floats = series_.find(labels);
  if (floats != series_.end() && !floats->second.empty() && floats->second.back().t >= t) return false;
  auto hists = histograms_.find(labels);
  return hists == histograms_.end() || hists->second.empty() || hists->second.back().t < t;
}

void MemoryStorage::AddHistogram(const Labels& labels, int64_t t, const Histogram& h) {
  auto copy = std::make_shared<Histogram>(h);
  if (IsNewest(labels, t)) copy->counter_reset_hint = ReadHint(labels, MemoryHistogramSample{t, copy, nullptr});
  AddHistogramSample(labels, MemoryHistogramSample{t, std::move(copy), nullptr});
}

void MemoryStorage::AddFloatHistogram(const Labels& labels, int64_t t, const FloatHistogram& fh) {
  auto copy = std::make_shared<FloatHistogram>(fh);
  if (IsNewest(labels, t)) copy->counter_reset_hint = ReadHint(labels, MemoryHistogramSample{t, nullptr, copy});
  AddHistogramSample(labels, MemoryHistogramSample{t, nullptr, std::move(copy)});
}

size_t MemoryStorage::NumSeries() const {
  size_t n = series_.size();
  for (const auto& [labels, samples] : histograms_) n += series_.contains(labels) ? 0 : 1;
  return n;
}

Result<std::unique_ptr<Querier>> MemoryStorage::NewQuerier(int64_t mint, int64_t maxt) {
  return std::unique_ptr<Querier>(std::make_unique<MemoryQuerier>(this, mint, maxt));
}

}  // namespace promethium
