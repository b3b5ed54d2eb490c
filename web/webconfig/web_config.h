// WebConfig: the --web.config.file model and its loader, in the format of
// Prometheus's exporter-toolkit (docs/SECURITY.md, "Web configuration (TLS
// and basic auth)"): tls_server_config, http_server_config and
// basic_auth_users.
//
// Parsing is strict like Go's yaml.UnmarshalStrict (unknown keys are
// errors) and checks everything that needs no file: TLS version names,
// cipher suite and curve names (Go names, mapped here to OpenSSL's),
// client_auth_type, the allowed response headers, bcrypt hash syntax and the
// cross-field rules (a certificate needs a key, a client CA needs a client
// auth policy). Reading and checking the certificate files themselves is
// TlsServerContext's job (tls_context.h).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/base/result.h"

namespace promethium::web {

// Go's tls.ClientAuthType values, by their exporter-toolkit names.
enum class ClientAuthType {
  kNoClientCert,                // no certificate asked for
  kRequestClientCert,           // asked for, not required, not verified
  kRequireAnyClientCert,        // required, not verified
  kVerifyClientCertIfGiven,     // not required; verified against the client CA when sent
  kRequireAndVerifyClientCert,  // required and verified against the client CA
};

// TLS protocol versions as on the wire (TLS 1.0 = 0x0301 ... 1.3 = 0x0304),
// the values OpenSSL's TLS1_VERSION ... TLS1_3_VERSION have.
inline constexpr int kTls10 = 0x0301;
inline constexpr int kTls11 = 0x0302;
inline constexpr int kTls12 = 0x0303;
inline constexpr int kTls13 = 0x0304;

struct TlsServerConfig {
  // PEM text given inline (cert, key, client_ca) or a file (the *_file
  // fields, made absolute against the config file's directory). At most one
  // of each pair is set.
  std::string cert, cert_file;
  std::string key, key_file;
  std::string client_ca, client_ca_file;
  ClientAuthType client_auth = ClientAuthType::kNoClientCert;
  int min_version = kTls12;
  int max_version = kTls13;
  // OpenSSL names of the TLS 1.2 (and older) suites of cipher_suites, in the
  // configured order; empty means OpenSSL's defaults. TLS 1.3 suites are
  // accepted in the file but, as in Go, not configurable.
  std::vector<std::string> cipher_list;
  // OpenSSL group names of curve_preferences, in order; empty: defaults.
  std::vector<std::string> groups;
  bool prefer_server_cipher_suites = true;
  bool client_auth_set = false;  // client_auth_type was given (even NoClientCert)

  // Whether the file asks for TLS at all (exporter-toolkit's IsEnabled).
  bool Enabled() const {
    return !cert.empty() || !cert_file.empty() || !key.empty() || !key_file.empty() || !client_ca.empty() ||
           !client_ca_file.empty() || client_auth_set;
  }
};

struct HttpServerConfig {
  bool http2 = true;  // Go's default; Promethium serves HTTP/1.1 only
  bool http2_given = false;
  // Added to every response, in file order; names and values checked
  // against exporter-toolkit's allowed set.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct WebConfig {
  TlsServerConfig tls;
  HttpServerConfig http;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
};

// Parses the YAML text of a web config file; `dir` is the file's directory,
// against which relative *_file paths are resolved.
Result<WebConfig> ParseWebConfig(std::string_view yaml, std::string_view dir);
// Reads `path` through env and parses it.
Result<WebConfig> LoadWebConfigFile(Env* env, const std::string& path);

// Checks a bcrypt hash's syntax ($2a$, $2b$ or $2y$, cost 04..31, 53
// characters of salt and hash) as Go's bcrypt.Cost does.
Status CheckBcryptHash(std::string_view hash);

}  // namespace promethium::web
