// Fuzz target: what the remote write receiver and remote read server decode
// (web/remote): the zero-copy WriteRequest decoder on the raw bytes, the
// whole receiver (ServeRemoteWrite) with the bytes as the snappy body and
// snappy-compressed (so the protobuf reaches validation and append), the
// remote read request decoder, the streamed-read frame reader
// (remote/proto/chunked_frame.h), and the generated parser of remote write
// 2.0's io.prometheus.write.v2.Request, which the receiver answers 415.
#include <google/protobuf/stubs/logging.h>
#include <snappy.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "remote/proto/chunked_frame.h"
#include "remote/proto/write_v2.pb.h"
#include "tests/fuzz/discard_appendable.h"
#include "web/http_types.h"
#include "web/remote/read_request.h"
#include "web/remote/write_handler.h"
#include "web/remote/write_request_decoder.h"

namespace {

void ServeBody(promethium::fuzz::DiscardAppendable* app, std::string body, const char* content_type) {
  promethium::web::HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/write";
  req.headers = {{"Content-Encoding", "snappy"}, {"Content-Type", content_type}};
  req.body = std::move(body);
  (void)promethium::web::ServeRemoteWrite(app, req, 1700000000000);
}

}  // namespace

// Protobuf logs every string field with invalid UTF-8 to stderr; that is
// the expected outcome of most inputs and slows fuzzing down.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  static promethium::fuzz::DiscardAppendable app;

  promethium::web::DecodedWriteRequest decoded;
  (void)promethium::web::DecodeWriteRequest(raw, &decoded);

  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  ServeBody(&app, std::string(raw), "application/x-protobuf");
  ServeBody(&app, compressed, "application/x-protobuf");
  ServeBody(&app, compressed, "application/x-protobuf;proto=io.prometheus.write.v2.Request");

  (void)promethium::web::DecodeReadRequest(raw);
  (void)promethium::web::DecodeReadRequest(compressed);

  promethium::remote::ChunkedFrameReader frames(raw, 1 << 20);
  std::string_view frame;
  for (int i = 0; i < 1000; ++i) {
    auto more = frames.Next(&frame);
    if (!more.ok() || !*more) break;
  }

  io::prometheus::write::v2::Request v2;
  if (v2.ParseFromArray(raw.data(), static_cast<int>(raw.size()))) {
    for (const auto& ts : v2.timeseries()) {
      for (uint32_t ref : ts.labels_refs()) {
        if (ref < static_cast<uint32_t>(v2.symbols_size())) (void)v2.symbols(static_cast<int>(ref)).size();
      }
    }
  }
  return 0;
}
