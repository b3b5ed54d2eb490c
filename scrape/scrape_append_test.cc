#include "scrape/scrape_append.h"

#include <gtest/gtest.h>

#include <cmath>

#include "scrape/fake_appendable.h"
#include "tsdb/api/sample.h"

namespace promethium::scrape {
namespace {

Target TestTarget() {
  ScrapeConfig cfg;
  cfg.job_name = "job1";
  cfg.static_configs.push_back({{"127.0.0.1:9"}, Labels{}, ""});
  return BuildTargets(cfg).value()[0];
}

// Runs one scrape iteration the way the loop does.
AppendStats Scrape(std::string_view body, int64_t ts, ScrapeCache* cache, FakeAppendable* db,
                   const AppendOptions& opts = {}) {
  Target target = TestTarget();
  auto app = db->NewAppender();
  AppendStats stats = AppendScrapeBody(body, ts, target, opts, cache, app.get());
  if (!stats.status.ok()) {
    EXPECT_TRUE(app->Rollback().ok());
    app = db->NewAppender();
  }
  AppendStaleMarkers(cache, ts, app.get());
  EXPECT_TRUE(app->Commit().ok());
  cache->Commit(stats.status.ok());
  return stats;
}

TEST(ScrapeAppendTest, AppendsWithTargetLabelsAndScrapeTimestamp) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendStats s = Scrape("# TYPE a counter\na{x=\"1\"} 5\nb 7 123\n", 1000, &cache, &db);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(s.scraped, 2u);
  EXPECT_EQ(s.added, 2u);
  EXPECT_EQ(s.series_added, 2u);
  auto all = db.Committed();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].labels, (Labels{{"__name__", "a"}, {"instance", "127.0.0.1:9"}, {"job", "job1"}, {"x", "1"}}));
  EXPECT_EQ(all[0].t, 1000);
  EXPECT_EQ(all[0].v, 5);
  EXPECT_EQ(all[1].t, 123);  // honor_timestamps defaults to true
}

TEST(ScrapeAppendTest, IgnoresTimestampsWithoutHonorTimestamps) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.honor_timestamps = false;
  ASSERT_TRUE(Scrape("b 7 123\n", 1000, &cache, &db, opts).status.ok());
  EXPECT_EQ(db.Committed()[0].t, 1000);
}

TEST(ScrapeAppendTest, EscapedLabelValuesAreUnescaped) {
  FakeAppendable db;
  ScrapeCache cache;
  ASSERT_TRUE(Scrape("a{p=\"C:\\\\dir\",q=\"say \\\"hi\\\"\"} 1\n", 1, &cache, &db).status.ok());
  auto r = db.Committed()[0];
  EXPECT_EQ(r.labels.Get("p"), "C:\\dir");
  EXPECT_EQ(r.labels.Get("q"), "say \"hi\"");
}

TEST(ScrapeAppendTest, CacheSkipsLabelBuildingForKnownSeries) {
  FakeAppendable db;
  ScrapeCache cache;
  ASSERT_TRUE(Scrape("a 1\nb 2\n", 1000, &cache, &db).status.ok());
  EXPECT_EQ(cache.size(), 2u);
  AppendStats s = Scrape("a 3\nb 4\n", 2000, &cache, &db);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.series_added, 0u);  // all cache hits; the fake checks refs match
  EXPECT_EQ(db.ByName("a").back().v, 3);
}

