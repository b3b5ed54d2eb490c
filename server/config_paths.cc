#include "server/config_paths.h"

namespace promethium::server {

void JoinConfigDir(const std::string& dir, std::string* file) {
  if (!file->empty() && !file->starts_with('/')) *file = dir + *file;
}

void ResolveHttpClientPaths(const std::string& dir, scrape::HttpClientConfig* client) {
  JoinConfigDir(dir, &client->tls_config.ca_file);
  JoinConfigDir(dir, &client->tls_config.cert_file);
  JoinConfigDir(dir, &client->tls_config.key_file);
  if (client->basic_auth) JoinConfigDir(dir, &client->basic_auth->password_file);
  if (client->authorization) JoinConfigDir(dir, &client->authorization->credentials_file);
}

}  // namespace promethium::server
