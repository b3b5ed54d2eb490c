// A forged snappy header must not make the remote write and remote read
// decoders allocate the size it claims. This binary replaces the global
// operator new to record the largest single allocation, which is why it is a
// test binary of its own (the replacement applies to the whole program).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "web/http_types.h"
#include "web/remote/read_request.h"
#include "web/remote/write_handler.h"

namespace {
std::atomic<size_t> g_largest_allocation{0};
}  // namespace

void* operator new(size_t n) {
  size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
  while (n > seen && !g_largest_allocation.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace promethium::web {
namespace {

// A varint length header claiming `claimed` bytes, followed by one tiny
// literal. Each test claims less than its decoder's limit, so that only the
// validation of the stream can refuse it before allocating.
std::string ForgedSnappy(uint64_t claimed) {
  std::string body;
  for (uint64_t v = claimed; v != 0; v >>= 7) body.push_back(static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0)));
  body += std::string("\x00x", 2);
  return body;
}

TEST(SnappyBombTest, RemoteWriteRefusesAForgedLengthWithoutAllocatingIt) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/write";
  req.headers = {{"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "snappy"}};
  req.body = ForgedSnappy(200u << 20);  // limit: 256 MiB
  class NoAppendable final : public Appendable {
   public:
    std::unique_ptr<Appender> NewAppender() override { return nullptr; }
  } appendable;
  g_largest_allocation = 0;
  HttpResponse r = ServeRemoteWrite(&appendable, req, 0);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "snappy: corrupt input\n");
  EXPECT_LT(g_largest_allocation.load(), size_t{1} << 20);
}

TEST(SnappyBombTest, RemoteReadRefusesAForgedLengthWithoutAllocatingIt) {
  g_largest_allocation = 0;
  Result<ReadRequest> r = DecodeReadRequest(ForgedSnappy(60u << 20));  // limit: 64 MiB
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "snappy: corrupt input");
  EXPECT_LT(g_largest_allocation.load(), size_t{1} << 20);
}

}  // namespace
}  // namespace promethium::web
