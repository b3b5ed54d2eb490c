// TestStorage: an in-memory Queryable for the engine's unit tests. Series
// live in a map; it counts queriers and Select calls and keeps the last
// select hints and querier time range, so tests can check what the engine
// asked storage for. Series may hold native-histogram samples too
// (AddHistogram; their iterators report kFloatHistogram).
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
#include "tsdb/histogram/float_histogram.h"

namespace promethium::promql {

// Series in a map; counts Select calls and iterators handed out.
class TestStorage final : public Queryable {
 public:
  void Add(const Labels& l, int64_t t, double v) { series_[l].push_back({t, v}); }
  // A histogram sample; a series' float and histogram samples must not
  // share timestamps.
  void AddHistogram(const Labels& l, int64_t t, const FloatHistogram& h) {
    series_[l];
    histograms_[l].push_back({t, h});
  }
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
      std::vector<std::unique_ptr<MixedSeries>> out;
      for (const auto& [l, samples] : s_->series_) {
        bool ok = true;
        for (const auto& m : ms) ok = ok && m.Matches(l.Get(m.name()));
        if (!ok) continue;
        std::vector<Sample> in;
        for (const auto& smp : samples) {
          if (smp.t >= mint_ && smp.t <= maxt_) in.push_back(smp);
        }
        std::vector<HSample> hs;
        if (auto it = s_->histograms_.find(l); it != s_->histograms_.end()) {
          for (const auto& h : it->second) {
            if (h.t >= mint_ && h.t <= maxt_) hs.push_back(h);
          }
        }
        out.push_back(std::make_unique<MixedSeries>(l, std::move(in), std::move(hs)));
      }
      return std::make_unique<VecSet>(std::move(out));
    }
    Result<std::vector<std::string>> LabelValues(std::string_view, const Matchers&) override {
      return std::vector<std::string>{};
    }
    Result<std::vector<std::string>> LabelNames(const Matchers&) override { return std::vector<std::string>{}; }

   private:
    TestStorage* s_;
    int64_t mint_, maxt_;
  };
  struct HSample {
    int64_t t;
    FloatHistogram h;
  };
  // Iterates floats and histograms merged by time.
  class MixedIterator final : public SampleIterator {
   public:
    MixedIterator(const std::vector<Sample>* f, const std::vector<HSample>* h) : f_(f), h_(h) {}
    ValueType Next() override {
      if (started_) {
        if (on_hist_) {
          ++hi_;
        } else {
          ++fi_;
        }
      }
      started_ = true;
      return Current();
    }
    ValueType Seek(int64_t t) override {
      if (!started_) Next();
      while (Current() != ValueType::kNone && AtT() < t) Next();
      return Current();
    }
    Sample At() const override { return (*f_)[fi_]; }
    int64_t AtT() const override { return on_hist_ ? (*h_)[hi_].t : (*f_)[fi_].t; }
    int64_t AtFloatHistogram(FloatHistogram* fh) const override {
      *fh = (*h_)[hi_].h;
      return (*h_)[hi_].t;
    }
    Status Err() const override { return Status::OK(); }

   private:
    ValueType Current() {
      const bool f_ok = fi_ < f_->size(), h_ok = hi_ < h_->size();
      if (!f_ok && !h_ok) return ValueType::kNone;
      on_hist_ = h_ok && (!f_ok || (*h_)[hi_].t < (*f_)[fi_].t);
      return on_hist_ ? ValueType::kFloatHistogram : ValueType::kFloat;
    }
    const std::vector<Sample>* f_;
    const std::vector<HSample>* h_;
    size_t fi_ = 0, hi_ = 0;
    bool started_ = false, on_hist_ = false;
  };
  class MixedSeries final : public Series {
   public:
    MixedSeries(Labels l, std::vector<Sample> f, std::vector<HSample> h)
        : labels_(std::move(l)), f_(std::move(f)), h_(std::move(h)) {}
    const Labels& labels() const override { return labels_; }
    std::unique_ptr<SampleIterator> Iterator(std::unique_ptr<SampleIterator>) const override {
      return std::make_unique<MixedIterator>(&f_, &h_);
    }

   private:
    Labels labels_;
    std::vector<Sample> f_;
    std::vector<HSample> h_;
  };
  class VecSet final : public SeriesSet {
   public:
    explicit VecSet(std::vector<std::unique_ptr<MixedSeries>> s) : s_(std::move(s)) {}
    bool Next() override { return ++pos_ < static_cast<long>(s_.size()); }
    const Series& At() const override { return *s_[static_cast<size_t>(pos_)]; }
    Status Err() const override { return Status::OK(); }

   private:
    std::vector<std::unique_ptr<MixedSeries>> s_;
    long pos_ = -1;
  };
  std::map<Labels, std::vector<Sample>> series_;
  std::map<Labels, std::vector<HSample>> histograms_;
};

}  // namespace promethium::promql
