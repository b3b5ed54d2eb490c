// UnitTestStorage (see storage.h).
#include "rules/unittest/storage.h"

#include <bit>
#include <cstdint>

namespace promethium::rules::unittest {

class UnitTestStorage::BatchAppender final : public Appender {
 public:
  explicit BatchAppender(MemoryStorage* mem) : mem_(mem) {}

  Result<SeriesRef> Append(SeriesRef, const Labels& ls, int64_t t, double v) override {
    const auto& all = mem_->series();
    auto it = all.find(ls);
    if (it != all.end() && !it->second.empty()) {
      const Sample& last = it->second.back();
      if (t < last.t) return Status::OutOfOrder("out of order sample");
      if (t == last.t && std::bit_cast<uint64_t>(v) != std::bit_cast<uint64_t>(last.v)) {
        return Status::Duplicate("duplicate sample for timestamp");
      }
    }
    pending_.push_back({ls, Sample{t, v}});
    return SeriesRef{1};
  }

  Status Commit() override {
    for (const auto& [ls, smp] : pending_) {
      const auto& all = mem_->series();
      auto it = all.find(ls);
      if (it != all.end() && !it->second.empty() && smp.t <= it->second.back().t) continue;
      mem_->Add(ls, smp.t, smp.v);
    }
    pending_.clear();
    return Status::OK();
  }

  Status Rollback() override {
    pending_.clear();
    return Status::OK();
  }

 private:
  MemoryStorage* mem_;
  std::vector<std::pair<Labels, Sample>> pending_;
};

std::unique_ptr<Appender> UnitTestStorage::NewAppender() { return std::make_unique<BatchAppender>(&mem_); }

}  // namespace promethium::rules::unittest
