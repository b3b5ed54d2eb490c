// promqltest script parsing (see script.h).
#include "tests/promqltest/script.h"

#include <re2/re2.h>

#include <cctype>

#include <fmt/format.h>

#include "tsdb/base/duration.h"

namespace promethium::promqltest {

using promql::seriesnotation::ReadQuoted;
using promql::seriesnotation::TrimSpace;

namespace {

int64_t ParseTime(std::string_view s, bool* ok) {
  s = TrimSpace(s);
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  auto d = ParseDuration(s);
  *ok = d.ok();
  if (!d.ok()) return 0;
  return neg ? -*d : *d;
}

bool Unquote(std::string_view s, std::string* out) {
  s = TrimSpace(s);
  if (s.size() < 2 || (s[0] != '"' && s[0] != '`' && s[0] != '\'') || s.back() != s[0]) return false;
  size_t pos = 0;
  return ReadQuoted(s, &pos, out) && pos == s.size();
}

Status ParseEvalBody(const std::vector<std::string>& lines, size_t* i, EvalCmd* cmd) {
  static const re2::RE2 kExpect(R"(expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?)");
  static const re2::RE2 kExpectRange(R"(expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+))");
  while (*i + 1 < lines.size()) {
    const std::string& def = lines[*i + 1];
    if (def.empty()) break;
    ++*i;
    std::string_view d = def;
    if (cmd->fail && d.starts_with("expected_fail_message")) {
      cmd->expected_fail_message = std::string(TrimSpace(d.substr(21)));
      break;
    }
    if (cmd->fail && d.starts_with("expected_fail_regexp")) {
      cmd->expected_fail_regexp = std::string(TrimSpace(d.substr(20)));
      break;
    }
    std::string a, b, c;
    if (d.starts_with("expect range vector")) {
      if (!re2::RE2::FullMatch(def, kExpectRange, &a, &b, &c))
        return Status::InvalidArgument("bad expect range vector");
      bool ok1, ok2, ok3;
      cmd->rv_start_ms = ParseTime(a, &ok1);
      cmd->rv_end_ms = ParseTime(b, &ok2);
      cmd->rv_step_ms = ParseTime(c, &ok3);
      if (!ok1 || !ok2 || !ok3) return Status::InvalidArgument("bad expect range vector times");
      cmd->expect_range_vector = true;
      continue;
    }
    if (d.starts_with("expect string")) {
      std::string s;
      if (!Unquote(d.substr(13), &s)) return Status::InvalidArgument("expected string literal not valid");
      cmd->expected_string = s;
      continue;
    }
    if (d.substr(0, d.find(' ')) == "expect") {
      std::string mode, kind, text;
      if (!re2::RE2::FullMatch(def, kExpect, &mode, &kind, &text)) {
        return Status::InvalidArgument("invalid expect statement");
      }
      ExpectCmd e;
      e.type = mode == "ordered"   ? ExpectType::kOrdered
               : mode == "fail"    ? ExpectType::kFail
               : mode == "warn"    ? ExpectType::kWarn
               : mode == "no_warn" ? ExpectType::kNoWarn
               : mode == "info"    ? ExpectType::kInfo
                                   : ExpectType::kNoInfo;
      if (kind == "msg") e.message = std::string(TrimSpace(text));
      if (kind == "regex") e.regex = std::string(TrimSpace(text));
      if (e.type == ExpectType::kFail) cmd->fail = true;
      if (e.type == ExpectType::kOrdered) cmd->ordered = true;
      cmd->expects.push_back(std::move(e));
      continue;
    }
    double f;
    if (ParseNumber(d, &f)) {
      cmd->expect_scalar = true;
      cmd->scalar_value = f;
      break;
    }
    auto sd = ParseSeriesDesc(d);
    if (!sd.ok()) return sd.status();
    cmd->expected.push_back(std::move(sd).value());
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<Command>> ParseScript(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view l = TrimSpace(text.substr(start, nl - start));
    if (l.starts_with("#")) l = {};
    lines.emplace_back(l);
    start = nl + 1;
  }
  static const re2::RE2 kLoad(R"(load(?:_(with_nhcb))?\s+(.+?))");
  static const re2::RE2 kInstant(R"(eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+))");
  static const re2::RE2 kRange(R"(eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+))");
  std::vector<Command> cmds;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.empty()) continue;
    auto err = [&](std::string_view what) { return Status::InvalidArgument(fmt::format("line {}: {}", i + 1, what)); };
    std::string word = l.substr(0, l.find_first_of(" \t"));
    for (auto& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    Command cmd;
    if (word == "clear") {
      cmd.kind = Command::Kind::kClear;
    } else if (word.starts_with("load")) {
      std::string nhcb, interval;
      if (!re2::RE2::FullMatch(l, kLoad, &nhcb, &interval)) return err("invalid load command");
      auto d = ParseDuration(interval);
      if (!d.ok()) return err("invalid load interval");
      cmd.kind = Command::Kind::kLoad;
      cmd.load.line = static_cast<int>(i + 1);
      cmd.load.interval_ms = *d;
      cmd.load.with_nhcb = nhcb == "with_nhcb";
      while (i + 1 < lines.size() && !lines[i + 1].empty()) {
        ++i;
        auto sd = ParseSeriesDesc(lines[i]);
        if (!sd.ok()) return err(sd.status().message());
        cmd.load.series.push_back(std::move(sd).value());
      }
    } else if (word.starts_with("eval")) {
      cmd.kind = Command::Kind::kEval;
      EvalCmd& e = cmd.eval;
      e.line = static_cast<int>(i + 1);
      std::string mod, a, b, c, expr;
      bool ok = true;
      if (re2::RE2::FullMatch(l, kInstant, &mod, &a, &expr)) {
        e.start_ms = e.end_ms = ParseTime(a, &ok);
      } else if (re2::RE2::FullMatch(l, kRange, &mod, &a, &b, &c, &expr)) {
        bool ok2, ok3;
        e.is_range = true;
        e.start_ms = ParseTime(a, &ok);
        e.end_ms = ParseTime(b, &ok2);
        e.step_ms = ParseTime(c, &ok3);
        ok = ok && ok2 && ok3;
      } else {
        return err("invalid evaluation command");
      }
      if (!ok) return err("invalid eval times");
      e.expr = expr;
      e.fail = mod == "fail";
      e.warn = mod == "warn";
      e.info = mod == "info";
      e.ordered = mod == "ordered";
      Status st = ParseEvalBody(lines, &i, &e);
      if (!st.ok()) return err(st.message());
    } else {
      return err("invalid command " + l);
    }
    cmds.push_back(std::move(cmd));
  }
  return cmds;
}

}  // namespace promethium::promqltest
