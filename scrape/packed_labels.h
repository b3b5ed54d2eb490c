// PackedLabels: a label set packed into one string, for the scrape cache.
//
// A Labels is a vector of (std::string, std::string) pairs: for a typical
// node_exporter series (5 labels) that is about 380 bytes in 4-6 heap
// blocks. The scrape cache keeps the final labels of every series it has
// seen, yet reads them only on rare paths (a series ref the storage no
// longer knows, stale markers, exemplars), so it keeps them packed: each
// name and value as a varint length and its bytes, one after another, in
// about 100 bytes and no allocation of their own. heaptrack on 100
// node_exporter targets showed the cache's Labels as the largest heap
// consumer (14 MB of 60 MB) before this.
//
// Thread-safety: plain functions over values.
#pragma once

#include <string>
#include <string_view>

#include "tsdb/api/labels.h"

namespace promethium::scrape {

// The exact number of bytes PackLabels appends for `labels`.
size_t PackedSize(const Labels& labels);

// Appends the packed form of `labels` to `out`.
void PackLabels(const Labels& labels, std::string* out);

// The labels packed by PackLabels (the whole of `packed`). Input that is
// not PackLabels output yields the labels decoded before the damage.
Labels UnpackLabels(std::string_view packed);

}  // namespace promethium::scrape
