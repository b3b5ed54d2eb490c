#include "web/web_urls.h"

#include <string>

#include "tsdb/api/matcher.h"
#include "web/form_values.h"

namespace promethium::web {

namespace {

std::string_view TrimChar(std::string_view s, char c, bool left, bool right) {
  while (left && !s.empty() && s.front() == c) s.remove_prefix(1);
  while (right && !s.empty() && s.back() == c) s.remove_suffix(1);
  return s;
}

// The port of "host:port", "[v6]:port" or ":port"; "" when there is none.
Result<std::string> ListenPort(std::string_view listen_address) {
  size_t colon = listen_address.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("address " + std::string(listen_address) + ": missing port in address");
  }
  return std::string(listen_address.substr(colon + 1));
}

// Go's computeExternalURL: a non-empty path always starts with '/'.
std::string WithLeadingSlash(std::string_view path) {
  std::string out;
  if (!path.empty() && path.front() != '/') out.push_back('/');
  out.append(path);
  return out;
}

bool IsQuote(char c) { return c == '"' || c == '\''; }

// Splits a URL into what precedes its path ("scheme://authority"), its path
// and what follows the path ("?query#fragment"), as Go's url.Parse reads it.
struct UrlParts {
  std::string_view head, path, tail;
};

UrlParts SplitUrl(std::string_view url) {
  UrlParts parts;
  size_t path_start = 0;
  size_t scheme_end = url.find("://");
  size_t first_delim = url.find_first_of("/?#");
  if (scheme_end != std::string_view::npos && scheme_end < first_delim) {
    path_start = url.find_first_of("/?#", scheme_end + 3);
    if (path_start == std::string_view::npos) path_start = url.size();
  }
  size_t path_end = url.find_first_of("?#", path_start);
  if (path_end == std::string_view::npos) path_end = url.size();
  parts.head = url.substr(0, path_start);
  parts.path = url.substr(path_start, path_end - path_start);
  parts.tail = url.substr(path_end);
  return parts;
}

}  // namespace

Result<WebUrls> ComputeWebUrls(std::string_view external_url_flag, std::string_view route_prefix_flag,
                               std::string_view listen_address, std::string_view hostname) {
  std::string url(external_url_flag);
  if (url.empty()) {
    Result<std::string> port = ListenPort(listen_address);
    if (!port.ok()) return port.status();
    url = "http://" + std::string(hostname) + ":" + *port + "/";
  }
  auto fail = [&](std::string_view why) {
    return Status::InvalidArgument("parse external URL \"" + std::string(external_url_flag) +
                                   "\": " + std::string(why));
  };
  if (IsQuote(url.front()) || IsQuote(url.back())) return fail("URL must not begin or end with quotes");
  for (char c : url) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ' ') {
      return fail("net/url: invalid control character or space in URL");
    }
  }
  UrlParts parts = SplitUrl(url);
  Result<std::string> decoded_path = PercentDecode(parts.path, /*plus_as_space=*/false);
  if (!decoded_path.ok()) return fail(decoded_path.status().message());

  std::string path = WithLeadingSlash(TrimChar(parts.path, '/', false, true));
  std::string external_path = WithLeadingSlash(TrimChar(*decoded_path, '/', false, true));

  WebUrls out;
  out.external_url = std::string(parts.head) + path + std::string(parts.tail);
  out.external_path = external_path;
  std::string_view prefix = route_prefix_flag.empty() ? std::string_view(external_path) : route_prefix_flag;
  out.route_prefix = WithLeadingSlash(TrimChar(prefix, '/', true, true));
  if (out.route_prefix.empty()) out.route_prefix = "/";
  return out;
}

Status CheckCorsOrigin(std::string_view regex) {
  Result<Matcher> matcher = Matcher::Make(MatchType::kRegexMatch, "origin", std::string(regex));
  if (matcher.ok()) return Status::OK();
  return Status::InvalidArgument("could not compile CORS regex string \"" + std::string(regex) +
                                 "\": " + matcher.status().message());
}

PrefixMatch MatchRoutePrefix(std::string_view route_prefix, std::string_view path) {
  PrefixMatch match;
  if (route_prefix.empty() || route_prefix == "/") {
    match.kind = PrefixMatch::Kind::kInside;
    match.path = std::string(path);
  } else if (path == "/") {
    match.kind = PrefixMatch::Kind::kRedirectToPrefix;
  } else if (path == route_prefix) {
    match.kind = PrefixMatch::Kind::kAddTrailingSlash;
  } else if (path.starts_with(route_prefix) && path[route_prefix.size()] == '/') {
    match.kind = PrefixMatch::Kind::kInside;
    match.path = std::string(path.substr(route_prefix.size()));
  }
  return match;
}

}  // namespace promethium::web
