#include "tsdb/block/compactor.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "tsdb/base/logging.h"
#include "tsdb/block/index_writer.h"
#include "tsdb/chunkenc/xor_chunk.h"
#include "tsdb/prometheus_format/chunk_writer.h"
#include "tsdb/prometheus_format/index_writer.h"
#include "tsdb/prometheus_format/tombstones.h"
#include "tsdb/querier/chunk_rewrite.h"

namespace promethium::tsdb {
namespace {

struct SeriesEntry {
  Labels labels;
  uint32_t source;
  SeriesRef ref;
};

struct SourceChunk {
  ChunkMeta meta;
  uint32_t source;
};

// Samples written, by kind (meta.json counts them apart).
struct SampleCounts {
  uint64_t floats = 0;
  uint64_t histograms = 0;  // integer and float histograms
};

struct RawSample {
  int64_t t;
  uint64_t v_bits;
  uint32_t source;
};

// Builds the output chunks of one series from its source chunks.
class SeriesChunkMerger {
 public:
  SeriesChunkMerger(std::span<const BlockSource> sources, BlockChunkFileWriter* writer, int64_t mint, int64_t maxt_incl,
                    int per_chunk)
      : sources_(sources), writer_(writer), mint_(mint), maxt_(maxt_incl), per_chunk_(per_chunk) {}

  // Appends the series' output chunk metas to *out; counts samples.
  Status Merge(std::vector<SourceChunk> chunks, std::vector<ChunkMeta>* out, SampleCounts* samples) {
    std::sort(chunks.begin(), chunks.end(), [](const SourceChunk& a, const SourceChunk& b) {
      return a.meta.min_time != b.meta.min_time ? a.meta.min_time < b.meta.min_time : a.source < b.source;
    });
    size_t i = 0;
    while (i < chunks.size()) {
      size_t j = i + 1;
      int64_t cluster_max = chunks[i].meta.max_time;
      while (j < chunks.size() && chunks[j].meta.min_time <= cluster_max) {
        cluster_max = std::max(cluster_max, chunks[j].meta.max_time);
        ++j;
      }
      PROMETHIUM_RETURN_IF_ERROR(MergeCluster(std::span(chunks).subspan(i, j - i), out, samples));
      i = j;
    }
    return Status::OK();
  }

 private:
  // Decodes the XOR chunk in bytes_ (of c) within its meta range and
  // [mint, maxt]; *clipped tells whether any sample was left out.
  Status DecodeXor(const SourceChunk& c, std::vector<RawSample>* out, bool* clipped) {
    const int64_t lo = std::max(c.meta.min_time, mint_), hi = std::min(c.meta.max_time, maxt_);
    XorIterator it(bytes_);
    while (it.Next() != ValueType::kNone) {
      const int64_t t = it.At().t;
      if (t < lo || t > hi) {
        *clipped = true;
        continue;
      }
      out->push_back({t, it.value_bits(), c.source});
    }
    return it.Err();
  }

  // A cluster holding a histogram chunk: every chunk is decoded into typed
  // samples (floats keep their bits), merged as the XOR path does, and
  // re-encoded with a new chunk at each change of sample type. A lone
  // chunk that needs no clipping is copied verbatim, encoding and all.
  Status MergeTypedCluster(std::span<const SourceChunk> cluster, std::vector<ChunkMeta>* out, SampleCounts* samples) {
    std::vector<TypedSample> merged;
    bool clipped = false;
    for (const SourceChunk& c : cluster) {
      PROMETHIUM_RETURN_IF_ERROR(sources_[c.source].chunks->ReadChunk(c.meta, &bytes_, &encoding_));
      const int64_t lo = std::max(c.meta.min_time, mint_), hi = std::min(c.meta.max_time, maxt_);
      PROMETHIUM_RETURN_IF_ERROR(DecodeTypedChunk(encoding_, bytes_, lo, hi, c.source, &merged, &clipped));
    }
    if (merged.empty()) return Status::OK();
    if (cluster.size() == 1 && !clipped) {  // untouched: copy the bytes as they are
      Count(merged, samples);
      PROMETHIUM_ASSIGN_OR_RETURN(uint64_t ref, writer_->AddChunk(encoding_, bytes_));
      out->push_back({ref, merged.front().t, merged.back().t});
      return Status::OK();
    }
    std::stable_sort(merged.begin(), merged.end(), [](const TypedSample& a, const TypedSample& b) {
      return a.t != b.t ? a.t < b.t : a.source < b.source;
    });
    // Same timestamp in several sources: keep the earliest source's sample.
    merged.erase(std::unique(merged.begin(), merged.end(),
                             [](const TypedSample& a, const TypedSample& b) { return a.t == b.t; }),
                 merged.end());
    Count(merged, samples);
    return EncodeTypedSamples(merged, per_chunk_,
                              [&](ChunkEncoding e, std::string_view bytes, int64_t min_time, int64_t max_time) {
                                PROMETHIUM_ASSIGN_OR_RETURN(uint64_t ref, writer_->AddChunk(e, bytes));
                                out->push_back({ref, min_time, max_time});
                                return Status::OK();
                              });
  }

