// http_sd against an in-test HTTP server on 127.0.0.1.
#include "scrape/discovery/http_sd.h"

#include <gtest/gtest.h>

#include "scrape/discovery/test_http_server.h"

namespace promethium::scrape {
namespace {

TEST(HttpSdTest, FetchesGroupsWithUrlLabel) {
  TestHttpServer server(R"([{"targets": ["h:1"], "labels": {"a": "b"}}, {"targets": ["h:2"]}])",
                        "application/json; charset=utf-8");
  const std::string url = "http://" + server.address() + "/sd?x=1";
  auto groups = FetchHttpTargetGroups(url, 5'000);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].labels.Get("__meta_url"), url);
  EXPECT_EQ((*groups)[0].labels.Get("a"), "b");
  EXPECT_EQ((*groups)[1].source, url + ":1");
}

TEST(HttpSdTest, RejectsWrongContentType) {
  TestHttpServer server("[]", "text/plain");
  auto groups = FetchHttpTargetGroups("http://" + server.address() + "/", 5'000);
  ASSERT_FALSE(groups.ok());
  EXPECT_EQ(groups.status().message(), "unsupported content type \"text/plain\"");
}

TEST(HttpSdTest, DiscovererKeepsGroupsOnFailure) {
  TestHttpServer server(R"([{"targets": ["h:1"]}])", "application/json");
  Counter failures;
  HttpDiscoverer d({"http://" + server.address() + "/sd", 60'000, {}}, &failures);
  auto first = d.Poll(0);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_FALSE(d.Poll(59'999).has_value());  // not due yet

  server.Set("not json", "application/json");
  auto failed = d.Poll(60'000);
  ASSERT_TRUE(failed.has_value());
  ASSERT_EQ(failed->size(), 1u);  // previous groups kept
  EXPECT_EQ((*failed)[0].targets[0], "h:1");
  EXPECT_EQ(failures.Value(), 1);

  server.Set("[]", "application/json");
  auto emptied = d.Poll(120'000);
  ASSERT_TRUE(emptied.has_value());
  EXPECT_TRUE(emptied->empty());
  EXPECT_EQ(failures.Value(), 1);
}

TEST(HttpSdTest, UnreachableServerFails) {
  Counter failures;
  // Port 1 on loopback: connection refused, fast.
  HttpDiscoverer d({"http://127.0.0.1:1/sd", 60'000, {}}, &failures);
  auto groups = d.Poll(0);
  ASSERT_TRUE(groups.has_value());
  EXPECT_TRUE(groups->empty());
  EXPECT_EQ(failures.Value(), 1);
}

}  // namespace
}  // namespace promethium::scrape
