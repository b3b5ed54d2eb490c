// AppendScrapeBody with protobuf bodies: native histograms through
// Appender::AppendHistogram, the job's native-histogram options and limits,
// exemplars, and the storage refusing histograms.
#include <gtest/gtest.h>

#include "scrape/fake_appendable.h"
#include "scrape/histogram_limits.h"
#include "scrape/scrape_append.h"
#include "scrape/textparse/protobuf_test_util.h"

namespace promethium::scrape {
namespace {

namespace pb = ::io::prometheus::client;
using textparse::testing::AddBucket;
using textparse::testing::AddLabel;
using textparse::testing::AddSpan;
using textparse::testing::Delimited;
using textparse::testing::Family;
using textparse::testing::SetExemplar;

Target TestTarget() {
  ScrapeConfig cfg;
  cfg.job_name = "job1";
  cfg.static_configs.push_back({{"127.0.0.1:9"}, Labels{}, ""});
  return BuildTargets(cfg).value()[0];
}

AppendStats Scrape(const std::string& body, int64_t ts, ScrapeCache* cache, FakeAppendable* db,
                   const AppendOptions& opts) {
  Target target = TestTarget();
  auto app = db->NewAppender();
  AppendStats stats = AppendScrapeBody(body, ExpositionFormat::kProtobuf, ts, target, opts, cache, app.get());
  if (!stats.status.ok()) {
    EXPECT_TRUE(app->Rollback().ok());
    app = db->NewAppender();
  }
  AppendStaleMarkers(cache, ts, app.get());
  EXPECT_TRUE(app->Commit().ok());
  cache->Commit(stats.status.ok());
  return stats;
}

// A schema-3 native histogram with 8 positive buckets, each of count 1
// (indexes 0..7), and classic buckets; plus a counter.
std::string Body() {
  pb::MetricFamily hist = Family("rpc_seconds", pb::HISTOGRAM, "RPC latency.");
  pb::Metric* m = hist.add_metric();
  AddLabel(m, "svc", "a");
  pb::Histogram* h = m->mutable_histogram();
  h->set_sample_count(9);
  h->set_sample_sum(20);
  h->set_schema(3);
  h->set_zero_threshold(1e-128);
  h->set_zero_count(1);
  AddSpan(h->mutable_positive_span(), 0, 8);
  h->add_positive_delta(1);
  for (int i = 0; i < 7; ++i) h->add_positive_delta(0);
  SetExemplar(h->add_exemplars(), "e1", 1.1, 2000);
  AddBucket(h, 1, 2);
  AddBucket(h, 2, 9);
  pb::MetricFamily counter = Family("requests_total", pb::COUNTER);
  pb::Metric* c = counter.add_metric();
  c->mutable_counter()->set_value(5);
  SetExemplar(c->mutable_counter()->mutable_exemplar(), "c1", 1);  // no timestamp: takes the sample's
  return Delimited({hist, counter});
}

TEST(ScrapeAppendProtobufTest, NativeHistogramAndCounterWithExemplars) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.scrape_native_histograms = true;
  AppendStats s = Scrape(Body(), 1000, &cache, &db, opts);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(s.scraped, 2u);
  EXPECT_EQ(s.added, 2u);
  auto hist = db.ByName("rpc_seconds");
  ASSERT_EQ(hist.size(), 1u);
  ASSERT_TRUE(hist[0].h.has_value());
  EXPECT_EQ(hist[0].t, 1000);
  EXPECT_EQ(hist[0].labels,
            (Labels{{"__name__", "rpc_seconds"}, {"instance", "127.0.0.1:9"}, {"job", "job1"}, {"svc", "a"}}));
  EXPECT_EQ(hist[0].h->schema, 3);
  EXPECT_EQ(hist[0].h->count, 9u);
  EXPECT_TRUE(db.ByName("rpc_seconds_bucket").empty());  // classic series not kept by default
  ASSERT_EQ(db.ByName("requests_total").size(), 1u);

  auto exemplars = db.CommittedExemplars();
  ASSERT_EQ(exemplars.size(), 2u);
  EXPECT_EQ(exemplars[0].series.MetricName(), "rpc_seconds");
  EXPECT_EQ(exemplars[0].exemplar.ts, 2000);
  EXPECT_EQ(exemplars[0].exemplar.labels, (Labels{{"id", "e1"}}));
  EXPECT_EQ(exemplars[1].series.MetricName(), "requests_total");
  EXPECT_EQ(exemplars[1].exemplar.ts, 1000);

