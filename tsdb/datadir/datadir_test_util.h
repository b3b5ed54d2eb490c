// Test helpers for data-directory tests (tests only): a scratch copy of a
// fixture, a fingerprint of every file under a directory (path -> bytes),
// and a tiny data directory written by our own DB.
// Thread-safety: call from the test's own thread.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tsdb/api/labels.h"
#include "tsdb/db.h"
#include "tsdb/wal/test_dir_for_test.h"

namespace promethium::tsdb::datadir_test {

namespace fs = std::filesystem;

// The real Prometheus 2.42 data directory checked in under testdata/ (see
// testdata/make_prometheus_fixture.sh).
inline std::string PrometheusFixture() { return std::string(PROMETHIUM_DATADIR_TESTDATA) + "/prometheus-2.42"; }
inline std::string PrometheusFixtureDump() {
  return std::string(PROMETHIUM_DATADIR_TESTDATA) + "/prometheus-2.42.dump";
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Every regular file under `dir` (relative path) with its bytes, and every
// directory (relative path ending in '/') with no bytes.
inline std::map<std::string, std::string> Fingerprint(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string rel = fs::relative(e.path(), dir).string();
    if (e.is_directory()) {
      out[rel + "/"] = "";
    } else {
      out[rel] = ReadAll(e.path().string());
    }
  }
  return out;
}

// The entries of `after` that differ from `before` (added, removed or
// changed), for readable failure messages.
inline std::string DescribeChanges(const std::map<std::string, std::string>& before,
                                   const std::map<std::string, std::string>& after) {
  std::string out;
  for (const auto& [path, bytes] : before) {
    auto it = after.find(path);
    if (it == after.end()) {
      out += "removed " + path + "\n";
    } else if (it->second != bytes) {
      out += "changed " + path + " (" + std::to_string(bytes.size()) + " -> " + std::to_string(it->second.size()) +
             " bytes)\n";
    }
  }
  for (const auto& [path, bytes] : after) {
    if (!before.contains(path)) out += "added " + path + "\n";
  }
  return out;
}

// A scratch directory for the current test, removed by the destructor.
class ScratchDir {
 public:
  ScratchDir() : path_(wal::TestDirForTest("promethium_datadir_")) { fs::remove_all(path_); }
  ~ScratchDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Options for a DB opened by a test: no background compaction.
inline DBOptions TestOptions() {
  DBOptions opts;
  opts.background_compaction = false;
  return opts;
}

// Writes `n` samples of one series through our own DB into `dir` and
// closes it, so `dir` holds our WAL and chunks_head.
inline void WriteOwnData(const std::string& dir, int n) {
  auto db = DB::Open(dir, TestOptions(), nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto app = (*db)->NewAppender();
  const Labels labels{{"__name__", "own_metric"}, {"job", "test"}};
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(app->Append(0, labels, 1000 + int64_t{i} * 1000, i).ok());
  }
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_TRUE((*db)->Close().ok());
}

}  // namespace promethium::tsdb::datadir_test
