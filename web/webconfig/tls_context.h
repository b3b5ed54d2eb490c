// TlsServerContext: the OpenSSL server context built from a web config's
// tls_server_config, and its certificate reloading.
//
// Create() reads the certificate, key and client CA (files through Env, or
// the inline PEM text) and builds the context, so every error in them is a
// config error at start-up or reload. ForNewConnection() is called for each
// accepted connection before its handshake: it re-reads the files and, when
// their content changed, builds a new context from them (Prometheus re-reads
// its certificates on every handshake too). A rebuild that fails (say a new
// certificate written before its key) keeps the previous context and logs
// the error once per change of the files' content.
//
// Ownership: each connection holds the shared_ptr it was given for as long
// as it lives, so a replaced context outlives its last connection.
// Thread-safety: ForNewConnection may be called from many threads.
#pragma once

#include <memory>
#include <string>

#include "tsdb/base/env.h"
#include "tsdb/base/result.h"
#include "tsdb/base/thread_annotations.h"
#include "web/webconfig/web_config.h"

namespace boost::asio::ssl {
class context;
}

namespace promethium::web {

class TlsServerContext {
 public:
  // cfg.Enabled() must be true.
  static Result<std::unique_ptr<TlsServerContext>> Create(const TlsServerConfig& cfg, Env* env);
  ~TlsServerContext();

  std::shared_ptr<boost::asio::ssl::context> ForNewConnection();

 private:
  // The PEM text the context is built from.
  struct Material {
    std::string cert, key, client_ca;
    bool operator==(const Material&) const = default;
  };
  TlsServerContext(const TlsServerConfig& cfg, Env* env) : cfg_(cfg), env_(env) {}
  Result<Material> ReadMaterial() const;
  Result<std::shared_ptr<boost::asio::ssl::context>> Build(const Material& m) const;

  const TlsServerConfig cfg_;
  Env* const env_;
  Mutex mu_;
  Material attempted_ GUARDED_BY(mu_);  // what the newest build (good or bad) used
  std::string last_read_error_ GUARDED_BY(mu_);
  std::shared_ptr<boost::asio::ssl::context> current_ GUARDED_BY(mu_);
};

}  // namespace promethium::web