  static void Count(const std::vector<TypedSample>& merged, SampleCounts* samples) {
    for (const TypedSample& s : merged) (s.type == ValueType::kFloat ? samples->floats : samples->histograms)++;
  }

  Status MergeCluster(std::span<const SourceChunk> cluster, std::vector<ChunkMeta>* out, SampleCounts* samples) {
    std::vector<RawSample> merged;
    bool clipped = false;
    for (const SourceChunk& c : cluster) {
      PROMETHIUM_RETURN_IF_ERROR(sources_[c.source].chunks->ReadChunk(c.meta, &bytes_, &encoding_));
      if (encoding_ != ChunkEncoding::kXor) return MergeTypedCluster(cluster, out, samples);
      PROMETHIUM_RETURN_IF_ERROR(DecodeXor(c, &merged, &clipped));
    }
    if (merged.empty()) return Status::OK();
    if (cluster.size() == 1 && !clipped) {  // untouched: copy the bytes as they are
      samples->floats += merged.size();
      PROMETHIUM_ASSIGN_OR_RETURN(uint64_t ref, writer_->AddChunk(encoding_, bytes_));
      out->push_back({ref, merged.front().t, merged.back().t});
      return Status::OK();
    }
    std::stable_sort(merged.begin(), merged.end(), [](const RawSample& a, const RawSample& b) {
      return a.t != b.t ? a.t < b.t : a.source < b.source;
    });
    // Same timestamp in several sources: keep the earliest source's sample.
    merged.erase(
        std::unique(merged.begin(), merged.end(), [](const RawSample& a, const RawSample& b) { return a.t == b.t; }),
        merged.end());
    samples->floats += merged.size();
    return Encode(merged, out);
  }

  // Re-encodes samples into chunks of at most per_chunk_ samples.
  Status Encode(const std::vector<RawSample>& merged, std::vector<ChunkMeta>* out) {
    for (size_t start = 0; start < merged.size(); start += static_cast<size_t>(per_chunk_)) {
      const size_t end = std::min(merged.size(), start + static_cast<size_t>(per_chunk_));
      XorChunk chunk;
      XorAppender app(&chunk);
      for (size_t k = start; k < end; ++k) app.Append(merged[k].t, std::bit_cast<double>(merged[k].v_bits));
      PROMETHIUM_ASSIGN_OR_RETURN(uint64_t ref, writer_->AddChunk(ChunkEncoding::kXor, chunk.Bytes()));
      out->push_back({ref, merged[start].t, merged[end - 1].t});
    }
    return Status::OK();
  }

