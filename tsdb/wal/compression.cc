#include "tsdb/wal/compression.h"

#include <snappy.h>
#include <zstd.h>

#include "tsdb/wal/segment.h"

namespace promethium::tsdb::wal {
namespace {

constexpr uint8_t kCodecSnappy = 1;
constexpr uint8_t kCodecZstd = 2;
constexpr int kZstdLevel = 1;

Status Bad(std::string_view what) { return Status::Corruption("wal: compressed record: " + std::string(what)); }

Result<std::string_view> DecompressSnappy(std::string_view in, std::string* scratch) {
  size_t len = 0;
  if (!snappy::GetUncompressedLength(in.data(), in.size(), &len)) return Bad("bad snappy header");
  if (len > kMaxRecordSize) return Bad("snappy length " + std::to_string(len) + " exceeds the record limit");
  scratch->resize(len);
  if (!snappy::RawUncompress(in.data(), in.size(), scratch->data())) return Bad("bad snappy data");
  return std::string_view(*scratch);
}

Result<std::string_view> DecompressZstd(std::string_view in, std::string* scratch) {
  const unsigned long long len = ZSTD_getFrameContentSize(in.data(), in.size());
  if (len == ZSTD_CONTENTSIZE_ERROR || len == ZSTD_CONTENTSIZE_UNKNOWN) return Bad("bad zstd frame header");
  if (len > kMaxRecordSize) return Bad("zstd length " + std::to_string(len) + " exceeds the record limit");
  scratch->resize(len);
  const size_t got = ZSTD_decompress(scratch->data(), scratch->size(), in.data(), in.size());
  if (ZSTD_isError(got) || got != len) return Bad("bad zstd data");
  return std::string_view(*scratch);
}

}  // namespace

Result<Compression> ParseCompression(std::string_view name) {
  if (name.empty() || name == "none") return Compression::kNone;
  if (name == "snappy") return Compression::kSnappy;
  if (name == "zstd") return Compression::kZstd;
  return Status::InvalidArgument("unknown WAL compression type \"" + std::string(name) +
                                 "\" (want none, snappy or zstd)");
}

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kSnappy: return "snappy";
    case Compression::kZstd: return "zstd";
    case Compression::kNone: break;
  }
  return "none";
}

void CompressRecord(Compression c, std::string_view record, std::string* out) {
  out->clear();
  if (c == Compression::kNone || record.empty()) {
    out->assign(record);
    return;
  }
  size_t n = 0;
  if (c == Compression::kSnappy) {
    out->resize(1 + snappy::MaxCompressedLength(record.size()));
    snappy::RawCompress(record.data(), record.size(), out->data() + 1, &n);
    (*out)[0] = static_cast<char>(kCompressedFlag | kCodecSnappy);
  } else {
    out->resize(1 + ZSTD_compressBound(record.size()));
    n = ZSTD_compress(out->data() + 1, out->size() - 1, record.data(), record.size(), kZstdLevel);
    if (ZSTD_isError(n)) n = record.size();  // cannot happen with a bound-sized buffer; store it plain
    (*out)[0] = static_cast<char>(kCompressedFlag | kCodecZstd);
  }
  if (1 + n >= record.size()) {
    out->assign(record);  // not worth it: plain records stay readable everywhere
    return;
  }
  out->resize(1 + n);
}

Result<std::string_view> DecompressPayload(std::string_view payload, std::string* scratch) {
  if (payload.empty()) return Status::Corruption("wal: empty record");
  const auto flag = static_cast<uint8_t>(payload[0]);
  if ((flag & kCompressedFlag) == 0) return payload;
  const std::string_view body = payload.substr(1);
  switch (flag & ~kCompressedFlag) {
    case kCodecSnappy: return DecompressSnappy(body, scratch);
    case kCodecZstd: return DecompressZstd(body, scratch);
    default: return Bad("unknown codec flag " + std::to_string(flag));
  }
}

}  // namespace promethium::tsdb::wal
