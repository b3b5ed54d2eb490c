// FakeStorage: a tiny thread-safe in-memory Appendable + Queryable for the
// rules tests, over tsdb/api's MemoryStorage. Appends become visible at
// Commit; like the TSDB head it rejects a sample older than the series'
// newest (OutOfOrder) and a different value at the newest timestamp
// (Duplicate). Native histograms (AppendHistogram) are kept too; for them
// only the OutOfOrder check against the newest sample of either kind is
// modelled. Queriers read a snapshot.
//
// Test-only. Thread-safety: all methods are safe from any thread.
#pragma once

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "tsdb/api/memory_storage.h"
#include "tsdb/api/storage.h"

namespace promethium::rules::testing {

class FakeStorage final : public Appendable, public Queryable {
 public:
  std::unique_ptr<Appender> NewAppender() override { return std::make_unique<FakeAppender>(this); }

  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint, int64_t maxt) override {
    auto snap = std::make_shared<MemoryStorage>();
    {
      std::lock_guard<std::mutex> l(mu_);
      *snap = mem_;
    }
    PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<Querier> q, snap->NewQuerier(mint, maxt));
    return std::unique_ptr<Querier>(new SnapshotQuerier(std::move(snap), std::move(q)));
  }

  // Direct load of input data.
  void Add(const Labels& ls, int64_t t, double v) {
    std::lock_guard<std::mutex> l(mu_);
    mem_.Add(ls, t, v);
  }
  // The samples of one series (empty when absent).
  std::vector<Sample> Samples(const Labels& ls) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = mem_.series().find(ls);
    return it == mem_.series().end() ? std::vector<Sample>{} : it->second;
  }
  void AddHistogram(const Labels& ls, int64_t t, const Histogram& h) {
    std::lock_guard<std::mutex> l(mu_);
    mem_.AddHistogram(ls, t, h);
  }
  // The histogram samples of one series (empty when absent).
  std::vector<MemoryHistogramSample> Histograms(const Labels& ls) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = mem_.histograms().find(ls);
    return it == mem_.histograms().end() ? std::vector<MemoryHistogramSample>{} : it->second;
  }
  std::vector<Labels> SeriesNames() {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<Labels> out;
    for (const auto& [ls, s] : mem_.series()) out.push_back(ls);
    return out;
  }

 private:
  class SnapshotQuerier final : public Querier {
   public:
    SnapshotQuerier(std::shared_ptr<MemoryStorage> s, std::unique_ptr<Querier> q)
        : snap_(std::move(s)), q_(std::move(q)) {}
    std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints* h, const Matchers& ms) override {
      return q_->Select(sorted, h, ms);
    }
    Result<std::vector<std::string>> LabelValues(std::string_view n, const Matchers& ms) override {
      return q_->LabelValues(n, ms);
    }
    Result<std::vector<std::string>> LabelNames(const Matchers& ms) override { return q_->LabelNames(ms); }

   private:
    std::shared_ptr<MemoryStorage> snap_;
    std::unique_ptr<Querier> q_;
  };

  class FakeAppender final : public Appender {
   public:
    explicit FakeAppender(FakeStorage* s) : s_(s) {}
    Result<SeriesRef> Append(SeriesRef, const Labels& ls, int64_t t, double v) override {
      std::lock_guard<std::mutex> l(s_->mu_);
      const auto& all = s_->mem_.series();
      auto it = all.find(ls);
      Sample last{};
      bool have = false;
      if (it != all.end() && !it->second.empty()) {
        last = it->second.back();
        have = true;
      }
      for (const auto& p : pending_) {
        if (p.first == ls) {
          last = p.second;
          have = true;
        }
      }
      if (have && t < last.t) return Status::OutOfOrder("out of order sample");
      if (have && t == last.t && std::bit_cast<uint64_t>(v) != std::bit_cast<uint64_t>(last.v)) {
        return Status::Duplicate("duplicate sample for timestamp");
      }
      pending_.push_back({ls, Sample{t, v}});
      return SeriesRef{1};
    }
    Result<SeriesRef> AppendHistogram(SeriesRef, const Labels& ls, int64_t t, const Histogram* h,
                                      const FloatHistogram* fh) override {
      std::lock_guard<std::mutex> l(s_->mu_);
      int64_t newest = INT64_MIN;
      if (auto it = s_->mem_.series().find(ls); it != s_->mem_.series().end() && !it->second.empty()) {
        newest = it->second.back().t;
      }
      if (auto it = s_->mem_.histograms().find(ls); it != s_->mem_.histograms().end() && !it->second.empty()) {
        newest = std::max(newest, it->second.back().t);
      }
      if (t < newest) return Status::OutOfOrder("out of order sample");
      MemoryHistogramSample smp{t, nullptr, nullptr};
      if (h != nullptr) smp.h = std::make_shared<const Histogram>(*h);
      if (fh != nullptr) smp.fh = std::make_shared<const FloatHistogram>(*fh);
      pending_h_.push_back({ls, std::move(smp)});
      return SeriesRef{1};
    }
    Status Commit() override {
      std::lock_guard<std::mutex> l(s_->mu_);
      for (const auto& [ls, smp] : pending_) s_->mem_.Add(ls, smp.t, smp.v);
      for (const auto& [ls, smp] : pending_h_) {
        if (smp.h) s_->mem_.AddHistogram(ls, smp.t, *smp.h);
        if (smp.fh) s_->mem_.AddFloatHistogram(ls, smp.t, *smp.fh);
      }
      pending_.clear();
      pending_h_.clear();
      ++s_->commits_;
      return Status::OK();
    }
    Status Rollback() override {
      pending_.clear();
      pending_h_.clear();
      return Status::OK();
    }

   private:
    FakeStorage* s_;
    std::vector<std::pair<Labels, Sample>> pending_;
    std::vector<std::pair<Labels, MemoryHistogramSample>> pending_h_;
  };

  std::mutex mu_;
  MemoryStorage mem_;
  int commits_ = 0;
};

}  // namespace promethium::rules::testing
