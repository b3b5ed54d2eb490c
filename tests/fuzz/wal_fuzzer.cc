// Fuzz target: WAL replay (tsdb/wal). The input is used three ways:
//  - as one record payload: DecompressPayload (snappy and zstd frames), then
//    the decoder its type byte names, as the head's replay does;
//  - as segment 00000000 of a WAL directory in an in-memory Env, replayed by
//    ReplayAndRepair (repairs fail: the Env is read-only);
//  - the same bytes with every frame's CRC recomputed, so that fuzzed
//    records get past the checksum, read as a segment and as a checkpoint.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_env.h"
#include "tsdb/encoding/crc32c.h"
#include "tsdb/wal/checkpoint_reader.h"
#include "tsdb/wal/compression.h"
#include "tsdb/wal/record.h"
#include "tsdb/wal/segment.h"
#include "tsdb/wal/segment_reader.h"
#include "tsdb/wal/wal_reader.h"

namespace {

namespace wal = promethium::tsdb::wal;

// Decodes one record payload as replay would; errors are expected.
promethium::Status DecodeRecord(std::string_view payload) {
  std::string scratch;
  auto rec = wal::DecompressPayload(payload, &scratch);
  if (!rec.ok()) return rec.status();
  auto type = wal::PeekRecordType(*rec);
  if (!type.ok()) return type.status();
  switch (*type) {
    case wal::RecordType::kSeries: {
      std::vector<wal::RefSeries> out;
      return wal::DecodeSeries(*rec, &out);
    }
    case wal::RecordType::kSamples: {
      std::vector<wal::RefSample> out;
      return wal::DecodeSamples(*rec, &out);
    }
    case wal::RecordType::kTombstones: {
      std::vector<wal::Tombstone> out;
      return wal::DecodeTombstones(*rec, &out);
    }
    case wal::RecordType::kExemplars: {
      std::vector<wal::RefExemplar> out;
      return wal::DecodeExemplars(*rec, &out);
    }
    case wal::RecordType::kHistogramSamples: {
      std::vector<wal::RefHistogramSample> out;
      return wal::DecodeHistogramSamples(*rec, &out);
    }
    case wal::RecordType::kFloatHistogramSamples: {
      std::vector<wal::RefFloatHistogramSample> out;
      return wal::DecodeFloatHistogramSamples(*rec, &out);
    }
  }
  return promethium::Status::OK();
}

uint32_t LoadLE32(const std::string& s, size_t pos) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[pos + i]);
  return v;
}

// Rewrites the CRC of every complete frame so the payloads are "good".
std::string FixCrcs(std::string seg) {
  size_t pos = seg.compare(0, 4, std::string_view(wal::kSegmentMagic, 4)) == 0 ? wal::kSegmentHeaderSize : 0;
  while (pos + wal::kFrameHeaderSize <= seg.size()) {
    const uint32_t len = LoadLE32(seg, pos);
    if (len == 0 || len > seg.size() - pos - wal::kFrameHeaderSize) break;
    const uint32_t crc =
        promethium::tsdb::encoding::Crc32c(std::string_view(seg).substr(pos + wal::kFrameHeaderSize, len));
    for (int i = 0; i < 4; ++i) seg[pos + 4 + i] = static_cast<char>(crc >> (8 * i));
    pos += wal::kFrameHeaderSize + len;
  }
  return seg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  (void)DecodeRecord(input);

  const wal::RecordHandler decode = [](std::string_view rec) { return DecodeRecord(rec); };
  {
    promethium::fuzz::FuzzEnv env;
    env.AddFile("wal/" + wal::SegmentName(0), input);
    (void)wal::ReplayAndRepair(&env, "wal", decode, nullptr);
  }
  {
    const std::string fixed = FixCrcs(input);
    promethium::fuzz::FuzzEnv env;
    env.AddFile("wal/" + wal::SegmentName(0), fixed);
    env.AddFile("wal/checkpoint.00000000/" + wal::SegmentName(0), fixed);
    wal::SegmentReadOutcome outcome;
    (void)wal::ReadSegmentRecords(&env, "wal/" + wal::SegmentName(0), decode, &outcome);
    uint64_t records = 0;
    (void)wal::ReadCheckpoint(&env, "wal/checkpoint.00000000", decode, &records);
  }
  return 0;
}
