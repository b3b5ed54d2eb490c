#include "scrape/http_client_config.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>

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

// ---- Proxies ----

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// %XX-decoding of URL user info.
Result<std::string> PercentDecode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      return Status::InvalidArgument("invalid URL escape");
    }
    out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

// "host", "host:port", "[v6]" or "[v6]:port"; port "80" when absent.
bool SplitAuthority(std::string_view a, std::string* host, std::string* port) {
  std::string_view h = a, p;
  if (a.starts_with('[')) {
    size_t close = a.find(']');
    if (close == std::string_view::npos) return false;
    h = a.substr(1, close - 1);
    std::string_view rest = a.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') return false;
    if (!rest.empty()) p = rest.substr(1);
  } else if (size_t colon = a.rfind(':'); colon != std::string_view::npos) {
    if (a.find(':') != colon) return false;
    h = a.substr(0, colon);
    p = a.substr(colon + 1);
  }
  if (p.empty()) p = "80";
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || ptr != p.data() + p.size() || value == 0 || value > 65535) return false;
  *host = std::string(h);
  *port = std::string(p);
  return !host->empty();
}

// An IP literal as 16 bytes (IPv4 mapped into ::ffff:0:0/96, as Go's net.IP).
using IpBytes = std::array<uint8_t, 16>;
std::optional<IpBytes> ParseIp(const std::string& s) {
  IpBytes ip{};
  in_addr v4{};
  if (::inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    ip[10] = ip[11] = 0xff;
    std::memcpy(ip.data() + 12, &v4, 4);
    return ip;
  }
  if (::inet_pton(AF_INET6, s.c_str(), ip.data()) == 1) return ip;
  return std::nullopt;
}
bool IsV4(const IpBytes& ip) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(ip.data(), kPrefix, 12) == 0;
}
bool IsLoopback(const IpBytes& ip) {
  if (IsV4(ip)) return ip[12] == 127;
  static constexpr IpBytes kV6Loopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return ip == kV6Loopback;
}
bool PrefixMatch(const IpBytes& a, const IpBytes& b, int bits) {
  for (int i = 0; i < bits; ++i) {
    const int mask = 0x80 >> (i % 8);
    if ((a[i / 8] & mask) != (b[i / 8] & mask)) return false;
  }
  return true;
}

// Go's net.SplitHostPort, for no_proxy entries ("h:p", "[v6]:p").
bool SplitGoHostPort(std::string_view s, std::string* host, std::string* port) {
  if (s.starts_with('[')) {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return false;
    *host = std::string(s.substr(1, close - 1));
    *port = std::string(s.substr(close + 2));
    return true;
  }
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || s.find(':', colon + 1) != std::string_view::npos) return false;
  *host = std::string(s.substr(0, colon));
  *port = std::string(s.substr(colon + 1));
  return true;
}

}  // namespace

Result<ProxyEndpoint> ParseProxyUrl(std::string_view url, std::string_view option) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return Status::InvalidArgument(fmt::format("invalid {}: scheme must be http (http://host:port)", option));
  }
  const std::string scheme = Lower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  const size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  std::string_view userinfo;
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  ProxyEndpoint ep;
  const size_t colon = userinfo.find(':');
  const std::string_view user_part = userinfo.substr(0, colon);
  ep.redacted_url = fmt::format("{}://{}{}{}{}", scheme, user_part, colon == std::string_view::npos ? "" : ":xxxxx",
                                userinfo.empty() ? "" : "@", authority);
  ep.redacted_url += tail;
  if (scheme == "https" || scheme == "socks5" || scheme == "socks5h") {
    return Status::Unsupported(fmt::format("{} scheme \"{}\" (only http:// proxies)", option, scheme));
  }
  if (scheme != "http") {
    return Status::InvalidArgument(
        fmt::format("invalid {} \"{}\": scheme \"{}\" is not http", option, ep.redacted_url, scheme));
  }
  if (!SplitAuthority(authority, &ep.host, &ep.port)) {
    return Status::InvalidArgument(
        fmt::format("invalid {} \"{}\": want http://host[:port] with a port in 1-65535", option, ep.redacted_url));
  }
  if (!userinfo.empty()) {
    Result<std::string> user = PercentDecode(user_part);
    Result<std::string> password =
        PercentDecode(colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1));
    if (!user.ok() || !password.ok()) {
      return Status::InvalidArgument(
          fmt::format("invalid {} \"{}\": bad %-escape in user info", option, ep.redacted_url));
    }
    ep.authorization = "Basic " + Base64Encode(*user + ":" + *password);
  }
  return ep;
}

