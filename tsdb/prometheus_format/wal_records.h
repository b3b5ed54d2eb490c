// Decoders for the record payloads in Prometheus's WAL, checkpoints and WBL
// (its tsdb/record package), producing our WAL record types (tsdb/wal/record.h).
//
// A record (already reassembled and decompressed, wlog_reader.h) starts with
// one type byte. The encodings read here, all sequences repeated until the
// record ends ("BE64" is a big-endian u64, "varint" Go's zigzag varint):
//   1 series       BE64 ref, uvarint label count, per label uvarint length +
//                  name bytes, uvarint length + value bytes
//   2 samples      nothing (no samples), or BE64 base ref, BE64 base time,
//                  then per sample varint (ref - base ref), varint
//                  (t - base time), BE64 IEEE-754 bits of the value
//   3 tombstones   BE64 ref, varint mint, varint maxt
//   4 exemplars    as samples, each entry followed by the exemplar's labels
//                  encoded as a series' labels
//   5 m-map markers (WBL only)  BE64 ref, BE64 head-chunk file reference
//   6 metadata     uvarint ref, 1 byte metric type, uvarint field count,
//                  per field uvarint length + name, uvarint length + value
//   7 histogram samples, 9 the same with custom buckets: as samples, with
//                  the value replaced by an encoded integer histogram: 1 byte
//                  counter-reset hint, varint schema, BE64 zero threshold
//                  bits, uvarint zero count, uvarint count, BE64 sum bits,
//                  positive then negative spans (uvarint count, per span
//                  varint offset, uvarint length), positive then negative
//                  bucket deltas (uvarint count, varints), and only for
//                  schema -53 the custom values (uvarint count, BE64 bits)
//   8 float histogram samples, 10 with custom buckets: as 7, with zero
//                  count, count and bucket counts as BE64 float bits
// Types 5 and 6 carry nothing our head keeps: they are checked for shape and
// counted, not decoded further. A histogram whose schema is neither -4..8
// nor -53 is refused as Unsupported (Prometheus skips unknown schemas with a
// warning and scales down 9..52 from a newer version; we do not drop data
// silently). The v2 sample and histogram records (11-13), the checkpoint's
// min-valid-time record (14) and unknown types are refused as Unsupported,
// naming the type: never skipped or misread.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/base/result.h"
#include "tsdb/base/status.h"
#include "tsdb/wal/record.h"

namespace promethium::tsdb::prometheus_format {

enum class PromRecordType : uint8_t {
  kSeries = 1,
  kSamples = 2,
  kTombstones = 3,
  kExemplars = 4,
  kMmapMarkers = 5,
  kMetadata = 6,
  kHistogramSamples = 7,
  kFloatHistogramSamples = 8,
  kCustomBucketsHistogramSamples = 9,
  kCustomBucketsFloatHistogramSamples = 10,
  kSamplesV2 = 11,
  kHistogramSamplesV2 = 12,
  kFloatHistogramSamplesV2 = 13,
  kMinValidTime = 14,
};

// A readable name for a record type byte ("native histogram samples"), or
// "unknown record type" for bytes Prometheus does not define.
std::string_view PromRecordTypeName(uint8_t type);

// The type of a record we can replay or skip (1..10). For any other type
// byte, Unsupported naming the type and `where` (e.g. "Prometheus WAL segment
// <path> at offset N"); for an empty record, Corruption.
Result<PromRecordType> ReplayableRecordType(std::string_view rec, std::string_view where);

// Decode a whole record, replacing *out. Corruption (saying what is wrong,
// without a location: callers add it) when the record is malformed or has
// bytes left over; InvalidArgument when its type byte is not the one asked for.
Status DecodePromSeries(std::string_view rec, std::vector<wal::RefSeries>* out);
Status DecodePromSamples(std::string_view rec, std::vector<wal::RefSample>* out);
Status DecodePromTombstones(std::string_view rec, std::vector<wal::Tombstone>* out);
Status DecodePromExemplars(std::string_view rec, std::vector<wal::RefExemplar>* out);
// Types 7 and 9 (with custom buckets) / 8 and 10.
Status DecodePromHistogramSamples(std::string_view rec, std::vector<wal::RefHistogramSample>* out);
Status DecodePromFloatHistogramSamples(std::string_view rec, std::vector<wal::RefFloatHistogramSample>* out);
// Check the shape of an m-map marker or metadata record; return its entries.
Result<size_t> CountPromMmapMarkers(std::string_view rec);
Result<size_t> CountPromMetadata(std::string_view rec);

}  // namespace promethium::tsdb::prometheus_format
