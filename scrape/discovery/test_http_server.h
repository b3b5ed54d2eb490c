// TestHttpServer (tests only): answers every GET on 127.0.0.1 with a
// settable body and Content-Type, closing each connection. All waits are
// bounded (50 ms polls); the destructor joins the serving thread.
// Thread-safety: Set may be called from any thread while it serves.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "scrape/discovery/test_socket_util.h"

namespace promethium::scrape {

class TestHttpServer {
 public:
  TestHttpServer(std::string body, std::string content_type) {
    Set(std::move(body), std::move(content_type));
    server_.ListenLoopback();
    server_.Start([this](int c) { Serve(c); });
  }
  ~TestHttpServer() { server_.Stop(); }
  void Set(std::string body, std::string content_type) {
    std::lock_guard<std::mutex> l(mu_);
    body_ = std::move(body);
    content_type_ = std::move(content_type);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  int requests() const { return requests_; }

 private:
  void Serve(int c) {
    ReadRequestHead(c, 20);
    std::string resp;
    {
      std::lock_guard<std::mutex> l(mu_);
      resp = HttpCloseResponse("200 OK", content_type_, body_);
    }
    ++requests_;
    (void)!::write(c, resp.data(), resp.size());
  }
  std::mutex mu_;
  std::string body_;
  std::string content_type_;
  std::atomic<int> requests_{0};
  TestSocketServer server_;
};

}  // namespace promethium::scrape
