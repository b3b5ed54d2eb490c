// Prometheus's SetDirectory for one config: relative file paths (file_sd
// files, TLS files, password and credentials files) become relative to the
// directory of the config file that names them.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "scrape/http_client_config.h"

namespace promethium::server {

// `dir` is "" or ends in '/'; absolute and empty paths are left alone.
void JoinConfigDir(const std::string& dir, std::string* file);
// The TLS, basic-auth password and authorization credentials files.
void ResolveHttpClientPaths(const std::string& dir, scrape::HttpClientConfig* client);

}  // namespace promethium::server
