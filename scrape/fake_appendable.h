// FakeAppendable: an in-memory Appendable for scrape tests.
//
// Records every committed sample (labels, t, v, or the native histogram of
// an AppendHistogram) and exemplar in commit order and counts commits and
// rollbacks. Samples of a rolled-back appender are
// discarded. Series refs are stable per label set, as a real head's are.
// Optional faults: samples of a chosen metric name fail with OutOfOrder;
// FailCommits makes every Commit fail with IOError (a full disk), storing
// nothing; RefuseHistograms makes AppendHistogram return Unsupported, as a
// storage without native histograms.
// Thread-safety: all methods lock a mutex; appenders may be used from any
// thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram.h"

namespace promethium::scrape {

class FakeAppendable final : public Appendable {
 public:
  struct Recorded {
    Labels labels;
    int64_t t;
    double v;  // 0 for histogram samples
    // Set for native histogram samples (exactly one of the two).
    std::optional<Histogram> h;
    std::optional<FloatHistogram> fh;
  };
  struct RecordedExemplar {
    Labels series;
    Exemplar exemplar;
  };

  std::unique_ptr<Appender> NewAppender() override { return std::make_unique<FakeAppender>(this); }

  std::vector<Recorded> Committed() const {
    std::lock_guard<std::mutex> l(mu_);
    return committed_;
  }
  std::vector<RecordedExemplar> CommittedExemplars() const {
    std::lock_guard<std::mutex> l(mu_);
    return committed_exemplars_;
  }
  void RefuseHistograms(bool refuse) {
    std::lock_guard<std::mutex> l(mu_);
    refuse_histograms_ = refuse;
  }
  int commits() const {
    std::lock_guard<std::mutex> l(mu_);
    return commits_;
  }
  int rollbacks() const {
    std::lock_guard<std::mutex> l(mu_);
    return rollbacks_;
  }
  // Committed samples of series whose metric name is `name`.
  std::vector<Recorded> ByName(std::string_view name) const {
    std::vector<Recorded> out;
    for (auto& r : Committed()) {
      if (r.labels.MetricName() == name) out.push_back(r);
    }
    return out;
  }
  // Forgets every series ref, as a storage that deleted its series: cached
  // refs then come back NotFound.
  void ForgetRefs() {
    std::lock_guard<std::mutex> l(mu_);
    refs_.clear();
    by_ref_.clear();
  }
  void FailOutOfOrder(std::string name) {
    std::lock_guard<std::mutex> l(mu_);
    fail_name_ = std::move(name);
  }
  void FailCommits(bool fail) {
    std::lock_guard<std::mutex> l(mu_);
    fail_commits_ = fail;
  }
  int failed_commits() const {
    std::lock_guard<std::mutex> l(mu_);
    return failed_commits_;
  }

 private:
  class FakeAppender final : public Appender {
   public:
    explicit FakeAppender(FakeAppendable* parent) : parent_(parent) {}
    // As the head: a known ref may come without labels; an unknown ref
    // without labels is NotFound (see Appender::Append).
    Result<SeriesRef> Append(SeriesRef ref, const Labels& given, int64_t t, double v) override {
      std::lock_guard<std::mutex> l(parent_->mu_);
      return AppendLocked(ref, given, Recorded{{}, t, v, std::nullopt, std::nullopt});
    }
    Result<SeriesRef> AppendHistogram(SeriesRef ref, const Labels& given, int64_t t, const Histogram* h,
                                      const FloatHistogram* fh) override {
      std::lock_guard<std::mutex> l(parent_->mu_);
      if (parent_->refuse_histograms_) return Status::Unsupported("native histograms in this storage");
      Recorded r{{}, t, 0, std::nullopt, std::nullopt};
      if (h != nullptr) r.h = *h;
      if (fh != nullptr) r.fh = *fh;
      return AppendLocked(ref, given, std::move(r));
    }
    Result<SeriesRef> AppendExemplar(SeriesRef ref, const Labels& given, const Exemplar& e) override {
      std::lock_guard<std::mutex> l(parent_->mu_);
      if (given.empty() && (ref == 0 || ref > parent_->by_ref_.size())) return Status::NotFound("unknown series ref");
      pending_exemplars_.push_back({given.empty() ? parent_->by_ref_[ref - 1] : given, e});
      return ref;
    }
    Status Commit() override {
      std::lock_guard<std::mutex> l(parent_->mu_);
      if (parent_->fail_commits_) {
        pending_.clear();
        pending_exemplars_.clear();
        ++parent_->failed_commits_;
        return Status::IOError("wal: write: No space left on device");
      }
      for (auto& r : pending_) parent_->committed_.push_back(r);
      for (auto& e : pending_exemplars_) parent_->committed_exemplars_.push_back(e);
      pending_.clear();
      pending_exemplars_.clear();
      ++parent_->commits_;
      return Status::OK();
    }
    Status Rollback() override {
      std::lock_guard<std::mutex> l(parent_->mu_);
      pending_.clear();
      pending_exemplars_.clear();
      ++parent_->rollbacks_;
      return Status::OK();
    }

   private:
    Result<SeriesRef> AppendLocked(SeriesRef ref, const Labels& given, Recorded r) {
      if (given.empty() && (ref == 0 || ref > parent_->by_ref_.size())) return Status::NotFound("unknown series ref");
      const Labels& labels = given.empty() ? parent_->by_ref_[ref - 1] : given;
      if (!parent_->fail_name_.empty() && labels.MetricName() == parent_->fail_name_) {
        return Status::OutOfOrder("out of order sample");
      }
      auto [it, inserted] = parent_->refs_.try_emplace(labels, parent_->refs_.size() + 1);
      if (inserted) parent_->by_ref_.push_back(labels);
      if (ref != 0 && ref != it->second) return Status::Internal("stale or wrong series ref");
      r.labels = labels;
      pending_.push_back(std::move(r));
      return it->second;
    }

    FakeAppendable* parent_;
    std::vector<Recorded> pending_;
    std::vector<RecordedExemplar> pending_exemplars_;
  };

  mutable std::mutex mu_;
  std::map<Labels, SeriesRef> refs_;
  std::vector<Labels> by_ref_;  // index ref - 1
  std::vector<Recorded> committed_;
  std::vector<RecordedExemplar> committed_exemplars_;
  bool refuse_histograms_ = false;
  int commits_ = 0;
  int rollbacks_ = 0;
  std::string fail_name_;
  bool fail_commits_ = false;
  int failed_commits_ = 0;
};

}  // namespace promethium::scrape
