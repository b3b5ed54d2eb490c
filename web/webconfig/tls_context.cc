#include "web/webconfig/tls_context.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>

#include "tsdb/base/logging.h"

namespace promethium::web {

namespace ssl = boost::asio::ssl;

namespace {

// The reason of OpenSSL's newest error, cleared.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

// RequestClientCert and RequireAnyClientCert take any certificate unverified.
int AcceptAnyCertificate(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

Result<std::string> ReadPem(Env* env, const std::string& inline_text, const std::string& file, std::string_view what) {
  if (file.empty()) return inline_text;
  Result<std::string> text = ReadFileToString(env, file);
  if (!text.ok())
    return Status::InvalidArgument(fmt::format("failed to read {} ({}): {}", what, file, text.status().message()));
  return text;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ":") + item;
  return out;
}

// Adds every certificate of the PEM text to the verify store and to the CA
// names sent in the certificate request.
Status LoadClientCa(SSL_CTX* ctx, const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return Status::Internal("BIO_new_mem_buf failed");
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert);
    SSL_CTX_add_client_CA(ctx, cert);
    X509_free(cert);
    ++count;
  }
  BIO_free(bio);
  ERR_clear_error();  // the end of the text reads as an error
  if (count == 0) return Status::InvalidArgument("client CA: no certificate found in the PEM text");
  return Status::OK();
}

int VerifyMode(ClientAuthType type) {
  switch (type) {
    case ClientAuthType::kNoClientCert: return SSL_VERIFY_NONE;
    case ClientAuthType::kRequestClientCert:
    case ClientAuthType::kVerifyClientCertIfGiven: return SSL_VERIFY_PEER;
    case ClientAuthType::kRequireAnyClientCert:
    case ClientAuthType::kRequireAndVerifyClientCert: return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  return SSL_VERIFY_NONE;
}

// Protocol versions, cipher suites, curves and preference order.
Status ApplyProtocol(const TlsServerConfig& cfg, SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, cfg.min_version);
  SSL_CTX_set_max_proto_version(ctx, cfg.max_version);
  // OpenSSL 3 refuses TLS 1.0 and 1.1 above security level 0; asking for
  // them in the file is taken as asking for that level.
  if (cfg.min_version < kTls12) SSL_CTX_set_security_level(ctx, 0);
  if (!cfg.cipher_list.empty() && SSL_CTX_set_cipher_list(ctx, Join(cfg.cipher_list).c_str()) != 1) {
    return Status::InvalidArgument("cipher_suites: " + OpenSslError());
  }
  if (!cfg.groups.empty() && SSL_CTX_set1_groups_list(ctx, Join(cfg.groups).c_str()) != 1) {
    return Status::InvalidArgument("curve_preferences: " + OpenSslError());
  }
  if (cfg.prefer_server_cipher_suites) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  return Status::OK();
}

}  // namespace

TlsServerContext::~TlsServerContext() = default;

Result<std::unique_ptr<TlsServerContext>> TlsServerContext::Create(const TlsServerConfig& cfg, Env* env) {
  std::unique_ptr<TlsServerContext> out(new TlsServerContext(cfg, env));
  Result<Material> material = out->ReadMaterial();
  if (!material.ok()) return material.status();
  Result<std::shared_ptr<ssl::context>> ctx = out->Build(*material);
  if (!ctx.ok()) return ctx.status();
  MutexLock lock(&out->mu_);
  out->attempted_ = std::move(material).value();
  out->current_ = std::move(ctx).value();
  return out;
}

Result<TlsServerContext::Material> TlsServerContext::ReadMaterial() const {
  Material m;
  Result<std::string> cert = ReadPem(env_, cfg_.cert, cfg_.cert_file, "cert_file");
  if (!cert.ok()) return cert.status();
  Result<std::string> key = ReadPem(env_, cfg_.key, cfg_.key_file, "key_file");
  if (!key.ok()) return key.status();
  Result<std::string> ca = ReadPem(env_, cfg_.client_ca, cfg_.client_ca_file, "client_ca_file");
  if (!ca.ok()) return ca.status();
  m.cert = std::move(cert).value();
  m.key = std::move(key).value();
  m.client_ca = std::move(ca).value();
  return m;
}

Result<std::shared_ptr<ssl::context>> TlsServerContext::Build(const Material& m) const {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(m.cert), ec);
  if (!ec) ctx->use_private_key(boost::asio::buffer(m.key), ssl::context::pem, ec);
  if (ec) return Status::InvalidArgument("failed to load X509KeyPair: " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1) {
    return Status::InvalidArgument("failed to load X509KeyPair: private key does not match public key");
  }
  PROMETHIUM_RETURN_IF_ERROR(ApplyProtocol(cfg_, native));
  if (!m.client_ca.empty()) PROMETHIUM_RETURN_IF_ERROR(LoadClientCa(native, m.client_ca));
  bool unverified = cfg_.client_auth == ClientAuthType::kRequestClientCert ||
                    cfg_.client_auth == ClientAuthType::kRequireAnyClientCert;
  SSL_CTX_set_verify(native, VerifyMode(cfg_.client_auth), unverified ? AcceptAnyCertificate : nullptr);
  // Session resumption with client certificates needs a session id context.
  static constexpr unsigned char kSessionContext[] = "promethium";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof(kSessionContext) - 1);
  return ctx;
}

std::shared_ptr<ssl::context> TlsServerContext::ForNewConnection() {
  MutexLock lock(&mu_);
  Result<Material> material = ReadMaterial();
  if (!material.ok()) {
    if (material.status().message() != last_read_error_) {
      last_read_error_ = material.status().message();
      LogWarn("web", "keeping the current TLS certificate: {}", last_read_error_);
    }
    return current_;
  }
  last_read_error_.clear();
  if (*material == attempted_) return current_;
  attempted_ = *material;
  Result<std::shared_ptr<ssl::context>> ctx = Build(*material);
  if (!ctx.ok()) {
    LogWarn("web", "keeping the current TLS certificate: the changed files do not load: {}", ctx.status().message());
    return current_;
  }
  LogInfo("web", "TLS certificate files changed; new connections use them");
  current_ = std::move(ctx).value();
  return current_;
}

}  // namespace promethium::web
