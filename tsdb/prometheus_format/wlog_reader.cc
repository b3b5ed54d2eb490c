#include "tsdb/prometheus_format/wlog_reader.h"

#include <fmt/format.h>
#include <snappy.h>
#include <zstd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "tsdb/encoding/crc32c.h"

namespace promethium::tsdb::prometheus_format {
namespace {

constexpr uint8_t kKindMask = 0x07;
constexpr uint8_t kSnappyFlag = 0x08;
constexpr uint8_t kZstdFlag = 0x10;
constexpr uint8_t kCompressionFlags = kSnappyFlag | kZstdFlag;
constexpr uint8_t kUnusedBits = 0xE0;

enum FragmentKind : uint8_t { kPadding = 0, kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4 };

constexpr size_t kMaxFragmentData = kWlogPageSize - kWlogFragmentHeaderSize;
constexpr size_t kReadChunk = size_t{64} * 1024;

uint16_t LoadBe16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((u[0] << 8) | u[1]);
}

uint32_t LoadBe32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

const char* KindName(uint8_t kind) {
  switch (kind) {
    case kFull: return "full";
    case kFirst: return "first";
    case kMiddle: return "middle";
    case kLast: return "last";
    default: return "invalid";
  }
}

// Why a non-zero fragment type byte is unusable; empty when it is fine.
std::string CheckTypeByte(uint8_t b) {
  if ((b & kUnusedBits) != 0) return fmt::format("fragment type byte 0x{:02x} has unused bits set", b);
  if ((b & kCompressionFlags) == kCompressionFlags) {
    return fmt::format("fragment type byte 0x{:02x} sets both the snappy and the zstd flag", b);
  }
  const uint8_t kind = b & kKindMask;
  if (kind == kPadding || kind > kLast) return fmt::format("bad fragment type {} (type byte 0x{:02x})", kind, b);
  return {};
}

// Why a fragment of `kind` cannot come after `fragments` fragments of the
// record being assembled; empty when it can.
std::string CheckSequence(uint8_t kind, int fragments, uint64_t record_start) {
  const bool opens = kind == kFull || kind == kFirst;
  if (opens && fragments > 0) {
    return fmt::format("a {} fragment inside the record begun at offset {} (a middle or last one was due)",
                       KindName(kind), record_start);
  }
  if (!opens && fragments == 0) return fmt::format("a {} fragment with no first fragment before it", KindName(kind));
  return {};
}

Status TooBig(std::string_view what, size_t n) {
  return Status::ResourceExhausted(
      fmt::format("Prometheus WAL record: {} of {} bytes exceeds the {}-byte limit", what, n, kWlogMaxRecordSize));
}

Status DecompressSnappy(std::string_view in, std::string* out) {
  size_t n = 0;
  if (!snappy::GetUncompressedLength(in.data(), in.size(), &n)) {
    return Status::Corruption("snappy-compressed record has a bad length header");
  }
  if (n > kWlogMaxRecordSize) return TooBig("snappy-compressed record", n);
  out->resize(n);
  if (!snappy::RawUncompress(in.data(), in.size(), out->data())) {
    return Status::Corruption("snappy-compressed record does not decompress");
  }
  return Status::OK();
}

// Streams, so frames without a content size and concatenated frames (both
// valid zstd, as Go's decoder accepts them) decode too.
Status DecompressZstd(std::string_view in, std::string* out) {
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (ctx == nullptr) return Status::Internal("ZSTD_createDCtx failed");
  out->clear();
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  const size_t chunk = ZSTD_DStreamOutSize();
  while (true) {
    const size_t old = out->size();
    out->resize(old + chunk);
    ZSTD_outBuffer output{out->data() + old, chunk, 0};
    const size_t ret = ZSTD_decompressStream(ctx.get(), &output, &input);
    out->resize(old + output.pos);
    if (ZSTD_isError(ret)) {
      return Status::Corruption(std::string("zstd-compressed record does not decompress: ") + ZSTD_getErrorName(ret));
    }
    if (out->size() > kWlogMaxRecordSize) return TooBig("zstd-compressed record", out->size());
    const bool input_done = input.pos == input.size;
    if (ret == 0 && input_done) return Status::OK();
    if (input_done && output.pos < chunk) return Status::Corruption("zstd-compressed record is truncated");
  }
}

// Reads one segment through a refillable buffer; fragments are parsed as a
// byte stream, as Prometheus's reader does, so page alignment is checked
// only where it matters (padding runs to the end of its page).
class SegmentParser {
 public:
  SegmentParser(SequentialFile* file, const WlogRecordHandler& on_record, WlogSegmentOutcome* out)
      : file_(file), on_record_(on_record), out_(out), scratch_(kReadChunk) {}

