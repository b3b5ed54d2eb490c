// Prometheus's `tombstones` file (upstream tsdb/docs/format/tombstones.md,
// summarised in docs/format/prometheus_blocks.md): the deleted intervals of
// a Prometheus block, decoded into and encoded from our TombstoneMap
// (block/tombstones.h; intervals are closed, [mint, maxt], in both).
//
//   magic 0x0130BA30 (BE u32) | version 1 (u8)
//   per interval: series ref (uvarint) | mint (varint) | maxt (varint)
//   CRC32C (BE u32) of the interval bytes only (not magic nor version)
//
// Series refs are Prometheus's (PrometheusIndexFile hands out the same).
// A series may appear once per interval; decoding merges them as
// AddInterval does. Prometheus writes the file even when there is nothing
// deleted (9 bytes: magic, version, CRC of nothing = 0), and so do we.
//
// Ownership: plain values. Thread-safety: pure functions, or I/O through Env.
#pragma once

#include <string>
#include <string_view>

#include "tsdb/base/env.h"
#include "tsdb/base/result.h"
#include "tsdb/block/tombstones.h"

namespace promethium::tsdb {

// Whether `first_bytes` (the start of a file) is the header of a Prometheus
// tombstones file of version 1.
bool IsPrometheusTombstonesHeader(std::string_view first_bytes);

std::string EncodePrometheusTombstones(const TombstoneMap& map);
// Corruption naming `path` and the offset on a bad magic, version, checksum
// or body.
Result<TombstoneMap> DecodePrometheusTombstones(std::string_view data, const std::string& path);
// <block_dir>/tombstones; an absent file means no tombstones.
Result<TombstoneMap> ReadPrometheusTombstones(Env* env, const std::string& block_dir);
// Replaces <block_dir>/tombstones atomically (tmp file, fsync, rename, fsync
// of the directory), writing the file even when `map` is empty.
Status WritePrometheusTombstones(Env* env, const std::string& block_dir, const TombstoneMap& map);

}  // namespace promethium::tsdb
