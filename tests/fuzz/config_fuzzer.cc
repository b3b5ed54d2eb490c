// Fuzz target: the configuration loader (server/config*.cc): YAML text to a
// validated Config (scrape, relabel, HTTP client, alerting, remote read and
// write sections), then the effective config printed back as YAML, as
// /api/v1/status/config does. Byte sizes are parsed on their own too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = promethium::server::ParseConfig(text);
  if (config.ok()) (void)promethium::server::ConfigToYaml(*config);
  if (size < 64) (void)promethium::server::ParseByteSize(text);
  return 0;
}
