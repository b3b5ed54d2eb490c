// Fuzz target: the block index readers (tsdb/block/index_file.h, ours, and
// tsdb/prometheus_format/index_reader.h, Prometheus's v1/v2). The input is
// the `index` file of a block in an in-memory Env; when it opens, the
// reader is walked as a querier walks it: label names and values, postings
// and the series entries they point to (bounded).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_env.h"
#include "tsdb/block/index_file.h"
#include "tsdb/prometheus_format/index_reader.h"

namespace {

using promethium::tsdb::BlockIndexFile;

void Walk(const BlockIndexFile& index) {
  std::vector<std::string> names = index.LabelNames();
  for (size_t i = 0; i < names.size() && i < 16; ++i) {
    std::vector<std::string> values = index.LabelValues(names[i]);
    if (values.size() > 64) values.resize(64);
    (void)index.Postings(names[i], values);
  }
  std::vector<promethium::SeriesRef> refs = index.AllPostings();
  promethium::Labels labels;
  std::vector<promethium::tsdb::ChunkMeta> chunks;
  for (size_t i = 0; i < refs.size() && i < 256; ++i) (void)index.Series(refs[i], &labels, &chunks);
  (void)index.Series(0, &labels, &chunks);
  (void)index.Series(uint64_t{1} << 40, &labels, nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  promethium::fuzz::FuzzEnv env;
  env.AddFile("block/index", std::string(reinterpret_cast<const char*>(data), size));
  if (auto ours = promethium::tsdb::BlockIndex::Open(&env, "block/index"); ours.ok()) Walk(**ours);
  if (auto theirs = promethium::tsdb::PrometheusIndexFile::Open(&env, "block/index"); theirs.ok()) Walk(**theirs);
  return 0;
}
