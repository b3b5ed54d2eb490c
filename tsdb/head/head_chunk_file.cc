#include "tsdb/head/head_chunk_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>

#include "tsdb/base/logging.h"
#include "tsdb/encoding/block_encoding.h"
#include "tsdb/encoding/crc32c.h"

namespace promethium::tsdb {
namespace {

using block_encoding::GetBE32;
using block_encoding::GetBE64;
using block_encoding::PutBE32;
using block_encoding::PutBE64;

constexpr uint8_t kVersion = 1;
constexpr uint8_t kEncodingXor = 1;
// One pread fetches a record of up to this many bytes (a chunk is cut near
// 1 KiB; larger ones, grown by out-of-order inserts, take a second read).
constexpr size_t kFirstRead = 1280;
// Where a record's encoding byte and length sit (after ref, mint, maxt).
constexpr size_t kEncodingOffset = 24;
constexpr size_t kLengthOffset = 25;

// The tag of the next file set opened: 1..255, cycling. Touched only by
// Open; two file sets alive at once get different tags unless 255 others
// were opened in between, which only weakens Read's foreign-ref check.
uint8_t NextRefTag() {
  static std::atomic<uint32_t> opened{0};
  return static_cast<uint8_t>(1 + opened.fetch_add(1, std::memory_order_relaxed) % 255);
}

// Failed writes are logged at most once per this interval.
constexpr int64_t kWriteFailureLogIntervalMs = 10000;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool IsSegmentName(const std::string& name) {
  return name.size() == 6 && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// OK when the file is one of ours (StartsLikeHeadChunkFile).
Status CheckOurs(Env* env, const std::string& path) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  char scratch[sizeof(kHeadChunkFileMagic)];
  std::string_view head;
  PROMETHIUM_RETURN_IF_ERROR(
      file->Read(0, std::min<uint64_t>(file->Size(), sizeof(kHeadChunkFileMagic)), &head, scratch));
  if (StartsLikeHeadChunkFile(head)) return Status::OK();
  return Status::FailedPrecondition("head chunk file " + path +
                                    " is not a Promethium head chunk file; nothing was removed. Move it out of the "
                                    "data directory and start again");
}

}  // namespace

std::string HeadChunkFiles::SegmentName(uint32_t segment) { return fmt::format("{:06d}", segment); }

HeadChunkFiles::HeadChunkFiles(Env* env, std::string dir, HeadChunkFilesOptions opts, MetricsRegistry* metrics,
                               uint8_t tag)
    : env_(env), dir_(std::move(dir)), opts_(opts), tag_(tag), write_failure_log_(kWriteFailureLogIntervalMs) {
  if (metrics == nullptr) return;
  corruptions_metric_ = metrics->GetCounter("prometheus_tsdb_mmap_chunk_corruptions_total",
                                            "Total number of memory-mapped chunk corruptions.");
  write_failures_metric_ = metrics->GetCounter("promethium_tsdb_head_chunk_write_failures_total",
                                               "Full head chunks kept in memory because writing them failed.");
  disk_bytes_metric_ =
      metrics->GetGauge("prometheus_tsdb_head_chunks_storage_size_bytes", "Size of the chunks_head directory.");
}

HeadChunkFiles::~HeadChunkFiles() {
  if (Status st = Close(); !st.ok()) LogError("tsdb", "closing head chunk files in {}: {}", dir_, st.ToString());
}

Result<std::unique_ptr<HeadChunkFiles>> HeadChunkFiles::Open(Env* env, const std::string& dir,
                                                             const HeadChunkFilesOptions& opts,
                                                             MetricsRegistry* metrics) {
  if (opts.segment_size < kSegmentHeaderSize + kRecordHeaderSize + kCrcSize) {
    return Status::InvalidArgument("head chunk segment size too small");
  }
  if (opts.segment_size > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("head chunk segment size must fit 32-bit offsets");
  }
  Status st = env->CreateDirs(dir);
  if (!st.ok()) return st.WithContext("create " + dir);
  PROMETHIUM_ASSIGN_OR_RETURN(std::vector<std::string> children, env->GetChildren(dir));
  // Every file is checked before any is removed, so a foreign one stops
  // Open with the directory untouched.
  for (const std::string& name : children) {
    if (IsSegmentName(name)) PROMETHIUM_RETURN_IF_ERROR(CheckOurs(env, dir + "/" + name));
  }
  for (const std::string& name : children) {
    if (!IsSegmentName(name)) continue;
    // The WAL rebuilds the head and these files; old ones are garbage.
    st = env->RemoveFile(dir + "/" + name);
    if (!st.ok()) return st.WithContext("remove old head chunk segment");
  }
  return std::unique_ptr<HeadChunkFiles>(new HeadChunkFiles(env, dir, opts, metrics, NextRefTag()));
}

Status HeadChunkFiles::Cut() {
  PROMETHIUM_RETURN_IF_ERROR(SealLocked());
  if (next_segment_ > kMaxSegment) return Status::ResourceExhausted("head chunk segment numbers exhausted");
  const uint32_t seq = next_segment_;
  const std::string path = dir_ + "/" + SegmentName(seq);
  PROMETHIUM_ASSIGN_OR_RETURN(file_, env_->NewWritableFile(path));
  ++next_segment_;
  current_ = seq;
  Segment seg{path, nullptr, std::numeric_limits<int64_t>::min(), 0, {}};
  seg.pending.append(kHeadChunkFileMagic, sizeof(kHeadChunkFileMagic));
  seg.pending.push_back(static_cast<char>(kVersion));
  seg.pending.append(3, '\0');
  segments_.emplace(seq, std::move(seg));
  return Status::OK();
}

Status HeadChunkFiles::FlushLocked() {
  if (file_ == nullptr) return Status::OK();
  Segment& seg = segments_.at(current_);
  if (seg.pending.empty()) return Status::OK();
  Status st = file_->Append(seg.pending);
  if (!st.ok()) {
    // A short write may have left a torn tail in the file: never write to
    // it again. The pending records stay in memory, readable.
    uint64_t held = 0;
    if (write_failure_log_.Allow(NowMs(), &held)) {
      LogError("tsdb",
               "writing head chunk segment {} failed at offset {}: {}; records kept in memory ({} more failed "
               "writes since the last such line)",
               seg.path, seg.written, st.ToString(), held);
    }
    file_->Close().IgnoreError();  // the write error above is returned; the fd only needs to go
    file_.reset();
    return st;
  }
  if (uint64_t failures = 0; write_failure_log_.Recovered(&failures)) {
    LogInfo("tsdb", "writing head chunk segments works again after {} failed writes", failures);
  }
  seg.written += seg.pending.size();
  disk_bytes_ += seg.pending.size();
  seg.pending.clear();
  if (seg.pending.capacity() > 2 * kWriteBuffer) seg.pending.shrink_to_fit();
  return Status::OK();
}

Status HeadChunkFiles::SealLocked() {
  if (file_ == nullptr) return Status::OK();
  Status st = FlushLocked();
  if (file_ != nullptr) {
    Status closed = file_->Close();
    file_.reset();
    if (st.ok()) st = closed;
  }
  if (current_ != 0) {
    Segment& seg = segments_.at(current_);
    seg.pending.shrink_to_fit();
  }
  return st;
}

void HeadChunkFiles::UpdateMetrics() {
  if (disk_bytes_metric_ != nullptr) disk_bytes_metric_->Set(static_cast<double>(disk_bytes_));
}

Result<uint64_t> HeadChunkFiles::Append(SeriesRef ref, int64_t mint, int64_t maxt, std::string_view chunk) {
  const size_t record_size = kRecordHeaderSize + chunk.size() + kCrcSize;
  MutexLock lock(&mu_);
  Status st;
  if (file_ == nullptr) {
    st = Cut();
  } else {
    const Segment& seg = segments_.at(current_);
    const uint64_t end = seg.written + seg.pending.size();
    // Cut when full (a record larger than a whole segment still goes in).
    if (end > kSegmentHeaderSize && end + record_size > opts_.segment_size) st = Cut();
  }
  if (st.ok() && segments_.at(current_).pending.size() + record_size > kWriteBuffer) st = FlushLocked();
  if (!st.ok()) {
    write_failures_.fetch_add(1, std::memory_order_relaxed);
    if (write_failures_metric_ != nullptr) write_failures_metric_->Inc();
    UpdateMetrics();
    return st;
  }
  Segment& seg = segments_.at(current_);
  const uint64_t offset = seg.written + seg.pending.size();
  const size_t start = seg.pending.size();
  PutBE64(&seg.pending, ref);
  PutBE64(&seg.pending, static_cast<uint64_t>(mint));
  PutBE64(&seg.pending, static_cast<uint64_t>(maxt));
  seg.pending.push_back(static_cast<char>(kEncodingXor));
  PutBE32(&seg.pending, static_cast<uint32_t>(chunk.size()));
  seg.pending.append(chunk);
  PutBE32(&seg.pending, encoding::Crc32c(std::string_view(seg.pending).substr(start)));
  seg.max_time = std::max(seg.max_time, maxt);
  UpdateMetrics();
  return PackRef(current_, static_cast<uint32_t>(offset));
}

Status HeadChunkFiles::CorruptionAt(const std::string& path, uint32_t offset, const std::string& what) const {
  corruptions_.fetch_add(1, std::memory_order_relaxed);
  if (corruptions_metric_ != nullptr) corruptions_metric_->Inc();
  return Status::Corruption(fmt::format("head chunk {} at offset {}: {}", path, offset, what));
}

Status HeadChunkFiles::Read(uint64_t ref, std::string* out) const {
  if (RefTag(ref) != tag_) return Status::InvalidArgument(fmt::format("head chunk ref {} is not from {}", ref, dir_));
  const uint32_t seq = RefSegment(ref);
  const uint32_t offset = RefOffset(ref);
  std::string path;
  std::shared_ptr<const RandomAccessFile> reader;
  std::string record;  // the record's bytes, up to kFirstRead of them
  {
    MutexLock lock(&mu_);
    auto it = segments_.find(seq);
    if (it == segments_.end()) return Status::NotFound(fmt::format("head chunk segment {} deleted", seq));
    const Segment& seg = it->second;
    path = seg.path;
    if (offset >= seg.written) {
      const uint64_t at = offset - seg.written;
      if (at >= seg.pending.size()) return CorruptionAt(path, offset, "offset past the end");
      // Copy just this record (when its header says how long it is).
      size_t n = seg.pending.size() - at;
      if (n >= kRecordHeaderSize) {
        n = std::min<size_t>(n, kRecordHeaderSize + GetBE32(seg.pending.data() + at + kLengthOffset) + kCrcSize);
      }
      record.assign(seg.pending, at, n);
    } else {
      if (seg.reader == nullptr) {
        PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> f, env_->NewRandomAccessFile(seg.path));
        seg.reader = std::move(f);
      }
      reader = seg.reader;
    }
  }
  if (reader != nullptr) {
    record.resize(kFirstRead);
    std::string_view got;
    PROMETHIUM_RETURN_IF_ERROR(reader->Read(offset, kFirstRead, &got, record.data()));
    record.resize(got.size());
  }
  if (record.size() < kRecordHeaderSize) return CorruptionAt(path, offset, "truncated record header");
  if (static_cast<uint8_t>(record[kEncodingOffset]) != kEncodingXor)
    return CorruptionAt(path, offset, "unknown chunk encoding");
  const uint32_t len = GetBE32(record.data() + kLengthOffset);
  const size_t total = kRecordHeaderSize + len + kCrcSize;
  if (reader != nullptr && record.size() < total) {
    std::string rest(total - record.size(), '\0');
    std::string_view got;
    PROMETHIUM_RETURN_IF_ERROR(reader->Read(offset + record.size(), rest.size(), &got, rest.data()));
    record.append(got);
  }
  if (record.size() < total) return CorruptionAt(path, offset, "truncated record");
  const uint32_t want = GetBE32(record.data() + kRecordHeaderSize + len);
  if (encoding::Crc32c(std::string_view(record).substr(0, kRecordHeaderSize + len)) != want) {
    return CorruptionAt(path, offset, "checksum mismatch");
  }
  out->assign(record, kRecordHeaderSize, len);
  return Status::OK();
}

