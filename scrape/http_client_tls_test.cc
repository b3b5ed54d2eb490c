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
#include "scrape/test_tls_server.h"

namespace promethium::scrape {
namespace {

namespace net = boost::asio;

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

class HttpClientTlsTest : public PkiTest {};

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
