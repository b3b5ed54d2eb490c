// Test helper: a bcrypt hash of a password through libxcrypt, as htpasswd
// -B would write it into basic_auth_users. Cost 4 (the minimum) keeps tests
// fast. Tests only: link ${CRYPT_LIBRARY}.
#pragma once

#include <crypt.h>

#include <memory>
#include <string>

namespace promethium::web {

inline std::string BcryptForTest(const std::string& password, int cost = 4) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE] = {};
  if (crypt_gensalt_rn("$2y$", static_cast<unsigned long>(cost), nullptr, 0, setting, sizeof(setting)) == nullptr) {
    return "";
  }
  auto data = std::make_unique<crypt_data>();
  const char* hash = crypt_r(password.c_str(), setting, data.get());
  return hash != nullptr && hash[0] != '*' ? hash : "";
}

}  // namespace promethium::web