  Status Run() {
    bool done = false;
    while (!done) PROMETHIUM_RETURN_IF_ERROR(Step(&done));
    return Status::OK();
  }

 private:
  size_t avail() const { return buf_.size() - pos_; }
  uint64_t offset() const { return base_ + pos_; }
  const char* peek() const { return buf_.data() + pos_; }

  // Makes at least n unread bytes available, or fewer at the end of the file.
  Status Fill(size_t n) {
    if (avail() >= n || eof_) return Status::OK();
    buf_.erase(0, pos_);
    base_ += pos_;
    pos_ = 0;
    while (buf_.size() < n && !eof_) {
      std::string_view got;
      PROMETHIUM_RETURN_IF_ERROR(file_->Read(scratch_.size(), &got, scratch_.data()));
      if (got.empty()) {
        eof_ = true;
      } else {
        buf_.append(got);
      }
    }
    return Status::OK();
  }

  Status Stop(uint64_t at, std::string why, bool* done) {
    out_->damage = std::move(why);
    out_->damage_offset = at;
    *done = true;
    return Status::OK();
  }

  Status Step(bool* done) {
    PROMETHIUM_RETURN_IF_ERROR(Fill(1));
    if (avail() == 0) {
      *done = true;
      if (fragments_ == 0) return Status::OK();
      return Stop(record_start_,
                  fmt::format("torn record: the file ends after {} fragment(s) of it, the last one a {} fragment",
                              fragments_, KindName(last_kind_)),
                  done);
    }
    const auto type_byte = static_cast<uint8_t>(peek()[0]);
    if (type_byte == 0) return SkipPadding(done);
    return TakeFragment(type_byte, done);
  }

  // A zero type byte: zeros up to the end of the page. A short last page may
  // end early (Prometheus's reader treats the missing bytes as zeros too).
  Status SkipPadding(bool* done) {
    const uint64_t start = offset();
    const size_t to_page_end = kWlogPageSize - start % kWlogPageSize;
    PROMETHIUM_RETURN_IF_ERROR(Fill(to_page_end));
    const size_t n = std::min(avail(), to_page_end);
    for (size_t i = 0; i < n; ++i) {
      if (peek()[i] != 0) {
        return Stop(start + i,
                    fmt::format("non-zero byte 0x{:02x} in the zero padding that starts at offset {}",
                                static_cast<uint8_t>(peek()[i]), start),
                    done);
      }
    }
    pos_ += n;
    if (fragments_ == 0) out_->good_bytes = offset();
    return Status::OK();
  }

  Status TakeFragment(uint8_t type_byte, bool* done) {
    const uint64_t at = offset();
    if (std::string why = CheckTypeByte(type_byte); !why.empty()) return Stop(at, std::move(why), done);
    PROMETHIUM_RETURN_IF_ERROR(Fill(kWlogFragmentHeaderSize));
    if (avail() < kWlogFragmentHeaderSize) {
      return Stop(at, fmt::format("fragment header truncated: the file ends {} byte(s) into it", avail()), done);
    }
    const size_t len = LoadBe16(peek() + 1);
    const uint32_t want_crc = LoadBe32(peek() + 3);
    if (len > kMaxFragmentData) {
      return Stop(at, fmt::format("fragment length {} exceeds the {} bytes a page holds", len, kMaxFragmentData), done);
    }
    PROMETHIUM_RETURN_IF_ERROR(Fill(kWlogFragmentHeaderSize + len));
    if (avail() < kWlogFragmentHeaderSize + len) {
      return Stop(at,
                  fmt::format("fragment truncated: the file ends {} of its {} data bytes in",
                              avail() - kWlogFragmentHeaderSize, len),
                  done);
    }
    const std::string_view data(peek() + kWlogFragmentHeaderSize, len);
    if (const uint32_t got_crc = encoding::Crc32c(data); got_crc != want_crc) {
      return Stop(at, fmt::format("CRC32C mismatch: the header says {:08x}, the data has {:08x}", want_crc, got_crc),
                  done);
    }
    const uint8_t kind = type_byte & kKindMask;
    if (std::string why = CheckSequence(kind, fragments_, record_start_); !why.empty()) {
      return Stop(at, std::move(why), done);
    }
    return Append(at, kind, type_byte & kCompressionFlags, data, done);
  }