TEST(ScrapeAppendTest, CachedSeriesTheStorageForgotAreAppendedAgainWithTheirLabels) {
  FakeAppendable db;
  ScrapeCache cache;
  ASSERT_TRUE(Scrape("a{x=\"1\"} 1\nb 2\n", 1000, &cache, &db).status.ok());
  db.ForgetRefs();  // e.g. the series were deleted from the head
  AppendStats s = Scrape("a{x=\"1\"} 3\nb 4\n", 2000, &cache, &db);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  auto a = db.ByName("a");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].labels, (Labels{{"__name__", "a"}, {"instance", "127.0.0.1:9"}, {"job", "job1"}, {"x", "1"}}));
  EXPECT_EQ(a[1].v, 3);
  // The cache took the new refs: the next scrape appends by ref again, and
  // a series that disappears gets its stale marker with its labels.
  ASSERT_TRUE(Scrape("a{x=\"1\"} 5\n", 3000, &cache, &db).status.ok());
  EXPECT_EQ(db.ByName("a").back().v, 5);
  auto b = db.ByName("b");
  ASSERT_EQ(b.size(), 3u);
  EXPECT_TRUE(IsStaleNaN(b[2].v));
  EXPECT_EQ(b[2].labels, (Labels{{"__name__", "b"}, {"instance", "127.0.0.1:9"}, {"job", "job1"}}));
}

TEST(ScrapeAppendTest, StaleMarkerWhenSeriesDisappears) {
  FakeAppendable db;
  ScrapeCache cache;
  ASSERT_TRUE(Scrape("a 1\nb 2\n", 1000, &cache, &db).status.ok());
  ASSERT_TRUE(Scrape("a 1\n", 2000, &cache, &db).status.ok());
  auto b = db.ByName("b");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].t, 2000);
  EXPECT_TRUE(IsStaleNaN(b[1].v));
  // Only once: the next scrape does not mark it again.
  ASSERT_TRUE(Scrape("a 1\n", 3000, &cache, &db).status.ok());
  EXPECT_EQ(db.ByName("b").size(), 2u);
  EXPECT_FALSE(IsStaleNaN(db.ByName("a").back().v));
}

TEST(ScrapeAppendTest, ManySeriesChurnKeepsCacheConsistent) {
  FakeAppendable db;
  ScrapeCache cache;
  std::string all, even;
  for (int i = 0; i < 1000; ++i) {
    std::string line = "m{i=\"" + std::to_string(i) + "\"} " + std::to_string(i) + "\n";
    all += line;
    if (i % 2 == 0) even += line;
  }
  ASSERT_TRUE(Scrape(all, 1000, &cache, &db).status.ok());
  EXPECT_EQ(cache.size(), 1000u);
  AppendStats s = Scrape(even, 2000, &cache, &db);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();  // the fake rejects wrong refs
  EXPECT_EQ(s.series_added, 0u);
  EXPECT_EQ(cache.size(), 500u);  // odd series were dropped after going stale
  size_t stale = 0;
  for (auto& r : db.ByName("m")) stale += IsStaleNaN(r.v) && r.t == 2000;
  EXPECT_EQ(stale, 500u);
  s = Scrape(all, 3000, &cache, &db);  // odd series come back as new
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.series_added, 500u);
  EXPECT_EQ(cache.size(), 1000u);
}

TEST(ScrapeAppendTest, BucketAndQuantileLabelsAreNormalized) {
  FakeAppendable db;
  ScrapeCache cache;
  ASSERT_TRUE(Scrape("u_bucket{le=\"1\"} 1\n"  // untyped: left alone
                     "# TYPE h histogram\n"
                     "h_bucket{le=\"1\"} 1\nh_bucket{le=\"0.25\"} 1\nh_bucket{le=\"1e3\"} 1\n"
                     "h_bucket{le=\"+Inf\"} 2\nh_bucket{le=\"x\"} 2\nh_sum{quantile=\"1\"} 2\n"
                     "# TYPE s summary\ns{quantile=\"0\"} 1\ns{le=\"5\"} 1\n",
                     1000, &cache, &db)
                  .status.ok());
  std::vector<std::string> got;
  for (auto& r : db.Committed()) {
    got.emplace_back(r.labels.Get(r.labels.Has("le") ? "le" : "quantile"));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"1", "1.0", "0.25", "1000.0", "+Inf", "x", "1", "0.0", "5"}));
}

