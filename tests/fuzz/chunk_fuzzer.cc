// Fuzz target: the chunk readers. The input is read as
//  - XOR chunk bytes (tsdb/chunkenc): iterated to the end, sought into, and
//    resumed for an append, as the head does after a restart;
//  - integer and float histogram chunk bytes (encodings 2 and 3): iterated
//    through both accessors, resumed, and appended to (which may recode);
//  - segment file 000001 of a block's chunks/ directory, opened by our
//    reader (tsdb/block/chunk_segments.h: zstd groups) and Prometheus's
//    (tsdb/prometheus_format/chunk_reader.h), then read at a few refs: the
//    input's last 8 bytes (little-endian) and the first chunk's refs.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_env.h"
#include "tsdb/block/chunk_segments.h"
#include "tsdb/chunkenc/chunk_encoding.h"
#include "tsdb/chunkenc/xor_chunk.h"
#include "tsdb/prometheus_format/chunk_reader.h"

namespace {

void IterateXor(std::string_view bytes) {
  promethium::tsdb::XorIterator it(bytes);
  int64_t last_t = 0;
  for (int i = 0; i < 100000 && it.Next() != promethium::ValueType::kNone; ++i) last_t = it.At().t;
  (void)it.Err();
  promethium::tsdb::XorIterator seek(bytes);
  (void)seek.Seek(last_t / 2);
  auto chunk = promethium::tsdb::XorChunk::FromBytes(std::string(bytes));
  if (!chunk.ok()) return;
  (void)chunk->NumSamples();
  auto app = promethium::tsdb::XorAppender::Resume(&*chunk);
  // A corrupt chunk can end at any timestamp: only append where t + 1000 is
  // representable (the harness itself must not overflow; found in CI).
  int64_t next_t = 0;
  if (app.ok() && !__builtin_add_overflow(app->last_t(), 1000, &next_t)) app->Append(next_t, 1.5);
}

// A small valid histogram to append after a resumed chunk: appending runs
// the appendability checks against whatever layout the input decoded to.
promethium::Histogram SmallHistogram() {
  promethium::Histogram h;
  h.count = 3;
  h.sum = 1.5;
  h.positive_spans = {{0, 2}};
  h.positive_buckets = {1, 1};
  return h;
}

promethium::FloatHistogram SmallFloatHistogram() {
  promethium::FloatHistogram h;
  h.count = 3;
  h.sum = 1.5;
  h.positive_spans = {{0, 2}};
  h.positive_buckets = {1, 2};
  return h;
}

template <typename Iterator>
void IterateHistogramChunk(std::string_view bytes) {
  Iterator it(bytes);
  promethium::Histogram h;
  promethium::FloatHistogram fh;
  int64_t last_t = 0;
  for (int i = 0; i < 100000 && it.Next() != promethium::ValueType::kNone; ++i) {
    (void)it.AtHistogram(&h);
    last_t = it.AtFloatHistogram(&fh);
  }
  (void)it.Err();
  Iterator seek(bytes);
  (void)seek.Seek(last_t / 2);
}

void IterateHistograms(std::string_view bytes) {
  IterateHistogramChunk<promethium::tsdb::HistogramIterator>(bytes);
  IterateHistogramChunk<promethium::tsdb::FloatHistogramIterator>(bytes);
  int64_t next_t = 0;
  if (auto chunk = promethium::tsdb::HistogramChunk::FromBytes(std::string(bytes)); chunk.ok()) {
    auto app = promethium::tsdb::HistogramAppender::Resume(&*chunk);
    if (app.ok() && !__builtin_add_overflow(app->last_t(), 1000, &next_t)) {
      // Refusals (invalid input, append-only) are expected here.
      app->Append(next_t, SmallHistogram(), false).IgnoreError();
    }
  }
  if (auto chunk = promethium::tsdb::FloatHistogramChunk::FromBytes(std::string(bytes)); chunk.ok()) {
    auto app = promethium::tsdb::FloatHistogramAppender::Resume(&*chunk);
    if (app.ok() && !__builtin_add_overflow(app->last_t(), 1000, &next_t)) {
      app->Append(next_t, SmallFloatHistogram(), false).IgnoreError();
    }
  }
  for (uint8_t encoding : {1, 2, 3}) {
    auto it = promethium::tsdb::NewChunkIterator(encoding, bytes);
    for (int i = 0; it.ok() && i < 100000 && (*it)->Next() != promethium::ValueType::kNone; ++i) {
    }
  }
}

void ReadRefs(const promethium::tsdb::BlockChunkFiles& files, uint64_t tail_ref, uint64_t first_ref) {
  std::unique_ptr<promethium::tsdb::BlockChunkFileReader> reader = files.NewReader();
  std::string out;
  for (uint64_t ref : {tail_ref, first_ref, first_ref + 1}) {
    if (reader->Read(ref, &out).ok()) {
      IterateXor(out);
      IterateHistograms(out);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  IterateXor(input);
  IterateHistograms(input);

  uint64_t tail_ref = 0;
  for (size_t i = 0; i < 8 && i < size; ++i) tail_ref |= uint64_t{data[size - 1 - i]} << (8 * (7 - i));
  promethium::fuzz::FuzzEnv env;
  env.AddFile("block/chunks/000001", std::string(input));
  if (auto ours = promethium::tsdb::ChunkSegmentFiles::Open(&env, "block/chunks"); ours.ok()) {
    ReadRefs(**ours, tail_ref, promethium::tsdb::PackBlockChunkRef(1, promethium::tsdb::kChunkSegmentHeaderSize, 0));
  }
  if (auto theirs = promethium::tsdb::PrometheusChunkFiles::Open(&env, "block/chunks"); theirs.ok()) {
    ReadRefs(**theirs, tail_ref, (uint64_t{0} << 32) | 8);
  }
  return 0;
}
