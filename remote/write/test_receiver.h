// TestReceiver (tests only): a loopback remote write receiver that records
// every request (head and snappy-decoded body) and answers from a script of
// responses (status plus extra headers), then with the default answer.
// All waits are bounded; the destructor joins the serving thread.
// Thread-safety: every method may be called from any thread while it serves.
#pragma once

#include <snappy.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scrape/discovery/test_socket_util.h"

namespace promethium::remote {

struct TestResponse {
  std::string status = "200 OK";
  std::string headers;  // extra header lines, each ending in "\r\n"
};

struct TestRequest {
  std::string head;
  std::string body;  // snappy-decoded ("" when not snappy)
};

// Polls `cond` every 5 ms for at most `timeout_ms`; its final value.
inline bool WaitFor(const std::function<bool()>& cond, int timeout_ms = 20'000) {
  for (int waited = 0; waited < timeout_ms; waited += 5) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

class TestReceiver {
 public:
  TestReceiver() {
    server_.ListenLoopback();
    server_.Start([this](int c) { Serve(c); });
  }
  ~TestReceiver() { server_.Stop(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/api/v1/write"; }
  // Answers the next requests with `responses`, in order.
  void Script(std::vector<TestResponse> responses) {
    std::lock_guard<std::mutex> l(mu_);
    script_.assign(responses.begin(), responses.end());
  }
  void SetDefault(TestResponse r) {
    std::lock_guard<std::mutex> l(mu_);
    default_ = std::move(r);
  }
  std::vector<TestRequest> requests() const {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }
  int count() const { return count_; }
  bool WaitRequests(int n, int timeout_ms = 10'000) const {
    for (int waited = 0; count_ < n && waited < timeout_ms; waited += 5) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return count_ >= n;
  }

 private:
  void Serve(int c) {
    std::string req = scrape::ReadRequestHead(c, 100);
    const size_t head_end = req.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    TestRequest r;
    r.head = req.substr(0, head_end);
    std::string body = req.substr(head_end + 4);
    size_t length = 0;
    for (std::string key : {"Content-Length: ", "content-length: "}) {
      if (size_t p = r.head.find(key); p != std::string::npos) {
        length = std::strtoul(r.head.c_str() + p + key.size(), nullptr, 10);
      }
    }
    char buf[8192];
    for (int i = 0; i < 200 && body.size() < length; ++i) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      ssize_t n = ::read(c, buf, sizeof(buf));
      if (n <= 0) break;
      body.append(buf, static_cast<size_t>(n));
    }
    snappy::Uncompress(body.data(), body.size(), &r.body);
    TestResponse answer;
    {
      std::lock_guard<std::mutex> l(mu_);
      answer = default_;
      if (!script_.empty()) {
        answer = script_.front();
        script_.pop_front();
      }
      requests_.push_back(std::move(r));
    }
    const std::string resp =
        "HTTP/1.1 " + answer.status + "\r\n" + answer.headers + "Connection: close\r\nContent-Length: 2\r\n\r\nok";
    ++count_;
    (void)!::write(c, resp.data(), resp.size());
  }

  mutable std::mutex mu_;
  std::deque<TestResponse> script_;
  TestResponse default_;
  std::vector<TestRequest> requests_;
  std::atomic<int> count_{0};
  scrape::TestSocketServer server_;
};

}  // namespace promethium::remote