Status HeadChunkFiles::Truncate(int64_t mint) {
  MutexLock lock(&mu_);
  Status result;
  for (auto it = segments_.begin(); it != segments_.end();) {
    const Segment& seg = it->second;
    if ((it->first == current_ && file_ != nullptr) || seg.max_time >= mint) {
      ++it;
      continue;
    }
    Status st = env_->RemoveFile(seg.path);
    if (!st.ok()) {
      if (result.ok()) result = st.WithContext("delete head chunk segment");
      ++it;
      continue;
    }
    disk_bytes_ -= seg.written;
    it = segments_.erase(it);  // a reader holding its file keeps the fd
  }
  UpdateMetrics();
  return result;
}

Status HeadChunkFiles::Close() {
  MutexLock lock(&mu_);
  Status st = SealLocked();
  UpdateMetrics();
  return st;
}

uint64_t HeadChunkFiles::DiskBytes() const {
  MutexLock lock(&mu_);
  return disk_bytes_;
}

uint64_t HeadChunkFiles::BufferedBytes() const {
  MutexLock lock(&mu_);
  uint64_t n = 0;
  for (const auto& [seq, seg] : segments_) n += seg.pending.size();
  return n;
}

size_t HeadChunkFiles::NumSegments() const {
  MutexLock lock(&mu_);
  return segments_.size();
}

}  // namespace promethium::tsdb
