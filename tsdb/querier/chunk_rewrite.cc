#include "tsdb/querier/chunk_rewrite.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <memory>
#include <string>

namespace promethium::tsdb {
namespace {

// Encodes samples[begin, end) (all of one histogram type) with the
// chunkenc appender of that type, following its cuts, into chunks of at
// most per_chunk samples.
template <typename Chunk, typename Appender, typename H, H TypedSample::*kMember>
Status EncodeHistogramRun(std::span<const TypedSample> run, int per_chunk, ChunkEncoding encoding,
                          const ChunkSink& sink) {
  std::unique_ptr<Chunk> chunk = std::make_unique<Chunk>();
  std::unique_ptr<Chunk> prev_chunk;  // keeps `prev`'s chunk alive
  Appender app(chunk.get());
  Appender prev;  // the appender of the chunk before, for the next chunk's header
  int64_t chunk_min = 0, chunk_max = 0;
  int in_chunk = 0;
  for (const TypedSample& s : run) {
    const Appender* first_prev = nullptr;
    if (in_chunk >= per_chunk) {  // full: continue in a fresh chunk
      PROMETHIUM_RETURN_IF_ERROR(sink(encoding, chunk->Bytes(), chunk_min, chunk_max));
      prev_chunk = std::move(chunk);
      prev = app;
      chunk = std::make_unique<Chunk>();
      app = Appender(chunk.get());
      in_chunk = 0;
      first_prev = &prev;
    }
    PROMETHIUM_ASSIGN_OR_RETURN(auto outcome, app.Append(s.t, s.*kMember, false, first_prev));
    if (in_chunk == 0) chunk_min = s.t;
    if (outcome.kind == AppendKind::kNewChunk) {
      // The appender cut (a reset, a layout change): the old chunk is done.
      PROMETHIUM_RETURN_IF_ERROR(sink(encoding, chunk->Bytes(), chunk_min, chunk_max));
      chunk_min = s.t;
      in_chunk = 0;
    }
    if (outcome.kind != AppendKind::kAppended) chunk = std::move(outcome.chunk);  // the appender writes there now
    chunk_max = s.t;
    ++in_chunk;
  }
  if (in_chunk > 0) PROMETHIUM_RETURN_IF_ERROR(sink(encoding, chunk->Bytes(), chunk_min, chunk_max));
  return Status::OK();
}

Status EncodeFloatRun(std::span<const TypedSample> run, int per_chunk, const ChunkSink& sink) {
  for (size_t start = 0; start < run.size(); start += static_cast<size_t>(per_chunk)) {
    const size_t end = std::min(run.size(), start + static_cast<size_t>(per_chunk));
    XorChunk chunk;
    XorAppender app(&chunk);
    for (size_t k = start; k < end; ++k) app.Append(run[k].t, std::bit_cast<double>(run[k].v_bits));
    PROMETHIUM_RETURN_IF_ERROR(sink(ChunkEncoding::kXor, chunk.Bytes(), run[start].t, run[end - 1].t));
  }
  return Status::OK();
}

}  // namespace

Status DecodeTypedChunk(ChunkEncoding encoding, std::string_view bytes, int64_t lo, int64_t hi, uint32_t source,
                        std::vector<TypedSample>* out, bool* clipped) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<SampleIterator> it, NewChunkIterator(encoding, bytes));
  for (ValueType type = it->Next(); type != ValueType::kNone; type = it->Next()) {
    const int64_t t = it->AtT();
    if (t < lo || t > hi) {
      *clipped = true;
      continue;
    }
    TypedSample& s = out->emplace_back();
    s.t = t;
    s.type = type;
    s.source = source;
    switch (type) {
      case ValueType::kFloat: s.v_bits = std::bit_cast<uint64_t>(it->At().v); break;
      case ValueType::kHistogram: it->AtHistogram(&s.h); break;
      case ValueType::kFloatHistogram: it->AtFloatHistogram(&s.fh); break;
      case ValueType::kNone: break;
    }
  }
  return it->Err();
}

Status EncodeTypedSamples(std::span<const TypedSample> samples, int per_chunk, const ChunkSink& sink) {
  per_chunk = std::max(1, per_chunk);
  size_t i = 0;
  while (i < samples.size()) {
    size_t j = i;
    while (j < samples.size() && samples[j].type == samples[i].type) ++j;
    const auto run = samples.subspan(i, j - i);
    switch (samples[i].type) {
      case ValueType::kFloat: PROMETHIUM_RETURN_IF_ERROR(EncodeFloatRun(run, per_chunk, sink)); break;
      case ValueType::kHistogram:
        PROMETHIUM_RETURN_IF_ERROR((EncodeHistogramRun<HistogramChunk, HistogramAppender, Histogram, &TypedSample::h>(
            run, per_chunk, ChunkEncoding::kHistogram, sink)));
        break;
      case ValueType::kFloatHistogram:
        PROMETHIUM_RETURN_IF_ERROR(
            (EncodeHistogramRun<FloatHistogramChunk, FloatHistogramAppender, FloatHistogram, &TypedSample::fh>(
                run, per_chunk, ChunkEncoding::kFloatHistogram, sink)));
        break;
      case ValueType::kNone: return Status::Internal("EncodeTypedSamples: a sample without a type");
    }
    i = j;
  }
  return Status::OK();
}

Status FilterChunk(const std::function<bool(int64_t t)>& keep, ChunkEncoding* encoding, std::string* bytes,
                   bool* dropped) {
  std::vector<TypedSample> samples;
  bool clipped = false;
  PROMETHIUM_RETURN_IF_ERROR(DecodeTypedChunk(*encoding, *bytes, INT64_MIN, INT64_MAX, 0, &samples, &clipped));
  const size_t before = samples.size();
  std::erase_if(samples, [&](const TypedSample& s) { return !keep(s.t); });
  *dropped = samples.size() != before;
  if (!*dropped) return Status::OK();
  if (samples.empty()) {  // an empty chunk of the same encoding
    switch (*encoding) {
      case ChunkEncoding::kHistogram: bytes->assign(HistogramChunk().Bytes()); break;
      case ChunkEncoding::kFloatHistogram: bytes->assign(FloatHistogramChunk().Bytes()); break;
      default: bytes->assign(XorChunk().Bytes()); break;
    }
    return Status::OK();
  }
  int chunks = 0;
  std::string out;
  ChunkEncoding out_encoding = *encoding;
  PROMETHIUM_RETURN_IF_ERROR(EncodeTypedSamples(samples, static_cast<int>(samples.size()),
                                                [&](ChunkEncoding e, std::string_view b, int64_t, int64_t) {
                                                  ++chunks;
                                                  out_encoding = e;
                                                  out.assign(b);
                                                  return Status::OK();
                                                }));
  if (chunks != 1) return Status::FailedPrecondition("the remaining samples need more than one chunk");
  *encoding = out_encoding;
  *bytes = std::move(out);
  return Status::OK();
}

}  // namespace promethium::tsdb