  // The second scrape goes through the cached refs.
  AppendStats again = Scrape(Body(), 2000, &cache, &db, opts);
  ASSERT_TRUE(again.status.ok()) << again.status.ToString();
  EXPECT_EQ(again.series_added, 0u);
  EXPECT_EQ(db.ByName("rpc_seconds").size(), 2u);
}

TEST(ScrapeAppendProtobufTest, ClassicSeriesWithoutNativeHistogramsOrWhenKept) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendStats s = Scrape(Body(), 1000, &cache, &db, AppendOptions{});
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_TRUE(db.ByName("rpc_seconds").empty());
  auto buckets = db.ByName("rpc_seconds_bucket");
  ASSERT_EQ(buckets.size(), 3u);  // le 1.0, 2.0 and the added +Inf
  EXPECT_EQ(buckets[0].labels.Get("le"), "1.0");
  EXPECT_EQ(buckets[2].labels.Get("le"), "+Inf");
  EXPECT_EQ(buckets[2].v, 9);
  EXPECT_EQ(db.ByName("rpc_seconds_count")[0].v, 9);

  FakeAppendable both;
  ScrapeCache cache2;
  AppendOptions opts;
  opts.scrape_native_histograms = true;
  opts.always_scrape_classic_histograms = true;
  ASSERT_TRUE(Scrape(Body(), 1000, &cache2, &both, opts).status.ok());
  EXPECT_EQ(both.ByName("rpc_seconds").size(), 1u);
  EXPECT_EQ(both.ByName("rpc_seconds_bucket").size(), 3u);
}

TEST(ScrapeAppendProtobufTest, BucketLimitReducesResolution) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.scrape_native_histograms = true;
  opts.native_histogram_bucket_limit = 4;
  ASSERT_TRUE(Scrape(Body(), 1000, &cache, &db, opts).status.ok());
  auto hist = db.ByName("rpc_seconds");
  ASSERT_EQ(hist.size(), 1u);
  // Prometheus's reduction maps index i of schema s to ((i-1) >> (s-t)) + 1
  // at schema t. Schema 2: 0 | 1,2 | 3,4 | 5,6 | 7 = 5 buckets, over the
  // limit; schema 1: 0 | 1..4 | 5..7 = 3 buckets of 1, 4 and 3.
  EXPECT_EQ(hist[0].h->schema, 1);
  EXPECT_EQ(hist[0].h->positive_spans, (std::vector<HistogramSpan>{{0, 3}}));
  EXPECT_EQ(hist[0].h->positive_buckets, (std::vector<int64_t>{1, 3, -1}));
  EXPECT_EQ(hist[0].h->count, 9u);
}

TEST(ScrapeAppendProtobufTest, BucketLimitImpossibleFailsTheScrapeAfterTheBody) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.scrape_native_histograms = true;
  opts.native_histogram_bucket_limit = 1;
  pb::MetricFamily wide = Family("wide", pb::HISTOGRAM);
  pb::Histogram* h = wide.add_metric()->mutable_histogram();
  h->set_sample_count(2);
  h->set_schema(0);
  AddSpan(h->mutable_positive_span(), -100, 1);  // indexes -100 and 100: still -6 and 7 at schema -4
  AddSpan(h->mutable_positive_span(), 199, 1);
  h->add_positive_delta(1);
  h->add_positive_delta(0);
  pb::MetricFamily after = Family("after", pb::GAUGE);
  after.add_metric()->mutable_gauge()->set_value(1);
  AppendStats s = Scrape(Delimited({wide, after}), 1000, &cache, &db, opts);
  EXPECT_EQ(s.status.message(), "histogram bucket limit exceeded");
  EXPECT_TRUE(s.bucket_limit_exceeded);
  EXPECT_EQ(s.scraped, 2u);  // the body was read to the end
  EXPECT_TRUE(db.ByName("wide").empty());
  EXPECT_TRUE(db.ByName("after").empty());  // rolled back
}

// Custom buckets cannot be merged: over the limit they fail at once
// (Prometheus's early errBucketLimit for non-exponential schemas).
TEST(ScrapeAppendProtobufTest, BucketLimitOnCustomBucketsFails) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.convert_classic_histograms_to_nhcb = true;
  opts.native_histogram_bucket_limit = 1;  // the NHCB of Body() has 2 (le 1: 2, le 2: 7; +Inf empty)
  AppendStats s = Scrape(Body(), 1000, &cache, &db, opts);
  EXPECT_EQ(s.status.message(), "histogram bucket limit exceeded");
  EXPECT_TRUE(db.Committed().empty());
}

