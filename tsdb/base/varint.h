// Varints: LevelDB/protobuf base-128 encodings of integers (Go's
// binary.PutUvarint; PutVarint zigzags). Used by the WAL, the block formats
// and the scrape cache's packed labels.
//
// Thread-safety: plain functions over values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace promethium {

void PutUvarint(std::string* out, uint64_t v);
void PutVarint(std::string* out, int64_t v);  // zigzag
// Read one varint off the front of *in; false (and *in unchanged) when it is
// truncated or overflows 64 bits.
bool GetUvarint(std::string_view* in, uint64_t* v);
bool GetVarint(std::string_view* in, int64_t* v);

}  // namespace promethium
