// Reading Prometheus blocks in place: a real block written by promtool 2.42
// (testdata/, see its README), checked sample by sample against promtool's
// own dump of it; hand-built v1 and v2 indexes; every single-byte corruption
// of the index and chunk files; non-XOR chunks; Prometheus's tombstones.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "tsdb/chunkenc/xor_chunk.h"
#include "tsdb/encoding/block_encoding.h"
#include "tsdb/encoding/crc32c.h"
#include "tsdb/prometheus_format/chunk_reader.h"
#include "tsdb/prometheus_format/index_reader.h"
#include "tsdb/prometheus_format/tombstones.h"

namespace promethium::tsdb {
namespace {
namespace fs = std::filesystem;
namespace enc = block_encoding;
using namespace std::string_view_literals;

const std::string kTestdata = PROMETHIUM_PROMETHEUS_TESTDATA;
const std::string kBlock = kTestdata + "/block/01M972484KG4C23FMK7XX5VN1H";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "prom_format_test_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadAll(const std::string& path) {
  auto data = ReadFileToString(Env::Default(), path);
  EXPECT_TRUE(data.ok()) << data.status().ToString();
  return data.ok() ? *data : std::string();
}

void WriteAll(const std::string& path, std::string_view data) {
  auto file = Env::Default()->NewWritableFile(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE((*file)->Append(data).ok()) << path;
  ASSERT_TRUE((*file)->Close().ok()) << path;
}

// The default Env, except that the files set here are read from memory:
// the corruption tests open thousands of variants of one file.
class OverlayEnv final : public Env {
 public:
  void Set(const std::string& path, std::string data) { files_[path] = std::move(data); }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    auto it = files_.find(path);
    if (it == files_.end()) return base_->NewRandomAccessFile(path);
    return std::unique_ptr<RandomAccessFile>(new StringFile(it->second));
  }
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    return base_->NewWritableFile(p);
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& p) override {
    return base_->NewAppendableFile(p);
  }
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& p) override {
    return base_->NewSequentialFile(p);
  }
  bool FileExists(const std::string& p) override { return base_->FileExists(p); }
  Result<std::vector<std::string>> GetChildren(const std::string& d) override { return base_->GetChildren(d); }
  Result<uint64_t> GetFileSize(const std::string& p) override { return base_->GetFileSize(p); }
  bool IsDirectory(const std::string& p) override { return base_->IsDirectory(p); }
  Status CreateDirs(const std::string& d) override { return base_->CreateDirs(d); }
  Status RemoveFile(const std::string& p) override { return base_->RemoveFile(p); }
  Status RemoveDirRecursively(const std::string& d) override { return base_->RemoveDirRecursively(d); }
  Status RenameFile(const std::string& a, const std::string& b) override { return base_->RenameFile(a, b); }
  Status LinkFile(const std::string& a, const std::string& b) override { return base_->LinkFile(a, b); }
  Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }
  Status TruncateFile(const std::string& p, uint64_t n) override { return base_->TruncateFile(p, n); }

 private:
  // Hands out views of its bytes rather than filling the scratch buffer.
  class StringFile final : public RandomAccessFile {
   public:
    explicit StringFile(std::string data) : data_(std::move(data)) {}
    Status Read(uint64_t offset, size_t n, std::string_view* out, char*) const override {
      *out = offset >= data_.size() ? std::string_view() : std::string_view(data_).substr(offset, n);
      return Status::OK();
    }
    uint64_t Size() const override { return data_.size(); }

   private:
    const std::string data_;
  };

  Env* const base_ = Env::Default();
  std::map<std::string, std::string> files_;
};

bool Contains(const Status& s, std::string_view what) { return s.message().find(what) != std::string::npos; }

// ---------------------------------------------------------------------------
// Everything an index says, as text: series (labels, chunk metas), label
// names and values, and the postings of every label pair. Two indexes with
// the same description answer every query alike.
std::string Describe(const PrometheusIndexFile& ix) {
  std::ostringstream out;
  for (SeriesRef ref : ix.AllPostings()) {
    Labels ls;
    std::vector<ChunkMeta> chunks;
    Status s = ix.Series(ref, &ls, &chunks);
    out << ref << " " << ls.ToString() << " " << s.ToString();
    for (const ChunkMeta& c : chunks) out << " [" << c.ref << " " << c.min_time << " " << c.max_time << "]";
    out << "\n";
  }
  for (const std::string& name : ix.LabelNames()) {
    for (const std::string& value : ix.LabelValues(name)) {
      auto refs = ix.Postings(name, {value});
      out << name << "=" << value << ":";
      if (!refs.ok()) out << refs.status().ToString();
      for (SeriesRef r : refs.ok() ? *refs : std::vector<SeriesRef>{}) out << " " << r;
      out << "\n";
    }
  }
  return out.str();
}

