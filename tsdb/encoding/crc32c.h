// CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78): the
// checksum every WAL record, block index section, chunk and tombstone file
// carries (the same one Prometheus uses). The encoding layer: below chunkenc
// and wal, links only promethium_base.
//
// Hand-written because none of the Debian packages we depend on exports it:
// zlib only has the IEEE CRC32, and snappy/protobuf/leveldb-style copies are
// internal symbols. On x86-64 CPUs with SSE4.2 (checked at run time) it uses
// the CRC32 instruction; elsewhere a table-driven (slicing-by-8) version.
//
// Thread-safety: pure functions over immutable tables; safe from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace promethium::tsdb::encoding {

// Extends `crc` (the CRC32C of some earlier bytes, 0 for none) with `data`.
uint32_t Crc32cExtend(uint32_t crc, std::string_view data);
inline uint32_t Crc32c(std::string_view data) { return Crc32cExtend(0, data); }

// The two implementations behind Crc32cExtend, for tests: the table one
// always; the hardware one only when Crc32cHardwareAvailable().
uint32_t Crc32cExtendPortable(uint32_t crc, std::string_view data);
uint32_t Crc32cExtendHardware(uint32_t crc, std::string_view data);
bool Crc32cHardwareAvailable();

}  // namespace promethium::tsdb::encoding