namespace {

// Header names must be RFC 9110 tokens and values free of control line
// breaks, so a config cannot inject lines into the CONNECT request (Go's
// transport refuses such headers when it sends them).
Status ValidateConnectHeaders(const std::map<std::string, std::vector<std::string>>& headers) {
  constexpr std::string_view kTokenPunct = "!#$%&'*+-.^_`|~";
  for (const auto& [name, values] : headers) {
    const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [&](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || kTokenPunct.find(ch) != std::string_view::npos;
    });
    if (!token) return Status::InvalidArgument(fmt::format("invalid proxy_connect_header name \"{}\"", name));
    for (const std::string& v : values) {
      if (v.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        return Status::InvalidArgument(fmt::format("invalid proxy_connect_header value for {}", name));
      }
    }
  }
  return Status::OK();
}

}  // namespace

Status ValidateProxyConfig(const ProxyConfig& c) {
  if (!c.proxy_url.empty()) PROMETHIUM_RETURN_IF_ERROR(ParseProxyUrl(c.proxy_url).status());
  if (!c.proxy_connect_header.empty() && !c.proxy_from_environment && c.proxy_url.empty()) {
    return Status::InvalidArgument(
        "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured");
  }
  if (c.proxy_from_environment && !c.proxy_url.empty()) {
    return Status::InvalidArgument("if proxy_from_environment is configured, proxy_url must not be configured");
  }
  if (c.proxy_from_environment && !c.no_proxy.empty()) {
    return Status::InvalidArgument("if proxy_from_environment is configured, no_proxy must not be configured");
  }
  if (c.proxy_url.empty() && !c.no_proxy.empty()) {
    return Status::InvalidArgument("if no_proxy is configured, proxy_url must also be configured");
  }
  return ValidateConnectHeaders(c.proxy_connect_header);
}

// One no_proxy entry, as golang.org/x/net/http/httpproxy classifies them.
struct ProxySelector::NoProxyRule {
  enum class Kind { kCidr, kIp, kDomain } kind = Kind::kDomain;
  IpBytes ip{};
  int bits = 0;             // kCidr: prefix length over the 16 bytes
  std::string domain;       // kDomain: ".example.com"
  bool match_host = false;  // kDomain: "example.com" itself matches too
  std::string port;         // "" any

  bool Matches(const std::string& host, const std::string& p, const std::optional<IpBytes>& addr) const {
    if (!port.empty() && port != p) return false;
    switch (kind) {
      case Kind::kCidr: return addr && PrefixMatch(*addr, ip, bits);
      case Kind::kIp: return addr && *addr == ip;
      case Kind::kDomain: return host.ends_with(domain) || (match_host && host == std::string_view(domain).substr(1));
    }
    return false;
  }
};

ProxySelector::Environment ProxySelector::ReadEnvironment() {
  auto any = [](const char* upper, const char* lower) {
    const char* v = std::getenv(upper);
    if (v == nullptr || *v == '\0') v = std::getenv(lower);
    return std::string(v ? v : "");
  };
  Environment env;
  env.http_proxy = any("HTTP_PROXY", "http_proxy");
  env.https_proxy = any("HTTPS_PROXY", "https_proxy");
  env.no_proxy = any("NO_PROXY", "no_proxy");
  const char* method = std::getenv("REQUEST_METHOD");
  env.cgi = method != nullptr && *method != '\0';
  return env;
}

namespace {

// httpproxy's parseProxy: a value without a known scheme means http://;
// a value that still does not parse is ignored, as Go does.
Status EnvRoute(const std::string& value, std::string_view name, std::optional<ProxyEndpoint>* out) {
  if (value.empty()) return Status::OK();
  const size_t sep = value.find("://");
  const std::string scheme = sep == std::string::npos ? "" : Lower(std::string_view(value).substr(0, sep));
  const bool known = scheme == "http" || scheme == "https" || scheme == "socks5";
  Result<ProxyEndpoint> ep = ParseProxyUrl(known ? value : "http://" + value, name);
  if (ep.ok()) {
    *out = std::move(*ep);
  } else if (ep.status().code() == Status::Code::kUnsupported) {
    return ep.status();
  }
  return Status::OK();
}

}  // namespace

