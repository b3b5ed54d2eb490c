#include <gtest/gtest.h>

#include "tsdb/api/matcher.h"

namespace promethium {
namespace {

Matcher M(MatchType t, const char* v) {
  auto m = Matcher::Make(t, "job", v);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

TEST(MatcherTest, EqualityAndRegexAreFullyAnchored) {
  EXPECT_TRUE(M(MatchType::kEqual, "api").Matches("api"));
  EXPECT_FALSE(M(MatchType::kEqual, "api").Matches("api2"));
  EXPECT_TRUE(M(MatchType::kNotEqual, "api").Matches(""));
  Matcher re = M(MatchType::kRegexMatch, "ap.");
  EXPECT_TRUE(re.Matches("api"));
  EXPECT_FALSE(re.Matches("xapi"));                               // anchored at the start
  EXPECT_FALSE(re.Matches("apix"));                               // and at the end
  EXPECT_TRUE(M(MatchType::kRegexMatch, "a.b").Matches("a\nb"));  // (?s)
  EXPECT_FALSE(M(MatchType::kRegexNoMatch, "a|b").Matches("a"));
  EXPECT_TRUE(M(MatchType::kRegexNoMatch, "a|b").Matches("c"));
  // An alternation must be anchored as a whole: "a|b" does not match "ab".
  EXPECT_FALSE(M(MatchType::kRegexMatch, "a|b").Matches("ab"));
}

TEST(MatcherTest, MatchesEmptyAndSetMatches) {
  EXPECT_TRUE(M(MatchType::kRegexMatch, ".*").MatchesEmpty());
  EXPECT_FALSE(M(MatchType::kRegexMatch, ".+").MatchesEmpty());
  EXPECT_TRUE(M(MatchType::kNotEqual, "x").MatchesEmpty());
  auto set = M(MatchType::kRegexMatch, "a|bb|c").SetMatches();
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(*set, (std::vector<std::string>{"a", "bb", "c"}));
  EXPECT_FALSE(M(MatchType::kRegexMatch, "a.*").SetMatches().has_value());
}

TEST(MatcherTest, BadRegexIsAnError) {
  auto m = Matcher::Make(MatchType::kRegexMatch, "job", "(unclosed");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(M(MatchType::kRegexMatch, "a\"b").ToString(), "job=~\"a\\\"b\"");
}

}  // namespace
}  // namespace promethium
