// TlsServerContext: building the OpenSSL context from certificate files
// (made by the openssl CLI at run time), the config errors for bad ones, the
// settings it applies, and certificate reloading on content change.
#include "web/webconfig/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <boost/asio/ssl/context.hpp>
#include <cstdlib>

namespace promethium::web {
namespace {

class TlsContextTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "tls_context_test_" + std::to_string(::getpid());
    ASSERT_TRUE(Env::Default()->CreateDirs(dir_).ok());
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    const std::string script = "cd " + dir_ + " && openssl req -x509" + ec +
                               " -keyout ca.key -out ca.crt -days 2 -subj /CN=ca" + " && openssl req -x509" + ec +
                               " -keyout a.key -out a.crt -days 2 -subj /CN=server-a" + " && openssl req -x509" + ec +
                               " -keyout b.key -out b.crt -days 2 -subj /CN=server-b";
    ASSERT_EQ(std::system(("(" + script + ") >/dev/null 2>&1").c_str()), 0) << "openssl CLI failed";
    cfg_.cert_file = Path("cert.pem");
    cfg_.key_file = Path("key.pem");
    Install("a");
  }
  void TearDown() override { EXPECT_TRUE(Env::Default()->RemoveDirRecursively(dir_).ok()); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string Read(const std::string& name) const { return ReadFileToString(Env::Default(), Path(name)).value(); }
  void Write(const std::string& name, const std::string& text) const {
    ASSERT_TRUE(WriteFileAtomically(Env::Default(), Path(name), text).ok());
  }
  // Makes cert.pem/key.pem the pair `which` ("a" or "b").
  void Install(const std::string& which) const {
    Write("cert.pem", Read(which + ".crt"));
    Write("key.pem", Read(which + ".key"));
  }
  static std::string SubjectOf(const std::shared_ptr<boost::asio::ssl::context>& ctx) {
    X509* cert = SSL_CTX_get0_certificate(ctx->native_handle());
    char buf[256] = {};
    X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
    return buf;
  }

  std::string dir_;
  TlsServerConfig cfg_;
};

TEST_F(TlsContextTest, BuildsFromFilesAndInlinePem) {
  auto ctx = TlsServerContext::Create(cfg_, Env::Default());
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  EXPECT_EQ(SubjectOf((*ctx)->ForNewConnection()), "/CN=server-a");

  TlsServerConfig inline_cfg;
  inline_cfg.cert = Read("b.crt");
  inline_cfg.key = Read("b.key");
  auto inline_ctx = TlsServerContext::Create(inline_cfg, Env::Default());
  ASSERT_TRUE(inline_ctx.ok()) << inline_ctx.status().message();
  EXPECT_EQ(SubjectOf((*inline_ctx)->ForNewConnection()), "/CN=server-b");
}

TEST_F(TlsContextTest, BadFilesAreConfigErrors) {
  TlsServerConfig missing = cfg_;
  missing.cert_file = Path("nope.pem");
  auto ctx = TlsServerContext::Create(missing, Env::Default());
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.status().message().find("failed to read cert_file (" + Path("nope.pem") + ")"), std::string::npos);

  TlsServerConfig mismatched = cfg_;
  mismatched.key_file = Path("b.key");
  ctx = TlsServerContext::Create(mismatched, Env::Default());
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.status().message().find("failed to load X509KeyPair"), std::string::npos) << ctx.status().message();

  TlsServerConfig garbage = cfg_;
  garbage.cert_file = Path("key.pem");  // a key is no certificate
  EXPECT_FALSE(TlsServerContext::Create(garbage, Env::Default()).ok());

  TlsServerConfig no_ca = cfg_;
  no_ca.client_auth = ClientAuthType::kRequireAndVerifyClientCert;
  no_ca.client_ca = "not a certificate";
  ctx = TlsServerContext::Create(no_ca, Env::Default());
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.status().message().find("no certificate found"), std::string::npos) << ctx.status().message();
}

TEST_F(TlsContextTest, AppliesVersionsCiphersAndClientAuth) {
  TlsServerConfig cfg = cfg_;
  cfg.min_version = kTls12;
  cfg.max_version = kTls12;
  cfg.cipher_list = {"ECDHE-ECDSA-AES128-GCM-SHA256"};
  cfg.groups = {"P-256"};
  cfg.client_ca_file = Path("ca.crt");
  cfg.client_auth = ClientAuthType::kRequireAndVerifyClientCert;
  auto ctx = TlsServerContext::Create(cfg, Env::Default());
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  SSL_CTX* native = (*ctx)->ForNewConnection()->native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(native), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(native), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_verify_mode(native), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
  EXPECT_EQ(sk_X509_NAME_num(SSL_CTX_get_client_CA_list(native)), 1);
  EXPECT_NE(SSL_CTX_get_options(native) & SSL_OP_CIPHER_SERVER_PREFERENCE, 0u);
  // The TLS 1.2 list is exactly the configured suite (TLS 1.3 suites stay).
  bool has_configured = false;
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(native);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    std::string name = SSL_CIPHER_get_name(c);
    if (name == "ECDHE-ECDSA-AES128-GCM-SHA256") has_configured = true;
    if (!name.starts_with("TLS_")) {  // OpenSSL names every TLS 1.3 suite TLS_*
      EXPECT_EQ(name, "ECDHE-ECDSA-AES128-GCM-SHA256");
    }
  }
  EXPECT_TRUE(has_configured);
}

TEST_F(TlsContextTest, ReloadsChangedCertificatesAndKeepsTheOldOnBadOnes) {
  auto created = TlsServerContext::Create(cfg_, Env::Default());
  ASSERT_TRUE(created.ok()) << created.status().message();
  TlsServerContext& tls = **created;
  auto first = tls.ForNewConnection();
  EXPECT_EQ(tls.ForNewConnection(), first);  // unchanged files: the same context

  Install("b");
  auto second = tls.ForNewConnection();
  EXPECT_NE(second, first);
  EXPECT_EQ(SubjectOf(second), "/CN=server-b");

  // Half-replaced (a's certificate with b's key): the old context stays.
  Write("cert.pem", Read("a.crt"));
  EXPECT_EQ(tls.ForNewConnection(), second);
  Write("key.pem", Read("a.key"));  // now whole again
  EXPECT_EQ(SubjectOf(tls.ForNewConnection()), "/CN=server-a");

  ASSERT_TRUE(Env::Default()->RemoveFile(Path("key.pem")).ok());  // unreadable: keep serving
  EXPECT_EQ(SubjectOf(tls.ForNewConnection()), "/CN=server-a");
}

}  // namespace
}  // namespace promethium::web