// One line of `promtool tsdb dump`: labels, value (Go's %g), timestamp.
struct DumpLine {
  std::string labels;
  std::string value;
  int64_t t;
};

std::vector<DumpLine> ReadDump(const std::string& path) {
  std::vector<DumpLine> out;
  std::istringstream in(ReadAll(path));
  for (std::string line; std::getline(in, line);) {
    const size_t t_sep = line.rfind(' ');
    const size_t v_sep = line.rfind(' ', t_sep - 1);
    out.push_back(
        {line.substr(0, v_sep), line.substr(v_sep + 1, t_sep - v_sep - 1), std::stoll(line.substr(t_sep + 1))});
  }
  return out;
}

// ---------------------------------------------------------------------------
// The promtool fixture.

TEST(PrometheusBlockReaderTest, ProbesRecogniseTheFixtureFiles) {
  const std::string index = ReadAll(kBlock + "/index");
  const std::string chunks = ReadAll(kBlock + "/chunks/000001");
  const std::string stones = ReadAll(kBlock + "/tombstones");
  int version = 0;
  EXPECT_TRUE(IsPrometheusIndexHeader(index, &version));
  EXPECT_EQ(version, 2);
  EXPECT_TRUE(IsPrometheusChunkSegmentHeader(chunks));
  EXPECT_TRUE(IsPrometheusTombstonesHeader(stones));
  EXPECT_FALSE(IsPrometheusIndexHeader(chunks, nullptr));
  EXPECT_FALSE(IsPrometheusChunkSegmentHeader(index));
  EXPECT_FALSE(IsPrometheusTombstonesHeader(index));
  EXPECT_FALSE(IsPrometheusIndexHeader(index.substr(0, 4), nullptr));
  std::string v3 = index.substr(0, 5);
  v3[4] = 3;
  version = 0;
  EXPECT_FALSE(IsPrometheusIndexHeader(v3, &version));  // a version we cannot read...
  EXPECT_EQ(version, 3);                                // ...but recognisably Prometheus's
}

TEST(PrometheusBlockReaderTest, FixtureMatchesPromtoolDumpSampleBySample) {
  auto ix = PrometheusIndexFile::Open(Env::Default(), kBlock + "/index");
  ASSERT_TRUE(ix.ok()) << ix.status().ToString();
  EXPECT_EQ((*ix)->format(), BlockFormat::kPrometheus);
  EXPECT_EQ((*ix)->version(), 2);
  EXPECT_EQ((*ix)->NumSeries(), 5u);
  auto files = PrometheusChunkFiles::Open(Env::Default(), kBlock + "/chunks");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ((*files)->NumSegments(), 1u);
  EXPECT_EQ((*files)->TotalBytes(), fs::file_size(kBlock + "/chunks/000001"));
  auto reader = (*files)->NewReader();

  const std::vector<DumpLine> want = ReadDump(kTestdata + "/block.dump");
  ASSERT_EQ(want.size(), 740u);  // meta.json: numSamples
  size_t next = 0;
  size_t num_chunks = 0;
  uint64_t prev_chunk_ref = 0;
  for (SeriesRef ref : (*ix)->AllPostings()) {
    Labels ls;
    std::vector<ChunkMeta> chunks;
    ASSERT_TRUE((*ix)->Series(ref, &ls, &chunks).ok());
    ASSERT_FALSE(chunks.empty());
    for (const ChunkMeta& meta : chunks) {
      ++num_chunks;
      EXPECT_EQ(meta.ref >> 32, 0u);        // segment file index 0: 000001
      EXPECT_GT(meta.ref, prev_chunk_ref);  // Prometheus writes chunks in series order
      prev_chunk_ref = meta.ref;
      std::string bytes;
      ASSERT_TRUE(reader->Read(meta.ref, &bytes).ok());
      XorIterator it(bytes);
      bool first = true;
      int64_t last_t = 0;
      while (it.Next() == ValueType::kFloat) {
        ASSERT_LT(next, want.size());
        const DumpLine& w = want[next++];
        const Sample s = it.At();
        EXPECT_EQ(ls.ToString(), w.labels);
        EXPECT_EQ(s.t, w.t) << w.labels;
        const double v = std::strtod(w.value.c_str(), nullptr);
        if (std::isnan(v)) {
          // Go's math.NaN(), as promtool parsed "NaN": the exact bits survive.
          EXPECT_EQ(it.value_bits(), 0x7ff8000000000001ULL) << w.labels << " " << w.t;
        } else {
          EXPECT_EQ(it.value_bits(), std::bit_cast<uint64_t>(v)) << w.labels << " " << w.t << " " << w.value;
        }
        if (first) {
          EXPECT_EQ(s.t, meta.min_time);
        }
        first = false;
        last_t = s.t;
      }
      ASSERT_TRUE(it.Err().ok()) << it.Err().ToString();
      EXPECT_EQ(last_t, meta.max_time);
    }
  }
  EXPECT_EQ(next, want.size());
  EXPECT_EQ(num_chunks, 10u);  // meta.json: numChunks
}

