#include "tsdb/exemplar/exemplar_appender.h"

namespace promethium::tsdb {

Result<SeriesRef> ExemplarAppender::AppendExemplar(SeriesRef ref, const Labels& series_labels, const Exemplar& e) {
  Status st = storage_->Validate(series_labels, e);
  if (!st.ok()) return st;
  pending_.push_back({series_labels, e});
  return ref;
}

Status ExemplarAppender::Commit() {
  Status st = inner_->Commit();
  if (st.ok()) {
    // As Prometheus's head appender: a failed add (out of order against an
    // exemplar committed meanwhile, duplicate) drops only that exemplar.
    for (Pending& p : pending_) (void)storage_->Add(p.series, std::move(p.exemplar));
  }
  pending_.clear();
  return st;
}

Status ExemplarAppender::Rollback() {
  pending_.clear();
  return inner_->Rollback();
}

}  // namespace promethium::tsdb
