// Chunk encodings: the one-byte encoding identifiers of Prometheus's
// chunkenc (stored next to every chunk in block and head chunk files) and
// the dispatch from an encoding and its bytes to the right iterator.
//
// The chunk types themselves are in xor_chunk.h (1, floats),
// histogram_chunk.h (2, integer histograms) and float_histogram_chunk.h
// (3, float histograms); this header includes all three so the head and
// blocks need only this one. Prometheus's later start-timestamp encodings
// (4 XOR2, 5 histogram ST, 6 float histogram ST) are recognised and refused
// as unsupported.
//
// Thread-safety: free functions; iterators borrow the bytes they decode,
// which must outlive them.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "tsdb/api/storage.h"
#include "tsdb/base/result.h"
#include "tsdb/chunkenc/float_histogram_chunk.h"
#include "tsdb/chunkenc/histogram_chunk.h"
#include "tsdb/chunkenc/xor_chunk.h"

namespace promethium::tsdb {

enum class ChunkEncoding : uint8_t {
  kNone = 0,
  kXor = 1,
  kHistogram = 2,
  kFloatHistogram = 3,
};

// The encoding a stored encoding byte names. Fails with Unsupported for
// Prometheus's start-timestamp encodings 4..6 and Corruption for anything
// else (including 0).
Result<ChunkEncoding> EncodingOf(uint8_t encoding_byte);

// The encoding new chunks of a sample type use (kFloat -> kXor, and so on);
// kNone for ValueType::kNone.
ChunkEncoding EncodingFor(ValueType type);
// The sample type an encoding's iterator yields.
ValueType ValueTypeOf(ChunkEncoding encoding);
const char* EncodingName(ChunkEncoding encoding);  // "XOR", "histogram", "floathistogram"

// An iterator over `bytes` (which must outlive it) of the given encoding.
// `reuse`, when it is an iterator of the same encoding from an earlier call,
// is reset and returned instead of allocating. Fails for kNone. Corrupt
// bytes are reported by the iterator's Err(), as for the concrete types.
Result<std::unique_ptr<SampleIterator>> NewChunkIterator(ChunkEncoding encoding, std::string_view bytes,
                                                         std::unique_ptr<SampleIterator> reuse = nullptr);
// The same from a raw encoding byte (EncodingOf's errors).
Result<std::unique_ptr<SampleIterator>> NewChunkIterator(uint8_t encoding_byte, std::string_view bytes,
                                                         std::unique_ptr<SampleIterator> reuse = nullptr);

// The sample count stored in a chunk's first two bytes (all encodings);
// 0 for bytes shorter than that.
int ChunkNumSamples(std::string_view bytes);

}  // namespace promethium::tsdb