TEST(PrometheusBlockReaderTest, FixtureLabelsAndPostings) {
  auto ix = PrometheusIndexFile::Open(Env::Default(), kBlock + "/index");
  ASSERT_TRUE(ix.ok()) << ix.status().ToString();
  const PrometheusIndexFile& index = **ix;
  EXPECT_EQ(index.LabelNames(), (std::vector<std::string>{"__name__", "city", "instance", "job", "kind"}));
  // Byte order: 'Z' < the UTF-8 of 東 < the UTF-8 of 🔥.
  EXPECT_EQ(index.LabelValues("city"), (std::vector<std::string>{"Zürich", "東京", "🔥 \"hot\" zone"}));
  EXPECT_EQ(index.LabelValues("__name__"), (std::vector<std::string>{"odd_values", "temperature_celsius", "up"}));
  EXPECT_TRUE(index.LabelValues("nope").empty());

  auto temps = index.Postings("__name__", {"temperature_celsius"});
  ASSERT_TRUE(temps.ok());
  ASSERT_EQ(temps->size(), 3u);
  auto two = index.Postings("city", {"東京", "Zürich", "Atlantis"});
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_LT((*two)[0], (*two)[1]);
  Labels ls;
  ASSERT_TRUE(index.Series((*two)[0], &ls, nullptr).ok());
  EXPECT_EQ(ls, (Labels{{"__name__", "temperature_celsius"}, {"city", "Zürich"}}));
  ASSERT_TRUE(index.Series((*two)[1], &ls, nullptr).ok());
  EXPECT_EQ(ls.Get("city"), "東京");
  EXPECT_TRUE(index.Postings("city", {"Atlantis"})->empty());
  EXPECT_TRUE(index.Postings("nope", {"x"})->empty());

  // v2 series refs are offsets / 16: all inside the file, none beyond.
  for (SeriesRef ref : index.AllPostings()) EXPECT_LT(ref * 16, index.SizeBytes());
  EXPECT_EQ(index.Series(index.SizeBytes(), &ls, nullptr).code(), Status::Code::kNotFound);
  EXPECT_EQ(index.Series(0, &ls, nullptr).code(), Status::Code::kNotFound);
  EXPECT_EQ(index.Series(~SeriesRef{0}, &ls, nullptr).code(), Status::Code::kNotFound);
}

// Flips each byte of the index in turn: Open must refuse the file (naming
// it), unless the byte is unreferenced zero padding, in which case the
// index must read exactly as before.
void ExpectEveryIndexByteChecked(const std::string& original, const std::string& dir) {
  OverlayEnv env;
  const std::string path = dir + "/index";
  env.Set(path, original);
  auto clean = PrometheusIndexFile::Open(&env, path);
  ASSERT_TRUE(clean.ok()) << clean.status().ToString();
  const std::string want = Describe(**clean);
  size_t benign = 0;
  for (size_t i = 0; i < original.size(); ++i) {
    std::string data = original;
    data[i] = static_cast<char>(data[i] ^ 0x01);
    env.Set(path, data);
    auto ix = PrometheusIndexFile::Open(&env, path);
    if (!ix.ok()) {
      const bool version_byte = i == 4;
      EXPECT_EQ(ix.status().code(), version_byte ? Status::Code::kUnsupported : Status::Code::kCorruption) << i;
      EXPECT_TRUE(Contains(ix.status(), path)) << ix.status().ToString();
      continue;
    }
    ++benign;
    EXPECT_EQ(original[i], 0) << "byte " << i << " changed without being noticed";
    EXPECT_EQ(Describe(**ix), want) << "byte " << i;
  }
  EXPECT_LT(benign, 16u);  // a few alignment bytes before label indices and postings
}

TEST(PrometheusBlockReaderTest, EveryCorruptIndexByteIsCaughtAtOpen) {
  TempDir dir;
  ExpectEveryIndexByteChecked(ReadAll(kBlock + "/index"), dir.path());
}

TEST(PrometheusBlockReaderTest, TruncatedIndexIsCorruption) {
  TempDir dir;
  const std::string original = ReadAll(kBlock + "/index");
  for (size_t n : {size_t{0}, size_t{4}, size_t{56}, original.size() / 2, original.size() - 1}) {
    WriteAll(dir.path() + "/index", original.substr(0, n));
    auto ix = PrometheusIndexFile::Open(Env::Default(), dir.path() + "/index");
    ASSERT_FALSE(ix.ok()) << n;
    EXPECT_EQ(ix.status().code(), Status::Code::kCorruption) << n;
    EXPECT_TRUE(Contains(ix.status(), "corrupt: " + dir.path() + "/index at offset")) << ix.status().ToString();
  }
}

