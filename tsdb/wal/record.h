// WAL record payloads: what the head logs, encoded compactly.
//
// A payload starts with a one-byte RecordType, then:
//  - kSeries:  per series: uvarint ref, uvarint label count, then per label
//              uvarint len + name bytes, uvarint len + value bytes.
//  - kSamples: uvarint base ref, zigzag varint base t, then per sample:
//              zigzag varint (ref - base ref), zigzag varint (t - base t),
//              8 bytes little-endian IEEE-754 bits of v (bit-exact, so NaN
//              payloads and stale markers survive).
//  - kTombstones: per deletion: uvarint ref, zigzag varint mint, zigzag
//              varint maxt (an inclusive interval of deleted timestamps).
//  - kExemplars: as kSamples (base = the first exemplar, deltas against
//              it, 8 bytes of value bits), each entry followed by the
//              exemplar's labels encoded as a series record's labels.
//  - kHistogramSamples / kFloatHistogramSamples: as kSamples, with the
//              value replaced by the encoded native histogram (integer or
//              float counts); custom-bucket histograms (schema -53) carry
//              their custom_values in the same record.
// The base is the first sample, as Prometheus's record package does: one
// scrape's samples share a timestamp and have near refs, so the deltas are
// one or two bytes. docs/format/wal.md has the byte-level layout.
// Compression (compression.h) wraps a whole encoded record; these functions
// only ever see uncompressed records.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/api/storage.h"
#include "tsdb/base/result.h"
#include "tsdb/base/status.h"
#include "tsdb/base/varint.h"
#include "tsdb/histogram/float_histogram.h"
#include "tsdb/histogram/histogram.h"

namespace promethium::tsdb::wal {

enum class RecordType : uint8_t {
  kSeries = 1,
  kSamples = 2,
  kTombstones = 3,
  kExemplars = 4,  // Prometheus numbers its exemplar record 4 too
  // Prometheus's numbers for its (non-custom-bucket) histogram records; we
  // need no separate custom-bucket types (docs/format/wal.md says why).
  kHistogramSamples = 7,
  kFloatHistogramSamples = 8,
};

struct RefSeries {
  SeriesRef ref = 0;
  Labels labels;
};

struct RefSample {
  SeriesRef ref = 0;
  int64_t t = 0;
  double v = 0;
};

// Samples of series `ref` with mint <= t <= maxt are deleted.
struct Tombstone {
  SeriesRef ref = 0;
  int64_t mint = 0;
  int64_t maxt = 0;
};

// An exemplar of series `ref` (Prometheus's record.RefExemplar).
struct RefExemplar {
  SeriesRef ref = 0;
  int64_t t = 0;
  double v = 0;  // stored as raw bits
  Labels labels;
};

// A native-histogram sample with integer counts of series `ref`
// (Prometheus's record.RefHistogramSample; ours holds the histogram by value).
struct RefHistogramSample {
  SeriesRef ref = 0;
  int64_t t = 0;
  Histogram h;
};

// A native-histogram sample with float counts (record.RefFloatHistogramSample).
struct RefFloatHistogramSample {
  SeriesRef ref = 0;
  int64_t t = 0;
  FloatHistogram fh;
};

// Append one encoded record to *out (which may already hold other bytes).
void EncodeSeries(std::span<const RefSeries> series, std::string* out);
void EncodeSamples(std::span<const RefSample> samples, std::string* out);
void EncodeTombstones(std::span<const Tombstone> tombstones, std::string* out);
void EncodeExemplars(std::span<const RefExemplar> exemplars, std::string* out);
void EncodeHistogramSamples(std::span<const RefHistogramSample> samples, std::string* out);
void EncodeFloatHistogramSamples(std::span<const RefFloatHistogramSample> samples, std::string* out);

// The type of an encoded record; Corruption for an empty or unknown one.
Result<RecordType> PeekRecordType(std::string_view rec);
// Decode a whole record, replacing *out. Corruption when malformed.
Status DecodeSeries(std::string_view rec, std::vector<RefSeries>* out);
Status DecodeSamples(std::string_view rec, std::vector<RefSample>* out);
Status DecodeTombstones(std::string_view rec, std::vector<Tombstone>* out);
Status DecodeExemplars(std::string_view rec, std::vector<RefExemplar>* out);
// Histograms are decoded as stored (no Validate: the appender validated
// them before they were logged); only the byte structure is checked, and a
// schema that is neither exponential nor custom-bucket is Corruption.
Status DecodeHistogramSamples(std::string_view rec, std::vector<RefHistogramSample>* out);
Status DecodeFloatHistogramSamples(std::string_view rec, std::vector<RefFloatHistogramSample>* out);

// The varint helpers (tsdb/base/varint.h), under their WAL names.
using ::promethium::GetUvarint;
using ::promethium::GetVarint;
using ::promethium::PutUvarint;
using ::promethium::PutVarint;

}  // namespace promethium::tsdb::wal
