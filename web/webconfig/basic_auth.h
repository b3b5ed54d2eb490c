// BasicAuthenticator: checks HTTP basic auth credentials against the
// basic_auth_users of a web config (user -> bcrypt hash), as
// exporter-toolkit does.
//
// bcrypt is slow on purpose (about 70 ms at cost 10), so:
//  - a successful check is cached (bounded, kMaxCacheEntries; a full cache
//    drops its oldest tenth). Entries are keyed by a SHA-256 digest of
//    user, hash and password, never the password itself. Failures are not
//    cached, so a flood of wrong passwords cannot evict good entries;
//  - at most one bcrypt computation runs at a time (callers queue), which
//    bounds the CPU a flood of bad credentials can take;
//  - an unknown user is checked against a dummy hash of the same cost as the
//    configured ones, so timing does not reveal which users exist.
// Hashes are compared in constant time. The hashing is libxcrypt's crypt_r.
//
// Ownership: owns a copy of the users map.
// Thread-safety: Verify and IsCached may be called from many threads.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsdb/base/thread_annotations.h"

namespace promethium::web {

class BasicAuthenticator {
 public:
  static constexpr size_t kMaxCacheEntries = 100;

  explicit BasicAuthenticator(std::map<std::string, std::string> users);

  // Whether any user is configured (otherwise every request passes).
  bool enabled() const { return !users_.empty(); }
  // True when the credentials are right.
  bool Verify(std::string_view user, std::string_view password);
  // True when Verify would answer from the cache (no bcrypt computation).
  bool IsCached(std::string_view user, std::string_view password) const;
  size_t cache_size() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  Digest CacheKey(std::string_view user, std::string_view hash, std::string_view password) const;
  // Computes bcrypt(password, hash) and compares it with hash.
  bool BcryptMatches(std::string_view password, const std::string& hash);

  const std::map<std::string, std::string> users_;
  std::string dummy_setting_;  // a bcrypt salt for unknown users
  mutable Mutex cache_mu_;
  std::vector<Digest> cache_ GUARDED_BY(cache_mu_);  // successful checks, unordered
  Mutex bcrypt_mu_;                                  // one bcrypt computation at a time
};

// Splits an `Authorization: Basic <base64(user:password)>` header value;
// nullopt when it is absent or malformed (as Go's Request.BasicAuth).
std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(std::string_view header);

}  // namespace promethium::web
