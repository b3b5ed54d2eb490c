// In-memory implementations of the read interfaces over plain vectors.
//
// ListSeries owns its labels and samples; ListSeriesSet owns its series.
// Used by tests, by merges of small results, and by any code that needs a
// Series that is not backed by chunks.
// Thread-safety: as for the interfaces in storage.h.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "tsdb/api/storage.h"

namespace promethium {

class ListSampleIterator final : public SampleIterator {
 public:
  explicit ListSampleIterator(const std::vector<Sample>* samples) : samples_(samples) {}
  ValueType Next() override;
  ValueType Seek(int64_t t) override;
  Sample At() const override { return (*samples_)[static_cast<size_t>(pos_)]; }
  Status Err() const override { return Status::OK(); }

 private:
  const std::vector<Sample>* samples_;
  long pos_ = -1;
};

class ListSeries final : public Series {
 public:
  ListSeries(Labels labels, std::vector<Sample> samples) : labels_(std::move(labels)), samples_(std::move(samples)) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<SampleIterator> Iterator(std::unique_ptr<SampleIterator> reuse) const override;
  const std::vector<Sample>& samples() const { return samples_; }

 private:
  Labels labels_;
  std::vector<Sample> samples_;
};

class ListSeriesSet final : public SeriesSet {
 public:
  explicit ListSeriesSet(std::vector<std::unique_ptr<ListSeries>> series, Status err = Status::OK())
      : series_(std::move(series)), err_(std::move(err)) {}
  bool Next() override { return ++pos_ < static_cast<long>(series_.size()); }
  const Series& At() const override { return *series_[static_cast<size_t>(pos_)]; }
  Status Err() const override { return err_; }

 private:
  std::vector<std::unique_ptr<ListSeries>> series_;
  Status err_;
  long pos_ = -1;
};

// A SeriesSet that yields nothing but an error (or nothing at all).
std::unique_ptr<SeriesSet> ErrorSeriesSet(Status err);

}  // namespace promethium
