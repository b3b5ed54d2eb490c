// CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78): the
// checksum every WAL record carries, the same one Prometheus's WAL uses.
//
// Hand-written and table-driven (slicing-by-8) because none of the Debian
// packages we depend on exports it: zlib only has the IEEE CRC32, and
// snappy/protobuf/leveldb-style copies are internal symbols.
//
// Thread-safety: pure functions over immutable tables; safe from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace promethium::tsdb::wal {

// Extends `crc` (the CRC32C of some earlier bytes, 0 for none) with `data`.
uint32_t Crc32cExtend(uint32_t crc, std::string_view data);
inline uint32_t Crc32c(std::string_view data) { return Crc32cExtend(0, data); }

}  // namespace promethium::tsdb::wal
