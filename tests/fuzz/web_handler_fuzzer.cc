// Fuzz target: the HTTP request path through ApiHandler::Handle() (web/), the
// function the Beast server calls for every request. The input is a request
// written as text:
//
//   <METHOD> <target>\n
//   <Header>: <value>\n ...
//   \n
//   <body>
//
// (a first line without a space is a GET of that target). The handler runs
// with every optional API on (admin, lifecycle, remote write receiver) over
// the fixed dataset of fuzz_dataset.h; the admin and lifecycle callbacks do
// nothing, so no input changes state across runs.
#include <google/protobuf/stubs/logging.h>
#include <chrono>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "promql/engine/engine.h"
#include "tests/fuzz/discard_appendable.h"
#include "tests/fuzz/fuzz_dataset.h"
#include "web/api_handler.h"
#include "web/http_types.h"

namespace {

using promethium::web::HttpRequest;

std::string_view TakeLine(std::string_view* rest) {
  size_t nl = rest->find('\n');
  std::string_view line = rest->substr(0, nl);
  *rest = nl == std::string_view::npos ? std::string_view() : rest->substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

HttpRequest ParseRequest(std::string_view input) {
  HttpRequest req;
  std::string_view first = TakeLine(&input);
  size_t sp = first.find(' ');
  if (sp == std::string_view::npos) {
    req.target = std::string(first);
  } else {
    req.method = std::string(first.substr(0, sp));
    req.target = std::string(first.substr(sp + 1));
  }
  for (int i = 0; i < 64 && !input.empty(); ++i) {
    std::string_view line = TakeLine(&input);
    if (line.empty()) break;
    size_t colon = line.find(':');
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    req.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  req.body = std::string(input);
  req.remote = "127.0.0.1:1";
  return req;
}

promethium::web::ApiHandler* MakeHandler() {
  static promethium::MemoryStorage* storage = promethium::fuzz::MakeDataset().release();
  static promethium::fuzz::DiscardAppendable appendable;
  promethium::promql::EngineOptions eopts;
  eopts.timeout = std::chrono::milliseconds(1000);
  eopts.max_samples = 200000;
  static promethium::promql::Engine engine(eopts);
  promethium::web::ApiDeps deps;
  deps.storage = storage;
  deps.engine = &engine;
  deps.flags = {{"storage.tsdb.path", "data/"}, {"web.enable-admin-api", "true"}};
  deps.config_yaml = [] { return std::string("global:\n  scrape_interval: 15s\n"); };
  deps.enable_lifecycle = true;
  deps.reload = [] { return promethium::Status::OK(); };
  deps.quit = [] { return false; };
  deps.enable_admin_api = true;
  deps.delete_series = [](const auto&, int64_t, int64_t) { return promethium::Status::OK(); };
  deps.clean_tombstones = [] { return promethium::Status::OK(); };
  deps.remote_write_appendable = &appendable;
  deps.external_labels = [] { return promethium::Labels({{"replica", "a"}}); };
  return new promethium::web::ApiHandler(std::move(deps));
}

}  // namespace

// Protobuf logs every string field with invalid UTF-8 to stderr; that is
// the expected outcome of most inputs and slows fuzzing down.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  static promethium::web::ApiHandler* handler = MakeHandler();
  HttpRequest req = ParseRequest(std::string_view(reinterpret_cast<const char*>(data), size));
  promethium::web::HttpResponse resp = handler->Handle(req);
  if (resp.stream) {
    std::string piece;
    for (int i = 0; i < 10000 && resp.stream->Next(&piece); ++i) piece.clear();
  }
  return 0;
}