TEST(ScrapeAppendTest, ExplicitTimestampSeriesAreNotStaleTracked) {
  FakeAppendable db;
  ScrapeCache cache;
  ASSERT_TRUE(Scrape("a 1 500\n", 1000, &cache, &db).status.ok());
  ASSERT_TRUE(Scrape("", 2000, &cache, &db).status.ok());
  EXPECT_EQ(db.ByName("a").size(), 1u);
}

TEST(ScrapeAppendTest, MalformedBodyRollsBackAndMarksPreviousSeriesStale) {
  FakeAppendable db;
  ScrapeCache cache;
  ASSERT_TRUE(Scrape("a 1\n", 1000, &cache, &db).status.ok());
  AppendStats s = Scrape("new_series 5\na 2\ngarbage line\n", 2000, &cache, &db);
  ASSERT_FALSE(s.status.ok());
  EXPECT_NE(s.status.message().find("line 3"), std::string::npos) << s.status.message();
  EXPECT_TRUE(db.ByName("new_series").empty());
  auto a = db.ByName("a");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_TRUE(IsStaleNaN(a[1].v));
  // Recovery: a good scrape brings the series back without extra markers.
  ASSERT_TRUE(Scrape("a 3\n", 3000, &cache, &db).status.ok());
  EXPECT_EQ(db.ByName("a").back().v, 3);
}

TEST(ScrapeAppendTest, SampleLimitFailsTheScrape) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.sample_limit = 2;
  AppendStats s = Scrape("a 1\nb 2\nc 3\nd 4\n", 1000, &cache, &db, opts);
  EXPECT_EQ(s.status.message(), "sample limit exceeded");
  EXPECT_TRUE(s.sample_limit_exceeded);
  EXPECT_EQ(s.scraped, 4u);
  EXPECT_TRUE(db.Committed().empty());
  EXPECT_TRUE(Scrape("a 1\nb 2\n", 2000, &cache, &db, opts).status.ok());
}

TEST(ScrapeAppendTest, LabelLimitFailsTheScrape) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.label_limit = 4;  // __name__, instance, job + 1
  EXPECT_TRUE(Scrape("a{x=\"1\"} 1\n", 1000, &cache, &db, opts).status.ok());
  AppendStats s = Scrape("b{x=\"1\",y=\"2\"} 1\n", 2000, &cache, &db, opts);
  EXPECT_EQ(s.status.message(), "label_limit exceeded (metric: b{x=\"1\",y=\"2\"}, number of labels: 5, limit: 4)");
}

TEST(ScrapeAppendTest, LabelNameAndValueLengthLimitsFailTheScrape) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.label_name_length_limit = 8;
  opts.label_value_length_limit = 60;
  EXPECT_TRUE(Scrape("a{name_8ch=\"1\"} 1\n", 1000, &cache, &db, opts).status.ok());
  AppendStats s = Scrape("b{name_9chr=\"1\"} 1\n", 2000, &cache, &db, opts);
  EXPECT_EQ(s.status.message(),
            "label_name_length_limit exceeded (metric: b, label name: name_9chr, length: 9, limit: 8)");
  // A gigabyte-scale value is cut to 50 bytes in the message.
  const std::string huge(100000, 'v');
  s = Scrape("c{x=\"" + huge + "\"} 1\n", 3000, &cache, &db, opts);
  EXPECT_EQ(s.status.message(), "label_value_length_limit exceeded (metric: c, label name: x, value: \"" +
                                    std::string(50, 'v') + "\", length: 100000, limit: 60)");
  EXPECT_TRUE(db.ByName("b").empty());  // the failed scrapes appended none of their samples
  EXPECT_TRUE(db.ByName("c").empty());
}

TEST(ScrapeAppendTest, OutOfOrderSamplesAreCountedNotFatal) {
  FakeAppendable db;
  db.FailOutOfOrder("bad");
  ScrapeCache cache;
  AppendStats s = Scrape("bad 1\ngood 2\n", 1000, &cache, &db);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.out_of_order, 1u);
  EXPECT_EQ(db.ByName("good").size(), 1u);
}

