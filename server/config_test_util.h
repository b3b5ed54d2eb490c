// Helpers shared by the config tests: parse YAML expecting success or an
// error, and report the other outcome as a test failure.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "server/config.h"

namespace promethium::server::testutil {

inline Config MustParse(const std::string& yaml) {
  Result<Config> cfg = ParseConfig(yaml);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString() << "\n" << yaml;
  return cfg.ok() ? *cfg : Config{};
}

inline std::string ParseError(const std::string& yaml) {
  Result<Config> cfg = ParseConfig(yaml);
  EXPECT_FALSE(cfg.ok()) << "expected an error for:\n" << yaml;
  return cfg.ok() ? "" : cfg.status().message();
}

}  // namespace promethium::server::testutil