  Status Append(uint64_t at, uint8_t kind, uint8_t flags, std::string_view data, bool* done) {
    if (fragments_ == 0) {
      record_start_ = at;
      record_.clear();
      flags_ = flags;
    } else if (flags != flags_) {
      return Stop(at, "the compression flags change within the record begun at offset " + std::to_string(record_start_),
                  done);
    }
    if (record_.size() + data.size() > kWlogMaxRecordSize) return TooBig("reassembled record", record_.size());
    record_.append(data);
    pos_ += kWlogFragmentHeaderSize + data.size();
    ++fragments_;
    last_kind_ = kind;
    if (kind == kFull || kind == kLast) return Finish(done);
    return Status::OK();
  }

  Status Finish(bool* done) {
    std::string_view rec = record_;
    if (flags_ != 0 && !record_.empty()) {
      Status s = (flags_ & kSnappyFlag) != 0 ? DecompressSnappy(record_, &decompressed_)
                                             : DecompressZstd(record_, &decompressed_);
      if (s.code() == Status::Code::kCorruption) return Stop(record_start_, s.message(), done);
      PROMETHIUM_RETURN_IF_ERROR(s);
      rec = decompressed_;
    }
    fragments_ = 0;
    ++out_->records;
    out_->good_bytes = offset();
    return on_record_(rec, record_start_);
  }

  SequentialFile* file_;
  const WlogRecordHandler& on_record_;
  WlogSegmentOutcome* out_;
  std::vector<char> scratch_;
  std::string buf_;  // bytes read, buf_[pos_] is at file offset base_ + pos_
  size_t pos_ = 0;
  uint64_t base_ = 0;
  bool eof_ = false;
  // The record being assembled.
  std::string record_;
  std::string decompressed_;
  int fragments_ = 0;
  uint8_t flags_ = 0;
  uint8_t last_kind_ = kPadding;
  uint64_t record_start_ = 0;
};

}  // namespace

bool ProbePrometheusWalSegment(std::string_view head_bytes) {
  if (head_bytes.size() < kWlogFragmentHeaderSize) return false;
  const auto type_byte = static_cast<uint8_t>(head_bytes[0]);
  if (!CheckTypeByte(type_byte).empty()) return false;
  const uint8_t kind = type_byte & kKindMask;
  if (kind != kFull && kind != kFirst) return false;  // a segment opens with a record's first fragment
  const size_t len = LoadBe16(head_bytes.data() + 1);
  if (len == 0 || len > kMaxFragmentData) return false;
  // Prometheus splits a record only when it does not fit the page, so a
  // first fragment at offset 0 fills the page.
  if (kind == kFirst && len != kMaxFragmentData) return false;
  if (head_bytes.size() < kWlogFragmentHeaderSize + len) return false;
  return encoding::Crc32c(head_bytes.substr(kWlogFragmentHeaderSize, len)) == LoadBe32(head_bytes.data() + 3);
}

Status ReadPrometheusWlogSegment(Env* env, const std::string& path, const WlogRecordHandler& on_record,
                                 WlogSegmentOutcome* outcome) {
  *outcome = WlogSegmentOutcome{};
  PROMETHIUM_ASSIGN_OR_RETURN(outcome->file_size, env->GetFileSize(path));
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file, env->NewSequentialFile(path));
  SegmentParser parser(file.get(), on_record, outcome);
  return parser.Run();
}

}  // namespace promethium::tsdb::prometheus_format
