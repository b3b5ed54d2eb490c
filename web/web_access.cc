#include "web/web_access.h"

#include <strings.h>

#include "tsdb/base/logging.h"
#include "web/webconfig/basic_auth.h"
#include "web/webconfig/tls_context.h"
#include "web/webconfig/web_config.h"

namespace promethium::web {

struct WebAccess::State {
  WebConfig config;
  std::unique_ptr<BasicAuthenticator> auth;  // null: no basic_auth_users
  std::unique_ptr<TlsServerContext> tls;     // null: plain HTTP
};

namespace {

// Sets name: value, replacing a header of the same name (as Go's Header.Set).
void SetHeader(HttpResponse* resp, const std::string& name, const std::string& value) {
  for (auto& [key, v] : resp->headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      v = value;
      return;
    }
  }
  resp->headers.emplace_back(name, value);
}

}  // namespace

WebAccess::WebAccess(Env* env) : env_(env), state_(std::make_shared<State>()) {}

WebAccess::~WebAccess() = default;

Status WebAccess::Load(const std::string& path) {
  auto state = std::make_shared<State>();
  if (!path.empty()) {
    Result<WebConfig> cfg = LoadWebConfigFile(env_, path);
    if (!cfg.ok()) return cfg.status();
    state->config = std::move(cfg).value();
    if (state->config.tls.Enabled()) {
      Result<std::unique_ptr<TlsServerContext>> tls = TlsServerContext::Create(state->config.tls, env_);
      if (!tls.ok()) return tls.status();
      state->tls = std::move(tls).value();
    }
    if (!state->config.basic_auth_users.empty()) {
      state->auth = std::make_unique<BasicAuthenticator>(state->config.basic_auth_users);
    }
    if (state->config.http.http2_given && state->config.http.http2) {
      LogWarn("web",
              "unsupported: http_server_config.http2: true; Promethium serves HTTP/1.1 only (clients fall back)");
    }
  }
  LogInfo("web", "web config loaded: file={} tls={} basic_auth_users={}", path.empty() ? "-" : path,
          state->tls != nullptr, state->config.basic_auth_users.size());
  MutexLock lock(&mu_);
  state_ = std::move(state);
  return Status::OK();
}

std::shared_ptr<const WebAccess::State> WebAccess::Current() const {
  MutexLock lock(&mu_);
  return state_;
}

HttpResponse WebAccess::Handle(const HttpRequest& req, const std::function<HttpResponse()>& next) const {
  std::shared_ptr<const State> state = Current();
  bool allowed = state->auth == nullptr;
  if (!allowed) {
    auto credentials = ParseBasicAuthorization(FindHeader(req.headers, "Authorization"));
    allowed = credentials && state->auth->Verify(credentials->first, credentials->second);
  }
  HttpResponse resp;
  if (allowed) {
    resp = next();
  } else {
    resp = GoHttpErrorResponse(401, "Unauthorized");
    resp.headers.emplace_back("WWW-Authenticate", "Basic");
  }
  for (const auto& [name, value] : state->config.http.headers) SetHeader(&resp, name, value);
  return resp;
}

bool WebAccess::IsSlow(const HttpRequest& req) const {
  std::shared_ptr<const State> state = Current();
  if (state->auth == nullptr) return false;
  auto credentials = ParseBasicAuthorization(FindHeader(req.headers, "Authorization"));
  return credentials && !state->auth->IsCached(credentials->first, credentials->second);
}

std::shared_ptr<boost::asio::ssl::context> WebAccess::TlsForNewConnection() const {
  std::shared_ptr<const State> state = Current();
  return state->tls ? state->tls->ForNewConnection() : nullptr;
}

bool WebAccess::tls_enabled() const { return Current()->tls != nullptr; }

}  // namespace promethium::web
