// UnitTestStorage (see storage.h).
#include "rules/unittest/storage.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <memory>
#include <optional>

namespace promethium::rules::unittest {

class UnitTestStorage::BatchAppender final : public Appender {
 public:
  explicit BatchAppender(MemoryStorage* mem) : mem_(mem) {}

  Result<SeriesRef> Append(SeriesRef, const Labels& ls, int64_t t, double v) override {
    const std::optional<int64_t> newest = NewestT(ls);
    if (newest && t < *newest) return Status::OutOfOrder("out of order sample");
    if (newest && t == *newest) {
      const Sample* last = LastFloat(ls);
      if (last == nullptr || last->t != t || std::bit_cast<uint64_t>(v) != std::bit_cast<uint64_t>(last->v)) {
        return Status::Duplicate("duplicate sample for timestamp");
      }
    }
    pending_.push_back({ls, t, v, nullptr});
    return SeriesRef{1};
  }

  // Input histograms come as float histograms (the series notation's), as
  // promtool loads them; integer ones are converted.
  Result<SeriesRef> AppendHistogram(SeriesRef, const Labels& ls, int64_t t, const Histogram* h,
                                    const FloatHistogram* fh) override {
    if ((h == nullptr) == (fh == nullptr)) return Status::InvalidArgument("exactly one histogram must be set");
    auto value = std::make_shared<const FloatHistogram>(fh != nullptr ? *fh : h->ToFloat());
    const std::optional<int64_t> newest = NewestT(ls);
    if (newest && t < *newest) return Status::OutOfOrder("out of order sample");
    if (newest && t == *newest) {
      const MemoryHistogramSample* last = LastHistogram(ls);
      if (last == nullptr || last->t != t || last->fh == nullptr || !last->fh->Equals(*value)) {
        return Status::Duplicate("duplicate sample for timestamp");
      }
    }
    pending_.push_back({ls, t, 0, std::move(value)});
    return SeriesRef{1};
  }

  Status Commit() override {
    for (const Pending& p : pending_) {
      const std::optional<int64_t> newest = NewestT(p.labels);
      if (newest && p.t <= *newest) continue;
      if (p.fh != nullptr) {
        mem_->AddFloatHistogram(p.labels, p.t, *p.fh);
      } else {
        mem_->Add(p.labels, p.t, p.v);
      }
    }
    pending_.clear();
    return Status::OK();
  }

  Status Rollback() override {
    pending_.clear();
    return Status::OK();
  }

 private:
  struct Pending {
    Labels labels;
    int64_t t = 0;
    double v = 0;
    std::shared_ptr<const FloatHistogram> fh;  // set for a histogram sample
  };

  const Sample* LastFloat(const Labels& ls) const {
    auto it = mem_->series().find(ls);
    return it == mem_->series().end() || it->second.empty() ? nullptr : &it->second.back();
  }
  const MemoryHistogramSample* LastHistogram(const Labels& ls) const {
    auto it = mem_->histograms().find(ls);
    return it == mem_->histograms().end() || it->second.empty() ? nullptr : &it->second.back();
  }
  // The time of the series' newest committed sample of either kind.
  std::optional<int64_t> NewestT(const Labels& ls) const {
    std::optional<int64_t> out;
    if (const Sample* f = LastFloat(ls)) out = f->t;
    if (const MemoryHistogramSample* h = LastHistogram(ls)) out = std::max(out.value_or(h->t), h->t);
    return out;
  }

  MemoryStorage* mem_;
  std::vector<Pending> pending_;
};

std::unique_ptr<Appender> UnitTestStorage::NewAppender() { return std::make_unique<BatchAppender>(&mem_); }

}  // namespace promethium::rules::unittest
