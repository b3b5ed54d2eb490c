// Test-only TLS fixtures (HttpClient TLS and proxy tests): Pki generates a
// CA, a server certificate for 127.0.0.1/localhost and a client certificate
// with the openssl CLI into a temporary directory (removed on destruction);
// TlsServer serves HTTPS on 127.0.0.1 with OpenSSL on a TestSocketServer
// thread and records each request head.
// Thread-safety: requests() may be called from any thread while it serves.
#pragma once

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "scrape/discovery/test_socket_util.h"

namespace promethium::scrape {

// CA, a server certificate for 127.0.0.1/localhost and a client certificate.
class Pki {
 public:
  Pki() {
    dir_ = std::filesystem::temp_directory_path() / ("tls_test." + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const std::string d = dir_.string();
    std::ofstream(d + "/san.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    const std::string script =
        "cd " + d +
        " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca"
        " && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost"
        " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2"
        " -extfile san.ext"
        " && openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=client"
        " && openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2";
    ok_ = std::system((script + " >/dev/null 2>&1").c_str()) == 0;
  }
  ~Pki() { std::filesystem::remove_all(dir_); }
  bool ok() const { return ok_; }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
  bool ok_ = false;
};

// Serves HTTPS on 127.0.0.1: records each request's head; "/redirect"
// answers 302 to "/metrics", anything else 200 with a fixed body.
class TlsServer {
 public:
  TlsServer(const Pki& pki, bool require_client_cert, int max_version = 0) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_chain_file(ctx_, pki.path("server.crt").c_str());
    SSL_CTX_use_PrivateKey_file(ctx_, pki.path("server.key").c_str(), SSL_FILETYPE_PEM);
    if (max_version) SSL_CTX_set_max_proto_version(ctx_, max_version);
    if (require_client_cert) {
      SSL_CTX_load_verify_locations(ctx_, pki.path("ca.crt").c_str(), nullptr);
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    server_.ListenLoopback();
    server_.Start([this](int c) { Accept(c); });
  }
  ~TlsServer() {
    server_.Stop();
    SSL_CTX_free(ctx_);
  }
  std::string port() const { return std::to_string(server_.port()); }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

 private:
  void Accept(int c) {
    timeval tv{2, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, c);
    if (SSL_accept(ssl) == 1) Serve(ssl);
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
  void Serve(SSL* ssl) {
    std::string req;
    char buf[2048];
    while (req.find("\r\n\r\n") == std::string::npos) {
      int n = SSL_read(ssl, buf, sizeof(buf));
      if (n <= 0) return;
      req.append(buf, static_cast<size_t>(n));
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      requests_.push_back(req);
    }
    std::string resp;
    if (req.starts_with("GET /redirect ")) {
      resp = "HTTP/1.1 302 Found\r\nLocation: /metrics\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    } else if (req.starts_with("GET /keepalive ")) {
      // Claims keep-alive, then closes anyway: the client must retry on a
      // fresh connection next time.
      const std::string body = "ka 1\n";
      resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n\r\n" + body;
    } else if (req.starts_with("GET /sd ")) {
      resp = HttpCloseResponse("200 OK", "application/json", R"([{"targets": ["h:1"]}])");
    } else {
      resp = HttpCloseResponse("200 OK", "text/plain; version=0.0.4", "tls_metric 1\n");
    }
    SSL_write(ssl, resp.data(), static_cast<int>(resp.size()));
  }

  SSL_CTX* ctx_ = nullptr;
  std::mutex mu_;
  std::vector<std::string> requests_;
  TestSocketServer server_;
};

// A fixture base with one PKI for the whole suite: generating RSA keys is
// the slow part. A test fails when the openssl CLI could not make them.
class PkiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shared_ = new Pki(); }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }
  void SetUp() override {
    if (!pki_.ok()) GTEST_FAIL() << "openssl CLI could not generate test certificates";
  }
  static inline Pki* shared_ = nullptr;
  const Pki& pki_ = *shared_;
};

}  // namespace promethium::scrape
