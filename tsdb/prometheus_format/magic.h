// The magic numbers that open Prometheus's on-disk files (big-endian u32
// at offset 0), and the index TOC, in one place for the readers, the
// writers and the probes of tsdb/datadir/file_probe.h. Layouts:
// docs/format/prometheus_blocks.md.
// Thread-safety: constants and a plain value type.
#pragma once

#include <cstdint>

namespace promethium::tsdb {

inline constexpr uint32_t kPrometheusIndexMagic = 0xBAAAD700;         // <block>/index
inline constexpr uint32_t kPrometheusChunkSegmentMagic = 0x85BD40DD;  // <block>/chunks/NNNNNN
inline constexpr uint32_t kPrometheusHeadChunkMagic = 0x0130BC91;     // chunks_head/NNNNNN
inline constexpr uint32_t kPrometheusTombstonesMagic = 0x0130BA30;    // <block>/tombstones

// An index v2 TOC: the section start offsets, in the order the file lists
// them (each a big-endian u64, then a CRC32C of the six).
struct PrometheusIndexToc {
  uint64_t symbols = 0;
  uint64_t series = 0;
  uint64_t label_indices = 0;
  uint64_t label_offset_table = 0;
  uint64_t postings = 0;
  uint64_t postings_offset_table = 0;
};

}  // namespace promethium::tsdb
