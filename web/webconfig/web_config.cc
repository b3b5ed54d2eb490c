#include "web/webconfig/web_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <set>

namespace promethium::web {

namespace {

// Go's tls.CipherSuites() names and OpenSSL's names for the same suites.
// The TLS 1.3 ones are listed so that files naming them load, as in Go,
// where TLS 1.3 suites are not configurable (their OpenSSL name is empty).
constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kCiphers = {{
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_AES_128_GCM_SHA256", ""},
    {"TLS_AES_256_GCM_SHA384", ""},
    {"TLS_CHACHA20_POLY1305_SHA256", ""},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kCurves = {{
    {"CurveP256", "P-256"},
    {"CurveP384", "P-384"},
    {"CurveP521", "P-521"},
    {"X25519", "X25519"},
}};

constexpr std::array<std::pair<std::string_view, int>, 4> kVersions = {{
    {"TLS10", kTls10},
    {"TLS11", kTls11},
    {"TLS12", kTls12},
    {"TLS13", kTls13},
}};

constexpr std::array<std::pair<std::string_view, ClientAuthType>, 6> kClientAuth = {{
    {"NoClientCert", ClientAuthType::kNoClientCert},
    {"RequestClientCert", ClientAuthType::kRequestClientCert},
    {"RequireAnyClientCert", ClientAuthType::kRequireAnyClientCert},
    {"RequireClientCert", ClientAuthType::kRequireAnyClientCert},  // exporter-toolkit's old name
    {"VerifyClientCertIfGiven", ClientAuthType::kVerifyClientCertIfGiven},
    {"RequireAndVerifyClientCert", ClientAuthType::kRequireAndVerifyClientCert},
}};

// exporter-toolkit's settable response headers and, where it restricts
// them, their allowed values.
struct AllowedHeader {
  std::string_view name;
  std::vector<std::string_view> values;  // empty: any value
};
const std::vector<AllowedHeader>& AllowedHeaders() {
  static const auto* headers = new std::vector<AllowedHeader>{
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  };
  return *headers;
}

int LineOf(const YAML::Node& node) { return node.Mark().line + 1; }

Status TypeError(const YAML::Node& node, std::string_view want) {
  std::string_view got = node.IsSequence() ? "!!seq" : node.IsMap() ? "!!map" : "!!str";
  return Status::InvalidArgument(fmt::format("line {}: cannot unmarshal {} into {}", LineOf(node), got, want));
}

Status DecodeString(const YAML::Node& node, std::string* out) {
  if (node.IsNull()) {
    out->clear();
    return Status::OK();
  }
  if (!node.IsScalar()) return TypeError(node, "string");
  *out = node.Scalar();
  return Status::OK();
}

Status DecodeBool(const YAML::Node& node, bool* out) {
  if (node.IsNull()) return Status::OK();
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    return Status::InvalidArgument(
        fmt::format("line {}: cannot unmarshal {} into bool", LineOf(node), node.IsScalar() ? node.Scalar() : "!!seq"));
  }
  *out = value;
  return Status::OK();
}

Status DecodeStringList(const YAML::Node& node, std::vector<std::string>* out) {
  out->clear();
  if (node.IsNull()) return Status::OK();
  if (!node.IsSequence()) return TypeError(node, "[]string");
  for (const YAML::Node& item : node) {
    std::string s;
    PROMETHIUM_RETURN_IF_ERROR(DecodeString(item, &s));
    out->push_back(std::move(s));
  }
  return Status::OK();
}

// Calls fn for each key of a mapping; unknown keys (fn returns NotFound) fail
// as Go's strict decoding does.
Status ForEachField(const YAML::Node& node, std::string_view type,
                    const std::function<Status(const std::string&, const YAML::Node&)>& fn) {
  if (node.IsNull()) return Status::OK();
  if (!node.IsMap()) return TypeError(node, type);
  std::set<std::string> seen;
  for (const auto& kv : node) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    if (!seen.insert(key).second) {
      return Status::InvalidArgument(fmt::format("line {}: key \"{}\" already set in map", LineOf(kv.first), key));
    }
    Status s = fn(key, kv.second);
    if (s.code() == Status::Code::kNotFound) {
      return Status::InvalidArgument(
          fmt::format("line {}: field {} not found in type {}", LineOf(kv.first), key, type));
    }
    PROMETHIUM_RETURN_IF_ERROR(s);
  }
  return Status::OK();
}

// A path relative to the config file's directory, as Go's JoinDir.
std::string JoinDir(std::string_view dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || dir.empty()) return path;
  std::string out(dir);
  if (out.back() != '/') out += '/';
  return out + path;
}

Status DecodeTlsVersion(const YAML::Node& node, int* out) {
  std::string name;
  PROMETHIUM_RETURN_IF_ERROR(DecodeString(node, &name));
  for (const auto& [text, version] : kVersions) {
    if (text == name) {
      *out = version;
      return Status::OK();
    }
  }
  return Status::InvalidArgument("unknown TLS version: " + name);
}

// Maps a YAML list of Go names to OpenSSL names through `table` (pairs of
// Go name, OpenSSL name); an unknown name fails as "unknown <what>: <name>",
// and names mapped to "" are accepted and left out.
template <size_t N>
Status MapNames(const YAML::Node& node, const std::array<std::pair<std::string_view, std::string_view>, N>& table,
                std::string_view what, std::vector<std::string>* out) {
  std::vector<std::string> names;
  PROMETHIUM_RETURN_IF_ERROR(DecodeStringList(node, &names));
  out->clear();
  for (const std::string& name : names) {
    auto it = std::find_if(table.begin(), table.end(), [&](const auto& entry) { return entry.first == name; });
    if (it == table.end()) return Status::InvalidArgument(fmt::format("unknown {}: {}", what, name));
    if (!it->second.empty()) out->emplace_back(it->second);
  }
  return Status::OK();
}

Status DecodeClientAuth(const YAML::Node& node, TlsServerConfig* tls) {
  std::string name;
  PROMETHIUM_RETURN_IF_ERROR(DecodeString(node, &name));
  tls->client_auth_set = !name.empty();
  if (name.empty()) {
    tls->client_auth = ClientAuthType::kNoClientCert;
    return Status::OK();
  }
  for (const auto& [text, type] : kClientAuth) {
    if (text == name) {
      tls->client_auth = type;
      return Status::OK();
    }
  }
  return Status::InvalidArgument("invalid ClientAuth: " + name);
}

// Fields that exist in newer exporter-toolkit versions and that Promethium
// does not implement: refused unless empty.
Status Unsupported(const YAML::Node& node, std::string_view field) {
  if (node.IsNull() || (node.IsSequence() && node.size() == 0) || (node.IsMap() && node.size() == 0)) {
    return Status::OK();
  }
  return Status::Unsupported(fmt::format("{} (line {})", field, LineOf(node)));
}

Status DecodeTls(const YAML::Node& node, TlsServerConfig* tls) {
  return ForEachField(node, "web.TLSConfig", [&](const std::string& key, const YAML::Node& v) -> Status {
    if (key == "cert") return DecodeString(v, &tls->cert);
    if (key == "key") return DecodeString(v, &tls->key);
    if (key == "client_ca") return DecodeString(v, &tls->client_ca);
    if (key == "cert_file") return DecodeString(v, &tls->cert_file);
    if (key == "key_file") return DecodeString(v, &tls->key_file);
    if (key == "client_ca_file") return DecodeString(v, &tls->client_ca_file);
    if (key == "client_auth_type") return DecodeClientAuth(v, tls);
    if (key == "cipher_suites") return MapNames(v, kCiphers, "cipher", &tls->cipher_list);
    if (key == "curve_preferences") return MapNames(v, kCurves, "curve", &tls->groups);
    if (key == "min_version") return DecodeTlsVersion(v, &tls->min_version);
    if (key == "max_version") return DecodeTlsVersion(v, &tls->max_version);
    if (key == "prefer_server_cipher_suites") return DecodeBool(v, &tls->prefer_server_cipher_suites);
    if (key == "client_allowed_sans") return Unsupported(v, "tls_server_config.client_allowed_sans");
    return Status::NotFound("");
  });
}

Status CheckHeader(const std::string& name, const std::string& value) {
  for (const AllowedHeader& allowed : AllowedHeaders()) {
    if (allowed.name != name) continue;
    if (allowed.values.empty() ||
        std::find(allowed.values.begin(), allowed.values.end(), value) != allowed.values.end()) {
      return Status::OK();
    }
    std::string expected;
    for (std::string_view v : allowed.values) expected += (expected.empty() ? "\"" : " \"") + std::string(v) + "\"";
    return Status::InvalidArgument(
        fmt::format("invalid value for {}. Expected one of: [{}], but got: \"{}\"", name, expected, value));
  }
  return Status::InvalidArgument(fmt::format("HTTP header \"{}\" can not be configured", name));
}

Status DecodeHttp(const YAML::Node& node, HttpServerConfig* http) {
  return ForEachField(node, "web.HTTPConfig", [&](const std::string& key, const YAML::Node& v) -> Status {
    if (key == "http2") {
      http->http2_given = !v.IsNull();
      return DecodeBool(v, &http->http2);
    }
    if (key != "headers") return Status::NotFound("");
    http->headers.clear();
    return ForEachField(v, "map[string]string", [&](const std::string& name, const YAML::Node& value) -> Status {
      std::string text;
      PROMETHIUM_RETURN_IF_ERROR(DecodeString(value, &text));
      PROMETHIUM_RETURN_IF_ERROR(CheckHeader(name, text));
      http->headers.emplace_back(name, std::move(text));
      return Status::OK();
    });
  });
}

Status DecodeUsers(const YAML::Node& node, std::map<std::string, std::string>* users) {
  users->clear();
  return ForEachField(node, "map[string]config.Secret", [&](const std::string& user, const YAML::Node& v) -> Status {
    std::string hash;
    PROMETHIUM_RETURN_IF_ERROR(DecodeString(v, &hash));
    Status s = CheckBcryptHash(hash);
    if (!s.ok()) return s.WithContext(fmt::format("basic_auth_users: user \"{}\"", user));
    (*users)[user] = std::move(hash);
    return Status::OK();
  });
}

// The rules between fields, checked once the whole file is read.
Status CheckTls(TlsServerConfig* tls, std::string_view dir) {
  if (!tls->cert.empty() && !tls->cert_file.empty()) {
    return Status::InvalidArgument("tls_server_config: cert and cert_file are both set; use one");
  }
  if (!tls->key.empty() && !tls->key_file.empty()) {
    return Status::InvalidArgument("tls_server_config: key and key_file are both set; use one");
  }
  if (!tls->client_ca.empty() && !tls->client_ca_file.empty()) {
    return Status::InvalidArgument("tls_server_config: client_ca and client_ca_file are both set; use one");
  }
  tls->cert_file = JoinDir(dir, tls->cert_file);
  tls->key_file = JoinDir(dir, tls->key_file);
  tls->client_ca_file = JoinDir(dir, tls->client_ca_file);
  if (!tls->Enabled()) return Status::OK();
  if (tls->cert.empty() && tls->cert_file.empty()) return Status::InvalidArgument("missing one of cert or cert_file");
  if (tls->key.empty() && tls->key_file.empty()) return Status::InvalidArgument("missing one of key or key_file");
  bool has_ca = !tls->client_ca.empty() || !tls->client_ca_file.empty();
  if (has_ca && tls->client_auth == ClientAuthType::kNoClientCert) {
    return Status::InvalidArgument("client CA's have been configured without a Client Auth Policy");
  }
  bool verifies = tls->client_auth == ClientAuthType::kVerifyClientCertIfGiven ||
                  tls->client_auth == ClientAuthType::kRequireAndVerifyClientCert;
  if (verifies && !has_ca) {
    // Go would verify against an empty pool and refuse every certificate.
    return Status::InvalidArgument("client_auth_type verifies client certificates but no client_ca_file is set");
  }
  if (tls->min_version > tls->max_version) {
    return Status::InvalidArgument("tls_server_config: min_version is above max_version");
  }
  return Status::OK();
}

Status DecodeRoot(const YAML::Node& root, std::string_view dir, WebConfig* cfg) {
  PROMETHIUM_RETURN_IF_ERROR(
      ForEachField(root, "web.Config", [&](const std::string& key, const YAML::Node& v) -> Status {
        if (key == "tls_server_config") return DecodeTls(v, &cfg->tls);
        if (key == "http_server_config") return DecodeHttp(v, &cfg->http);
        if (key == "basic_auth_users") return DecodeUsers(v, &cfg->basic_auth_users);
        if (key == "rate_limit") return Unsupported(v, "rate_limit");
        return Status::NotFound("");
      }));
  return CheckTls(&cfg->tls, dir);
}

}  // namespace

