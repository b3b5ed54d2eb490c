// ExemplarAppender: wraps the head's Appender and adds exemplars. Samples
// (floats and histograms) go straight to the wrapped appender; exemplars are validated at once
// (so the caller learns of out-of-order or too long ones) and buffered, then
// stored in the CircularExemplarStorage right after the wrapped Commit()
// succeeds, so they become visible with their samples. Rollback() drops
// them. Each accepted exemplar is also passed to the wrapped appender's
// AppendExemplar, which (for the head's appender) logs it to the WAL in the
// same write as the batch's samples (docs/format/wal.md, record type 4);
// DB::Open replays those records into the storage (WalReplayer).
//
// Ownership: owns the wrapped appender; borrows the storage, which must
// outlive it.
// Thread-safety: as any Appender, used by one thread at a time.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/exemplar/circular_exemplar_storage.h"

namespace promethium::tsdb {

class ExemplarAppender final : public Appender {
 public:
  ExemplarAppender(std::unique_ptr<Appender> inner, CircularExemplarStorage* storage)
      : inner_(std::move(inner)), storage_(storage) {}

  Result<SeriesRef> Append(SeriesRef ref, const Labels& labels, int64_t t, double v) override {
    return inner_->Append(ref, labels, t, v);
  }
  Result<SeriesRef> AppendHistogram(SeriesRef ref, const Labels& labels, int64_t t, const Histogram* h,
                                    const FloatHistogram* fh) override {
    return inner_->AppendHistogram(ref, labels, t, h, fh);
  }
  Result<SeriesRef> AppendExemplar(SeriesRef ref, const Labels& series_labels, const Exemplar& e) override;
  Status Commit() override;
  Status Rollback() override;

 private:
  struct Pending {
    Labels series;
    Exemplar exemplar;
  };
  std::unique_ptr<Appender> inner_;
  CircularExemplarStorage* storage_;
  std::vector<Pending> pending_;
};

}  // namespace promethium::tsdb
