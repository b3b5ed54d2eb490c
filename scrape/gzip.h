// GunzipBounded: decompresses a gzip stream (Content-Encoding: gzip) with
// zlib, refusing to produce more than `limit` bytes, so a small compressed
// body cannot expand into an unbounded allocation ("zip bomb").
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "tsdb/base/result.h"

namespace promethium::scrape {

// Errors: ResourceExhausted "body size limit exceeded" past `limit`;
// InvalidArgument "gzip: ..." for corrupt or truncated input.
Result<std::string> GunzipBounded(std::string_view compressed, size_t limit);

// Compresses with gzip framing (used by tests and by nothing on hot paths).
std::string GzipForTest(std::string_view data);

}  // namespace promethium::scrape