// Flips each byte of the chunk file: either Open (header) or the read of
// some chunk must fail; every byte belongs to the header or a chunk.
TEST(PrometheusBlockReaderTest, EveryCorruptChunkByteIsCaught) {
  auto ix = PrometheusIndexFile::Open(Env::Default(), kBlock + "/index");
  ASSERT_TRUE(ix.ok());
  std::vector<uint64_t> refs;
  for (SeriesRef ref : (*ix)->AllPostings()) {
    Labels ls;
    std::vector<ChunkMeta> chunks;
    ASSERT_TRUE((*ix)->Series(ref, &ls, &chunks).ok());
    for (const ChunkMeta& c : chunks) refs.push_back(c.ref);
  }
  TempDir dir;
  fs::create_directories(dir.path() + "/chunks");
  const std::string path = dir.path() + "/chunks/000001";
  const std::string original = ReadAll(kBlock + "/chunks/000001");
  WriteAll(path, original);  // listed from disk, read from memory
  OverlayEnv env;
  for (size_t i = 0; i < original.size(); ++i) {
    std::string data = original;
    data[i] = static_cast<char>(data[i] ^ 0x01);
    env.Set(path, data);
    auto files = PrometheusChunkFiles::Open(&env, dir.path() + "/chunks");
    if (!files.ok()) {
      EXPECT_LT(i, 5u);  // magic or version
      continue;
    }
    auto reader = (*files)->NewReader();
    Status first_error;
    for (uint64_t ref : refs) {
      std::string out;
      Status s = reader->Read(ref, &out);
      if (!s.ok() && first_error.ok()) first_error = s;
    }
    if (i < 8) continue;  // the header's padding bytes are not checked (nor by Prometheus)
    ASSERT_FALSE(first_error.ok()) << "byte " << i << " changed without being noticed";
    EXPECT_EQ(first_error.code(), Status::Code::kCorruption) << first_error.ToString();
    EXPECT_TRUE(Contains(first_error, "corrupt: " + path + " at offset ")) << first_error.ToString();
  }
}

// ---------------------------------------------------------------------------
// Chunk files built by hand.

// A chunk as Prometheus writes it: uvarint len | encoding | data | CRC32C.
std::string EncodeChunk(uint8_t encoding, std::string_view data) {
  std::string out;
  enc::PutUvarint(&out, data.size());
  std::string covered(1, static_cast<char>(encoding));
  covered += data;
  out += covered;
  enc::PutBE32(&out, encoding::Crc32c(covered));
  return out;
}

std::string SegmentHeader() {
  std::string h;
  enc::PutBE32(&h, 0x85BD40DD);
  h.append({1, 0, 0, 0});
  return h;
}

TEST(PrometheusBlockReaderTest, HistogramChunksAreReadWithTheirEncodingUnknownOnesRefused) {
  TempDir dir;
  const std::string chunks_dir = dir.path() + "/chunks";
  fs::create_directories(chunks_dir);
  XorChunk xor_chunk;
  XorAppender app(&xor_chunk);
  app.Append(1000, 1.5);
  app.Append(2000, 2.5);
  std::string seg = SegmentHeader();
  const uint64_t xor_off = seg.size();
  seg += EncodeChunk(1, xor_chunk.Bytes());
  const uint64_t hist_off = seg.size();
  seg += EncodeChunk(2, "\x00\x01 some histogram bytes"sv);
  const uint64_t float_hist_off = seg.size();
  seg += EncodeChunk(3, "\x00\x01 float histogram bytes"sv);
  const uint64_t odd_off = seg.size();
  seg += EncodeChunk(7, "\x00\x01"sv);
  WriteAll(chunks_dir + "/000001", seg);
  WriteAll(chunks_dir + "/000002", SegmentHeader() + EncodeChunk(1, xor_chunk.Bytes()));

  auto files = PrometheusChunkFiles::Open(Env::Default(), chunks_dir);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ((*files)->NumSegments(), 2u);
  auto reader = (*files)->NewReader();
  files->reset();  // the reader keeps the files alive
  std::string out;
  ASSERT_TRUE(reader->Read(xor_off, &out).ok());
  EXPECT_EQ(out, xor_chunk.Bytes());
  out.clear();
  ASSERT_TRUE(reader->Read((uint64_t{1} << 32) | 8, &out).ok());  // second file, first chunk
  EXPECT_EQ(out, xor_chunk.Bytes());

  // Histogram chunks come back verbatim with their encoding; the XOR-only
  // Read refuses them, naming the encoding.
  ChunkEncoding encoding = ChunkEncoding::kXor;
  ASSERT_TRUE(reader->ReadChunk(hist_off, &out, &encoding).ok());
  EXPECT_EQ(encoding, ChunkEncoding::kHistogram);
  EXPECT_EQ(out, "\x00\x01 some histogram bytes"sv);
  ASSERT_TRUE(reader->ReadChunk(float_hist_off, &out, &encoding).ok());
  EXPECT_EQ(encoding, ChunkEncoding::kFloatHistogram);
  EXPECT_EQ(out, "\x00\x01 float histogram bytes"sv);
  Status s = reader->Read(hist_off, &out);
  EXPECT_EQ(s.code(), Status::Code::kUnsupported);
  EXPECT_TRUE(Contains(s, "histogram chunk")) << s.ToString();
  s = reader->ReadChunk(odd_off, &out, &encoding);
  EXPECT_EQ(s.code(), Status::Code::kUnsupported);
  EXPECT_TRUE(Contains(s, "unknown chunk encoding 7")) << s.ToString();
  EXPECT_TRUE(Contains(s, chunks_dir + "/000001 at offset " + std::to_string(odd_off))) << s.ToString();

  // Refs naming no chunk.
  EXPECT_EQ(reader->Read(uint64_t{5} << 32, &out).code(), Status::Code::kCorruption);
  EXPECT_EQ(reader->Read(2, &out).code(), Status::Code::kCorruption);  // inside the header
  EXPECT_EQ(reader->Read(seg.size() + 10, &out).code(), Status::Code::kCorruption);
  EXPECT_EQ(reader->Read(xor_off + 1, &out).code(), Status::Code::kCorruption);
}

