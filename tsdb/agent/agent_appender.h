// AgentAppender: one batch of appends to the AgentDB (agent_db.h), as
// Prometheus's agent appender. Append and AppendHistogram check the sample
// against the series' newest committed timestamp (t <= newest -
// out_of_order_window is "out of order sample"), creating the series (and
// queueing its series record) when the labels are new; AppendHistogram
// first validates the histogram, as Prometheus's. Commit writes one WAL
// batch: the series records, then the float samples, the integer and float
// histogram samples and the exemplars, and only then raises the series'
// newest timestamps. Rollback drops samples and exemplars but still logs the new
// series' records, since the series already exist in memory and later
// batches may refer to them.
//
// Ownership: borrows the AgentDB, which must outlive it.
// Thread-safety: one thread at a time (the Appender contract).
#pragma once

#include <memory>
#include <vector>

#include "tsdb/api/storage.h"
#include "tsdb/wal/record.h"

namespace promethium::tsdb::agent {

class AgentDB;

class AgentAppender : public Appender {
 public:
  explicit AgentAppender(AgentDB* db) : db_(db) {}
  ~AgentAppender() override;

  Result<SeriesRef> Append(SeriesRef ref, const Labels& labels, int64_t t, double v) override;
  Result<SeriesRef> AppendHistogram(SeriesRef ref, const Labels& labels, int64_t t, const Histogram* h,
                                    const FloatHistogram* fh) override;
  Result<SeriesRef> AppendExemplar(SeriesRef ref, const Labels& series_labels, const Exemplar& e) override;
  Status Commit() override;
  Status Rollback() override;

 private:
  // Logs the pending series records (and, with_samples, the samples and
  // exemplars) as one WAL batch.
  Status LogBatch(bool with_samples);
  void Clear();
  // The series of an append (creating it for new labels) after the
  // out-of-order check.
  Result<SeriesRef> SeriesFor(SeriesRef ref, const Labels& labels, int64_t t);

  AgentDB* const db_;
  std::vector<wal::RefSeries> pending_series_;
  std::vector<wal::RefSample> pending_samples_;
  std::vector<wal::RefExemplar> pending_exemplars_;
  std::vector<wal::RefHistogramSample> pending_histograms_;
  std::vector<wal::RefFloatHistogramSample> pending_float_histograms_;
};

}  // namespace promethium::tsdb::agent
