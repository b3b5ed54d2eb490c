// HttpClient over TLS and with auth/redirects, against an in-test OpenSSL
// server on 127.0.0.1 using a CA, server and client certificates generated
// with the openssl CLI for each run.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "scrape/discovery/http_sd.h"
#include "scrape/discovery/test_socket_util.h"
#include "scrape/fake_appendable.h"
#include "scrape/http_client.h"
#include "scrape/http_client_config.h"
#include "scrape/scrape_manager.h"

namespace promethium::scrape {
namespace {

namespace net = boost::asio;
namespace fs = std::filesystem;

// CA, a server certificate for 127.0.0.1/localhost and a client certificate.
class Pki {
 public:
  Pki() {
    dir_ = fs::temp_directory_path() / ("tls_test." + std::to_string(::getpid()));
    fs::create_directories(dir_);
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
  ~Pki() { fs::remove_all(dir_); }
  bool ok() const { return ok_; }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
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

Result<HttpResponse> Get(const HttpGetRequest& req) {
  std::optional<Result<HttpResponse>> out;
  net::io_context io;
  HttpClient client(io.get_executor());
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        Result<HttpResponse> r = co_await client.Get(req);
        out.emplace(std::move(r));
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  return std::move(*out);
}

HttpGetRequest TlsRequest(const TlsServer& server, const TLSConfig& tls, const std::string& host = "127.0.0.1") {
  HttpGetRequest req;
  req.host = host;
  req.port = server.port();
  req.target = "/metrics";
  req.url = "https://" + host + ":" + server.port() + "/metrics";
  req.timeout_ms = 5'000;
  req.use_tls = true;
  auto ctx = NewTlsClientContext(tls);
  EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
  if (ctx.ok()) req.tls = *ctx;
  return req;
}

// One PKI for the suite: generating RSA keys is the slow part.
class HttpClientTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shared_ = new Pki(); }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }
  void SetUp() override {
    if (!pki_.ok()) GTEST_FAIL() << "openssl CLI could not generate test certificates";
  }
  static Pki* shared_;
  const Pki& pki_ = *shared_;
};
Pki* HttpClientTlsTest::shared_ = nullptr;

TEST_F(HttpClientTlsTest, VerifiesAgainstCaFile) {
  TlsServer server(pki_, false);
  TLSConfig tls;
  tls.ca_file = pki_.path("ca.crt");
  auto res = Get(TlsRequest(server, tls));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->body, "tls_metric 1\n");
  EXPECT_EQ(res->content_type, "text/plain; version=0.0.4");
}

TEST_F(HttpClientTlsTest, UnknownCaFailsUnlessInsecure) {
  TlsServer server(pki_, false);
  auto res = Get(TlsRequest(server, TLSConfig{}));
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.status().message().find("certificate verify failed"), std::string::npos) << res.status().ToString();
  TLSConfig insecure;
  insecure.insecure_skip_verify = true;
  EXPECT_TRUE(Get(TlsRequest(server, insecure)).ok());
}

TEST_F(HttpClientTlsTest, ServerNameIsChecked) {
  TlsServer server(pki_, false);
  TLSConfig tls;
  tls.ca_file = pki_.path("ca.crt");
  tls.server_name = "other.example";
  EXPECT_FALSE(Get(TlsRequest(server, tls)).ok());
  tls.server_name = "localhost";
  auto res = Get(TlsRequest(server, tls));
  EXPECT_TRUE(res.ok()) << res.status().ToString();
}

TEST_F(HttpClientTlsTest, ClientCertificate) {
  TlsServer server(pki_, /*require_client_cert=*/true);
  TLSConfig tls;
  tls.ca_file = pki_.path("ca.crt");
  EXPECT_FALSE(Get(TlsRequest(server, tls)).ok());
  tls.cert_file = pki_.path("client.crt");
  tls.key_file = pki_.path("client.key");
  auto res = Get(TlsRequest(server, tls));
  EXPECT_TRUE(res.ok()) << res.status().ToString();
}

TEST_F(HttpClientTlsTest, ConfigErrors) {
  TLSConfig tls;
  tls.ca_file = pki_.path("missing.crt");
  auto ctx = NewTlsClientContext(tls);
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.status().message().find("unable to load specified CA cert"), std::string::npos);
  tls = {};
  tls.cert_file = pki_.path("client.crt");
  EXPECT_NE(NewTlsClientContext(tls).status().message().find("specified without client key file"), std::string::npos);
  tls = {};
  tls.min_version = "TLS14";
  EXPECT_EQ(NewTlsClientContext(tls).status().message(), "unknown TLS version: TLS14");
}