Result<std::shared_ptr<const ProxySelector>> ProxySelector::Make(const ProxyConfig& config,
                                                                 const std::optional<Environment>& env) {
  if (config.proxy_url.empty() && !config.proxy_from_environment) return std::shared_ptr<const ProxySelector>();
  PROMETHIUM_RETURN_IF_ERROR(ValidateProxyConfig(config));
  auto sel = std::shared_ptr<ProxySelector>(new ProxySelector());
  for (const auto& [name, values] : config.proxy_connect_header) {
    for (const std::string& v : values) sel->connect_headers_.emplace_back(name, v);
  }
  std::string no_proxy = config.no_proxy;
  if (config.proxy_from_environment) {
    const Environment e = env ? *env : ReadEnvironment();
    sel->http_.error = EnvRoute(e.http_proxy, "HTTP_PROXY", &sel->http_.endpoint);
    sel->https_.error = EnvRoute(e.https_proxy, "HTTPS_PROXY", &sel->https_.endpoint);
    sel->cgi_ = e.cgi;
    no_proxy = e.no_proxy;
  } else {
    PROMETHIUM_ASSIGN_OR_RETURN(sel->http_.endpoint, ParseProxyUrl(config.proxy_url));
    sel->https_.endpoint = sel->http_.endpoint;
    sel->always_ = config.no_proxy.empty();
  }
  sel->AddNoProxyRules(no_proxy);
  return std::shared_ptr<const ProxySelector>(std::move(sel));
}

// httpproxy's config.init: "*" disables proxying; CIDRs, IPs (with an
// optional port) and domains (".x" suffix only, "x" itself and its
// subdomains, "*.x" as ".x"); malformed entries are skipped.
void ProxySelector::AddNoProxyRules(std::string_view list) {
  std::string_view rest = list;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string entry = Lower(TrimSpace(rest.substr(0, comma)));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (entry.empty()) continue;
    if (entry == "*") {
      no_proxy_all_ = true;
      return;
    }
    auto rule = std::make_shared<NoProxyRule>();
    if (size_t slash = entry.find('/'); slash != std::string::npos) {  // CIDR
      std::optional<IpBytes> base = ParseIp(entry.substr(0, slash));
      int bits = -1;
      auto [ptr, ec] = std::from_chars(entry.data() + slash + 1, entry.data() + entry.size(), bits);
      const int max_bits = base && IsV4(*base) ? 32 : 128;
      if (base && ec == std::errc() && ptr == entry.data() + entry.size() && bits >= 0 && bits <= max_bits) {
        rule->kind = NoProxyRule::Kind::kCidr;
        rule->ip = *base;
        rule->bits = bits + (max_bits == 32 ? 96 : 0);
        no_proxy_.push_back(std::move(rule));
        continue;
      }
    }
    std::string host = entry;
    if (SplitGoHostPort(entry, &host, &rule->port) && host.empty()) continue;  // malformed: ignored, as Go
    if (std::optional<IpBytes> ip = ParseIp(host)) {
      rule->kind = NoProxyRule::Kind::kIp;
      rule->ip = *ip;
    } else {
      if (host.starts_with("*.")) host.erase(0, 1);
      rule->match_host = host[0] != '.';
      rule->domain = rule->match_host ? "." + host : host;
    }
    no_proxy_.push_back(std::move(rule));
  }
}

bool ProxySelector::UseProxy(const std::string& raw_host, const std::string& port) const {
  if (raw_host.empty()) return true;
  if (raw_host == "localhost") return false;
  const std::optional<IpBytes> ip = ParseIp(raw_host);
  if (ip && IsLoopback(*ip)) return false;
  if (no_proxy_all_) return false;
  const std::string host = Lower(TrimSpace(raw_host));
  for (const auto& rule : no_proxy_) {
    if (rule->Matches(host, port, ip)) return false;
  }
  return true;
}

Result<std::optional<ProxyEndpoint>> ProxySelector::For(bool https, const std::string& host,
                                                        const std::string& port) const {
  const Route& route = https ? https_ : http_;
  if (always_) return route.endpoint;
  if (!route.endpoint && route.error.ok()) return std::optional<ProxyEndpoint>();
  if (!https && cgi_) {
    return Status::InvalidArgument("refusing to use HTTP_PROXY value in CGI environment (REQUEST_METHOD is set)");
  }
  if (!UseProxy(host, port)) return std::optional<ProxyEndpoint>();
  if (!route.error.ok()) return route.error;
  return route.endpoint;
}

}  // namespace promethium::scrape
