// Tests only: Prometheus-format WAL bytes built by hand, and an Env that
// proves a reader changed nothing.
//
//  - Prom*Record: record payloads encoded as Prometheus's tsdb/record
//    package encodes them (wal_records.h documents the layouts).
//  - PromSegmentBuilder: cuts records into fragments and 32 KiB pages as
//    Prometheus's wlog writer does (a fragment never crosses a page; a page
//    with less than a header's worth of room left is zero-padded; Finish(true)
//    pads the last page as a clean close does), remembering each fragment's
//    kind and offset so tests can check they built what they meant to.
//  - ReadOnlyCheckEnv: passes reads through to another Env and refuses (and
//    counts) every call that could change the file system.
//  - SnapshotTree: every file under a directory, with its bytes.
//
// Thread-safety: single-threaded test helpers.
#pragma once

#include <snappy.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/base/env.h"
#include "tsdb/base/varint.h"
#include "tsdb/encoding/crc32c.h"
#include "tsdb/prometheus_format/wlog_reader.h"
#include "tsdb/wal/record.h"

namespace promethium::tsdb::prometheus_format {

inline void PutBe(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

inline void PutString(std::string* out, std::string_view s) {
  PutUvarint(out, s.size());
  out->append(s);
}

inline void PutLabels(std::string* out, const Labels& labels) {
  PutUvarint(out, labels.size());
  for (const Label& l : labels) {
    PutString(out, l.name);
    PutString(out, l.value);
  }
}

inline std::string PromSeriesRecord(std::span<const wal::RefSeries> series) {
  std::string out(1, '\x01');
  for (const wal::RefSeries& s : series) {
    PutBe(&out, s.ref, 8);
    PutLabels(&out, s.labels);
  }
  return out;
}

inline std::string PromSamplesRecord(std::span<const wal::RefSample> samples) {
  std::string out(1, '\x02');
  if (samples.empty()) return out;
  PutBe(&out, samples[0].ref, 8);
  PutBe(&out, static_cast<uint64_t>(samples[0].t), 8);
  for (const wal::RefSample& s : samples) {
    PutVarint(&out, static_cast<int64_t>(s.ref - samples[0].ref));
    PutVarint(&out, s.t - samples[0].t);
    PutBe(&out, std::bit_cast<uint64_t>(s.v), 8);
  }
  return out;
}

inline std::string PromTombstonesRecord(std::span<const wal::Tombstone> stones) {
  std::string out(1, '\x03');
  for (const wal::Tombstone& t : stones) {
    PutBe(&out, t.ref, 8);
    PutVarint(&out, t.mint);
    PutVarint(&out, t.maxt);
  }
  return out;
}

inline std::string PromExemplarsRecord(std::span<const wal::RefExemplar> exemplars) {
  std::string out(1, '\x04');
  if (exemplars.empty()) return out;
  PutBe(&out, exemplars[0].ref, 8);
  PutBe(&out, static_cast<uint64_t>(exemplars[0].t), 8);
  for (const wal::RefExemplar& e : exemplars) {
    PutVarint(&out, static_cast<int64_t>(e.ref - exemplars[0].ref));
    PutVarint(&out, e.t - exemplars[0].t);
    PutBe(&out, std::bit_cast<uint64_t>(e.v), 8);
    PutLabels(&out, e.labels);
  }
  return out;
}

// (series ref, head chunk reference) pairs.
inline std::string PromMmapMarkersRecord(std::span<const std::pair<uint64_t, uint64_t>> markers) {
  std::string out(1, '\x05');
  for (const auto& [ref, chunk] : markers) {
    PutBe(&out, ref, 8);
    PutBe(&out, chunk, 8);
  }
  return out;
}

inline std::string PromMetadataRecord(uint64_t ref, uint8_t metric_type, std::string_view unit, std::string_view help) {
  std::string out(1, '\x06');
  PutUvarint(&out, ref);
  out.push_back(static_cast<char>(metric_type));
  PutUvarint(&out, 2);
  PutString(&out, "UNIT");
  PutString(&out, unit);
  PutString(&out, "HELP");
  PutString(&out, help);
  return out;
}

// A record of `type` with one plausible integer-histogram entry (type 7's
// layout: base ref, base time, deltas, then the histogram). Only its type
// byte matters to the reader, which must refuse it.
inline std::string PromHistogramRecord(uint8_t type, uint64_t ref, int64_t t) {
  std::string out(1, static_cast<char>(type));
  PutBe(&out, ref, 8);
  PutBe(&out, static_cast<uint64_t>(t), 8);
  PutVarint(&out, 0);
  PutVarint(&out, 0);
  out.push_back('\0');                              // counter reset hint
  PutVarint(&out, 3);                               // schema
  PutBe(&out, 0, 8);                                // zero threshold
  PutUvarint(&out, 0);                              // zero count
  PutUvarint(&out, 1);                              // count
  PutBe(&out, 0x3FF0000000000000, 8);               // sum 1.0
  for (int i = 0; i < 4; ++i) PutUvarint(&out, 0);  // no spans, no buckets
  return out;
}

enum class TestCodec { kNone, kSnappy, kZstd, kZstdNoContentSize };

inline std::string CompressForTest(TestCodec codec, std::string_view in) {
  std::string out;
  if (codec == TestCodec::kSnappy) {
    snappy::Compress(in.data(), in.size(), &out);
  } else if (codec == TestCodec::kZstd) {
    out.resize(ZSTD_compressBound(in.size()));
    out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 1));
  } else if (codec == TestCodec::kZstdNoContentSize) {
    ZSTD_CCtx* ctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(ctx, ZSTD_c_contentSizeFlag, 0);
    out.resize(ZSTD_compressBound(in.size()));
    out.resize(ZSTD_compress2(ctx, out.data(), out.size(), in.data(), in.size()));
    ZSTD_freeCCtx(ctx);
  } else {
    out.assign(in);
  }
  return out;
}

