#include "web/ui/ui_handler.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace promethium::web {
namespace {

// The pages the front-end router renders (web/ui/src/main.tsx).
constexpr std::array<std::string_view, 8> kPageRoutes = {
    "/query", "/targets", "/status", "/config", "/tsdb-status", "/service-discovery", "/alerts", "/rules",
};

constexpr std::string_view kPrefixPlaceholder = "ROUTE_PREFIX_PLACEHOLDER";
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Our own lookup (not FindHeader) so this file needs only the header-only
// parts of http_types.h and the web_ui library stays free of web.
std::string_view HeaderValue(const HttpRequest& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True when Accept-Encoding lists gzip (or *) without q=0.
bool AcceptsGzip(std::string_view accept) {
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view item = Trim(accept.substr(0, comma));
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    size_t semi = item.find(';');
    std::string_view coding = Trim(item.substr(0, semi));
    if (!EqualsIgnoreCase(coding, "gzip") && coding != "*") continue;
    if (semi == std::string_view::npos) return true;
    std::string_view param = Trim(item.substr(semi + 1));
    if (!param.starts_with("q=") && !param.starts_with("Q=")) return true;
    std::string_view q = param.substr(2);
    bool zero = !q.empty() && std::all_of(q.begin(), q.end(), [](char c) { return c == '0' || c == '.'; });
    if (!zero) return true;
  }
  return false;
}

std::string Inflate(std::string_view gz, size_t size) {
  std::string out(size, '\0');
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return {};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  inflateEnd(&zs);
  // The sizes come from our own generator; a mismatch means a corrupt build.
  if (rc != Z_STREAM_END || zs.total_out != size) return {};
  return out;
}

std::string_view ContentType(std::string_view path) {
  size_t dot = path.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::string EscapeHtml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

HttpResponse PlainText(int status, std::string body) {
  HttpResponse resp;
  resp.status = status;
  resp.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
  resp.body = std::move(body);
  return resp;
}

// 302 as Go's http.Redirect answers a GET.
HttpResponse Redirect(std::string location, bool head) {
  HttpResponse resp;
  resp.status = 302;
  resp.headers.emplace_back("Location", location);
  resp.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
  if (!head) resp.body = "<a href=\"" + EscapeHtml(location) + "\">Found</a>.\n\n";
  return resp;
}

const UiAsset* FindAsset(std::span<const UiAsset> assets, std::string_view path) {
  for (const UiAsset& a : assets) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

HttpResponse ServeIndex(std::span<const UiAsset> assets, std::string_view prefix, bool head) {
  const UiAsset* index = FindAsset(assets, "/index.html");
  if (index == nullptr) {
    return PlainText(404, "The web UI is not part of this build (configured with -DPROMETHIUM_BUILD_UI=OFF).\n");
  }
  std::string html = Inflate(index->gzipped, index->size);
  if (html.empty()) return PlainText(500, "corrupt embedded index.html\n");
  std::string value = EscapeHtml(prefix);
  for (size_t pos = html.find(kPrefixPlaceholder); pos != std::string::npos;
       pos = html.find(kPrefixPlaceholder, pos + value.size())) {
    html.replace(pos, kPrefixPlaceholder.size(), value);
  }
  HttpResponse resp;
  resp.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
  resp.headers.emplace_back("Cache-Control", "no-cache");
  if (!head) resp.body = std::move(html);
  return resp;
}

HttpResponse ServeAsset(const UiAsset& asset, const HttpRequest& req, bool head) {
  HttpResponse resp;
  resp.headers.emplace_back("Content-Type", std::string(ContentType(asset.path)));
  resp.headers.emplace_back("Vary", "Accept-Encoding");
  // Vite names everything under /assets/ by content hash.
  resp.headers.emplace_back("Cache-Control", asset.path.starts_with("/assets/") ? kImmutable : "no-cache");
  if (AcceptsGzip(HeaderValue(req, "Accept-Encoding"))) {
    resp.headers.emplace_back("Content-Encoding", "gzip");
    if (!head) resp.body = std::string(asset.gzipped);
    return resp;
  }
  std::string raw = Inflate(asset.gzipped, asset.size);
  if (raw.empty() && asset.size != 0) return PlainText(500, "corrupt embedded asset\n");
  if (!head) resp.body = std::move(raw);
  return resp;
}

}  // namespace

std::optional<HttpResponse> ServeUiFrom(std::span<const UiAsset> assets, const HttpRequest& req, std::string_view path,
                                        std::string_view route_prefix) {
  while (route_prefix.ends_with('/')) route_prefix.remove_suffix(1);
  bool is_page = std::find(kPageRoutes.begin(), kPageRoutes.end(), path) != kPageRoutes.end();
  bool is_redirect = path.empty() || path == "/" || path == "/graph";
  const UiAsset* asset = path == "/index.html" ? nullptr : FindAsset(assets, path);
  if (!is_page && !is_redirect && asset == nullptr && !path.starts_with("/assets/")) return std::nullopt;

  bool head = req.method == "HEAD";
  if (req.method != "GET" && !head) {
    HttpResponse resp = PlainText(405, "Method Not Allowed\n");
    resp.headers.emplace_back("Allow", "GET, HEAD");
    return resp;
  }
  if (is_redirect) {
    std::string location = std::string(route_prefix) + "/query";
    size_t q = req.target.find('?');
    if (q != std::string::npos && q + 1 < req.target.size()) location += req.target.substr(q);
    return Redirect(std::move(location), head);
  }
  if (is_page) return ServeIndex(assets, route_prefix, head);
  if (asset == nullptr) return PlainText(404, "404 page not found\n");
  return ServeAsset(*asset, req, head);
}

std::optional<HttpResponse> ServeUi(const HttpRequest& req, std::string_view path, std::string_view route_prefix) {
  return ServeUiFrom(EmbeddedUiAssets(), req, path, route_prefix);
}

}  // namespace promethium::web
