// TestHttpServer (tests only): answers every GET on 127.0.0.1 with a
// settable body and Content-Type, closing each connection. All waits are
// bounded (50 ms polls); the destructor joins the serving thread.
// Thread-safety: Set may be called from any thread while it serves.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace promethium::scrape {

class TestHttpServer {
 public:
  TestHttpServer(std::string body, std::string content_type) {
    Set(std::move(body), std::move(content_type));
    Listen();
  }
  ~TestHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  void Set(std::string body, std::string content_type) {
    std::lock_guard<std::mutex> l(mu_);
    body_ = std::move(body);
    content_type_ = std::move(content_type);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

 private:
  void Listen() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd_, 16) != 0) std::abort();
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string req;
      char buf[2048];
      for (int i = 0; i < 20 && req.find("\r\n\r\n") == std::string::npos; ++i) {
        pollfd cp{c, POLLIN, 0};
        if (::poll(&cp, 1, 50) <= 0) continue;
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      std::string resp;
      {
        std::lock_guard<std::mutex> l(mu_);
        resp = "HTTP/1.1 200 OK\r\nContent-Type: " + content_type_ +
               "\r\nConnection: close\r\nContent-Length: " + std::to_string(body_.size()) + "\r\n\r\n" + body_;
      }
      ++requests_;
      (void)!::write(c, resp.data(), resp.size());
      ::close(c);
    }
  }
  std::mutex mu_;
  std::string body_;
  std::string content_type_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace promethium::scrape