TEST(ScrapeAppendTest, HonorLabelsFalseRenamesConflicts) {
  FakeAppendable db;
  ScrapeCache cache;
  ASSERT_TRUE(Scrape("a{job=\"mine\",instance=\"i\"} 1\n", 1000, &cache, &db).status.ok());
  EXPECT_EQ(db.Committed()[0].labels, (Labels{{"__name__", "a"},
                                              {"exported_instance", "i"},
                                              {"exported_job", "mine"},
                                              {"instance", "127.0.0.1:9"},
                                              {"job", "job1"}}));
}

TEST(ReportAppenderTest, AppendsFiveSeriesAndStaleMarkers) {
  FakeAppendable db;
  ReportAppender report(TestTarget().labels);
  auto app = db.NewAppender();
  ASSERT_TRUE(report.Append({true, 0.5, 10, 9, 3}, 1000, app.get()).ok());
  report.AppendStale(2000, app.get());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(db.ByName("up")[0].v, 1);
  EXPECT_EQ(db.ByName("up")[0].labels, (Labels{{"__name__", "up"}, {"instance", "127.0.0.1:9"}, {"job", "job1"}}));
  EXPECT_EQ(db.ByName("scrape_duration_seconds")[0].v, 0.5);
  EXPECT_EQ(db.ByName("scrape_samples_scraped")[0].v, 10);
  EXPECT_EQ(db.ByName("scrape_samples_post_metric_relabeling")[0].v, 9);
  EXPECT_EQ(db.ByName("scrape_series_added")[0].v, 3);
  EXPECT_TRUE(IsStaleNaN(db.ByName("up")[1].v));
  EXPECT_EQ(db.ByName("up")[1].t, 2000);
}

// --- metric_relabel_configs ---

RelabelConfig MetricRule(RelabelAction action, std::vector<std::string> sources, std::string regex,
                         std::string target_label = "", std::string replacement = "$1") {
  RelabelConfig c;
  c.action = action;
  c.source_labels = std::move(sources);
  if (!regex.empty()) c.regex = RelabelRegex::Make(regex).value();
  c.target_label = std::move(target_label);
  c.replacement = std::move(replacement);
  EXPECT_TRUE(c.Validate().ok()) << c.Validate().ToString();
  return c;
}

Target RelabelingTarget(std::vector<RelabelConfig> rules) {
  ScrapeConfig cfg;
  cfg.job_name = "job1";
  cfg.static_configs.push_back({{"127.0.0.1:9"}, Labels{}, ""});
  cfg.metric_relabel_configs = std::move(rules);
  return BuildTargets(cfg).value()[0];
}

// One scrape iteration against `target`, as the loop runs it.
AppendStats ScrapeTarget(const Target& target, std::string_view body, int64_t ts, ScrapeCache* cache,
                         FakeAppendable* db, const AppendOptions& opts = {}) {
  auto app = db->NewAppender();
  AppendStats stats = AppendScrapeBody(body, ts, target, opts, cache, app.get());
  if (!stats.status.ok()) {
    EXPECT_TRUE(app->Rollback().ok());
    app = db->NewAppender();
  }
  AppendStaleMarkers(cache, ts, app.get());
  EXPECT_TRUE(app->Commit().ok());
  cache->Commit(stats.status.ok());
  return stats;
}

constexpr std::string_view kGoBody = "go_goroutines 7\ngo_threads 9\nup_requests_total{code=\"200\"} 3\n";

