#include "scrape/packed_labels.h"

#include <cstdint>
#include <vector>

#include "tsdb/base/varint.h"

namespace promethium::scrape {
namespace {

size_t LengthSize(size_t n) {
  size_t bytes = 1;
  for (; n >= 0x80; n >>= 7) ++bytes;
  return bytes;
}

// Reads one length-prefixed string off the front of `in`.
bool GetString(std::string_view* in, std::string_view* s) {
  uint64_t n = 0;
  if (!GetUvarint(in, &n) || n > in->size()) return false;
  *s = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

}  // namespace

size_t PackedSize(const Labels& labels) {
  size_t n = 0;
  for (const Label& l : labels)
    n += LengthSize(l.name.size()) + l.name.size() + LengthSize(l.value.size()) + l.value.size();
  return n;
}

void PackLabels(const Labels& labels, std::string* out) {
  for (const Label& l : labels) {
    PutUvarint(out, l.name.size());
    out->append(l.name);
    PutUvarint(out, l.value.size());
    out->append(l.value);
  }
}

Labels UnpackLabels(std::string_view packed) {
  std::vector<Label> out;
  std::string_view name;
  std::string_view value;
  while (GetString(&packed, &name) && GetString(&packed, &value))
    out.push_back({std::string(name), std::string(value)});
  // Packed from a Labels: already sorted, unique and without empty values.
  return Labels::FromSortedUnchecked(std::move(out));
}

}  // namespace promethium::scrape
