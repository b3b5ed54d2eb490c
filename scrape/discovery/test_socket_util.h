// Test-only building blocks for the in-process loopback servers
// (TestHttpServer, the fake Docker Engine API, the TLS test server):
// TestSocketServer listens on 127.0.0.1 or a unix socket and runs a bounded
// accept loop (50 ms polls) on its own thread, handing each connection to a
// callback and closing it afterwards; ReadRequestHead reads a request head
// with bounded polls and ReadHttpRequest a whole request (head and body);
// HttpCloseResponse formats a "Connection: close" answer.
// Thread-safety: Listen*/Start/Stop from the owning thread only; the callback
// runs on the serving thread. Stop (also run by the destructor) joins it, so
// owners whose callback uses their own members call Stop first in their
// destructor.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <utility>

namespace promethium::scrape {

class TestSocketServer {
 public:
  TestSocketServer() = default;
  TestSocketServer(const TestSocketServer&) = delete;
  TestSocketServer& operator=(const TestSocketServer&) = delete;
  ~TestSocketServer() { Stop(); }

  // Binds 127.0.0.1 on an ephemeral port; aborts on failure.
  void ListenLoopback(int backlog = 16) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd_, backlog) != 0) std::abort();
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  // Binds a unix socket at `path` (replacing a stale one); aborts on failure.
  void ListenUnix(const std::string& path, int backlog = 8) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    ::unlink(path.c_str());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd_, backlog) != 0) std::abort();
  }
  // Serves until Stop: `serve` gets each accepted connection, which is
  // closed after it returns.
  void Start(std::function<void(int)> serve) {
    serve_ = std::move(serve);
    thread_ = std::thread([this] { Loop(); });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int port() const { return port_; }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      serve_(c);
      ::close(c);
    }
  }

  std::function<void(int)> serve_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Reads from `c` until the end of the request head, at most `max_polls`
// 50 ms waits; returns what arrived.
inline std::string ReadRequestHead(int c, int max_polls) {
  std::string req;
  char buf[2048];
  for (int i = 0; i < max_polls && req.find("\r\n\r\n") == std::string::npos; ++i) {
    pollfd cp{c, POLLIN, 0};
    if (::poll(&cp, 1, 50) <= 0) continue;
    ssize_t n = ::read(c, buf, sizeof(buf));
    if (n <= 0) break;
    req.append(buf, static_cast<size_t>(n));
  }
  return req;
}

// Reads one whole request from `c`: its head (up to the blank line, which is
// left out) and a body of Content-Length bytes, each part bounded by
// `max_polls` 50 ms waits. False when no complete head arrived.
inline bool ReadHttpRequest(int c, int max_polls, std::string* head, std::string* body) {
  std::string req = ReadRequestHead(c, max_polls);
  const size_t head_end = req.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  *head = req.substr(0, head_end);
  *body = req.substr(head_end + 4);
  size_t length = 0;
  for (std::string key : {"Content-Length: ", "content-length: "}) {
    if (size_t p = head->find(key); p != std::string::npos)
      length = std::strtoul(head->c_str() + p + key.size(), nullptr, 10);
  }
  char buf[4096];
  for (int i = 0; i < max_polls && body->size() < length; ++i) {
    pollfd p{c, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::read(c, buf, sizeof(buf));
    if (n <= 0) break;
    body->append(buf, static_cast<size_t>(n));
  }
  return true;
}

// "HTTP/1.1 <status>" with Content-Type, Connection: close and
// Content-Length, followed by `body`.
inline std::string HttpCloseResponse(const std::string& status, const std::string& content_type,
                                     const std::string& body) {
  return "HTTP/1.1 " + status + "\r\nContent-Type: " + content_type +
         "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace promethium::scrape
