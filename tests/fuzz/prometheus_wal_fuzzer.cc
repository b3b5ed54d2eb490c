// Fuzz target: the reader of Prometheus's own WAL, checkpoints and WBL
// (tsdb/prometheus_format/wal_reader.h, wlog_reader.h, wal_records.h), which
// replays a Prometheus data directory taken over in place. The input is
//  - one record, given to the record decoders directly;
//  - segment 00000000 of wal/ and of wbl/ in an in-memory Env, replayed by
//    ReadPrometheusWal and ReadPrometheusWbl;
//  - the same bytes with every fragment's CRC recomputed, so that mutated
//    records reach the decoders, also as checkpoint.00000000's segment.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_env.h"
#include "tsdb/encoding/crc32c.h"
#include "tsdb/prometheus_format/wal_reader.h"
#include "tsdb/prometheus_format/wal_records.h"
#include "tsdb/prometheus_format/wlog_reader.h"

namespace {

namespace pf = promethium::tsdb::prometheus_format;
namespace wal = promethium::tsdb::wal;

void DecodeRecord(std::string_view rec) {
  auto type = pf::ReplayableRecordType(rec, "fuzz");
  if (!type.ok()) return;
  std::vector<wal::RefSeries> series;
  std::vector<wal::RefSample> samples;
  std::vector<wal::Tombstone> stones;
  std::vector<wal::RefExemplar> exemplars;
  std::vector<wal::RefHistogramSample> histograms;
  std::vector<wal::RefFloatHistogramSample> float_histograms;
  switch (*type) {
    case pf::PromRecordType::kSeries: (void)pf::DecodePromSeries(rec, &series); break;
    case pf::PromRecordType::kSamples: (void)pf::DecodePromSamples(rec, &samples); break;
    case pf::PromRecordType::kTombstones: (void)pf::DecodePromTombstones(rec, &stones); break;
    case pf::PromRecordType::kExemplars: (void)pf::DecodePromExemplars(rec, &exemplars); break;
    case pf::PromRecordType::kMmapMarkers: (void)pf::CountPromMmapMarkers(rec); break;
    case pf::PromRecordType::kMetadata: (void)pf::CountPromMetadata(rec); break;
    case pf::PromRecordType::kHistogramSamples:
    case pf::PromRecordType::kCustomBucketsHistogramSamples:
      (void)pf::DecodePromHistogramSamples(rec, &histograms);
      break;
    case pf::PromRecordType::kFloatHistogramSamples:
    case pf::PromRecordType::kCustomBucketsFloatHistogramSamples:
      (void)pf::DecodePromFloatHistogramSamples(rec, &float_histograms);
      break;
    default: break;
  }
}

struct Visitor final : pf::PrometheusWalVisitor {
  promethium::Status OnSeries(std::span<const wal::RefSeries>) override { return promethium::Status::OK(); }
  promethium::Status OnSamples(std::span<const wal::RefSample>) override { return promethium::Status::OK(); }
  promethium::Status OnTombstones(std::span<const wal::Tombstone>) override { return promethium::Status::OK(); }
  promethium::Status OnExemplars(std::span<const wal::RefExemplar>) override { return promethium::Status::OK(); }
  promethium::Status OnHistogramSamples(std::span<const wal::RefHistogramSample>) override {
    return promethium::Status::OK();
  }
  promethium::Status OnFloatHistogramSamples(std::span<const wal::RefFloatHistogramSample>) override {
    return promethium::Status::OK();
  }
};

// Rewrites the CRC of every whole fragment (page by page, as the reader
// walks them) so mutated data passes the checksum.
std::string FixCrcs(std::string seg) {
  size_t pos = 0;
  while (pos + pf::kWlogFragmentHeaderSize <= seg.size()) {
    const size_t page_left = pf::kWlogPageSize - pos % pf::kWlogPageSize;
    if (page_left < pf::kWlogFragmentHeaderSize || seg[pos] == 0) {
      pos += page_left;  // padding to the end of the page
      continue;
    }
    const size_t len = (size_t{static_cast<uint8_t>(seg[pos + 1])} << 8) | static_cast<uint8_t>(seg[pos + 2]);
    const size_t data = pos + pf::kWlogFragmentHeaderSize;
    if (len > seg.size() - data) break;
    const uint32_t crc = promethium::tsdb::encoding::Crc32c(std::string_view(seg).substr(data, len));
    for (int i = 0; i < 4; ++i) seg[pos + 3 + i] = static_cast<char>(crc >> (8 * (3 - i)));
    pos = data + len;
  }
  return seg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  DecodeRecord(input);
  Visitor visitor;
  for (const std::string& seg : {input, FixCrcs(input)}) {
    promethium::fuzz::FuzzEnv env;
    env.AddFile("data/wal/00000000", seg);
    env.AddFile("data/wbl/00000000", seg);
    (void)pf::ReadPrometheusWal(&env, "data/wal", &visitor);
    (void)pf::ReadPrometheusWbl(&env, "data/wbl", &visitor);
    pf::WlogSegmentOutcome outcome;
    (void)pf::ReadPrometheusWlogSegment(
        &env, "data/wal/00000000",
        [](std::string_view rec, uint64_t) {
          DecodeRecord(rec);
          return promethium::Status::OK();
        },
        &outcome);
  }
  {
    promethium::fuzz::FuzzEnv env;
    env.AddFile("data/wal/checkpoint.00000000/00000000", FixCrcs(input));
    env.AddFile("data/wal/00000001", "");
    (void)pf::ReadPrometheusWal(&env, "data/wal", &visitor);
  }
  return 0;
}
