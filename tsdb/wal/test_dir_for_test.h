// TestDirForTest (tests only): a per-test scratch directory path under the
// system temp dir, "<prefix><test name>_<pid>", so tests of one binary and
// concurrent runs never share one. Creates nothing; callers remove it.
// Thread-safety: call from the test's own thread (reads gtest's current test).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace promethium::tsdb::wal {

inline std::string TestDirForTest(const std::string& prefix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return (std::filesystem::temp_directory_path() /
          (prefix + std::string(info->name()) + "_" + std::to_string(::getpid())))
      .string();
}

}  // namespace promethium::tsdb::wal
