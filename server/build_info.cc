#include "server/build_info.h"

#include <fmt/format.h>

#ifndef PROMETHIUM_VERSION
#define PROMETHIUM_VERSION "0.0.0"
#endif
#ifndef PROMETHIUM_GIT_REVISION
#define PROMETHIUM_GIT_REVISION "unknown"
#endif
#ifndef PROMETHIUM_GIT_BRANCH
#define PROMETHIUM_GIT_BRANCH "unknown"
#endif
#ifndef PROMETHIUM_BUILD_USER
#define PROMETHIUM_BUILD_USER "unknown"
#endif
#ifndef PROMETHIUM_BUILD_DATE
#define PROMETHIUM_BUILD_DATE "unknown"
#endif

namespace promethium::server {
namespace {

std::string CompilerName() {
#if defined(__clang__)
  return fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("gcc {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

std::string PlatformName() {
#if defined(__x86_64__)
  std::string arch = "amd64";
#elif defined(__aarch64__)
  std::string arch = "arm64";
#else
  std::string arch = "unknown";
#endif
#if defined(__linux__)
  return "linux/" + arch;
#else
  return "unknown/" + arch;
#endif
}

}  // namespace

const BuildInfo& GetBuildInfo() {
  static const BuildInfo* info = new BuildInfo{
      PROMETHIUM_VERSION,    PROMETHIUM_GIT_REVISION, PROMETHIUM_GIT_BRANCH, PROMETHIUM_BUILD_USER,
      PROMETHIUM_BUILD_DATE, CompilerName(),          PlatformName(),
  };
  return *info;
}

std::string VersionText(std::string_view program) {
  const BuildInfo& b = GetBuildInfo();
  return fmt::format(
      "{}, version {} (branch: {}, revision: {})\n"
      "  build user:       {}\n"
      "  build date:       {}\n"
      "  compiler:         {}\n"
      "  platform:         {}\n",
      program, b.version, b.branch, b.revision, b.build_user, b.build_date, b.compiler, b.platform);
}

}  // namespace promethium::server