  std::span<const BlockSource> sources_;
  BlockChunkFileWriter* writer_;
  const int64_t mint_;
  const int64_t maxt_;
  const int per_chunk_;
  std::string bytes_;
  ChunkEncoding encoding_ = ChunkEncoding::kXor;
};

// Every series of every source, sorted by labels (then source).
Result<std::vector<SeriesEntry>> CollectSeries(std::span<const BlockSource> sources) {
  std::vector<SeriesEntry> all;
  for (uint32_t s = 0; s < sources.size(); ++s) {
    auto postings = sources[s].index->AllPostings();
    while (postings->Next()) {
      SeriesEntry e{Labels(), s, postings->At()};
      Status st = sources[s].index->Series(e.ref, &e.labels, nullptr);
      if (st.code() == Status::Code::kNotFound) continue;  // removed meanwhile
      PROMETHIUM_RETURN_IF_ERROR(st);
      all.push_back(std::move(e));
    }
  }
  std::sort(all.begin(), all.end(), [](const SeriesEntry& a, const SeriesEntry& b) {
    auto c = a.labels <=> b.labels;
    return c != 0 ? c < 0 : a.source < b.source;
  });
  return all;
}

std::vector<std::string> CollectSymbols(const std::vector<SeriesEntry>& series) {
  std::set<std::string_view> set;
  for (const auto& e : series) {
    for (const Label& l : e.labels) {
      set.insert(l.name);
      set.insert(l.value);
    }
  }
  return std::vector<std::string>(set.begin(), set.end());
}

struct BlockFileWriters {
  std::unique_ptr<BlockChunkFileWriter> chunks;
  std::unique_ptr<BlockIndexFileWriter> index;
};

// The chunk and index writers of opts.format, writing into dir.
Result<BlockFileWriters> NewBlockFileWriters(Env* env, const std::string& dir, const BlockWriteOptions& opts,
                                             std::vector<std::string> symbols) {
  BlockFileWriters w;
  switch (opts.format) {
    case BlockFormat::kPromethium: {
      w.chunks = std::make_unique<ChunkSegmentWriter>(env, dir + "/chunks", opts.chunks);
      PROMETHIUM_ASSIGN_OR_RETURN(w.index, IndexWriter::Create(env, dir + "/index", std::move(symbols)));
      return w;
    }
    case BlockFormat::kPrometheus: {
      w.chunks = std::make_unique<PrometheusChunkWriter>(env, dir + "/chunks", opts.chunks.segment_max_bytes);
      PROMETHIUM_ASSIGN_OR_RETURN(w.index, PrometheusIndexWriter::Create(env, dir + "/index", std::move(symbols)));
      return w;
    }
  }
  return Status::InvalidArgument("WriteBlock: unknown block format");
}

// Writes index and chunks into tmp_dir; fills meta stats.
Status WriteBlockFiles(Env* env, const std::string& tmp_dir, std::span<const BlockSource> sources, int64_t mint,
                       int64_t maxt, const BlockWriteOptions& opts, BlockMeta* meta) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<SeriesEntry> series, CollectSeries(sources));
  PROMETHIUM_RETURN_IF_ERROR(env->CreateDirs(tmp_dir + "/chunks"));
  PROMETHIUM_ASSIGN_OR_RETURN(BlockFileWriters writers,
                              NewBlockFileWriters(env, tmp_dir, opts, CollectSymbols(series)));
  BlockChunkFileWriter* chunk_writer = writers.chunks.get();
  BlockIndexFileWriter* index_writer = writers.index.get();
  SeriesChunkMerger merger(sources, chunk_writer, mint, maxt - 1, std::max(1, opts.samples_per_chunk));
  std::vector<ChunkMeta> metas, out;
  for (size_t i = 0; i < series.size();) {
    std::vector<SourceChunk> chunks;
    size_t j = i;
    for (; j < series.size() && series[j].labels == series[i].labels; ++j) {
      Labels ignored;
      Status st = sources[series[j].source].index->Series(series[j].ref, &ignored, &metas);
      if (st.code() == Status::Code::kNotFound) continue;
      PROMETHIUM_RETURN_IF_ERROR(st);
      for (const ChunkMeta& m : metas) {
        if (m.max_time >= mint && m.min_time < maxt) chunks.push_back({m, series[j].source});
      }
    }
    out.clear();
    SampleCounts samples;
    PROMETHIUM_RETURN_IF_ERROR(merger.Merge(std::move(chunks), &out, &samples));
    if (!out.empty()) {
      PROMETHIUM_RETURN_IF_ERROR(index_writer->AddSeries(series[i].labels, out).status());
      meta->stats.num_series++;
      meta->stats.num_samples += samples.floats + samples.histograms;
      meta->stats.num_float_samples += samples.floats;
      meta->stats.num_histogram_samples += samples.histograms;
      meta->stats.num_chunks += out.size();
    }
    i = j;
  }
  PROMETHIUM_RETURN_IF_ERROR(chunk_writer->Finish());
  PROMETHIUM_RETURN_IF_ERROR(index_writer->Finish());
  return Status::OK();
}

}  // namespace

bool IsTmpBlockDir(std::string_view name) {
  return name.ends_with(kTmpForCreationSuffix) || name.ends_with(kTmpForDeletionSuffix);
}

Result<std::vector<std::string>> ListBlockDirs(Env* env, const std::string& data_dir) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(data_dir));
  std::erase_if(names, [&](const std::string& name) {
    return !IsValidUlid(name) || !env->FileExists(data_dir + "/" + name + "/" + kMetaFilename);
  });
  std::sort(names.begin(), names.end());
  return names;
}

Result<BlockMeta> WriteBlock(Env* env, const std::string& parent_dir, std::span<const BlockSource> sources,
                             int64_t mint, int64_t maxt, const BlockCompaction& compaction,
                             const BlockWriteOptions& opts) {
  if (mint >= maxt) return Status::InvalidArgument("WriteBlock: empty range [mint, maxt)");
  const int64_t now =
      opts.now_ms != 0
          ? opts.now_ms
          : std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
  BlockMeta meta;
  meta.ulid = NewUlid(now);
  meta.min_time = mint;
  meta.max_time = maxt;
  meta.compaction = compaction;
  if (meta.compaction.sources.empty()) meta.compaction.sources = {meta.ulid};
  const std::string final_dir = parent_dir + "/" + meta.ulid;
  const std::string tmp_dir = final_dir + kTmpForCreationSuffix;
  Status st = WriteBlockFiles(env, tmp_dir, sources, mint, maxt, opts, &meta);
  if (st.ok() && meta.stats.num_series == 0) st = Status::NotFound("WriteBlock: no series with samples in range");
  // Prometheus writes an (empty) tombstones file into every block; some
  // readers of its format expect one.
  if (st.ok() && opts.format == BlockFormat::kPrometheus) st = WritePrometheusTombstones(env, tmp_dir, {});
  if (st.ok()) st = WriteBlockMeta(env, tmp_dir, meta);
  if (st.ok()) st = env->SyncDir(tmp_dir + "/chunks");
  if (st.ok()) st = env->SyncDir(tmp_dir);
  if (st.ok()) st = env->RenameFile(tmp_dir, final_dir);
  if (st.ok()) st = env->SyncDir(parent_dir);
  if (!st.ok()) {
    env->RemoveDirRecursively(tmp_dir).IgnoreError();  // best effort; the DB removes leftovers on open
    return st;
  }
  return meta;
}

}  // namespace promethium::tsdb
