// HttpRequest / HttpResponse: plain HTTP messages, free of Beast types.
//
// The API handler consumes and produces these, so every endpoint can be
// tested by calling ApiHandler::Handle directly, without sockets. Only
// http_server.cc converts between these and Boost.Beast messages.
//
// Thread-safety: plain values.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace promethium::web {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The value of the first header named `name` (case-insensitive), or "".
std::string_view FindHeader(const HttpHeaders& headers, std::string_view name);

struct HttpRequest {
  std::string method = "GET";  // upper case, as sent
  std::string target;          // path plus optional "?query", still percent-encoded
  HttpHeaders headers;
  std::string body;
  std::string remote;  // "ip:port" of the peer, for logs
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;  // Content-Type et al.; Content-Length is added by the server
  std::string body;

  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
};

}  // namespace promethium::web