TEST(MetricRelabelTest, DropsMetricByName) {
  Target target = RelabelingTarget({MetricRule(RelabelAction::kDrop, {"__name__"}, "go_.*")});
  FakeAppendable db;
  ScrapeCache cache;
  AppendStats s = ScrapeTarget(target, kGoBody, 1000, &cache, &db);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(s.scraped, 3u);
  EXPECT_EQ(s.added, 1u);  // scrape_samples_post_metric_relabeling
  EXPECT_EQ(s.series_added, 1u);
  auto all = db.Committed();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].labels.MetricName(), "up_requests_total");
  EXPECT_EQ(cache.size(), 3u);  // the two dropped series are remembered

  // Next scrape: same outcome, and no stale markers for dropped series.
  s = ScrapeTarget(target, kGoBody, 2000, &cache, &db);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.added, 1u);
  EXPECT_EQ(s.series_added, 0u);
  EXPECT_EQ(db.Committed().size(), 2u);
  EXPECT_TRUE(db.ByName("go_goroutines").empty());

  // A dropped series that disappears is forgotten, and gets no stale marker.
  s = ScrapeTarget(target, "up_requests_total{code=\"200\"} 4\n", 3000, &cache, &db);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(db.Committed().size(), 3u);
  EXPECT_EQ(cache.size(), 1u);
}

// The cache, not the rules, decides for known series: a dropped series is
// not relabeled again on later scrapes.
TEST(MetricRelabelTest, CacheRemembersDroppedSeries) {
  Target dropping = RelabelingTarget({MetricRule(RelabelAction::kDrop, {"__name__"}, "go_threads")});
  Target plain = RelabelingTarget({});
  FakeAppendable db;
  ScrapeCache cache;
  ASSERT_TRUE(ScrapeTarget(dropping, kGoBody, 1000, &cache, &db).status.ok());
  AppendStats s = ScrapeTarget(plain, kGoBody, 2000, &cache, &db);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.added, 2u);
  EXPECT_TRUE(db.ByName("go_threads").empty());
  ScrapeCache fresh;
  s = ScrapeTarget(plain, kGoBody, 3000, &fresh, &db);
  EXPECT_EQ(s.added, 3u);
  EXPECT_EQ(db.ByName("go_threads").size(), 1u);
}

TEST(MetricRelabelTest, RenamesLabel) {
  Target target = RelabelingTarget({MetricRule(RelabelAction::kReplace, {"code"}, "", "status_code"),
                                    MetricRule(RelabelAction::kLabelDrop, {}, "code")});
  FakeAppendable db;
  ScrapeCache cache;
  AppendStats s = ScrapeTarget(target, kGoBody, 1000, &cache, &db);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(s.added, 3u);
  auto up = db.ByName("up_requests_total");
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(
      up[0].labels,
      (Labels{
          {"__name__", "up_requests_total"}, {"instance", "127.0.0.1:9"}, {"job", "job1"}, {"status_code", "200"}}));
  // Cached series keep their relabeled labels on the next scrape.
  ASSERT_TRUE(ScrapeTarget(target, kGoBody, 2000, &cache, &db).status.ok());
  up = db.ByName("up_requests_total");
  ASSERT_EQ(up.size(), 2u);
  EXPECT_EQ(up[1].labels, up[0].labels);
}

TEST(MetricRelabelTest, SeesTargetLabelsAndCanRenameMetric) {
  Target target = RelabelingTarget(
      {MetricRule(RelabelAction::kReplace, {"job", "__name__"}, "job1;go_(.*)", "__name__", "job1_go_$1")});
  FakeAppendable db;
  ScrapeCache cache;
  ASSERT_TRUE(ScrapeTarget(target, kGoBody, 1000, &cache, &db).status.ok());
  EXPECT_EQ(db.ByName("job1_go_threads").size(), 1u);
  EXPECT_TRUE(db.ByName("go_threads").empty());
}

