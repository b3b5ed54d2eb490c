#include "tsdb/block/chunk_segments.h"

#include <zstd.h>

#include <algorithm>
#include <cstdio>

#include "tsdb/encoding/block_encoding.h"
#include "tsdb/encoding/crc32c.h"

namespace promethium::tsdb {
namespace enc = block_encoding;

namespace {

// Largest stored group: the raw bound plus zstd's worst-case expansion,
// header and CRC. A segment is cut before a group could push it past the max.
size_t MaxStoredGroupBytes() { return ZSTD_compressBound(kChunkGroupMaxRaw) + kChunkGroupHeaderSize + 4; }

}  // namespace

std::string ChunkSegmentPath(const std::string& chunks_dir, uint32_t seq) {
  char name[16];
  std::snprintf(name, sizeof(name), "%06u", seq);
  return chunks_dir + "/" + name;
}

ChunkSegmentWriter::ChunkSegmentWriter(Env* env, std::string chunks_dir, const ChunkWriteOptions& opts)
    : env_(env), dir_(std::move(chunks_dir)), opts_(opts) {
  if (opts_.zstd_level > 0) cctx_ = ZSTD_createCCtx();
}

ChunkSegmentWriter::~ChunkSegmentWriter() {
  if (cctx_ != nullptr) ZSTD_freeCCtx(cctx_);
}

Status ChunkSegmentWriter::StartGroup() {
  if (file_ == nullptr || file_size_ + MaxStoredGroupBytes() > opts_.segment_max_bytes) {
    if (file_ != nullptr) PROMETHIUM_RETURN_IF_ERROR(CloseSegment());
    if (seq_ + 1 >= (1u << 12)) return Status::Unsupported("more than 4095 chunk segments in one block");
    ++seq_;
    PROMETHIUM_ASSIGN_OR_RETURN(file_, env_->NewWritableFile(ChunkSegmentPath(dir_, seq_)));
    std::string header;
    enc::PutBE32(&header, kChunkSegmentMagic);
    header.append({1, 0, 0, 0});  // version 1, reserved
    PROMETHIUM_RETURN_IF_ERROR(file_->Append(header));
    file_size_ = header.size();
    stored_bytes_ += header.size();
  }
  group_offset_ = file_size_;
  group_.clear();
  group_open_ = true;
  return Status::OK();
}

Result<uint64_t> ChunkSegmentWriter::AddChunk(ChunkEncoding encoding, std::string_view chunk) {
  if (chunk.size() > kChunkGroupMaxRaw / 2) return Status::Unsupported("chunk larger than 512 KiB");
  if (group_open_ && group_.size() + chunk.size() + 16 > kChunkGroupMaxRaw) PROMETHIUM_RETURN_IF_ERROR(FlushGroup());
  if (!group_open_) PROMETHIUM_RETURN_IF_ERROR(StartGroup());
  const uint64_t ref = PackBlockChunkRef(seq_, group_offset_, static_cast<uint32_t>(group_.size()));
  enc::PutUvarint(&group_, chunk.size());
  group_.push_back(static_cast<char>(encoding));
  group_.append(chunk);
  raw_bytes_ += chunk.size();
  if (group_.size() >= opts_.group_target_bytes) PROMETHIUM_RETURN_IF_ERROR(FlushGroup());
  return ref;
}

Status ChunkSegmentWriter::FlushGroup() {
  if (!group_open_) return Status::OK();
  group_open_ = false;
  ChunkCodec codec = ChunkCodec::kRaw;
  std::string_view stored = group_;
  if (cctx_ != nullptr) {
    scratch_.resize(ZSTD_compressBound(group_.size()));
    size_t n =
        ZSTD_compressCCtx(cctx_, scratch_.data(), scratch_.size(), group_.data(), group_.size(), opts_.zstd_level);
    if (ZSTD_isError(n)) return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
    if (n < group_.size()) {  // keep incompressible groups raw
      codec = ChunkCodec::kZstd;
      stored = std::string_view(scratch_.data(), n);
    }
  }
  std::string header;
  header.push_back(static_cast<char>(codec));
  enc::PutBE32(&header, static_cast<uint32_t>(group_.size()));
  enc::PutBE32(&header, static_cast<uint32_t>(stored.size()));
  uint32_t crc = encoding::Crc32cExtend(encoding::Crc32c(header), stored);
  std::string trailer;
  enc::PutBE32(&trailer, crc);
  PROMETHIUM_RETURN_IF_ERROR(file_->Append(header));
  PROMETHIUM_RETURN_IF_ERROR(file_->Append(stored));
  PROMETHIUM_RETURN_IF_ERROR(file_->Append(trailer));
  const uint64_t n = header.size() + stored.size() + trailer.size();
  file_size_ += n;
  stored_bytes_ += n;
  return Status::OK();
}

Status ChunkSegmentWriter::CloseSegment() {
  PROMETHIUM_RETURN_IF_ERROR(file_->Sync());
  PROMETHIUM_RETURN_IF_ERROR(file_->Close());
  file_.reset();
  return Status::OK();
}

Status ChunkSegmentWriter::Finish() {
  PROMETHIUM_RETURN_IF_ERROR(FlushGroup());
  if (file_ != nullptr) PROMETHIUM_RETURN_IF_ERROR(CloseSegment());
  return Status::OK();
}

Result<std::shared_ptr<ChunkSegmentFiles>> ChunkSegmentFiles::Open(Env* env, const std::string& chunks_dir) {
  auto files = std::make_shared<ChunkSegmentFiles>();
  if (!env->FileExists(chunks_dir)) return files;  // a block without chunks
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(chunks_dir));
  std::erase_if(names, [](const std::string& n) {
    return n.size() != 6 || !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
  });
  std::sort(names.begin(), names.end());
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string path = ChunkSegmentPath(chunks_dir, static_cast<uint32_t>(i + 1));
    if (chunks_dir + "/" + names[i] != path) return Status::Corruption("corrupt: " + path + ": missing segment");
    PROMETHIUM_ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(path));
    char buf[kChunkSegmentHeaderSize];
    std::string_view got;
    PROMETHIUM_RETURN_IF_ERROR(file->Read(0, sizeof(buf), &got, buf));
    if (got.size() != sizeof(buf) || enc::GetBE32(got.data()) != kChunkSegmentMagic || got[4] != 1) {
      return CorruptionAt(path, 0, "bad segment header");
    }
    files->segments_.push_back({path, std::move(file)});
  }
  return files;
}

