#include "web/webconfig/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace promethium::web {

namespace {

constexpr int kDefaultCost = 10;

// The cost of a checked bcrypt hash ("$2y$10$...").
int CostOf(const std::string& hash) { return (hash[4] - '0') * 10 + (hash[5] - '0'); }

// A fresh bcrypt salt of the given cost, from the system's randomness.
std::string NewBcryptSetting(int cost) {
  char out[CRYPT_GENSALT_OUTPUT_SIZE] = {};
  if (crypt_gensalt_rn("$2y$", static_cast<unsigned long>(cost), nullptr, 0, out, sizeof(out)) == nullptr) {
    // No entropy source: a fixed salt still costs the same time.
    return "$2y$" + std::string(cost < 10 ? "0" : "") + std::to_string(cost) + "$abcdefghijklmnopqrstuu";
  }
  return out;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with padding, as Go's base64.StdEncoding.
std::optional<std::string> Base64Decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = in[i + j];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[j] = Base64Value(c);
      if (v[j] < 0) return std::nullopt;
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

void AppendField(std::string* buf, std::string_view field) {
  uint64_t n = field.size();
  buf->append(reinterpret_cast<const char*>(&n), sizeof(n));
  buf->append(field);
}

}  // namespace

BasicAuthenticator::BasicAuthenticator(std::map<std::string, std::string> users) : users_(std::move(users)) {
  int cost = 0;
  for (const auto& [user, hash] : users_) cost = std::max(cost, CostOf(hash));
  dummy_setting_ = NewBcryptSetting(cost == 0 ? kDefaultCost : cost);
}

BasicAuthenticator::Digest BasicAuthenticator::CacheKey(std::string_view user, std::string_view hash,
                                                        std::string_view password) const {
  std::string buf;
  AppendField(&buf, user);
  AppendField(&buf, hash);
  AppendField(&buf, password);
  Digest digest{};
  unsigned int len = 0;
  EVP_Digest(buf.data(), buf.size(), digest.data(), &len, EVP_sha256(), nullptr);
  OPENSSL_cleanse(buf.data(), buf.size());
  return digest;
}

bool BasicAuthenticator::IsCached(std::string_view user, std::string_view password) const {
  auto it = users_.find(std::string(user));
  if (it == users_.end()) return false;
  Digest key = CacheKey(user, it->second, password);
  MutexLock lock(&cache_mu_);
  return std::find(cache_.begin(), cache_.end(), key) != cache_.end();
}

size_t BasicAuthenticator::cache_size() const {
  MutexLock lock(&cache_mu_);
  return cache_.size();
}

bool BasicAuthenticator::BcryptMatches(std::string_view password, const std::string& hash) {
  // crypt_r works on C strings: a password with a NUL byte would be cut
  // short, so it never matches.
  if (password.find('\0') != std::string_view::npos) return false;
  std::string pass(password);
  auto data = std::make_unique<crypt_data>();  // zeroed: crypt_r's contract
  MutexLock lock(&bcrypt_mu_);
  const char* computed = crypt_r(pass.c_str(), hash.c_str(), data.get());
  OPENSSL_cleanse(pass.data(), pass.size());
  // crypt_r fails with NULL or a string starting with '*'.
  if (computed == nullptr || computed[0] == '*') return false;
  size_t n = std::strlen(computed);
  return n == hash.size() && CRYPTO_memcmp(computed, hash.data(), n) == 0;
}

bool BasicAuthenticator::Verify(std::string_view user, std::string_view password) {
  auto it = users_.find(std::string(user));
  if (it == users_.end()) {
    (void)BcryptMatches(password, dummy_setting_);  // same time as a known user
    return false;
  }
  Digest key = CacheKey(user, it->second, password);
  {
    MutexLock lock(&cache_mu_);
    if (std::find(cache_.begin(), cache_.end(), key) != cache_.end()) return true;
  }
  if (!BcryptMatches(password, it->second)) return false;
  MutexLock lock(&cache_mu_);
  if (cache_.size() >= kMaxCacheEntries) {
    cache_.erase(cache_.begin(), cache_.begin() + kMaxCacheEntries / 10);  // the oldest tenth
  }
  cache_.push_back(key);
  return true;
}

std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(std::string_view header) {
  constexpr std::string_view kPrefix = "Basic ";
  if (header.size() < kPrefix.size()) return std::nullopt;
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != std::tolower(static_cast<unsigned char>(kPrefix[i]))) {
      return std::nullopt;
    }
  }
  std::optional<std::string> decoded = Base64Decode(header.substr(kPrefix.size()));
  if (!decoded) return std::nullopt;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

}  // namespace promethium::web
