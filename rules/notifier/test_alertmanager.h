// TestAlertmanager (tests only): a loopback HTTP server that records every
// POST body and answers with a settable status after an optional delay.
// All waits are bounded; the destructor joins the serving thread.
// Thread-safety: every method may be called from any thread while it serves.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scrape/discovery/test_socket_util.h"

namespace promethium::rules {

class TestAlertmanager {
 public:
  TestAlertmanager() {
    server_.ListenLoopback();
    server_.Start([this](int c) { Serve(c); });
  }
  ~TestAlertmanager() { server_.Stop(); }

  void SetStatus(std::string status) {
    std::lock_guard<std::mutex> l(mu_);
    status_ = std::move(status);
  }
  void SetDelayMs(int ms) { delay_ms_ = ms; }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<std::string> bodies() const {
    std::lock_guard<std::mutex> l(mu_);
    return bodies_;
  }
  std::vector<std::string> heads() const {
    std::lock_guard<std::mutex> l(mu_);
    return heads_;
  }
  int requests() const { return requests_; }  // answered
  int arrived() const { return arrived_; }    // read, answered or not (the delay runs after)
  // Waits up to `timeout_ms` for at least `n` requests.
  bool WaitRequests(int n, int timeout_ms = 5000) const {
    for (int waited = 0; requests_ < n && waited < timeout_ms; waited += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return requests_ >= n;
  }

 private:
  void Serve(int c) {
    std::string head, body;
    if (!scrape::ReadHttpRequest(c, 100, &head, &body)) return;
    ++arrived_;
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    std::string resp;
    {
      std::lock_guard<std::mutex> l(mu_);
      heads_.push_back(std::move(head));
      bodies_.push_back(std::move(body));
      resp = scrape::HttpCloseResponse(status_, "application/json", "");
    }
    ++requests_;
    (void)!::write(c, resp.data(), resp.size());
  }

  mutable std::mutex mu_;
  std::string status_ = "200 OK";
  std::vector<std::string> heads_;
  std::vector<std::string> bodies_;
  std::atomic<int> delay_ms_{0};
  std::atomic<int> requests_{0};
  std::atomic<int> arrived_{0};
  scrape::TestSocketServer server_;
};

}  // namespace promethium::rules