TEST(PrometheusBlockReaderTest, LargeChunkIsReadPastTheProbe) {
  TempDir dir;
  fs::create_directories(dir.path() + "/chunks");
  XorChunk chunk;
  XorAppender app(&chunk);
  for (int i = 0; i < 400; ++i) app.Append(i * 15000 + (i % 3), std::sin(i) * 1e6);
  ASSERT_GT(chunk.Bytes().size(), 1000u);
  WriteAll(dir.path() + "/chunks/000001", SegmentHeader() + EncodeChunk(1, chunk.Bytes()));
  auto files = PrometheusChunkFiles::Open(Env::Default(), dir.path() + "/chunks");
  ASSERT_TRUE(files.ok());
  std::string out;
  ASSERT_TRUE((*files)->NewReader()->Read(8, &out).ok());
  EXPECT_EQ(out, chunk.Bytes());
}

TEST(PrometheusBlockReaderTest, ChunkFilesMustBeNumberedWithoutGapsAndHaveAHeader) {
  TempDir dir;
  const std::string chunks_dir = dir.path() + "/chunks";
  auto none = PrometheusChunkFiles::Open(Env::Default(), chunks_dir);  // no directory: no chunks
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)->NumSegments(), 0u);

  fs::create_directories(chunks_dir);
  WriteAll(chunks_dir + "/000001", SegmentHeader());
  WriteAll(chunks_dir + "/000003", SegmentHeader());
  WriteAll(chunks_dir + "/000002.tmp", "ignored");
  auto gap = PrometheusChunkFiles::Open(Env::Default(), chunks_dir);
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.status().code(), Status::Code::kCorruption);
  EXPECT_TRUE(Contains(gap.status(), chunks_dir + "/000002")) << gap.status().ToString();

  WriteAll(chunks_dir + "/000002", "\x85\xBD\x40\xDE\x01\x00\x00\x00"sv);
  auto bad = PrometheusChunkFiles::Open(Env::Default(), chunks_dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kCorruption);
  EXPECT_TRUE(Contains(bad.status(), "corrupt: " + chunks_dir + "/000002 at offset 0")) << bad.status().ToString();

  WriteAll(chunks_dir + "/000002", "\x85\xBD\x40\xDD\x02\x00\x00\x00"sv);
  auto v2 = PrometheusChunkFiles::Open(Env::Default(), chunks_dir);
  ASSERT_FALSE(v2.ok());
  EXPECT_EQ(v2.status().code(), Status::Code::kUnsupported);
}

// ---------------------------------------------------------------------------
// Indexes built byte by byte from the documented layout. promtool 2.42 (and
// every Prometheus since 2.1) writes only v2, so this is how v1 is tested;
// v2 is built too, to reach entries larger than the reader's first probe.

struct TestSeries {
  Labels labels;
  std::vector<ChunkMeta> chunks;
};

void AppendSection(std::string* f, std::string_view body) {
  enc::PutBE32(f, static_cast<uint32_t>(body.size()));
  f->append(body);
  enc::PutBE32(f, encoding::Crc32c(body));
}

void PadTo(std::string* f, size_t align) {
  while (f->size() % align != 0) f->push_back(0);
}