std::unique_ptr<BlockChunkFileReader> ChunkSegmentFiles::NewReader() const {
  return std::make_unique<ChunkSegmentReader>(std::static_pointer_cast<const ChunkSegmentFiles>(shared_from_this()));
}

uint64_t ChunkSegmentFiles::TotalBytes() const {
  uint64_t n = 0;
  for (const auto& s : segments_) n += s.file->Size();
  return n;
}

ChunkSegmentReader::ChunkSegmentReader(std::shared_ptr<const ChunkSegmentFiles> files)
    : files_(std::move(files)), dctx_(ZSTD_createDCtx()) {}

ChunkSegmentReader::~ChunkSegmentReader() { ZSTD_freeDCtx(dctx_); }

Status ChunkSegmentReader::LoadGroup(uint32_t seq, uint64_t offset) {
  cached_ = false;
  if (seq == 0 || seq > files_->segments_.size()) {
    return Status::NotFound("chunk segment " + std::to_string(seq) + " does not exist");
  }
  const auto& seg = files_->segments_[seq - 1];
  char hbuf[kChunkGroupHeaderSize];
  std::string_view header;
  PROMETHIUM_RETURN_IF_ERROR(seg.file->Read(offset, sizeof(hbuf), &header, hbuf));
  if (header.size() != sizeof(hbuf)) return CorruptionAt(seg.path, offset, "truncated group header");
  const uint8_t codec = static_cast<uint8_t>(header[0]);
  const uint32_t raw_len = enc::GetBE32(header.data() + 1);
  const uint32_t stored_len = enc::GetBE32(header.data() + 5);
  if (codec > 1 || raw_len > kChunkGroupMaxRaw || stored_len > ZSTD_compressBound(kChunkGroupMaxRaw)) {
    return CorruptionAt(seg.path, offset, "bad group header");
  }
  scratch_.resize(stored_len + 4);
  std::string_view body;
  PROMETHIUM_RETURN_IF_ERROR(seg.file->Read(offset + sizeof(hbuf), scratch_.size(), &body, scratch_.data()));
  if (body.size() != scratch_.size()) return CorruptionAt(seg.path, offset, "truncated group");
  const uint32_t want = enc::GetBE32(body.data() + stored_len);
  if (encoding::Crc32cExtend(encoding::Crc32c(header), body.substr(0, stored_len)) != want) {
    return CorruptionAt(seg.path, offset, "group checksum mismatch");
  }
  group_.resize(raw_len);
  if (codec == static_cast<uint8_t>(ChunkCodec::kZstd)) {
    size_t n = ZSTD_decompressDCtx(dctx_, group_.data(), raw_len, body.data(), stored_len);
    if (ZSTD_isError(n) || n != raw_len) return CorruptionAt(seg.path, offset, "zstd frame does not decompress");
  } else {
    if (stored_len != raw_len) return CorruptionAt(seg.path, offset, "raw group length mismatch");
    group_.assign(body.data(), raw_len);
  }
  cached_ = true;
  cached_seq_ = seq;
  cached_offset_ = offset;
  return Status::OK();
}

Status ChunkSegmentReader::ReadChunk(uint64_t ref, std::string* out, ChunkEncoding* encoding) {
  const uint32_t seq = BlockChunkSeq(ref);
  const uint64_t offset = BlockChunkGroupOffset(ref);
  if (!cached_ || cached_seq_ != seq || cached_offset_ != offset) PROMETHIUM_RETURN_IF_ERROR(LoadGroup(seq, offset));
  const uint32_t in_group = BlockChunkInGroup(ref);
  const std::string& path = files_->segments_[seq - 1].path;
  if (in_group >= group_.size()) return CorruptionAt(path, offset, "chunk offset past group end");
  enc::Decoder d(std::string_view(group_).substr(in_group));
  const uint64_t len = d.Uvarint();
  std::string_view encoding_byte = d.Bytes(1);
  std::string_view bytes = d.Bytes(len);
  if (!d.ok()) return CorruptionAt(path, offset, "truncated chunk in group");
  Result<ChunkEncoding> e = EncodingOf(static_cast<uint8_t>(encoding_byte[0]));
  if (!e.ok()) return CorruptionAt(path, offset, e.status().message());
  *encoding = *e;
  out->assign(bytes);
  return Status::OK();
}

}  // namespace promethium::tsdb
