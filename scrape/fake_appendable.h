// FakeAppendable: an in-memory Appendable for scrape tests.
//
// Records every committed sample (labels text, t, v) in commit order and
// counts commits and rollbacks. Samples of a rolled-back appender are
// discarded. Series refs are stable per label set, as a real head's are.
// Optional faults: samples of a chosen metric name fail with OutOfOrder;
// FailCommits makes every Commit fail with IOError (a full disk), storing
// nothing.
// Thread-safety: all methods lock a mutex; appenders may be used from any
// thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tsdb/api/storage.h"

namespace promethium::scrape {

class FakeAppendable final : public Appendable {
 public:
  struct Recorded {
    Labels labels;
    int64_t t;
    double v;
  };

  std::unique_ptr<Appender> NewAppender() override { return std::make_unique<FakeAppender>(this); }

  std::vector<Recorded> Committed() const {
    std::lock_guard<std::mutex> l(mu_);
    return committed_;
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
      if (given.empty() && (ref == 0 || ref > parent_->by_ref_.size())) return Status::NotFound("unknown series ref");
      const Labels& labels = given.empty() ? parent_->by_ref_[ref - 1] : given;
      if (!parent_->fail_name_.empty() && labels.MetricName() == parent_->fail_name_) {
        return Status::OutOfOrder("out of order sample");
      }
      auto [it, inserted] = parent_->refs_.try_emplace(labels, parent_->refs_.size() + 1);
      if (inserted) parent_->by_ref_.push_back(labels);
      if (ref != 0 && ref != it->second) return Status::Internal("stale or wrong series ref");
      pending_.push_back({labels, t, v});
      return it->second;
    }
    Status Commit() override {
      std::lock_guard<std::mutex> l(parent_->mu_);
      if (parent_->fail_commits_) {
        pending_.clear();
        ++parent_->failed_commits_;
        return Status::IOError("wal: write: No space left on device");
      }
      for (auto& r : pending_) parent_->committed_.push_back(r);
      pending_.clear();
      ++parent_->commits_;
      return Status::OK();
    }
    Status Rollback() override {
      std::lock_guard<std::mutex> l(parent_->mu_);
      pending_.clear();
      ++parent_->rollbacks_;
      return Status::OK();
    }

   private:
    FakeAppendable* parent_;
    std::vector<Recorded> pending_;
  };

  mutable std::mutex mu_;
  std::map<Labels, SeriesRef> refs_;
  std::vector<Labels> by_ref_;  // index ref - 1
  std::vector<Recorded> committed_;
  int commits_ = 0;
  int rollbacks_ = 0;
  std::string fail_name_;
  bool fail_commits_ = false;
  int failed_commits_ = 0;
};

}  // namespace promethium::scrape