std::string SeriesEntry(const TestSeries& s, const std::map<std::string, uint64_t>& sym) {
  std::string e;
  enc::PutUvarint(&e, s.labels.size());
  for (const Label& l : s.labels) {
    enc::PutUvarint(&e, sym.at(l.name));
    enc::PutUvarint(&e, sym.at(l.value));
  }
  enc::PutUvarint(&e, s.chunks.size());
  for (size_t i = 0; i < s.chunks.size(); ++i) {
    const ChunkMeta& c = s.chunks[i];
    if (i == 0) {
      enc::PutVarint(&e, c.min_time);
      enc::PutUvarint(&e, c.max_time - c.min_time);
      enc::PutUvarint(&e, c.ref);
    } else {
      enc::PutUvarint(&e, c.min_time - s.chunks[i - 1].max_time);
      enc::PutUvarint(&e, c.max_time - c.min_time);
      enc::PutVarint(&e, static_cast<int64_t>(c.ref - s.chunks[i - 1].ref));
    }
  }
  return e;
}

// `series` sorted by labels. v1: symbols referenced by file offset, series
// by file offset (unaligned), postings offset table unsorted. v2: symbols by
// ordinal, series 16-byte aligned and referenced by offset / 16.
std::string BuildIndex(int version, const std::vector<TestSeries>& series, std::vector<SeriesRef>* refs,
                       bool with_all_postings = true) {
  std::string f;
  enc::PutBE32(&f, 0xBAAAD700);
  f.push_back(static_cast<char>(version));
  std::set<std::string> symbol_set;
  for (const TestSeries& s : series) {
    for (const Label& l : s.labels) symbol_set.insert({l.name, l.value});
  }
  const uint64_t symbols_start = f.size();
  std::map<std::string, uint64_t> sym;
  std::string body;
  enc::PutBE32(&body, static_cast<uint32_t>(symbol_set.size()));
  for (const std::string& s : symbol_set) {
    const uint64_t ref = version == 2 ? sym.size() : symbols_start + 4 + body.size();
    sym[s] = ref;
    enc::PutUvarint(&body, s.size());
    body += s;
  }
  AppendSection(&f, body);
  const uint64_t series_start = f.size();
  std::map<std::pair<std::string, std::string>, std::vector<uint32_t>> postings;
  std::vector<uint32_t> all;
  for (const TestSeries& s : series) {
    if (version == 2) PadTo(&f, 16);
    const SeriesRef ref = version == 2 ? f.size() / 16 : f.size();
    refs->push_back(ref);
    all.push_back(static_cast<uint32_t>(ref));
    for (const Label& l : s.labels) postings[{l.name, l.value}].push_back(static_cast<uint32_t>(ref));
    const std::string e = SeriesEntry(s, sym);
    enc::PutUvarint(&f, e.size());
    f += e;
    enc::PutBE32(&f, encoding::Crc32c(e));
  }
  const uint64_t label_indices_start = f.size();
  std::map<std::string, std::vector<std::string>> values;
  for (const auto& entry : postings) values[entry.first.first].push_back(entry.first.second);
  std::vector<std::pair<std::string, uint64_t>> label_offsets;
  for (const auto& [name, vals] : values) {
    PadTo(&f, 4);
    label_offsets.emplace_back(name, f.size());
    body.clear();
    enc::PutBE32(&body, 1);
    enc::PutBE32(&body, static_cast<uint32_t>(vals.size()));
    for (const std::string& v : vals) enc::PutBE32(&body, static_cast<uint32_t>(sym.at(v)));
    AppendSection(&f, body);
  }
  const uint64_t postings_start = f.size();
  std::vector<std::tuple<std::string, std::string, uint64_t>> postings_offsets;
  auto write_list = [&](const std::string& name, const std::string& value, const std::vector<uint32_t>& list) {
    PadTo(&f, 4);
    postings_offsets.emplace_back(name, value, f.size());
    body.clear();
    enc::PutBE32(&body, static_cast<uint32_t>(list.size()));
    for (uint32_t r : list) enc::PutBE32(&body, r);
    AppendSection(&f, body);
  };
  if (with_all_postings) write_list("", "", all);
  for (const auto& [pair, list] : postings) write_list(pair.first, pair.second, list);
  const uint64_t label_table_start = f.size();
  body.clear();
  enc::PutBE32(&body, static_cast<uint32_t>(label_offsets.size()));
  for (const auto& [name, off] : label_offsets) {
    enc::PutUvarint(&body, 1);
    enc::PutUvarint(&body, name.size());
    body += name;
    enc::PutUvarint(&body, off);
  }
  AppendSection(&f, body);
  if (version == 1) std::reverse(postings_offsets.begin(), postings_offsets.end());
  const uint64_t postings_table_start = f.size();
  body.clear();
  enc::PutBE32(&body, static_cast<uint32_t>(postings_offsets.size()));
  for (const auto& [name, value, off] : postings_offsets) {
    enc::PutUvarint(&body, 2);
    enc::PutUvarint(&body, name.size());
    body += name;
    enc::PutUvarint(&body, value.size());
    body += value;
    enc::PutUvarint(&body, off);
  }
  AppendSection(&f, body);
  std::string toc;
  for (uint64_t off :
       {symbols_start, series_start, label_indices_start, label_table_start, postings_start, postings_table_start}) {
    enc::PutBE64(&toc, off);
  }
  enc::PutBE32(&toc, encoding::Crc32c(toc));
  return f + toc;
}

