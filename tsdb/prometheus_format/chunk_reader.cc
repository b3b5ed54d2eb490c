#include "tsdb/prometheus_format/chunk_reader.h"

#include <algorithm>
#include <utility>

#include "tsdb/encoding/block_encoding.h"
#include "tsdb/encoding/crc32c.h"
#include "tsdb/prometheus_format/magic.h"

namespace promethium::tsdb {
namespace enc = block_encoding;

namespace {
constexpr uint8_t kPromChunksVersion = 1;
constexpr size_t kPromSegmentHeaderSize = 8;  // magic u32 | version u8 | 3 padding bytes
constexpr size_t kPromChunkLenFieldMax = 5;   // Prometheus bounds the length uvarint to 32 bits
constexpr uint64_t kPromChunkProbe = 512;     // first read of a chunk: most XOR chunks fit
// File names of digits only, with their numbers, ascending.
std::vector<std::pair<uint64_t, std::string>> NumberedFiles(const std::vector<std::string>& names) {
  std::vector<std::pair<uint64_t, std::string>> out;
  for (const std::string& name : names) {
    if (name.empty() || name.size() > 10) continue;
    if (!std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    out.emplace_back(std::stoull(name), name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class PrometheusChunkReader final : public BlockChunkFileReader {
 public:
  explicit PrometheusChunkReader(std::shared_ptr<const PrometheusChunkFiles> files) : files_(std::move(files)) {}
  Status ReadChunk(uint64_t ref, std::string* out, ChunkEncoding* encoding) override {
    return files_->ReadChunk(ref, out, encoding, &scratch_);
  }

 private:
  std::shared_ptr<const PrometheusChunkFiles> files_;
  std::string scratch_;
};
}  // namespace

bool IsPrometheusChunkSegmentHeader(std::string_view first_bytes) {
  return first_bytes.size() >= 5 && enc::GetBE32(first_bytes.data()) == kPrometheusChunkSegmentMagic &&
         static_cast<uint8_t>(first_bytes[4]) == kPromChunksVersion;
}

Result<std::shared_ptr<PrometheusChunkFiles>> PrometheusChunkFiles::Open(Env* env, const std::string& chunks_dir) {
  std::shared_ptr<PrometheusChunkFiles> files(new PrometheusChunkFiles());
  files->dir_ = chunks_dir;
  if (!env->FileExists(chunks_dir)) return files;  // a block without chunks
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(chunks_dir));
  const auto numbered = NumberedFiles(names);
  for (size_t i = 0; i < numbered.size(); ++i) {
    if (numbered[i].first != i + 1) {
      char expected[24];
      std::snprintf(expected, sizeof(expected), "%06zu", i + 1);
      return Status::Corruption("corrupt: " + chunks_dir + "/" + expected + ": missing chunk segment file");
    }
    const std::string path = chunks_dir + "/" + numbered[i].second;
    PROMETHIUM_ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(path));
    if (file->Size() < kPromSegmentHeaderSize) return CorruptionAt(path, 0, "file too short for a segment header");
    std::string header;
    PROMETHIUM_RETURN_IF_ERROR(ReadExactlyAt(*file, path, 0, kPromSegmentHeaderSize, &header));
    if (enc::GetBE32(header.data()) != kPrometheusChunkSegmentMagic) return CorruptionAt(path, 0, "bad segment magic");
    if (static_cast<uint8_t>(header[4]) != kPromChunksVersion) {
      return Status::Unsupported("Prometheus chunk segment format version " +
                                 std::to_string(static_cast<uint8_t>(header[4])) + " in " + path);
    }
    files->segments_.push_back({path, std::move(file)});
  }
  return files;
}

uint64_t PrometheusChunkFiles::TotalBytes() const {
  uint64_t total = 0;
  for (const Segment& s : segments_) total += s.file->Size();
  return total;
}

std::unique_ptr<BlockChunkFileReader> PrometheusChunkFiles::NewReader() const {
  return std::make_unique<PrometheusChunkReader>(
      std::static_pointer_cast<const PrometheusChunkFiles>(shared_from_this()));
}

Status PrometheusChunkFiles::ReadChunk(uint64_t ref, std::string* out, ChunkEncoding* encoding,
                                       std::string* scratch) const {
  const uint64_t index = ref >> 32;
  const uint64_t offset = ref & 0xffffffffULL;
  if (index >= segments_.size()) {
    return Status::Corruption("corrupt: " + dir_ + ": chunk ref " + std::to_string(ref) + " names segment file " +
                              std::to_string(index + 1) + " of " + std::to_string(segments_.size()));
  }
  const Segment& seg = segments_[index];
  const uint64_t size = seg.file->Size();
  if (offset < kPromSegmentHeaderSize || offset >= size)
    return CorruptionAt(seg.path, offset, "chunk offset out of range");
  PROMETHIUM_RETURN_IF_ERROR(
      ReadExactlyAt(*seg.file, seg.path, offset, std::min(kPromChunkProbe, size - offset), scratch));
  std::string_view in = *scratch;
  uint64_t len = 0;
  if (!enc::GetUvarint(&in, &len) || scratch->size() - in.size() > kPromChunkLenFieldMax) {
    return CorruptionAt(seg.path, offset, "bad chunk length");
  }
  const uint64_t prefix = scratch->size() - in.size();
  const uint64_t room = size - offset - prefix;  // for encoding, data and CRC
  if (len > room || room - len < 1 + 4) return CorruptionAt(seg.path, offset, "chunk runs past the end of the file");
  const uint64_t total = prefix + 1 + len + 4;
  if (total > scratch->size()) PROMETHIUM_RETURN_IF_ERROR(ReadExactlyAt(*seg.file, seg.path, offset, total, scratch));
  const std::string_view covered = std::string_view(*scratch).substr(prefix, 1 + len);  // encoding | data
  if (encoding::Crc32c(covered) != enc::GetBE32(scratch->data() + prefix + 1 + len)) {
    return CorruptionAt(seg.path, offset, "chunk checksum mismatch");
  }
  const uint8_t encoding_byte = static_cast<uint8_t>(covered[0]);
  Result<ChunkEncoding> e = EncodingOf(encoding_byte);
  if (!e.ok()) {
    // The CRC covers the byte, so it was written so: an encoding of a newer
    // Prometheus, which we refuse rather than call the block corrupt.
    const std::string what = e.status().code() == Status::Code::kUnsupported
                                 ? e.status().message()
                                 : "unknown chunk encoding " + std::to_string(encoding_byte);
    return Status::Unsupported(what + " in " + seg.path + " at offset " + std::to_string(offset));
  }
  // Every encoding starts with its 2-byte sample count.
  if (len < 2) return CorruptionAt(seg.path, offset, "chunk shorter than its 2-byte header");
  *encoding = *e;
  out->assign(covered.substr(1));
  return Status::OK();
}

}  // namespace promethium::tsdb
