// HttpRequest / HttpResponse: plain HTTP messages, free of Beast types.
//
// The API handler consumes and produces these, so every endpoint can be
// tested by calling ApiHandler::Handle directly, without sockets. Only
// http_server.cc converts between these and Boost.Beast messages.
//
// Thread-safety: plain values; a BodyStream is used by one thread at a time.
#pragma once

#include <memory>
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

// The rest of a response body that is produced piece by piece (remote
// read's streamed frames), so that only one piece is in memory at a time.
// The server sends `body` and then every piece with chunked transfer
// encoding; it calls Next on a query thread, never two calls at once, and
// drops the stream (releasing what it holds) when done or when the client
// goes away.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Appends the next piece to *out; false once the body is complete (*out
  // may still have received the last bytes).
  virtual bool Next(std::string* out) = 0;
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;  // Content-Type et al.; Content-Length is added by the server
  std::string body;
  // When set, the body continues with the stream's pieces (no Content-Length,
  // no gzip).
  std::shared_ptr<BodyStream> stream;

  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
};

// Go's http.Error: the text plus a newline as text/plain, with nosniff.
HttpResponse GoHttpErrorResponse(int status, std::string_view text);

}  // namespace promethium::web
