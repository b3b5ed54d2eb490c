// BasicAuthenticator: bcrypt checks through libxcrypt, the success cache and
// its bound, and the Authorization header parser.
#include "web/webconfig/basic_auth.h"

#include <gtest/gtest.h>

#include "web/webconfig/bcrypt_for_test.h"
#include "web/webconfig/web_config.h"

namespace promethium::web {
namespace {

class BasicAuthTest : public testing::Test {
 protected:
  void SetUp() override {
    alice_hash_ = BcryptForTest("wonderland");
    ASSERT_TRUE(CheckBcryptHash(alice_hash_).ok()) << alice_hash_;
  }
  std::string alice_hash_;
};

TEST_F(BasicAuthTest, GoodAndBadPasswordsAndUnknownUsers) {
  BasicAuthenticator auth({{"alice", alice_hash_}});
  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.Verify("alice", "wonderland"));
  EXPECT_FALSE(auth.Verify("alice", "Wonderland"));
  EXPECT_FALSE(auth.Verify("alice", ""));
  EXPECT_FALSE(auth.Verify("bob", "wonderland"));
  EXPECT_FALSE(auth.Verify("", ""));
  EXPECT_FALSE(auth.Verify("alice", std::string("wonderland\0x", 12)));  // crypt_r would cut at the NUL
}

TEST_F(BasicAuthTest, AllHashVariantsVerify) {
  // htpasswd writes $2y$, Go's bcrypt $2a$, OpenBSD $2b$: same algorithm.
  for (char variant : {'a', 'b', 'y'}) {
    std::string hash = alice_hash_;
    hash[2] = variant;
    BasicAuthenticator auth({{"alice", hash}});
    EXPECT_TRUE(auth.Verify("alice", "wonderland")) << hash;
  }
}

TEST_F(BasicAuthTest, CachesOnlySuccesses) {
  BasicAuthenticator auth({{"alice", alice_hash_}});
  EXPECT_FALSE(auth.IsCached("alice", "wonderland"));
  EXPECT_FALSE(auth.Verify("alice", "nope"));
  EXPECT_EQ(auth.cache_size(), 0u);
  EXPECT_TRUE(auth.Verify("alice", "wonderland"));
  EXPECT_EQ(auth.cache_size(), 1u);
  EXPECT_TRUE(auth.IsCached("alice", "wonderland"));
  EXPECT_FALSE(auth.IsCached("alice", "wonderlan"));
  EXPECT_TRUE(auth.Verify("alice", "wonderland"));  // from the cache
  EXPECT_EQ(auth.cache_size(), 1u);
  // A cached success is for that hash only: a new hash means a new check.
  BasicAuthenticator changed({{"alice", BcryptForTest("other")}});
  EXPECT_FALSE(changed.IsCached("alice", "wonderland"));
  EXPECT_FALSE(changed.Verify("alice", "wonderland"));
}

TEST_F(BasicAuthTest, CacheIsBounded) {
  std::map<std::string, std::string> users;
  const size_t n = BasicAuthenticator::kMaxCacheEntries + 5;
  const std::string hash = BcryptForTest("pw");
  for (size_t i = 0; i < n; ++i) users["user" + std::to_string(i)] = hash;
  BasicAuthenticator auth(users);
  for (size_t i = 0; i < n; ++i) ASSERT_TRUE(auth.Verify("user" + std::to_string(i), "pw"));
  EXPECT_LE(auth.cache_size(), BasicAuthenticator::kMaxCacheEntries);
  EXPECT_FALSE(auth.IsCached("user0", "pw"));                        // the oldest went first
  EXPECT_TRUE(auth.IsCached("user" + std::to_string(n - 1), "pw"));  // the newest stays
  EXPECT_TRUE(auth.Verify("user0", "pw"));                           // evicted still verifies
}

TEST_F(BasicAuthTest, NoUsersMeansDisabled) { EXPECT_FALSE(BasicAuthenticator({}).enabled()); }

TEST(ParseBasicAuthorizationTest, GoodAndMalformedHeaders) {
  auto creds = ParseBasicAuthorization("Basic YWxpY2U6d29uZGVyOmxhbmQ=");  // alice:wonder:land
  ASSERT_TRUE(creds.has_value());
  EXPECT_EQ(creds->first, "alice");
  EXPECT_EQ(creds->second, "wonder:land");
  creds = ParseBasicAuthorization("basic YWxpY2U6");  // alice: (scheme is case-insensitive)
  ASSERT_TRUE(creds.has_value());
  EXPECT_EQ(creds->first, "alice");
  EXPECT_EQ(creds->second, "");
  EXPECT_FALSE(ParseBasicAuthorization("").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Bearer YWxpY2U6").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic YWxpY2U").has_value());   // bad length
  EXPECT_FALSE(ParseBasicAuthorization("Basic YWxpY2U=").has_value());  // "alice": no colon
  EXPECT_FALSE(ParseBasicAuthorization("Basic YW=pY2U6").has_value());  // padding inside
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!!").has_value());
}

}  // namespace
}  // namespace promethium::web
