// Replays a Prometheus 2.x/3.x wal/ (newest checkpoint, then the segments
// after it) or wbl/ (its out-of-order write-behind log) into a visitor, as our
// record types, without modifying anything.
//
// Used when Promethium takes over a Prometheus data directory in place: the
// caller feeds the visitor's records into its own head. Series refs are
// Prometheus's, passed through unchanged; the caller maps them.
//
// Rules (Prometheus's own replay, minus every repair it would make):
//  - wal/: the checkpoint.N directory with the highest N is read first, all
//    its segments; checkpoint.N.tmp (an unfinished checkpoint) and older
//    checkpoints are ignored. Then every segment numbered above N (all
//    segments when there is no checkpoint), in order. Segments numbered N or
//    below are ones Prometheus had not deleted yet and are not read.
//  - The segments read must be consecutive and, after a checkpoint, start
//    at N+1: a gap is Corruption naming the files around it.
//  - Damage (wlog_reader.h) in a checkpoint, or in any segment but the last
//    one holding data, is Corruption naming the file and offset. Damage in
//    that last segment is what a crash mid-write leaves (Prometheus would cut
//    it off on its next start): reading stops there and the call succeeds,
//    describing the damage in stats.torn_tail. Later segments, if any, are
//    empty files (a restart opens a new segment before replaying).
//  - A record that verifies but does not decode is Corruption; a record of a
//    type we cannot replay (v2 records with start times, ...) or a histogram
//    of an unknown schema is Unsupported naming the type and the file
//    (wal_records.h). Native-histogram records (7 to 10) are decoded and
//    handed to the visitor, whose default refuses them (Unsupported), so a
//    visitor that does not keep histograms never drops them silently. Metadata and m-map marker records
//    are checked, counted and skipped.
//  - Files are only listed and opened for reading through the Env: nothing
//    is truncated, deleted, renamed or written.
//
// Thread-safety: free functions; the visitor is called on the caller's
// thread, one record at a time, in log order.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "tsdb/base/env.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"
#include "tsdb/wal/record.h"

namespace promethium::tsdb::prometheus_format {

// Receives the decoded records. Spans are valid only during the call. A
// non-OK Status stops the replay and is returned (with the file and offset
// added as context).
struct PrometheusWalVisitor {
  virtual ~PrometheusWalVisitor() = default;
  virtual Status OnSeries(std::span<const wal::RefSeries> series) = 0;
  virtual Status OnSamples(std::span<const wal::RefSample> samples) = 0;
  virtual Status OnTombstones(std::span<const wal::Tombstone> tombstones) = 0;
  virtual Status OnExemplars(std::span<const wal::RefExemplar> exemplars) = 0;
  // Records 7 and 9 (integer counts), 8 and 10 (float counts).
  virtual Status OnHistogramSamples(std::span<const wal::RefHistogramSample> samples);
  virtual Status OnFloatHistogramSamples(std::span<const wal::RefFloatHistogramSample> samples);
};

struct PrometheusWalReadStats {
  int64_t checkpoint_index = -1;     // N of the checkpoint.N read; -1 when none
  uint64_t checkpoint_segments = 0;  // segment files read inside it
  uint64_t segments_read = 0;        // segment files read after it (for the WBL: all)
  // Indexes of the first and last segment after the checkpoint (for the WBL:
  // of all); -1 when there are none. After a torn tail, the empty segments
  // that may follow it are counted here but not read.
  int64_t first_segment = -1;
  int64_t last_segment = -1;
  uint64_t bytes_read = 0;  // bytes of whole records and padding, over every file read

  uint64_t records = 0;  // every record, of every type
  uint64_t series_records = 0;
  uint64_t sample_records = 0;
  uint64_t tombstone_records = 0;
  uint64_t exemplar_records = 0;
  uint64_t histogram_records = 0;  // types 7 to 10
  uint64_t series = 0;             // entries delivered to the visitor
  uint64_t samples = 0;
  uint64_t tombstones = 0;
  uint64_t exemplars = 0;
  uint64_t histograms = 0;  // histogram samples, integer and float
  uint64_t metadata_records_skipped = 0;
  uint64_t mmap_marker_records_skipped = 0;

  // Empty when every file ended cleanly; else what was found at the tail of
  // the last segment and where (file, offset); records before it were read.
  std::string torn_tail;
  std::string torn_tail_segment;
  uint64_t torn_tail_offset = 0;
};

// NotFound when wal_dir is not a directory.
Result<PrometheusWalReadStats> ReadPrometheusWal(Env* env, const std::string& wal_dir, PrometheusWalVisitor* visitor);

// The WBL holds out-of-order samples (records of type samples, for series
// the WAL defines) and m-map markers, which are skipped: we rebuild
// out-of-order data from the samples themselves. It has no checkpoints. A
// missing wbl_dir (out-of-order ingestion never enabled) reads as empty.
Result<PrometheusWalReadStats> ReadPrometheusWbl(Env* env, const std::string& wbl_dir, PrometheusWalVisitor* visitor);

}  // namespace promethium::tsdb::prometheus_format