TEST(MetricRelabelTest, LabelLimitAppliesAfterRelabeling) {
  AppendOptions opts;
  opts.label_limit = 3;  // __name__, instance, job
  Target target = RelabelingTarget({MetricRule(RelabelAction::kLabelDrop, {}, "code")});
  FakeAppendable db;
  ScrapeCache cache;
  AppendStats s = ScrapeTarget(target, kGoBody, 1000, &cache, &db, opts);
  EXPECT_TRUE(s.status.ok()) << s.status.ToString();
  Target plain = RelabelingTarget({});
  ScrapeCache cache2;
  s = ScrapeTarget(plain, kGoBody, 1000, &cache2, &db, opts);
  EXPECT_EQ(s.status.code(), Status::Code::kResourceExhausted);
}

TEST(MetricRelabelTest, DroppingTheMetricNameFailsTheScrape) {
  Target target = RelabelingTarget({MetricRule(RelabelAction::kLabelDrop, {}, "__name__")});
  FakeAppendable db;
  ScrapeCache cache;
  AppendStats s = ScrapeTarget(target, kGoBody, 1000, &cache, &db);
  EXPECT_EQ(s.status.message(), "missing metric name (__name__ label)");
  EXPECT_TRUE(db.Committed().empty());
}

TEST(ScrapeMetadataTest, KeepsTypeHelpAndUnitPerFamily) {
  FakeAppendable db;
  ScrapeCache cache;
  Scrape(
      "# HELP a_total Requests\\nserved.\n# TYPE a_total counter\na_total 1\n"
      "# TYPE b gauge\nb 2\nc 3\n# HELP d Only help.\n",
      1000, &cache, &db);
  auto md = cache.metadata().Snapshot();
  ASSERT_EQ(md.size(), 3u);
  EXPECT_EQ(md[0], (MetricMetadata{"a_total", "counter", "Requests\nserved.", ""}));
  EXPECT_EQ(md[1], (MetricMetadata{"b", "gauge", "", ""}));
  EXPECT_EQ(md[2], (MetricMetadata{"d", "unknown", "Only help.", ""}));

  // A failed scrape keeps everything; a successful one forgets what it did not mention.
  Scrape("# TYPE b gauge\nb{", 2000, &cache, &db);
  EXPECT_EQ(cache.metadata().Snapshot().size(), 3u);
  Scrape("# TYPE b counter\nb 3\n", 3000, &cache, &db);
  md = cache.metadata().Snapshot();
  ASSERT_EQ(md.size(), 1u);
  EXPECT_EQ(md[0], (MetricMetadata{"b", "counter", "", ""}));
}

TEST(ScrapeMetadataTest, OpenMetricsUnitAndTypes) {
  FakeAppendable db;
  ScrapeCache cache;
  Target target = TestTarget();
  auto app = db.NewAppender();
  AppendStats stats = AppendScrapeBody(
      "# TYPE up_seconds gauge\n# UNIT up_seconds seconds\n# HELP up_seconds Uptime.\nup_seconds 5\n"
      "# TYPE i info\ni_info{v=\"1\"} 1\n# EOF\n",
      ExpositionFormat::kOpenMetrics, 1000, target, {}, &cache, app.get());
  ASSERT_TRUE(stats.status.ok()) << stats.status.ToString();
  cache.Commit(true);
  auto md = cache.metadata().Snapshot();
  ASSERT_EQ(md.size(), 2u);
  EXPECT_EQ(md[0], (MetricMetadata{"i", "info", "", ""}));
  EXPECT_EQ(md[1], (MetricMetadata{"up_seconds", "gauge", "Uptime.", "seconds"}));
}

// Records samples' refs and exemplars, as a storage with exemplars would.
class ExemplarRecorder final : public Appender {
 public:
  struct Got {
    SeriesRef ref;
    Labels series;
    Exemplar exemplar;
  };
  Result<SeriesRef> Append(SeriesRef ref, const Labels& labels, int64_t, double) override {
    (void)labels;
    return ref != 0 ? ref : ++next_ref_;
  }
  Result<SeriesRef> AppendExemplar(SeriesRef ref, const Labels& series_labels, const Exemplar& e) override {
    got.push_back({ref, series_labels, e});
    return Status::OutOfOrder("out of order exemplar");  // must not fail the scrape
  }
  Status Commit() override { return Status::OK(); }
  Status Rollback() override { return Status::OK(); }
  std::vector<Got> got;