Status CheckBcryptHash(std::string_view hash) {
  constexpr size_t kLength = 60;  // "$2y$" + "10" + "$" + 53 characters
  if (hash.size() < 4 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' ||
      (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y')) {
    return Status::InvalidArgument("not a bcrypt hash: it must start with $2a$, $2b$ or $2y$");
  }
  if (hash.size() != kLength || hash[6] != '$' || !std::isdigit(static_cast<unsigned char>(hash[4])) ||
      !std::isdigit(static_cast<unsigned char>(hash[5]))) {
    return Status::InvalidArgument("not a bcrypt hash: expected $2y$<cost>$ and 53 characters of salt and hash");
  }
  int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) {
    return Status::InvalidArgument(fmt::format("bcrypt cost {} is outside the allowed range (4,31)", cost));
  }
  for (char c : hash.substr(7)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '/') {
      return Status::InvalidArgument("not a bcrypt hash: invalid character in salt or hash");
    }
  }
  return Status::OK();
}

Result<WebConfig> ParseWebConfig(std::string_view yaml, std::string_view dir) {
  WebConfig cfg;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    PROMETHIUM_RETURN_IF_ERROR(DecodeRoot(root, dir, &cfg));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("yaml: line {}: {}", e.mark.line + 1, e.msg));
  }
  return cfg;
}

Result<WebConfig> LoadWebConfigFile(Env* env, const std::string& path) {
  Result<std::string> text = ReadFileToString(env, path);
  if (!text.ok()) return text.status();
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  return ParseWebConfig(*text, dir);
}

}  // namespace promethium::web
