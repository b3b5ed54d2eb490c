// Test helpers for rules_template tests: render a template text with the
// alert preamble and given labels/value.
// Thread-safety: test-only, single-threaded.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "rules/template/template.h"

namespace promethium::rules {

inline Result<std::string> Render(std::string_view text, const TemplateData& data = {},
                                  TemplateQuerier* querier = nullptr, TemplateOptions opts = {}) {
  auto t = Template::Parse("t", text, opts);
  if (!t.ok()) return t.status();
  return (*t)->Execute(data, querier);
}

inline std::string MustRender(std::string_view text, const TemplateData& data = {},
                              TemplateQuerier* querier = nullptr) {
  auto r = Render(text, data, querier);
  EXPECT_TRUE(r.ok()) << text << " -> " << r.status().ToString();
  return r.ok() ? *r : "<error: " + r.status().message() + ">";
}

inline std::string ErrorOf(std::string_view text, const TemplateData& data = {}, TemplateQuerier* querier = nullptr,
                           TemplateOptions opts = {}) {
  auto r = Render(text, data, querier, opts);
  EXPECT_FALSE(r.ok()) << text << " rendered " << (r.ok() ? *r : "");
  return r.ok() ? "" : r.status().message();
}

}  // namespace promethium::rules
