#include "tsdb/agent/agent_appender.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <string>
#include <string_view>

#include "tsdb/agent/agent_db.h"
#include "tsdb/base/logging.h"

namespace promethium::tsdb::agent {
namespace {

size_t Utf8Runes(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

std::unique_ptr<Appender> AgentDB::NewAppender() { return std::make_unique<AgentAppender>(this); }

AgentAppender::~AgentAppender() {
  // Series created by an abandoned batch must still be logged.
  if (pending_series_.empty()) return;
  if (Status st = Rollback(); !st.ok()) {
    LogError("agent", "logging the series of an abandoned append batch failed: {}", st.ToString());
  }
}

Result<SeriesRef> AgentAppender::SeriesFor(SeriesRef ref, const Labels& labels, int64_t t) {
  std::optional<SeriesMap::Found> found;
  if (ref != 0) found = db_->series_.ByRef(ref);
  if (!found) {
    if (labels.empty()) {
      if (ref != 0) return Status::NotFound(fmt::format("unknown series ref {}", ref));
      return Status::InvalidArgument("empty labelset");
    }
    found = db_->series_.GetOrCreate(
        labels, [this] { return db_->NewRef(); }, std::numeric_limits<int64_t>::min());
    if (found->created) {
      pending_series_.push_back(wal::RefSeries{found->ref, labels});
      db_->metrics_.active_series->Add(1);
    }
  }
  const int64_t window = db_->opts_.out_of_order_window_ms;
  const int64_t min_valid = found->last_ts < std::numeric_limits<int64_t>::min() + window
                                ? std::numeric_limits<int64_t>::min()
                                : found->last_ts - window;
  if (t <= min_valid) {
    db_->metrics_.out_of_order_samples->Inc();
    return Status::OutOfOrder("out of order sample");
  }
  return found->ref;
}

Result<SeriesRef> AgentAppender::Append(SeriesRef ref, const Labels& labels, int64_t t, double v) {
  PROMETHIUM_ASSIGN_OR_RETURN(SeriesRef series, SeriesFor(ref, labels, t));
  pending_samples_.push_back(wal::RefSample{series, t, v});
  db_->metrics_.samples_appended->Inc();
  return series;
}

Result<SeriesRef> AgentAppender::AppendHistogram(SeriesRef ref, const Labels& labels, int64_t t, const Histogram* h,
                                                 const FloatHistogram* fh) {
  if ((h == nullptr) == (fh == nullptr)) {
    return Status::InvalidArgument("AppendHistogram needs exactly one of an integer and a float histogram");
  }
  PROMETHIUM_RETURN_IF_ERROR(h != nullptr ? h->Validate() : fh->Validate());
  PROMETHIUM_ASSIGN_OR_RETURN(SeriesRef series, SeriesFor(ref, labels, t));
  if (h != nullptr) {
    pending_histograms_.push_back(wal::RefHistogramSample{series, t, *h});
  } else {
    pending_float_histograms_.push_back(wal::RefFloatHistogramSample{series, t, *fh});
  }
  db_->metrics_.histograms_appended->Inc();
  return series;
}

Result<SeriesRef> AgentAppender::AppendExemplar(SeriesRef ref, const Labels&, const Exemplar& e) {
  if (!db_->series_.Contains(ref)) {
    return Status::NotFound(fmt::format("unknown series ref when trying to add exemplar: {}", ref));
  }
  size_t len = 0;
  for (const Label& l : e.labels) len += Utf8Runes(l.name) + Utf8Runes(l.value);
  if (len > kExemplarMaxLabelSetLength) {
    return Status::InvalidArgument(
        fmt::format("label length for exemplar exceeds maximum of {} UTF-8 characters", kExemplarMaxLabelSetLength));
  }
  {
    MutexLock lock(&db_->exemplars_mu_);
    auto [it, inserted] = db_->latest_exemplar_.try_emplace(ref, e);
    if (!inserted) {
      // An exact repeat of the newest exemplar is dropped without error.
      if (it->second == e) return SeriesRef{0};
      it->second = e;
    }
  }
  pending_exemplars_.push_back(wal::RefExemplar{ref, e.ts, e.value, e.labels});
  db_->metrics_.exemplars_appended->Inc();
  return ref;
}

Status AgentAppender::LogBatch(bool with_samples) {
  std::vector<std::string> records;
  if (!pending_series_.empty()) wal::EncodeSeries(pending_series_, &records.emplace_back());
  int64_t max_ts = std::numeric_limits<int64_t>::min();
  if (with_samples) {
    if (!pending_samples_.empty()) wal::EncodeSamples(pending_samples_, &records.emplace_back());
    if (!pending_histograms_.empty()) wal::EncodeHistogramSamples(pending_histograms_, &records.emplace_back());
    if (!pending_float_histograms_.empty()) {
      wal::EncodeFloatHistogramSamples(pending_float_histograms_, &records.emplace_back());
    }
    if (!pending_exemplars_.empty()) wal::EncodeExemplars(pending_exemplars_, &records.emplace_back());
    for (const wal::RefSample& s : pending_samples_) max_ts = std::max(max_ts, s.t);
    for (const auto& s : pending_histograms_) max_ts = std::max(max_ts, s.t);
    for (const auto& s : pending_float_histograms_) max_ts = std::max(max_ts, s.t);
  }
  if (records.empty()) return Status::OK();
  std::vector<std::string_view> views(records.begin(), records.end());
  const uint64_t seg_before = db_->wal_->CurrentSegment();
  PROMETHIUM_RETURN_IF_ERROR(db_->wal_->Log(views));
  // Another commit may cut a segment in between: the batch is in one of
  // [seg_before, seg_after], so all of them are marked (keeps them longer,
  // never shorter).
  if (max_ts != std::numeric_limits<int64_t>::min()) {
    db_->NoteSegmentMaxTime(seg_before, db_->wal_->CurrentSegment(), max_ts);
  }
  return Status::OK();
}

Status AgentAppender::Commit() {
  Status s = LogBatch(/*with_samples=*/true);
  if (s.ok()) {
    const auto update = [this](SeriesRef ref, int64_t t) {
      if (!db_->series_.UpdateTimestamp(ref, t)) db_->metrics_.out_of_order_samples->Inc();
    };
    for (const wal::RefSample& sample : pending_samples_) update(sample.ref, sample.t);
    for (const auto& sample : pending_histograms_) update(sample.ref, sample.t);
    for (const auto& sample : pending_float_histograms_) update(sample.ref, sample.t);
  }
  Clear();
  return s;
}

Status AgentAppender::Rollback() {
  Status s = LogBatch(/*with_samples=*/false);
  Clear();
  return s;
}

void AgentAppender::Clear() {
  pending_series_.clear();
  pending_samples_.clear();
  pending_exemplars_.clear();
  pending_histograms_.clear();
  pending_float_histograms_.clear();
}

}  // namespace promethium::tsdb::agent
