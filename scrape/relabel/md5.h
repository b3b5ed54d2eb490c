// Md5: the RFC 1321 message digest, for the relabel `hashmod` action.
//
// Prometheus's hashmod is defined in terms of MD5 (crypto/md5), so sharding
// decisions only agree with Prometheus's if we hash the same way. MD5 is
// used here as a stable hash, never for security. It is hand-written (about
// a hundred lines, checked against RFC 1321's test vectors in md5_test.cc)
// so that the scrape module needs no OpenSSL dependency for one digest.
//
// Thread-safety: a pure function.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace promethium::scrape {

using Md5Digest = std::array<uint8_t, 16>;

Md5Digest Md5(std::string_view data);

}  // namespace promethium::scrape
