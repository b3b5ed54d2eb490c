// WebServer: Promethium's HTTP server (the Prometheus HTTP API, /metrics and
// the /-/healthy, /-/ready probes) on Boost.Beast.
//
// The server owns its I/O threads and a separate query thread pool; query
// endpoints run on the query pool so slow PromQL never blocks the I/O
// threads. Every request is answered by ApiHandler::Handle (api_handler.h).
//
// Ownership: the server does not own anything ApiDeps points to; those must
// outlive it (call Stop() or destroy the server first).
// Thread-safety: Start() and Stop() are called from one controlling thread.
// port() may be called from any thread after Start() succeeded.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "tsdb/base/status.h"
#include "web/api_deps.h"

namespace promethium::web {

class WebAccess;

struct WebOptions {
  std::string listen_address = "0.0.0.0:9090";  // host:port; port 0 picks a free one
  size_t max_request_body_bytes = 64 << 20;     // larger bodies get 413
  // The read bounds (docs/SECURITY.md, "Limits and timeouts"). Each is an
  // absolute deadline set once, so trickling bytes cannot extend it
  // (min_body_bytes_per_second, below, moves only with data received).
  // --web.read-timeout: a whole request, header and body, from its first
  // byte (from the accept for a connection's first request); also bounds
  // each write of an answer.
  std::chrono::milliseconds read_timeout{std::chrono::minutes(5)};
  // --web.read-header-timeout: a request's header, from the same start.
  std::chrono::milliseconds read_header_timeout{std::chrono::seconds(10)};
  // --web.idle-timeout: how long a kept-alive connection may wait for the
  // first byte of its next request.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(5)};
  // --web.min-body-rate (ours): a request body must keep arriving at this
  // many bytes per second on average, after a grace of read_header_timeout
  // from the end of the header; slower clients are cut long before
  // read_timeout, so they cannot hold busy slots for minutes. 0: no bound.
  uint64_t min_body_bytes_per_second = 500;
  int io_threads = 1;
  int query_threads = 2;
  // At the limit a new connection takes the slot of the longest-idle one
  // (web/connection_table.h); with none idle it is closed at once.
  size_t max_connections = 512;
  // --web.config.file (TLS, basic auth, headers), consulted for every
  // connection and request; borrowed, must outlive the server. Null: plain
  // HTTP, no auth.
  WebAccess* access = nullptr;
};

class WebServer {
 public:
  WebServer(WebOptions opts, ApiDeps deps);
  ~WebServer();  // calls Stop()
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Binds and starts serving. Fails (IOError) when the address cannot be
  // resolved or is taken, InvalidArgument when it is malformed.
  Status Start();
  // Stops accepting, closes connections and joins all threads. Idempotent.
  void Stop();
  // The bound port (useful with port 0); 0 before Start().
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace promethium::web
