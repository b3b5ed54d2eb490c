// make_seeds: writes the binary seed inputs of the storage fuzz targets
// (WAL segments, block index, chunk segment and tombstone files, in both
// block formats) with the real writers, so the corpora start from files the
// engine itself produces. Not a fuzz target: run by hand when a format
// changes (docs/FUZZING.md, "Corpora"), then review and commit the output.
//
//   make_seeds <scratch dir> <tests/fuzz/corpus>
//
// The scratch directory must not exist; it is left behind for inspection.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tsdb/api/labels.h"
#include "tsdb/api/matcher.h"
#include "tsdb/base/env.h"
#include "tsdb/block/block.h"
#include "tsdb/chunkenc/xor_chunk.h"
#include "tsdb/db.h"
#include "tsdb/wal/compression.h"
#include "tsdb/wal/record.h"

namespace promethium {
namespace {

Status Fill(tsdb::DB* db) {
  for (int batch = 0; batch < 3; ++batch) {
    std::unique_ptr<Appender> app = db->NewAppender();
    for (int i = 0; i < 40; ++i) {
      const int64_t t = (batch * 40 + i) * 15000;
      for (const char* job : {"api", "db"}) {
        Labels l({{"__name__", "http_requests_total"}, {"job", job}, {"code", batch == 1 ? "500" : "200"}});
        auto ref = app->Append(0, l, t, t / 1000.0 + (job[0] == 'a' ? 0.5 : 1e9));
        if (!ref.ok()) return ref.status();
        if (i == 7) (void)app->AppendExemplar(*ref, l, Exemplar{Labels({{"trace_id", "abc123"}}), 2.5, t});
      }
      auto up = app->Append(0, Labels({{"__name__", "up"}, {"instance", "localhost:9090"}}), t, i % 2);
      if (!up.ok()) return up.status();
    }
    PROMETHIUM_RETURN_IF_ERROR(app->Commit());
  }
  auto m = Matcher::Make(MatchType::kEqual, "job", "db");
  if (!m.ok()) return m.status();
  return db->Delete(30000, 90000, Matchers{*m});
}

// Copies `from` to `to` through the Env.
Status Copy(Env* env, const std::string& from, const std::string& to) {
  auto data = ReadFileToString(env, from);
  if (!data.ok()) return data.status();
  std::printf("%s -> %s (%zu bytes)\n", from.c_str(), to.c_str(), data->size());
  return WriteFileAtomically(env, to, *data);
}

// Writes one DB with `compression` and `format`, snapshots it into a block,
// adds tombstones to the block and copies the files into the corpora.
Status MakeOne(const std::string& scratch, const std::string& corpus, tsdb::DBOptions::WalCompression compression,
               tsdb::BlockFormat format, const std::string& tag) {
  Env* env = Env::Default();
  tsdb::DBOptions opts;
  opts.wal_compression = compression;
  opts.block_format = format;
  opts.background_compaction = false;
  opts.max_exemplars = 100;
  const std::string dir = scratch + "/" + tag;
  auto db = tsdb::DB::Open(dir, opts, nullptr);
  if (!db.ok()) return db.status();
  PROMETHIUM_RETURN_IF_ERROR(Fill(db->get()));
  PROMETHIUM_RETURN_IF_ERROR((*db)->Snapshot(dir + "/snap", true));
  PROMETHIUM_RETURN_IF_ERROR((*db)->Close());
  PROMETHIUM_RETURN_IF_ERROR(Copy(env, dir + "/wal/00000000", corpus + "/wal_fuzzer/" + tag + "-segment"));
  auto blocks = env->GetChildren(dir + "/snap");
  if (!blocks.ok() || blocks->empty()) return Status::NotFound("no block in the snapshot of " + dir);
  const std::string block_dir = dir + "/snap/" + blocks->front();
  auto block = tsdb::Block::Open(env, block_dir);
  if (!block.ok()) return block.status();
  auto m = Matcher::Make(MatchType::kRegexMatch, "job", "api|db");
  if (!m.ok()) return m.status();
  PROMETHIUM_RETURN_IF_ERROR((*block)->Delete(600000, 900000, Matchers{*m}));
  PROMETHIUM_RETURN_IF_ERROR(Copy(env, block_dir + "/index", corpus + "/block_index_fuzzer/" + tag + "-index"));
  PROMETHIUM_RETURN_IF_ERROR(Copy(env, block_dir + "/chunks/000001", corpus + "/chunk_fuzzer/" + tag + "-000001"));
  return Copy(env, block_dir + "/tombstones", corpus + "/tombstones_fuzzer/" + tag + "-tombstones");
}

// Single records (plain, snappy, zstd) and XOR chunks: the inputs the
// record decoders and the chunk iterator read directly.
Status WriteRecordsAndChunks(const std::string& corpus) {
  namespace wal = tsdb::wal;
  Env* env = Env::Default();
  std::vector<wal::RefSeries> series = {{1, Labels({{"__name__", "up"}, {"job", "api"}})},
                                        {2, Labels({{"__name__", "up"}, {"job", "db"}})}};
  std::vector<wal::RefSample> samples;
  for (int i = 0; i < 20; ++i) samples.push_back({static_cast<SeriesRef>(1 + i % 2), i * 15000, i * 0.5});
  std::vector<wal::Tombstone> stones = {{1, 0, 30000}, {2, -5, 5}};
  std::vector<wal::RefExemplar> exemplars = {{1, 15000, 2.5, Labels({{"trace_id", "abc"}})}};
  std::string rec[4];
  wal::EncodeSeries(series, &rec[0]);
  wal::EncodeSamples(samples, &rec[1]);
  wal::EncodeTombstones(stones, &rec[2]);
  wal::EncodeExemplars(exemplars, &rec[3]);
  const char* kNames[] = {"series", "samples", "tombstones", "exemplars"};
  for (int i = 0; i < 4; ++i) {
    const std::string base = corpus + "/wal_fuzzer/record-" + kNames[i];
    PROMETHIUM_RETURN_IF_ERROR(WriteFileAtomically(env, base, rec[i]));
    std::string payload;
    wal::CompressRecord(wal::Compression::kSnappy, rec[i], &payload);
    PROMETHIUM_RETURN_IF_ERROR(WriteFileAtomically(env, base + "-snappy", payload));
    wal::CompressRecord(wal::Compression::kZstd, rec[i], &payload);
    PROMETHIUM_RETURN_IF_ERROR(WriteFileAtomically(env, base + "-zstd", payload));
  }
  tsdb::XorChunk chunk;
  tsdb::XorAppender app(&chunk);
  for (int i = 0; i < 120; ++i) {
    app.Append(1700000000000 + i * 15000 + (i % 7 == 0 ? 3 : 0), i % 10 == 0 ? 1e300 : i * 1.25);
    if (i == 3) PROMETHIUM_RETURN_IF_ERROR(WriteFileAtomically(env, corpus + "/chunk_fuzzer/xor-4", chunk.Bytes()));
  }
  return WriteFileAtomically(env, corpus + "/chunk_fuzzer/xor-120", chunk.Bytes());
}

}  // namespace
}  // namespace promethium

int main(int argc, char** argv) {
  using promethium::tsdb::BlockFormat;
  using Compression = promethium::tsdb::DBOptions::WalCompression;
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_seeds <scratch dir> <corpus dir>\n");
    return 2;
  }
  const struct {
    Compression compression;
    BlockFormat format;
    const char* tag;
  } kRuns[] = {{Compression::kNone, BlockFormat::kPromethium, "plain-promethium"},
               {Compression::kSnappy, BlockFormat::kPrometheus, "snappy-prometheus"},
               {Compression::kZstd, BlockFormat::kPromethium, "zstd-promethium"}};
  if (promethium::Status s = promethium::WriteRecordsAndChunks(argv[2]); !s.ok()) {
    std::fprintf(stderr, "make_seeds records: %s\n", s.ToString().c_str());
    return 1;
  }
  for (const auto& run : kRuns) {
    promethium::Status s = promethium::MakeOne(argv[1], argv[2], run.compression, run.format, run.tag);
    if (!s.ok()) {
      std::fprintf(stderr, "make_seeds %s: %s\n", run.tag, s.ToString().c_str());
      return 1;
    }
  }
  return 0;
}