TEST_F(HttpClientTlsTest, MinVersionAboveServerMaxFails) {
  TlsServer server(pki_, false, TLS1_2_VERSION);
  TLSConfig tls;
  tls.ca_file = pki_.path("ca.crt");
  EXPECT_TRUE(Get(TlsRequest(server, tls)).ok());
  tls.min_version = "TLS13";
  EXPECT_FALSE(Get(TlsRequest(server, tls)).ok());
}

TEST_F(HttpClientTlsTest, SendsAuthorizationAndFollowsRedirects) {
  TlsServer server(pki_, false);
  TLSConfig tls;
  tls.ca_file = pki_.path("ca.crt");
  const std::string token_file = pki_.path("token");
  std::ofstream(token_file) << "s3cret\n";
  HttpClientConfig cfg;
  cfg.authorization = Authorization{"Bearer", "", token_file};
  auto auth = AuthorizationHeader(cfg);
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(*auth, "Bearer s3cret");

  HttpGetRequest req = TlsRequest(server, tls);
  req.authorization = *auth;
  req.target = "/redirect";
  auto not_followed = Get(req);
  ASSERT_FALSE(not_followed.ok());
  EXPECT_EQ(not_followed.status().message(), "server returned HTTP status 302 Found");

  req.follow_redirects = true;
  auto followed = Get(req);
  ASSERT_TRUE(followed.ok()) << followed.status().ToString();
  EXPECT_EQ(followed->body, "tls_metric 1\n");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_TRUE(requests[2].starts_with("GET /metrics ")) << requests[2];
  EXPECT_NE(requests[2].find("Authorization: Bearer s3cret\r\n"), std::string::npos) << requests[2];
}

// The whole path: a job with scheme https, tls_config and basic auth.
TEST_F(HttpClientTlsTest, ScrapeManagerScrapesHttpsWithAuth) {
  TlsServer server(pki_, false);
  FakeAppendable db;
  ScrapeManager mgr(&db, nullptr);
  ScrapeConfig cfg;
  cfg.job_name = "tls";
  cfg.scheme = "https";
  cfg.scrape_timeout_ms = 2'000;
  cfg.scrape_interval_ms = 3'000;
  cfg.http_client.tls_config.ca_file = pki_.path("ca.crt");
  cfg.http_client.basic_auth = BasicAuth{"user", "pass", ""};
  cfg.static_configs.push_back({{"127.0.0.1:" + server.port()}, Labels{}, "static_configs/0"});
  ASSERT_TRUE(mgr.ApplyConfig({cfg}).ok());
  std::vector<TargetStatus> targets;
  for (int i = 0; i < 100; ++i) {
    targets = mgr.Targets();
    if (targets.size() == 1 && targets[0].health != "unknown") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].health, "up") << targets[0].last_error;
  EXPECT_EQ(targets[0].scrape_url, "https://127.0.0.1:" + server.port() + "/metrics");
  mgr.Stop();
  auto requests = server.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_NE(requests[0].find("Authorization: Basic dXNlcjpwYXNz\r\n"), std::string::npos) << requests[0];
}

TEST_F(HttpClientTlsTest, HttpSdOverHttpsWithBearerToken) {
  TlsServer server(pki_, false);
  HttpClientConfig client;
  client.tls_config.ca_file = pki_.path("ca.crt");
  client.authorization = Authorization{"Bearer", "sd-token", ""};
  const std::string url = "https://localhost:" + server.port() + "/sd";
  auto groups = FetchHttpTargetGroups(url, 5'000, client);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].targets[0], "h:1");
  EXPECT_EQ((*groups)[0].labels.Get("__meta_url"), url);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].find("Authorization: Bearer sd-token\r\n"), std::string::npos) << requests[0];
  // Without the CA the certificate is rejected.
  EXPECT_FALSE(FetchHttpTargetGroups(url, 5'000, HttpClientConfig{}).ok());
}

TEST_F(HttpClientTlsTest, ReusedConnectionClosedByServerIsRetried) {
  TlsServer server(pki_, false);
  TLSConfig tls;
  tls.ca_file = pki_.path("ca.crt");
  HttpGetRequest req = TlsRequest(server, tls);
  req.target = "/keepalive";
  std::vector<Result<HttpResponse>> results;
  net::io_context io;
  HttpClient client(io.get_executor());
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
          Result<HttpResponse> r = co_await client.Get(req);
          results.push_back(std::move(r));
        }
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "ka 1\n");
  }
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(HttpClientConfigTest, BasicAuthHeader) {
  HttpClientConfig cfg;
  EXPECT_EQ(*AuthorizationHeader(cfg), "");
  cfg.basic_auth = BasicAuth{"Aladdin", "open sesame", ""};
  EXPECT_EQ(*AuthorizationHeader(cfg), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  cfg.basic_auth = BasicAuth{"u", "", "/nonexistent/password"};
  auto missing = AuthorizationHeader(cfg);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("unable to read basic auth password file"), std::string::npos);
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
}

}  // namespace
}  // namespace promethium::scrape
