#include "tsdb/api/series_list.h"

#include <algorithm>

namespace promethium {

ValueType ListSampleIterator::Next() {
  if (pos_ + 1 >= static_cast<long>(samples_->size())) {
    pos_ = static_cast<long>(samples_->size());
    return ValueType::kNone;
  }
  ++pos_;
  return ValueType::kFloat;
}

ValueType ListSampleIterator::Seek(int64_t t) {
  if (pos_ < 0) pos_ = 0;
  if (pos_ >= static_cast<long>(samples_->size())) return ValueType::kNone;
  if ((*samples_)[static_cast<size_t>(pos_)].t >= t) return ValueType::kFloat;
  auto it = std::lower_bound(samples_->begin() + pos_, samples_->end(), t,
                             [](const Sample& s, int64_t ts) { return s.t < ts; });
  pos_ = it - samples_->begin();
  return it == samples_->end() ? ValueType::kNone : ValueType::kFloat;
}

std::unique_ptr<SampleIterator> ListSeries::Iterator(std::unique_ptr<SampleIterator> /*reuse*/) const {
  return std::make_unique<ListSampleIterator>(&samples_);
}

std::unique_ptr<SeriesSet> ErrorSeriesSet(Status err) {
  return std::make_unique<ListSeriesSet>(std::vector<std::unique_ptr<ListSeries>>{}, std::move(err));
}

}  // namespace promethium
