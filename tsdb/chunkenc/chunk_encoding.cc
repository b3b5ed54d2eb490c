#include "tsdb/chunkenc/chunk_encoding.h"

#include <string>

namespace promethium::tsdb {

Result<ChunkEncoding> EncodingOf(uint8_t encoding_byte) {
  switch (encoding_byte) {
    case 1: return ChunkEncoding::kXor;
    case 2: return ChunkEncoding::kHistogram;
    case 3: return ChunkEncoding::kFloatHistogram;
    case 4:
    case 5:
    case 6:
      return Status::Unsupported("chunk encoding " + std::to_string(encoding_byte) +
                                 " (Prometheus start-timestamp chunks)");
    default: return Status::Corruption("invalid chunk encoding " + std::to_string(encoding_byte));
  }
}

ChunkEncoding EncodingFor(ValueType type) {
  switch (type) {
    case ValueType::kFloat: return ChunkEncoding::kXor;
    case ValueType::kHistogram: return ChunkEncoding::kHistogram;
    case ValueType::kFloatHistogram: return ChunkEncoding::kFloatHistogram;
    case ValueType::kNone: break;
  }
  return ChunkEncoding::kNone;
}

ValueType ValueTypeOf(ChunkEncoding encoding) {
  switch (encoding) {
    case ChunkEncoding::kXor: return ValueType::kFloat;
    case ChunkEncoding::kHistogram: return ValueType::kHistogram;
    case ChunkEncoding::kFloatHistogram: return ValueType::kFloatHistogram;
    case ChunkEncoding::kNone: break;
  }
  return ValueType::kNone;
}

const char* EncodingName(ChunkEncoding encoding) {
  switch (encoding) {
    case ChunkEncoding::kXor: return "XOR";
    case ChunkEncoding::kHistogram: return "histogram";
    case ChunkEncoding::kFloatHistogram: return "floathistogram";
    case ChunkEncoding::kNone: break;
  }
  return "none";
}

namespace {
// Resets `reuse` on bytes when it is an Iterator; otherwise allocates one.
template <typename Iterator>
std::unique_ptr<SampleIterator> ResetOrNew(std::unique_ptr<SampleIterator> reuse, std::string_view bytes) {
  if (auto* it = dynamic_cast<Iterator*>(reuse.get())) {
    it->Reset(bytes);
    return reuse;
  }
  return std::make_unique<Iterator>(bytes);
}
}  // namespace

Result<std::unique_ptr<SampleIterator>> NewChunkIterator(ChunkEncoding encoding, std::string_view bytes,
                                                         std::unique_ptr<SampleIterator> reuse) {
  switch (encoding) {
    case ChunkEncoding::kXor: return ResetOrNew<XorIterator>(std::move(reuse), bytes);
    case ChunkEncoding::kHistogram: return ResetOrNew<HistogramIterator>(std::move(reuse), bytes);
    case ChunkEncoding::kFloatHistogram: return ResetOrNew<FloatHistogramIterator>(std::move(reuse), bytes);
    case ChunkEncoding::kNone: break;
  }
  return Status::InvalidArgument("no iterator for chunk encoding none");
}

Result<std::unique_ptr<SampleIterator>> NewChunkIterator(uint8_t encoding_byte, std::string_view bytes,
                                                         std::unique_ptr<SampleIterator> reuse) {
  Result<ChunkEncoding> encoding = EncodingOf(encoding_byte);
  if (!encoding.ok()) return encoding.status();
  return NewChunkIterator(*encoding, bytes, std::move(reuse));
}

int ChunkNumSamples(std::string_view bytes) {
  if (bytes.size() < 2) return 0;
  return (static_cast<uint8_t>(bytes[0]) << 8) | static_cast<uint8_t>(bytes[1]);
}

}  // namespace promethium::tsdb
