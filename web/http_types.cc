#include "web/http_types.h"

#include <strings.h>

namespace promethium::web {

std::string_view FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) return value;
  }
  return {};
}

HttpResponse GoHttpErrorResponse(int status, std::string_view text) {
  HttpResponse resp;
  resp.status = status;
  resp.headers = {{"Content-Type", "text/plain; charset=utf-8"}, {"X-Content-Type-Options", "nosniff"}};
  resp.body = std::string(text) + "\n";
  return resp;
}

}  // namespace promethium::web
