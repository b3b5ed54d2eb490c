#include "web/ui/ui_handler.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

namespace promethium::web {
namespace {

std::string Gzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

constexpr char kIndex[] =
    "<html><meta name=\"promethium-route-prefix\" content=\"ROUTE_PREFIX_PLACEHOLDER\">"
    "<script src=\"./assets/index-abc.js\"></script></html>";
constexpr char kScript[] = "console.log('hello');";

class ServeUiTest : public testing::Test {
 protected:
  ServeUiTest() : index_gz_(Gzip(kIndex)), js_gz_(Gzip(kScript)) {
    assets_ = {
        {"/assets/index-abc.js", js_gz_, sizeof(kScript) - 1},
        {"/favicon.svg", js_gz_, sizeof(kScript) - 1},
        {"/index.html", index_gz_, sizeof(kIndex) - 1},
    };
  }

  std::optional<HttpResponse> Get(std::string target, std::string_view prefix = "", HttpHeaders headers = {},
                                  std::string method = "GET") {
    HttpRequest req;
    req.method = std::move(method);
    req.headers = std::move(headers);
    req.target = prefix.empty() ? target : std::string(prefix) + target;
    std::string path = target.substr(0, target.find('?'));
    return ServeUiFrom(assets_, req, path, prefix);
  }

  std::string index_gz_, js_gz_;
  std::vector<UiAsset> assets_;
};

TEST_F(ServeUiTest, PageRoutesServeIndexWithPrefixInjected) {
  for (const char* page :
       {"/query", "/targets", "/status", "/config", "/tsdb-status", "/service-discovery", "/alerts", "/rules"}) {
    auto resp = Get(page);
    ASSERT_TRUE(resp.has_value()) << page;
    EXPECT_EQ(resp->status, 200) << page;
    EXPECT_EQ(resp->Header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(resp->Header("Cache-Control"), "no-cache");
    EXPECT_NE(resp->body.find("content=\"\""), std::string::npos) << resp->body;
  }
  auto prefixed = Get("/query", "/prom/");
  ASSERT_TRUE(prefixed.has_value());
  EXPECT_NE(prefixed->body.find("content=\"/prom\""), std::string::npos) << prefixed->body;
  EXPECT_EQ(prefixed->body.find("ROUTE_PREFIX_PLACEHOLDER"), std::string::npos);
  EXPECT_NE(prefixed->body.find("./assets/index-abc.js"), std::string::npos);
}

TEST_F(ServeUiTest, PrefixIsHtmlEscaped) {
  auto resp = Get("/query", "/a\"><script>");
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->body.find("<script>\""), std::string::npos);
  EXPECT_NE(resp->body.find("/a&#34;&gt;&lt;script&gt;"), std::string::npos) << resp->body;
}

TEST_F(ServeUiTest, RootAndGraphRedirectToQueryKeepingTheQueryString) {
  auto root = Get("/");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->status, 302);
  EXPECT_EQ(root->Header("Location"), "/query");

  auto graph = Get("/graph?g0.expr=up&g0.tab=0&g0.range_input=1h");
  ASSERT_TRUE(graph.has_value());
  EXPECT_EQ(graph->status, 302);
  EXPECT_EQ(graph->Header("Location"), "/query?g0.expr=up&g0.tab=0&g0.range_input=1h");

  auto prefixed = Get("/graph?g0.expr=up", "/prom");
  ASSERT_TRUE(prefixed.has_value());
  EXPECT_EQ(prefixed->Header("Location"), "/prom/query?g0.expr=up");
  auto empty_path = Get("", "/prom");
  ASSERT_TRUE(empty_path.has_value());
  EXPECT_EQ(empty_path->Header("Location"), "/prom/query");
}

TEST_F(ServeUiTest, AssetsAreGzippedWhenAcceptedWithLongCache) {
  auto resp = Get("/assets/index-abc.js", "", {{"accept-encoding", "br, gzip;q=0.8"}});
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(resp->Header("Content-Encoding"), "gzip");
  EXPECT_EQ(resp->Header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(resp->Header("Vary"), "Accept-Encoding");
  EXPECT_EQ(resp->body, js_gz_);
}

TEST_F(ServeUiTest, AssetsAreInflatedForClientsWithoutGzip) {
  for (HttpHeaders headers : {HttpHeaders{}, HttpHeaders{{"Accept-Encoding", "gzip;q=0, identity"}}}) {
    auto resp = Get("/assets/index-abc.js", "", headers);
    ASSERT_TRUE(resp.has_value());
    EXPECT_EQ(resp->status, 200);
    EXPECT_EQ(resp->Header("Content-Encoding"), "");
    EXPECT_EQ(resp->body, kScript);
  }
  auto unhashed = Get("/favicon.svg");
  ASSERT_TRUE(unhashed.has_value());
  EXPECT_EQ(unhashed->Header("Content-Type"), "image/svg+xml");
  EXPECT_EQ(unhashed->Header("Cache-Control"), "no-cache");
}

TEST_F(ServeUiTest, UnknownAssetIs404AndOtherPathsAreNotOurs) {
  auto missing = Get("/assets/nope-123.js");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  EXPECT_FALSE(Get("/api/v1/query").has_value());
  EXPECT_FALSE(Get("/metrics").has_value());
  EXPECT_FALSE(Get("/queryx").has_value());
  EXPECT_FALSE(Get("/index.html").has_value());
}

TEST_F(ServeUiTest, HeadHasNoBodyAndOtherMethodsAre405) {
  auto head = Get("/assets/index-abc.js", "", {{"Accept-Encoding", "gzip"}}, "HEAD");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(head->Header("Content-Type"), "text/javascript; charset=utf-8");

  auto post = Get("/query", "", {}, "POST");
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->Header("Allow"), "GET, HEAD");
}

TEST_F(ServeUiTest, WithoutEmbeddedUiPagesSayWhy) {
  auto resp = ServeUiFrom({}, HttpRequest{}, "/query", "");
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 404);
  EXPECT_NE(resp->body.find("PROMETHIUM_BUILD_UI=OFF"), std::string::npos);
}

// The real embedded build: index.html with the placeholder, and every file
// it references is served.
TEST(EmbeddedUiTest, IndexReferencesServedAssets) {
  auto assets = EmbeddedUiAssets();
  if (assets.empty()) GTEST_SKIP() << "built with PROMETHIUM_BUILD_UI=OFF";
  HttpRequest req;
  req.target = "/query";
  auto index = ServeUi(req, "/query", "");
  ASSERT_TRUE(index.has_value());
  ASSERT_EQ(index->status, 200);
  size_t refs = 0;
  for (size_t pos = index->body.find("./assets/"); pos != std::string::npos;
       pos = index->body.find("./assets/", pos + 1)) {
    size_t end = index->body.find('"', pos);
    std::string path = index->body.substr(pos + 1, end - pos - 1);
    auto asset = ServeUi(HttpRequest{}, path, "");
    ASSERT_TRUE(asset.has_value()) << path;
    EXPECT_EQ(asset->status, 200) << path;
    EXPECT_GT(asset->body.size(), 100u) << path;
    ++refs;
  }
  EXPECT_GE(refs, 2u);  // the script and the stylesheet
}

}  // namespace
}  // namespace promethium::web
