#include "tsdb/exemplar/exemplar_appender.h"

namespace promethium::tsdb {

Result<SeriesRef> ExemplarAppender::AppendExemplar(SeriesRef ref, const Labels& series_labels, const Exemplar& e) {
  Status st = storage_->Validate(series_labels, e);
  if (!st.ok()) return st;
  // The head appender logs it to the WAL with the batch's samples; an
  // unknown ref fails here and the exemplar is neither logged nor stored.
  PROMETHIUM_ASSIGN_OR_RETURN(SeriesRef logged_ref, inner_->AppendExemplar(ref, series_labels, e));
  pending_.push_back({series_labels, e});
  return logged_ref;
}

Status ExemplarAppender::Commit() {
  Status st = inner_->Commit();  // logs samples, then exemplars, to the WAL
  if (st.ok()) {
    // As Prometheus's head appender: a failed add (out of order against an
    // exemplar committed meanwhile, duplicate) drops only that exemplar.
    // Replay adds the logged ones in the same order and ignores the same
    // failures, so the storage comes back as it was.
    for (Pending& p : pending_) storage_->Add(p.series, std::move(p.exemplar)).IgnoreError();
  }
  pending_.clear();
  return st;
}

Status ExemplarAppender::Rollback() {
  pending_.clear();
  return inner_->Rollback();
}

}  // namespace promethium::tsdb