std::vector<TestSeries> HandBuiltSeries() {
  std::vector<TestSeries> out;
  // Chunk metas that exercise every delta: negative times, refs in a
  // later segment file, a ref going backwards is not needed (they ascend).
  out.push_back({Labels{{"__name__", "a"}, {"x", "1"}},
                 {{.ref = 8, .min_time = -100, .max_time = -50},
                  {.ref = 200, .min_time = -10, .max_time = 5},
                  {.ref = (uint64_t{1} << 32) | 8, .min_time = 1000, .max_time = 1000}}});
  // An entry longer than the reader's first probe.
  std::vector<Label> wide;
  for (int i = 0; i < 30; ++i) wide.push_back({"label_" + std::to_string(100 + i), std::string(20, 'a' + i % 26)});
  wide.push_back({"__name__", "b"});
  out.push_back({Labels::FromVector(wide), {{.ref = 300, .min_time = 0, .max_time = 1}}});
  // Enough series for a postings list longer than the probe.
  for (int i = 0; i < 100; ++i) {
    char v[8];
    std::snprintf(v, sizeof(v), "%03d", i);
    out.push_back({Labels{{"__name__", "many"}, {"i", v}}, {}});
  }
  std::sort(out.begin(), out.end(), [](const TestSeries& a, const TestSeries& b) { return a.labels < b.labels; });
  return out;
}

TEST(PrometheusBlockReaderTest, HandBuiltV1AndV2IndexesRead) {
  const std::vector<TestSeries> series = HandBuiltSeries();
  for (int version : {1, 2}) {
    SCOPED_TRACE("version " + std::to_string(version));
    TempDir dir;
    std::vector<SeriesRef> refs;
    WriteAll(dir.path() + "/index", BuildIndex(version, series, &refs));
    auto ix = PrometheusIndexFile::Open(Env::Default(), dir.path() + "/index");
    ASSERT_TRUE(ix.ok()) << ix.status().ToString();
    EXPECT_EQ((*ix)->version(), version);
    EXPECT_EQ((*ix)->AllPostings(), refs);
    if (version == 1) {  // refs are plain offsets: some are not multiples of 16
      EXPECT_TRUE(std::any_of(refs.begin(), refs.end(), [](SeriesRef r) { return r % 16 != 0; }));
    }
    for (size_t i = 0; i < series.size(); ++i) {
      Labels ls;
      std::vector<ChunkMeta> chunks;
      ASSERT_TRUE((*ix)->Series(refs[i], &ls, &chunks).ok());
      EXPECT_EQ(ls, series[i].labels);
      ASSERT_EQ(chunks.size(), series[i].chunks.size());
      for (size_t c = 0; c < chunks.size(); ++c) {
        EXPECT_EQ(chunks[c].ref, series[i].chunks[c].ref);
        EXPECT_EQ(chunks[c].min_time, series[i].chunks[c].min_time);
        EXPECT_EQ(chunks[c].max_time, series[i].chunks[c].max_time);
      }
    }
    EXPECT_EQ((*ix)->LabelValues("__name__"), (std::vector<std::string>{"a", "b", "many"}));
    EXPECT_EQ((*ix)->LabelValues("i").size(), 100u);
    EXPECT_EQ((*ix)->LabelNames().size(), 33u);  // __name__, i, x and 30 label_NNN
    auto many = (*ix)->Postings("__name__", {"many", "a"});
    ASSERT_TRUE(many.ok());
    EXPECT_EQ(many->size(), 101u);
    EXPECT_TRUE(std::is_sorted(many->begin(), many->end()));
    Labels ls;
    EXPECT_EQ((*ix)->Series(refs.back() + 100000, &ls, nullptr).code(), Status::Code::kNotFound);
  }
}

// The ("", "") list of every series is optional in the format; without it
// the series section itself is the list.
TEST(PrometheusBlockReaderTest, IndexWithoutAllSeriesPostings) {
  const std::vector<TestSeries> series = HandBuiltSeries();
  for (int version : {1, 2}) {
    TempDir dir;
    std::vector<SeriesRef> refs;
    WriteAll(dir.path() + "/index", BuildIndex(version, series, &refs, /*with_all_postings=*/false));
    auto ix = PrometheusIndexFile::Open(Env::Default(), dir.path() + "/index");
    ASSERT_TRUE(ix.ok()) << ix.status().ToString();
    EXPECT_EQ((*ix)->AllPostings(), refs) << version;
    EXPECT_EQ((*ix)->LabelNames().size(), 33u);
  }
}

