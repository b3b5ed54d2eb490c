// Fuzz target: the tombstone readers of both block formats
// (tsdb/block/tombstones.h and tsdb/prometheus_format/tombstones.h), on the
// bytes directly and as a block's `tombstones` file in an in-memory Env.
// Decoded intervals are queried as the block querier does.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_env.h"
#include "tsdb/block/tombstones.h"
#include "tsdb/prometheus_format/tombstones.h"

namespace {

void Use(const promethium::tsdb::TombstoneMap& map) {
  (void)promethium::tsdb::NumTombstones(map);
  for (const auto& [ref, intervals] : map) {
    (void)promethium::tsdb::IsDeleted(intervals, 0);
    (void)promethium::tsdb::CoversRange(intervals, -1000, 1000);
    (void)promethium::tsdb::OverlapsRange(intervals, INT64_MIN, INT64_MAX);
  }
  // What we write must read back.
  std::string encoded = promethium::tsdb::EncodeTombstones(map);
  auto again = promethium::tsdb::DecodeTombstones(encoded, "reencoded");
  if (!again.ok() || *again != map) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto ours = promethium::tsdb::DecodeTombstones(input, "fuzz"); ours.ok()) Use(*ours);
  if (auto theirs = promethium::tsdb::DecodePrometheusTombstones(input, "fuzz"); theirs.ok()) Use(*theirs);
  promethium::fuzz::FuzzEnv env;
  env.AddFile("block/tombstones", std::string(input));
  (void)promethium::tsdb::ReadTombstones(&env, "block");
  (void)promethium::tsdb::ReadPrometheusTombstones(&env, "block");
  return 0;
}
