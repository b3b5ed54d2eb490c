// WebAccess: the live --web.config.file state (webconfig/web_config.h) that
// the HTTP server consults for every connection and request: the TLS
// context for new connections, basic auth, and the extra response headers.
//
// Load() reads and checks the whole file (certificates included) and only
// then replaces the current state, so a bad file at reload keeps the old
// one. Handle() wraps the request handler: it answers 401 itself when basic
// auth is configured and the credentials are missing or wrong, and adds the
// configured headers to every answer. It is transport-free, so tests call it
// directly; http_server.cc only plumbs it in front of ApiHandler::Handle,
// which puts every endpoint (API, UI, /metrics, /federate, remote write and
// read, /-/ lifecycle and probes) behind it.
//
// Ownership: owns its state; a request or connection keeps the state (or
// TLS context) it started with alive until it is done, across reloads.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "tsdb/base/env.h"
#include "tsdb/base/status.h"
#include "tsdb/base/thread_annotations.h"
#include "web/http_types.h"

namespace boost::asio::ssl {
class context;
}

namespace promethium::web {

class WebAccess {
 public:
  explicit WebAccess(Env* env = Env::Default());
  ~WebAccess();
  WebAccess(const WebAccess&) = delete;
  WebAccess& operator=(const WebAccess&) = delete;

  // Reads and checks the file at `path` ("" means none: plain HTTP, no
  // auth, no extra headers) and makes it current. On error nothing changes.
  Status Load(const std::string& path);

  // Answers one request: 401 with `WWW-Authenticate: Basic` when basic auth
  // is on and the credentials are missing or wrong, otherwise next(). The
  // configured headers are set on either answer.
  HttpResponse Handle(const HttpRequest& req, const std::function<HttpResponse()>& next) const;
  // True when Handle would compute a bcrypt hash for req (credentials sent
  // and not cached): the server then runs it off its I/O threads.
  bool IsSlow(const HttpRequest& req) const;

  // The TLS context for a connection being accepted now; null when the
  // config has no TLS (plain HTTP).
  std::shared_ptr<boost::asio::ssl::context> TlsForNewConnection() const;
  bool tls_enabled() const;

 private:
  struct State;
  std::shared_ptr<const State> Current() const;

  Env* const env_;
  mutable Mutex mu_;
  std::shared_ptr<const State> state_ GUARDED_BY(mu_);
};

}  // namespace promethium::web