TEST(PrometheusBlockReaderTest, EveryCorruptByteOfAHandBuiltV1IndexIsCaught) {
  std::vector<TestSeries> series = HandBuiltSeries();
  series.resize(5);
  std::vector<SeriesRef> refs;
  TempDir dir;
  ExpectEveryIndexByteChecked(BuildIndex(1, series, &refs), dir.path());
}

// ---------------------------------------------------------------------------
// Tombstones.

TEST(PrometheusBlockReaderTest, ReadsTombstonesWrittenByPrometheus) {
  auto ix = PrometheusIndexFile::Open(Env::Default(), kBlock + "/index");
  ASSERT_TRUE(ix.ok());
  auto ref_of = [&](std::string_view name, const std::string& value) {
    auto refs = (*ix)->Postings(name, {value});
    EXPECT_TRUE(refs.ok() && refs->size() == 1u);
    return refs.ok() && !refs->empty() ? (*refs)[0] : ~SeriesRef{0};
  };
  // Written by Prometheus 2.42's delete_series API (see testdata/README.md).
  auto stones = ReadPrometheusTombstones(Env::Default(), kTestdata + "/deleted_by_prometheus");
  ASSERT_TRUE(stones.ok()) << stones.status().ToString();
  const TombstoneMap want = {
      {ref_of("city", "東京"), {{1700000000000, 1700001000500}}},
      // Prometheus clamps a deletion to the series' data: its first sample
      // is at 1699999215000, not at the requested 1699999200000.
      {ref_of("city", "Zürich"), {{1699999215000, 1699999500000}, {1700002000000, 1700002300000}}},
      {ref_of("__name__", "up"), {{1700001000000, 1700001100000}}},
  };
  EXPECT_EQ(*stones, want);
  auto again = DecodePrometheusTombstones(EncodePrometheusTombstones(*stones), "x");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, want);
}

TEST(PrometheusBlockReaderTest, EmptyTombstonesAreWrittenAsPrometheusDoes) {
  // promtool wrote the fixture's empty tombstones file: we write the same bytes.
  EXPECT_EQ(EncodePrometheusTombstones({}), ReadAll(kBlock + "/tombstones"));
  auto empty = ReadPrometheusTombstones(Env::Default(), kBlock);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  TempDir dir;
  ASSERT_TRUE(WritePrometheusTombstones(Env::Default(), dir.path(), {}).ok());
  EXPECT_EQ(fs::file_size(dir.path() + "/tombstones"), 9u);
  EXPECT_FALSE(fs::exists(dir.path() + "/tombstones.tmp"));
}

TEST(PrometheusBlockReaderTest, TombstonesRoundTripAndCorruption) {
  TempDir dir;
  auto absent = ReadPrometheusTombstones(Env::Default(), dir.path());
  ASSERT_TRUE(absent.ok());
  EXPECT_TRUE(absent->empty());

  const TombstoneMap map = {{1, {{-5, 5}, {100, 200}}}, {77, {{INT64_MIN, INT64_MAX}}}, {1u << 30, {{0, 0}}}};
  ASSERT_TRUE(WritePrometheusTombstones(Env::Default(), dir.path(), map).ok());
  auto back = ReadPrometheusTombstones(Env::Default(), dir.path());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, map);
  EXPECT_TRUE(IsPrometheusTombstonesHeader(ReadAll(dir.path() + "/tombstones")));

  const std::string path = dir.path() + "/tombstones";
  const std::string data = ReadAll(path);
  for (size_t i = 0; i < data.size(); ++i) {
    std::string bad = data;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto got = DecodePrometheusTombstones(bad, path);
    ASSERT_FALSE(got.ok()) << i;
    EXPECT_EQ(got.status().code(), Status::Code::kCorruption);
    EXPECT_TRUE(Contains(got.status(), "corrupt: " + path + " at offset ")) << got.status().ToString();
  }
  // Overlapping intervals of one series (Prometheus may write them) merge.
  std::string two;
  enc::PutUvarint(&two, 3);
  enc::PutVarint(&two, 10);
  enc::PutVarint(&two, 20);
  enc::PutUvarint(&two, 3);
  enc::PutVarint(&two, 15);
  enc::PutVarint(&two, 30);
  std::string file;
  enc::PutBE32(&file, 0x0130BA30);
  file.push_back(1);
  file += two;
  enc::PutBE32(&file, encoding::Crc32c(two));
  auto merged = DecodePrometheusTombstones(file, "t");
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(*merged, (TombstoneMap{{3, {{10, 30}}}}));
}

}  // namespace
}  // namespace promethium::tsdb