 private:
  SeriesRef next_ref_ = 0;
};

TEST(ScrapeAppendTest, OpenMetricsExemplarsAreAppendedAfterTheirSample) {
  ExemplarRecorder app;
  ScrapeCache cache;
  AppendStats stats = AppendScrapeBody(
      "# TYPE req counter\n"
      "req_total{path=\"/a\"} 5 # {trace_id=\"abc\",span=\"q\\\"x\"} 1.5 1600000000.123\n"
      "req_total{path=\"/b\"} 6\n"
      "# TYPE lat histogram\n"
      "lat_bucket{le=\"1\"} 2 # {trace_id=\"def\"} 0.5\n"
      "lat_bucket{le=\"+Inf\"} 3\nlat_count 3\nlat_sum 1.5\n# EOF\n",
      ExpositionFormat::kOpenMetrics, 2000, TestTarget(), {}, &cache, &app);
  ASSERT_TRUE(stats.status.ok()) << stats.status.ToString();
  EXPECT_EQ(stats.added, 6u);
  ASSERT_EQ(app.got.size(), 2u);
  EXPECT_EQ(app.got[0].ref, 1u);
  EXPECT_EQ(app.got[0].series,
            (Labels{{"__name__", "req_total"}, {"instance", "127.0.0.1:9"}, {"job", "job1"}, {"path", "/a"}}));
  EXPECT_EQ(app.got[0].exemplar.labels, (Labels{{"span", "q\"x"}, {"trace_id", "abc"}}));
  EXPECT_EQ(app.got[0].exemplar.value, 1.5);
  EXPECT_EQ(app.got[0].exemplar.ts, 1600000000123);
  // Without its own timestamp the exemplar takes the sample's.
  EXPECT_EQ(app.got[1].ref, 3u);
  EXPECT_EQ(app.got[1].series.Get("le"), "1.0");
  EXPECT_EQ(app.got[1].exemplar.ts, 2000);

  // The Prometheus text format carries no exemplars.
  ExemplarRecorder text_app;
  ScrapeCache text_cache;
  stats = AppendScrapeBody("a 1\n", ExpositionFormat::kPrometheusText, 2000, TestTarget(), {}, &text_cache, &text_app);
  ASSERT_TRUE(stats.status.ok());
  EXPECT_TRUE(text_app.got.empty());
}

}  // namespace
}  // namespace promethium::scrape

// convert_classic_histograms_to_nhcb on a text body (Prometheus's
// NHCBParser): each label set's _bucket/_count/_sum become one
// custom-bucket native histogram named after the family.
namespace promethium::scrape {
namespace {

constexpr std::string_view kClassicBody =
    "# TYPE lat histogram\n"
    "lat_bucket{a=\"x\",le=\"1\"} 2\n"
    "lat_bucket{a=\"x\",le=\"+Inf\"} 5\n"
    "lat_sum{a=\"x\"} 7\n"
    "lat_count{a=\"x\"} 5\n"
    "lat_bucket{a=\"y\",le=\"1\"} 1\n"
    "lat_bucket{a=\"y\",le=\"+Inf\"} 1\n"
    "lat_sum{a=\"y\"} 0.5\n"
    "lat_count{a=\"y\"} 1\n"
    "# TYPE g gauge\n"
    "g 3\n";

TEST(ScrapeAppendNhcbTest, TextClassicHistogramsBecomeNhcb) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.convert_classic_histograms_to_nhcb = true;
  AppendStats s = Scrape(kClassicBody, 1000, &cache, &db, opts);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  auto lat = db.ByName("lat");
  ASSERT_EQ(lat.size(), 2u);
  ASSERT_TRUE(lat[0].h.has_value());
  EXPECT_EQ(lat[0].labels.Get("a"), "x");
  EXPECT_FALSE(lat[0].labels.Has("le"));
  EXPECT_EQ(lat[0].h->schema, kCustomBucketsSchema);
  EXPECT_EQ(lat[0].h->custom_values, (std::vector<double>{1}));
  EXPECT_EQ(lat[0].h->positive_buckets, (std::vector<int64_t>{2, 1}));  // 2 and 3 observations
  EXPECT_EQ(lat[0].h->count, 5u);
  EXPECT_EQ(lat[0].h->sum, 7);
  EXPECT_EQ(lat[1].labels.Get("a"), "y");
  EXPECT_EQ(lat[1].h->count, 1u);
  EXPECT_TRUE(db.ByName("lat_bucket").empty());
  EXPECT_TRUE(db.ByName("lat_count").empty());
  EXPECT_EQ(db.ByName("g").size(), 1u);
  EXPECT_EQ(s.scraped, 3u);  // two histograms and g