// A float native histogram takes the same path (FloatHistogram's reduction).
TEST(ScrapeAppendProtobufTest, FloatHistogramBucketLimit) {
  pb::MetricFamily mf = Family("fh", pb::HISTOGRAM);
  pb::Histogram* h = mf.add_metric()->mutable_histogram();
  h->set_sample_count_float(4);
  h->set_schema(1);
  AddSpan(h->mutable_positive_span(), 1, 4);  // indexes 1..4
  for (int i = 0; i < 4; ++i) h->add_positive_count(1);
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.scrape_native_histograms = true;
  opts.native_histogram_bucket_limit = 2;
  ASSERT_TRUE(Scrape(Delimited({mf}), 1000, &cache, &db, opts).status.ok());
  auto got = db.ByName("fh");
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(got[0].fh.has_value());
  // Schema 1 -> 0: index i -> ((i-1) >> 1) + 1: 1,2 -> 1 and 3,4 -> 2.
  EXPECT_EQ(got[0].fh->schema, 0);
  EXPECT_EQ(got[0].fh->positive_spans, (std::vector<HistogramSpan>{{1, 2}}));
  EXPECT_EQ(got[0].fh->positive_buckets, (std::vector<double>{2, 2}));
}

TEST(ScrapeAppendProtobufTest, MinBucketFactorCapsTheSchema) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.scrape_native_histograms = true;
  opts.native_histogram_max_schema = PickMaxSchema(1.1);  // 2^(2^-2) = 1.19 >= 1.1 > 2^(2^-3) = 1.09
  EXPECT_EQ(opts.native_histogram_max_schema, 2);
  ASSERT_TRUE(Scrape(Body(), 1000, &cache, &db, opts).status.ok());
  EXPECT_EQ(db.ByName("rpc_seconds")[0].h->schema, 2);
}

TEST(ScrapeAppendProtobufTest, PickMaxSchemaAsPrometheus) {
  EXPECT_EQ(PickMaxSchema(0), 8);
  EXPECT_EQ(PickMaxSchema(1), 8);
  EXPECT_EQ(PickMaxSchema(1.00271), 8);
  EXPECT_EQ(PickMaxSchema(2), 0);
  EXPECT_EQ(PickMaxSchema(4), -1);
  EXPECT_EQ(PickMaxSchema(1e10), -4);
}

TEST(ScrapeAppendProtobufTest, StorageWithoutHistogramsCountsAndKeepsTheRest) {
  FakeAppendable db;
  db.RefuseHistograms(true);
  ScrapeCache cache;
  AppendOptions opts;
  opts.scrape_native_histograms = true;
  AppendStats s = Scrape(Body(), 1000, &cache, &db, opts);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(s.histograms_unsupported, 1u);
  EXPECT_TRUE(db.ByName("rpc_seconds").empty());
  EXPECT_EQ(db.ByName("requests_total").size(), 1u);
}

TEST(ScrapeAppendProtobufTest, ClassicHistogramConvertedToNhcb) {
  FakeAppendable db;
  ScrapeCache cache;
  AppendOptions opts;
  opts.convert_classic_histograms_to_nhcb = true;
  AppendStats s = Scrape(Body(), 1000, &cache, &db, opts);  // native parsing off: the classic part is converted
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  auto hist = db.ByName("rpc_seconds");
  ASSERT_EQ(hist.size(), 1u);
  ASSERT_TRUE(hist[0].h.has_value());
  EXPECT_EQ(hist[0].h->schema, kCustomBucketsSchema);
  EXPECT_EQ(hist[0].h->custom_values, (std::vector<double>{1, 2}));
  EXPECT_TRUE(db.ByName("rpc_seconds_bucket").empty());
}

TEST(ScrapeAppendProtobufTest, MalformedBodyFailsTheScrape) {
  FakeAppendable db;
  ScrapeCache cache;
  std::string body = Body();
  AppendStats s = Scrape(body.substr(0, body.size() - 2), 1000, &cache, &db, AppendOptions{});
  EXPECT_NE(s.status.message().find("protobuf parsing error"), std::string::npos) << s.status.message();
  EXPECT_TRUE(db.Committed().empty());
}

}  // namespace
}  // namespace promethium::scrape
