#include "scrape/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace promethium::scrape {

Result<std::string> GunzipBounded(std::string_view compressed, size_t limit) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  // 16 + MAX_WBITS: expect a gzip header and trailer, not a raw zlib stream.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Internal("gzip: inflateInit2 failed");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() > limit) break;
    size_t old = out.size();
    size_t chunk = std::clamp<size_t>(compressed.size() * 4, 16 << 10, 4 << 20);
    out.resize(old + chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    zs.avail_out = static_cast<uInt>(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(old + (chunk - zs.avail_out));
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK) {
      std::string msg = zs.msg ? zs.msg : "corrupt stream";
      if (rc == Z_BUF_ERROR) msg = "unexpected EOF";
      inflateEnd(&zs);
      return Status::InvalidArgument("gzip: " + msg);
    }
  }
  inflateEnd(&zs);
  if (out.size() > limit) return Status::ResourceExhausted("body size limit exceeded");
  return out;
}

std::string GzipForTest(std::string_view data) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace promethium::scrape