  // The second scrape finds both histograms in the cache.
  AppendStats again = Scrape(kClassicBody, 2000, &cache, &db, opts);
  ASSERT_TRUE(again.status.ok()) << again.status.ToString();
  EXPECT_EQ(again.series_added, 0u);
  EXPECT_EQ(db.ByName("lat").size(), 4u);
}

TEST(ScrapeAppendNhcbTest, KeepsClassicSeriesWhenAsked) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.convert_classic_histograms_to_nhcb = true;
  opts.always_scrape_classic_histograms = true;
  ASSERT_TRUE(Scrape(kClassicBody, 1000, &cache, &db, opts).status.ok());
  EXPECT_EQ(db.ByName("lat").size(), 2u);
  EXPECT_EQ(db.ByName("lat_bucket").size(), 4u);
  EXPECT_EQ(db.ByName("lat_sum").size(), 2u);
}

// OpenMetrics exemplars survive the wrapper: a counter's stays on the
// counter, a bucket's moves to the converted histogram.
TEST(ScrapeAppendNhcbTest, OpenMetricsExemplarsWithConversion) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.convert_classic_histograms_to_nhcb = true;
  Target target = TestTarget();
  auto app = db.NewAppender();
  AppendStats s = AppendScrapeBody(
      "# TYPE c counter\nc_total 3 # {id=\"a\"} 1 5.0\n"
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1 # {id=\"b\"} 0.5 6.0\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 3\n"
      "# EOF\n",
      ExpositionFormat::kOpenMetrics, 1000, target, opts, &cache, app.get());
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  ASSERT_TRUE(app->Commit().ok());
  auto exemplars = db.CommittedExemplars();
  ASSERT_EQ(exemplars.size(), 2u);
  EXPECT_EQ(exemplars[0].series.MetricName(), "c_total");
  EXPECT_EQ(exemplars[0].exemplar.ts, 5000);
  EXPECT_EQ(exemplars[1].series.MetricName(), "h");
  EXPECT_EQ(exemplars[1].exemplar.labels, (Labels{{"id", "b"}}));
  EXPECT_EQ(exemplars[1].exemplar.ts, 6000);
  ASSERT_EQ(db.ByName("h").size(), 1u);
  EXPECT_EQ(db.ByName("h")[0].h->count, 2u);
}

TEST(ScrapeAppendNhcbTest, NonCumulativeBucketsAreDroppedSilently) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.convert_classic_histograms_to_nhcb = true;
  AppendStats s = Scrape("# TYPE bad histogram\nbad_bucket{le=\"1\"} 5\nbad_bucket{le=\"+Inf\"} 2\nbad_count 2\nok 1\n",
                         1000, &cache, &db, opts);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_TRUE(db.ByName("bad").empty());
  EXPECT_EQ(db.ByName("ok").size(), 1u);
}

}  // namespace
}  // namespace promethium::scrape
