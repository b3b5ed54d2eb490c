// Logging: leveled, logfmt-formatted lines on stderr, as Prometheus logs.
//
//   ts=2026-11-21T23:43:51.123Z level=info component=scrape msg="..." key=value
//
// Use the fmt-style helpers: LogInfo("scrape", "target {} failed: {}", url, err).
// Thread-safety: every function here may be called from any thread; one line
// is written with a single write() so lines never interleave.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace promethium {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// "debug", "info", "warn" or "error".
std::string_view LogLevelName(LogLevel level);
// Parses "debug", "info", "warn", "error" (Prometheus's --log.level values).
bool ParseLogLevel(std::string_view text, LogLevel* out);
void LogLine(LogLevel level, std::string_view component, std::string_view message);

template <typename... Args>
void Log(LogLevel level, std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
  if (level < GetLogLevel()) return;
  LogLine(level, component, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void LogDebug(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
  Log(LogLevel::kDebug, c, f, std::forward<Args>(a)...);
}
template <typename... Args>
void LogInfo(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
  Log(LogLevel::kInfo, c, f, std::forward<Args>(a)...);
}
template <typename... Args>
void LogWarn(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
  Log(LogLevel::kWarn, c, f, std::forward<Args>(a)...);
}
template <typename... Args>
void LogError(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
  Log(LogLevel::kError, c, f, std::forward<Args>(a)...);
}

}  // namespace promethium
