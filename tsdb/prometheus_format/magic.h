// The magic numbers that open Prometheus's on-disk files (big-endian u32
// at offset 0), in one place for the readers, the writers and the probes
// of tsdb/datadir/file_probe.h. Layouts: docs/format/prometheus_blocks.md.
// Thread-safety: constants.
#pragma once

#include <cstdint>

namespace promethium::tsdb {

inline constexpr uint32_t kPrometheusIndexMagic = 0xBAAAD700;         // <block>/index
inline constexpr uint32_t kPrometheusChunkSegmentMagic = 0x85BD40DD;  // <block>/chunks/NNNNNN
inline constexpr uint32_t kPrometheusHeadChunkMagic = 0x0130BC91;     // chunks_head/NNNNNN
inline constexpr uint32_t kPrometheusTombstonesMagic = 0x0130BA30;    // <block>/tombstones

}  // namespace promethium::tsdb
