// The corpus under testdata/, checked against the real `promtool check
// rules` (Prometheus 2.42, /usr/bin/promtool): for every file our verdict
// must equal promtool's, except for the files listed in kNewerThan242, where
// Prometheus 3.x accepts what 2.42 rejects and we follow 3.x.
//
// Naming: *.good.yml must be accepted; *.bad.yml must be rejected and start
// with "# expect: <text>", a substring our message must contain (line:col,
// group, rule and what is wrong).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "rules/rulefmt/rulefmt.h"
#include "rules/rulefmt/rulefmt_test_util.h"

namespace promethium::rules {
namespace {

namespace fs = std::filesystem;

// Files 2.42 rejects and Prometheus 3.x accepts, with why, and what our
// legacy (2.x) name validation says about them ("" when it accepts too).
struct NewerBehaviour {
  std::string reason;
  std::string legacy_error;
};
const std::map<std::string, NewerBehaviour> kNewerThan242 = {
    {"query_offset.good.yml", {"group query_offset exists since 2.53 (2.42: unknown field)", ""}},
    {"group_labels.good.yml", {"group labels exist since 3.0 (2.42: unknown field)", ""}},
    {"utf8_record_name.good.yml",
     {"3.x validates names as UTF-8 by default (2.42: legacy names; it cannot parse quoted selectors either)",
      "5:17: group \"otel\", rule 1, \"http.server.request.duration:rate5m\": invalid recording rule name"}},
    {"utf8_label_name.good.yml",
     {"3.x validates label and annotation names as UTF-8 by default (2.42: legacy names)",
      "group \"otel\", rule 1, \"ServiceDown\": invalid label name: service.name"}},
};

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(RULES_RULEFMT_TESTDATA)) {
    if (e.path().extension() == ".yml") files.push_back(e.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string Path(const std::string& file) { return std::string(RULES_RULEFMT_TESTDATA) + "/" + file; }

Result<RuleFile> Load(const std::string& file, NameValidation names = NameValidation::kUtf8) {
  RuleFileOptions opts;
  opts.names = names;
  return LoadRuleFile(Env::Default(), Path(file), testutil::BalancedBracesChecker, opts);
}

// The "# expect: " header of a bad file.
std::string Expectation(const std::string& file) {
  Result<std::string> text = ReadFileToString(Env::Default(), Path(file));
  EXPECT_TRUE(text.ok());
  const std::string prefix = "# expect: ";
  if (!text.ok() || !text->starts_with(prefix)) return "";
  return text->substr(prefix.size(), text->find('\n') - prefix.size());
}

bool HavePromtool() { return ::access(PROMTOOL_PATH, X_OK) == 0; }

// promtool's verdict: exit status 0 accepts, 1 rejects.
int PromtoolExit(const std::string& file) {
  const std::string cmd = std::string(PROMTOOL_PATH) + " check rules '" + Path(file) + "' >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(RuleFileCorpusTest, HasGoodAndBadFiles) {
  std::vector<std::string> files = CorpusFiles();
  auto count = [&](std::string_view suffix) {
    return std::count_if(files.begin(), files.end(), [&](const std::string& f) { return f.ends_with(suffix); });
  };
  EXPECT_GE(count(".good.yml"), 10);
  EXPECT_GE(count(".bad.yml"), 30);
  EXPECT_EQ(count(".good.yml") + count(".bad.yml"), static_cast<std::ptrdiff_t>(files.size()));
}

TEST(RuleFileCorpusTest, GoodFilesAreAccepted) {
  for (const std::string& file : CorpusFiles()) {
    if (!file.ends_with(".good.yml")) continue;
    Result<RuleFile> rf = Load(file);
    EXPECT_TRUE(rf.ok()) << file << ": " << rf.status().message();
  }
}

TEST(RuleFileCorpusTest, BadFilesAreRejectedWhereExpected) {
  for (const std::string& file : CorpusFiles()) {
    if (!file.ends_with(".bad.yml")) continue;
    Result<RuleFile> rf = Load(file);
    ASSERT_FALSE(rf.ok()) << file;
    const std::string expect = Expectation(file);
    ASSERT_FALSE(expect.empty()) << file << " has no '# expect:' header";
    const std::string& msg = rf.status().message();
    EXPECT_NE(msg.find(Path(file) + ": " + expect), std::string::npos)
        << file << "\n  expected: " << expect << "\n  got:      " << msg;
    // One problem per file, one line per problem, each naming the file.
    EXPECT_EQ(msg.find('\n'), std::string::npos) << file << ": " << msg;
  }
}

TEST(RuleFileCorpusTest, VerdictsEqualPromtool242) {
  // scripts/setup.sh installs promtool: a missing one is a broken setup, not a skip.
  ASSERT_TRUE(HavePromtool()) << PROMTOOL_PATH << " not installed (scripts/setup.sh installs the prometheus package)";
  int compared = 0;
  for (const std::string& file : CorpusFiles()) {
    const int exit_code = PromtoolExit(file);
    ASSERT_TRUE(exit_code == 0 || exit_code == 1) << file << ": promtool exited " << exit_code;
    const bool promtool_accepts = exit_code == 0;
    const bool we_accept = Load(file).ok();
    if (auto it = kNewerThan242.find(file); it != kNewerThan242.end()) {
      EXPECT_FALSE(promtool_accepts) << file << " is listed as 3.x-only, but 2.42 accepts it";
      EXPECT_TRUE(we_accept) << file << ": " << it->second.reason;
      continue;
    }
    EXPECT_EQ(we_accept, promtool_accepts) << file << ": promtool " << (promtool_accepts ? "accepts" : "rejects");
    ++compared;
  }
  EXPECT_EQ(compared + static_cast<int>(kNewerThan242.size()), static_cast<int>(CorpusFiles().size()));
}

// With 2.x (legacy) name validation the UTF-8-name files fail as in 2.42.
TEST(RuleFileCorpusTest, LegacyNamesRejectUtf8NamesAs242Does) {
  for (const auto& [file, newer] : kNewerThan242) {
    Result<RuleFile> rf = Load(file, NameValidation::kLegacy);
    if (newer.legacy_error.empty()) {
      EXPECT_TRUE(rf.ok()) << file << ": " << rf.status().message();
    } else {
      ASSERT_FALSE(rf.ok()) << file;
      EXPECT_NE(rf.status().message().find(newer.legacy_error), std::string::npos) << rf.status().message();
    }
  }
}

}  // namespace
}  // namespace promethium::rules