inline uint8_t CodecFlag(TestCodec codec) {
  if (codec == TestCodec::kSnappy) return 0x08;
  if (codec == TestCodec::kNone) return 0;
  return 0x10;
}

// [type byte][BE16 length][BE32 CRC32C(data)][data]
inline std::string PromFragment(uint8_t type_byte, std::string_view data) {
  std::string out(1, static_cast<char>(type_byte));
  PutBe(&out, data.size(), 2);
  PutBe(&out, encoding::Crc32c(data), 4);
  out.append(data);
  return out;
}

class PromSegmentBuilder {
 public:
  struct Fragment {
    uint8_t kind;
    uint64_t offset;
  };

  // Appends one record; returns the offset of its first fragment.
  uint64_t Log(std::string_view record, TestCodec codec = TestCodec::kNone) {
    std::string enc = CompressForTest(codec, record);
    if (Room() < kWlogFragmentHeaderSize) PadPage();
    const uint64_t start = bytes_.size();
    bool first = true;
    do {
      const size_t n = std::min(enc.size(), Room() - kWlogFragmentHeaderSize);
      const bool last = n == enc.size();
      const uint8_t kind = first ? (last ? 1 : 2) : (last ? 4 : 3);
      fragments_.push_back({kind, bytes_.size()});
      bytes_ += PromFragment(static_cast<uint8_t>(kind | CodecFlag(codec)), std::string_view(enc).substr(0, n));
      enc.erase(0, n);
      first = false;
      if (Room() < kWlogFragmentHeaderSize) PadPage();
    } while (!enc.empty());
    return start;
  }
  void PadPage() {
    if (bytes_.size() % kWlogPageSize != 0) bytes_.append(kWlogPageSize - bytes_.size() % kWlogPageSize, '\0');
  }
  // The segment's bytes; closed segments end with their last page padded.
  std::string Finish(bool close) {
    if (close) PadPage();
    return bytes_;
  }
  const std::vector<Fragment>& fragments() const { return fragments_; }
  size_t size() const { return bytes_.size(); }

 private:
  size_t Room() const { return kWlogPageSize - bytes_.size() % kWlogPageSize; }
  std::string bytes_;
  std::vector<Fragment> fragments_;
};

class ReadOnlyCheckEnv final : public Env {
 public:
  explicit ReadOnlyCheckEnv(Env* base) : base_(base) {}
  int64_t mutations() const { return mutations_.load(); }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override { return Refuse(path); }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override { return Refuse(path); }
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    return base_->NewSequentialFile(path);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override { return base_->GetChildren(dir); }
  Result<uint64_t> GetFileSize(const std::string& path) override { return base_->GetFileSize(path); }
  bool IsDirectory(const std::string& path) override { return base_->IsDirectory(path); }
  Status CreateDirs(const std::string& dir) override { return Refuse(dir); }
  Status RemoveFile(const std::string& path) override { return Refuse(path); }
  Status RemoveDirRecursively(const std::string& dir) override { return Refuse(dir); }
  Status RenameFile(const std::string& from, const std::string&) override { return Refuse(from); }
  Status LinkFile(const std::string& from, const std::string&) override { return Refuse(from); }
  Status SyncDir(const std::string& dir) override { return Refuse(dir); }
  Status TruncateFile(const std::string& path, uint64_t) override { return Refuse(path); }

 private:
  Status Refuse(const std::string& path) {
    ++mutations_;
    return Status::Internal("ReadOnlyCheckEnv: a reader tried to modify " + path);
  }
  Env* base_;
  std::atomic<int64_t> mutations_{0};
};

inline Status WriteFileForTest(Env* env, const std::string& path, std::string_view bytes) {
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile(path));
  PROMETHIUM_RETURN_IF_ERROR(f->Append(bytes));
  return f->Close();
}

// Relative path -> bytes of every regular file under root (directories
// appear with an empty value and a trailing '/').
inline std::map<std::string, std::string> SnapshotTree(const std::string& root) {
  std::map<std::string, std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string rel = std::filesystem::relative(entry.path(), root).string();
    if (entry.is_directory()) {
      out[rel + "/"] = "";
    } else {
      Result<std::string> bytes = ReadFileToString(Env::Default(), entry.path().string());
      out[rel] = bytes.ok() ? *bytes : "<unreadable: " + bytes.status().ToString() + ">";
    }
  }
  return out;
}

}  // namespace promethium::tsdb::prometheus_format
