// WebAccess without sockets: basic auth in front of the handler (401 with
// WWW-Authenticate, good and bad credentials), the configured headers on
// every answer, which requests count as slow, and reloads (a bad file keeps
// the current state).
#include "web/web_access.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "web/webconfig/bcrypt_for_test.h"

namespace promethium::web {
namespace {

class WebAccessTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "web_access_test_" + std::to_string(::getpid());
    ASSERT_TRUE(Env::Default()->CreateDirs(dir_).ok());
    path_ = dir_ + "/web.yml";
    hash_ = BcryptForTest("s3cret");
    ASSERT_FALSE(hash_.empty());
  }
  void TearDown() override { EXPECT_TRUE(Env::Default()->RemoveDirRecursively(dir_).ok()); }

  Status LoadYaml(const std::string& yaml) {
    Status s = WriteFileAtomically(Env::Default(), path_, yaml);
    return s.ok() ? access_.Load(path_) : s;
  }
  std::string AuthYaml() const {
    return "basic_auth_users:\n  alice: '" + hash_ +
           "'\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n";
  }
  // A request to /metrics with an Authorization header (none when empty).
  static HttpRequest Request(const std::string& authorization) {
    HttpRequest req;
    req.target = "/metrics";
    if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
    return req;
  }
  HttpResponse Serve(const HttpRequest& req) {
    return access_.Handle(req, [&] {
      ++handled_;
      HttpResponse resp;
      resp.body = "ok";
      return resp;
    });
  }

  std::string dir_, path_, hash_;
  WebAccess access_;
  int handled_ = 0;
};

// "alice:s3cret", "alice:wrong" and "bob:s3cret" in base64.
constexpr std::string_view kGood = "Basic YWxpY2U6czNjcmV0";
constexpr std::string_view kWrong = "Basic YWxpY2U6d3Jvbmc=";
constexpr std::string_view kUnknown = "Basic Ym9iOnMzY3JldA==";

TEST_F(WebAccessTest, WithoutAFileEverythingPasses) {
  ASSERT_TRUE(access_.Load("").ok());
  HttpResponse resp = Serve(Request(""));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(handled_, 1);
  EXPECT_FALSE(access_.tls_enabled());
  EXPECT_EQ(access_.TlsForNewConnection(), nullptr);
}

TEST_F(WebAccessTest, BasicAuthGuardsTheHandler) {
  ASSERT_TRUE(LoadYaml(AuthYaml()).ok());
  for (std::string_view bad : {std::string_view(), kWrong, kUnknown, std::string_view("Basic !!!")}) {
    HttpResponse resp = Serve(Request(std::string(bad)));
    EXPECT_EQ(resp.status, 401) << bad;
    EXPECT_EQ(resp.Header("WWW-Authenticate"), "Basic") << bad;
    EXPECT_EQ(resp.body, "Unauthorized\n");
    EXPECT_EQ(resp.Header("X-Frame-Options"), "deny");  // headers go on refusals too
  }
  EXPECT_EQ(handled_, 0);
  HttpResponse resp = Serve(Request(std::string(kGood)));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "ok");
  EXPECT_EQ(handled_, 1);
  EXPECT_EQ(resp.Header("X-Frame-Options"), "deny");
  EXPECT_EQ(resp.Header("X-Content-Type-Options"), "nosniff");
}

TEST_F(WebAccessTest, ConfiguredHeadersReplaceTheHandlers) {
  ASSERT_TRUE(LoadYaml("http_server_config:\n  headers:\n    X-Frame-Options: sameorigin\n").ok());
  HttpResponse resp = access_.Handle(Request(""), [] {
    HttpResponse r;
    r.headers.emplace_back("x-frame-options", "deny");
    return r;
  });
  ASSERT_EQ(resp.headers.size(), 1u);
  EXPECT_EQ(resp.headers[0].second, "sameorigin");
}

TEST_F(WebAccessTest, OnlyUncachedCredentialsAreSlow) {
  ASSERT_TRUE(LoadYaml(AuthYaml()).ok());
  EXPECT_FALSE(access_.IsSlow(Request("")));  // nothing to hash: answered 401 at once
  EXPECT_TRUE(access_.IsSlow(Request(std::string(kGood))));
  EXPECT_EQ(Serve(Request(std::string(kGood))).status, 200);
  EXPECT_FALSE(access_.IsSlow(Request(std::string(kGood))));  // cached now
  EXPECT_TRUE(access_.IsSlow(Request(std::string(kWrong))));  // failures are never cached
}

TEST_F(WebAccessTest, ABadFileKeepsTheCurrentState) {
  ASSERT_TRUE(LoadYaml(AuthYaml()).ok());
  Status s = LoadYaml("basic_auth_users:\n  alice: plaintext\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not a bcrypt hash"), std::string::npos) << s.message();
  EXPECT_EQ(Serve(Request("")).status, 401);  // still guarded
  s = LoadYaml("tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("failed to read cert_file"), std::string::npos) << s.message();
  EXPECT_FALSE(access_.tls_enabled());
  EXPECT_FALSE(access_.Load(dir_ + "/absent.yml").ok());
  EXPECT_EQ(Serve(Request(std::string(kGood))).status, 200);
  // A good file replaces it: no users, no auth.
  ASSERT_TRUE(LoadYaml("").ok());
  EXPECT_EQ(Serve(Request("")).status, 200);
}

}  // namespace
}  // namespace promethium::web
