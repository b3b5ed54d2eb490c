#include "tsdb/index/postings.h"

#include <algorithm>
#include <queue>

namespace promethium::tsdb {

bool ListPostings::Next() {
  if (started_) {
    if (pos_ < refs_.size()) ++pos_;
  } else {
    started_ = true;
  }
  return pos_ < refs_.size();
}

bool ListPostings::Seek(SeriesRef v) {
  started_ = true;
  if (pos_ >= refs_.size()) return false;
  if (refs_[pos_] >= v) return true;
  pos_ = static_cast<size_t>(std::lower_bound(refs_.begin() + static_cast<long>(pos_), refs_.end(), v) - refs_.begin());
  return pos_ < refs_.size();
}

namespace {

class IntersectPostings final : public Postings {
 public:
  explicit IntersectPostings(std::vector<std::unique_ptr<Postings>> its) : its_(std::move(its)) {}

  bool Next() override {
    if (done_ || !its_[0]->Next()) return Finish();
    return Align(its_[0]->At());
  }
  bool Seek(SeriesRef v) override {
    if (done_) return false;
    if (started_ && cur_ >= v) return true;
    if (!its_[0]->Seek(v)) return Finish();
    return Align(its_[0]->At());
  }
  SeriesRef At() const override { return cur_; }

 private:
  // Seeks every iterator to a common ref >= target.
  bool Align(SeriesRef target) {
    started_ = true;
    for (;;) {
      bool agreed = true;
      for (auto& it : its_) {
        if (!it->Seek(target)) return Finish();
        if (it->At() != target) {
          target = it->At();
          agreed = false;
        }
      }
      if (agreed) {
        cur_ = target;
        return true;
      }
    }
  }

  bool Finish() {
    done_ = true;
    return false;
  }

  std::vector<std::unique_ptr<Postings>> its_;
  SeriesRef cur_ = 0;
  bool started_ = false;
  bool done_ = false;
};

class MergedPostings final : public Postings {
 public:
  explicit MergedPostings(std::vector<std::unique_ptr<Postings>> its) : its_(std::move(its)) {}

  bool Next() override {
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < its_.size(); ++i) {
        if (its_[i]->Next()) heap_.push({its_[i]->At(), i});
      }
      return PopCurrent();
    }
    return PopCurrent();
  }
  bool Seek(SeriesRef v) override {
    if (started_ && has_cur_ && cur_ >= v) return true;
    if (started_ && !has_cur_) return false;
    started_ = true;
    // Rebuild the heap from every iterator positioned at >= v.
    heap_ = {};
    for (size_t i = 0; i < its_.size(); ++i) {
      if (its_[i]->Seek(v)) heap_.push({its_[i]->At(), i});
    }
    return PopCurrent();
  }
  SeriesRef At() const override { return cur_; }

 private:
  struct Entry {
    SeriesRef ref;
    size_t idx;
    bool operator>(const Entry& o) const { return ref > o.ref; }
  };
  // Takes the smallest ref and advances every iterator sitting on it.
  bool PopCurrent() {
    if (heap_.empty()) {
      has_cur_ = false;
      return false;
    }
    cur_ = heap_.top().ref;
    has_cur_ = true;
    while (!heap_.empty() && heap_.top().ref == cur_) {
      const size_t i = heap_.top().idx;
      heap_.pop();
      if (its_[i]->Next()) heap_.push({its_[i]->At(), i});
    }
    return true;
  }

  std::vector<std::unique_ptr<Postings>> its_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  SeriesRef cur_ = 0;
  bool started_ = false;
  bool has_cur_ = false;
};

class RemovedPostings final : public Postings {
 public:
  RemovedPostings(std::unique_ptr<Postings> full, std::unique_ptr<Postings> drop)
      : full_(std::move(full)), drop_(std::move(drop)) {}

  bool Next() override { return full_->Next() && SkipDropped(); }
  bool Seek(SeriesRef v) override { return full_->Seek(v) && SkipDropped(); }
  SeriesRef At() const override { return full_->At(); }

 private:
  // Moves full_ forward past refs present in drop_.
  bool SkipDropped() {
    for (;;) {
      const SeriesRef cur = full_->At();
      if (drop_ok_ && (!drop_started_ || drop_->At() < cur)) {
        drop_started_ = true;
        drop_ok_ = drop_->Seek(cur);
      }
      if (!drop_ok_ || drop_->At() != cur) return true;
      if (!full_->Next()) return false;
    }
  }

  std::unique_ptr<Postings> full_;
  std::unique_ptr<Postings> drop_;
  bool drop_started_ = false;
  bool drop_ok_ = true;
};

}  // namespace

std::unique_ptr<Postings> EmptyPostings() { return std::make_unique<ListPostings>(std::vector<SeriesRef>{}); }

std::unique_ptr<Postings> Intersect(std::vector<std::unique_ptr<Postings>> its) {
  if (its.empty()) return EmptyPostings();
  if (its.size() == 1) return std::move(its[0]);
  return std::make_unique<IntersectPostings>(std::move(its));
}

std::unique_ptr<Postings> Merge(std::vector<std::unique_ptr<Postings>> its) {
  if (its.empty()) return EmptyPostings();
  if (its.size() == 1) return std::move(its[0]);
  return std::make_unique<MergedPostings>(std::move(its));
}

std::unique_ptr<Postings> Without(std::unique_ptr<Postings> full, std::unique_ptr<Postings> drop) {
  return std::make_unique<RemovedPostings>(std::move(full), std::move(drop));
}

std::vector<SeriesRef> ExpandPostings(Postings* p) {
  std::vector<SeriesRef> out;
  while (p->Next()) out.push_back(p->At());
  return out;
}

}  // namespace promethium::tsdb
