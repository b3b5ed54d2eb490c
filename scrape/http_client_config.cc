#include "scrape/http_client_config.h"

#include <fmt/format.h>

#include "tsdb/base/env.h"

namespace promethium::scrape {
namespace {

std::string_view TrimSpace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

// A secret given inline or in a file (read now, whitespace-trimmed).
Result<std::string> Secret(const std::string& inline_value, const std::string& file, std::string_view what) {
  if (file.empty()) return inline_value;
  Result<std::string> text = ReadFileToString(Env::Default(), file);
  if (!text.ok()) {
    return Status::IOError(fmt::format("unable to read {} file {}: {}", what, file, text.status().message()));
  }
  return std::string(TrimSpace(*text));
}

}  // namespace

std::string Base64Encode(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n =
        (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], kAlphabet[n & 63]};
  }
  if (size_t rest = in.size() - i; rest > 0) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (rest == 2) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> AuthorizationHeader(const HttpClientConfig& config) {
  if (config.basic_auth) {
    const BasicAuth& a = *config.basic_auth;
    PROMETHIUM_ASSIGN_OR_RETURN(std::string password, Secret(a.password, a.password_file, "basic auth password"));
    return "Basic " + Base64Encode(a.username + ":" + password);
  }
  if (config.authorization) {
    const Authorization& a = *config.authorization;
    PROMETHIUM_ASSIGN_OR_RETURN(std::string credentials,
                                Secret(a.credentials, a.credentials_file, "authorization credentials"));
    return fmt::format("{} {}", a.type, credentials);
  }
  return std::string();
}

}  // namespace promethium::scrape
