#include "scrape/textparse/protobuf_parser.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "scrape/textparse/protobuf_test_util.h"

namespace promethium::scrape::textparse {
namespace {

namespace pb = ::io::prometheus::client;
using ::testing::HasSubstr;

using testing::AddLabel;
using testing::Delimited;
using testing::Family;
using testing::SetExemplar;

// One entry, flattened: series as name{labels} value[@ts], metadata as
// "HELP name text" and so on, native histograms as "name{..} <histogram>".
std::string Flatten(const ProtobufParser& p, Entry e) {
  switch (e) {
    case Entry::kHelp: return "HELP " + std::string(p.MetaName()) + " " + p.Help();
    case Entry::kUnit: return "UNIT " + std::string(p.MetaName()) + " " + std::string(p.Unit());
    case Entry::kType: return "TYPE " + std::string(p.MetaName()) + " " + std::string(MetricTypeName(p.Type()));
    default: break;
  }
  std::string out(p.MetricName());
  out += "{";
  for (const LabelView& l : p.Labels()) {
    if (out.back() != '{') out += ",";
    out += std::string(l.name) + "=" + std::string(l.value);
  }
  out += "}";
  if (e == Entry::kSeries) {
    out += fmt::format(" {}", p.Value());
  } else {
    out += " <histogram>";
  }
  if (p.HasTimestamp()) out += fmt::format(" @{}", p.Timestamp());
  for (const ParsedExemplar& ex : p.Exemplars()) {
    out += " # {";
    for (const auto& [n, v] : ex.labels) out += n + "=" + v;
    out += fmt::format("}} {}", ex.value);
    if (ex.has_timestamp) out += fmt::format(" @{}", ex.timestamp_ms);
  }
  return out;
}

std::vector<std::string> ParseAll(const std::string& body, ProtobufParser::Options opts = {}) {
  ProtobufParser p(body, opts);
  std::vector<std::string> out;
  for (;;) {
    Result<Entry> e = p.Next();
    EXPECT_TRUE(e.ok()) << e.status().message();
    if (!e.ok() || *e == Entry::kEof) return out;
    out.push_back(Flatten(p, *e));
  }
}

std::string ParseError(const std::string& body, ProtobufParser::Options opts = {}) {
  ProtobufParser p(body, opts);
  for (int i = 0; i < 1000; ++i) {
    Result<Entry> e = p.Next();
    if (!e.ok()) return e.status().message();
    if (*e == Entry::kEof) return "no error";
  }
  return "no end";
}

TEST(ProtobufParserTest, CounterGaugeUntypedWithMetadataExemplarAndTimestamp) {
  pb::MetricFamily counter = Family("req_total", pb::COUNTER, "Requests.");
  counter.set_unit("requests");
  pb::Metric* m = counter.add_metric();
  AddLabel(m, "path", "/a");
  AddLabel(m, "code", "200");
  m->mutable_counter()->set_value(42);
  SetExemplar(m->mutable_counter()->mutable_exemplar(), "abc", 1.5, 1625851155146);
  m->mutable_counter()->mutable_created_timestamp()->set_seconds(1000);
  pb::MetricFamily gauge = Family("temp", pb::GAUGE);
  gauge.add_metric()->mutable_gauge()->set_value(-3.5);
  gauge.mutable_metric(0)->set_timestamp_ms(1234568);
  pb::MetricFamily untyped = Family("other", pb::UNTYPED);
  untyped.add_metric()->mutable_untyped()->set_value(7);

  std::string body = Delimited({counter, gauge, untyped});
  EXPECT_THAT(ParseAll(body),
              ::testing::ElementsAre("HELP req_total Requests.", "UNIT req_total requests", "TYPE req_total counter",
                                     "req_total{code=200,path=/a} 42 # {id=abc} 1.5 @1625851155146", "HELP temp ",
                                     "TYPE temp gauge", "temp{} -3.5 @1234568", "HELP other ", "TYPE other untyped",
                                     "other{} 7"));

  ProtobufParser p(body, {});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(p.Next().ok());
  EXPECT_EQ(p.CreatedTimestamp(), 1'000'000);
  // The cache key: name, then sorted labels, 0xff-separated.
  EXPECT_EQ(p.Series(),
            "req_total\xff"
            "code\xff"
            "200\xff"
            "path\xff/a");
}

// Timestamps beyond the int64 range of milliseconds saturate instead of
// overflowing (protobuf_parse_fuzzer found the overflow).
TEST(ProtobufParserTest, HugeCreatedTimestampsSaturate) {
  for (int64_t seconds : {int64_t{-1080863910568921223}, int64_t{1080863910568921223}}) {
    pb::MetricFamily counter = Family("c_total", pb::COUNTER);
    pb::Metric* m = counter.add_metric();
    m->mutable_counter()->set_value(1);
    m->mutable_counter()->mutable_created_timestamp()->set_seconds(seconds);
    const std::string body = Delimited({counter});  // the parser borrows it
    ProtobufParser p(body, {});
    for (int i = 0; i < 3; ++i) {
      auto entry = p.Next();
      ASSERT_TRUE(entry.ok()) << i << ": " << entry.status().ToString();
    }
    EXPECT_EQ(p.CreatedTimestamp(),
              seconds < 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max());
  }
}

TEST(ProtobufParserTest, SummaryYieldsCountSumAndQuantiles) {
  pb::MetricFamily mf = Family("rpc_seconds", pb::SUMMARY);
  pb::Summary* s = mf.add_metric()->mutable_summary();
  s->set_sample_count(10);
  s->set_sample_sum(4.5);
  pb::Quantile* q = s->add_quantile();
  q->set_quantile(0.5);
  q->set_value(0.25);
  q = s->add_quantile();
  q->set_quantile(1);
  q->set_value(2);
  EXPECT_THAT(
      ParseAll(Delimited({mf})),
      ::testing::ElementsAre("HELP rpc_seconds ", "TYPE rpc_seconds summary", "rpc_seconds_count{} 10",
                             "rpc_seconds_sum{} 4.5", "rpc_seconds{quantile=0.5} 0.25", "rpc_seconds{quantile=1.0} 2"));
}

pb::MetricFamily ClassicHistogram() {
  pb::MetricFamily mf = Family("lat", pb::HISTOGRAM);
  pb::Histogram* h = mf.add_metric()->mutable_histogram();
  h->set_sample_count(5);
  h->set_sample_sum(12);
  pb::Bucket* b = h->add_bucket();
  b->set_upper_bound(1);
  b->set_cumulative_count(2);
  SetExemplar(b->mutable_exemplar(), "x", 0.5);  // no timestamp: kept for classic buckets
  b = h->add_bucket();
  b->set_upper_bound(2.5);
  b->set_cumulative_count(4);
  return mf;
}

TEST(ProtobufParserTest, ClassicHistogramAddsInfBucket) {
  EXPECT_THAT(
      ParseAll(Delimited({ClassicHistogram()})),
      ::testing::ElementsAre("HELP lat ", "TYPE lat histogram", "lat_count{} 5", "lat_sum{} 12",
                             "lat_bucket{le=1.0} 2 # {id=x} 0.5", "lat_bucket{le=2.5} 4", "lat_bucket{le=+Inf} 5"));
}

// An integer native histogram that also has classic buckets.
pb::MetricFamily NativeHistogram() {
  pb::MetricFamily mf = Family("nh", pb::HISTOGRAM);
  pb::Metric* m = mf.add_metric();
  AddLabel(m, "a", "b");
  pb::Histogram* h = m->mutable_histogram();
  h->set_sample_count(6);
  h->set_sample_sum(10);
  h->set_schema(1);
  h->set_zero_threshold(0.001);
  h->set_zero_count(1);
  pb::BucketSpan* s = h->add_positive_span();
  s->set_offset(0);
  s->set_length(2);
  s = h->add_positive_span();
  s->set_offset(0);  // adjacent: joined with the first
  s->set_length(1);
  h->add_positive_delta(1);
  h->add_positive_delta(1);
  h->add_positive_delta(-1);  // absolute 1, 2, 1
  s = h->add_negative_span();
  s->set_offset(-1);
  s->set_length(1);
  h->add_negative_delta(1);
  pb::Bucket* b = h->add_bucket();
  b->set_upper_bound(1);
  b->set_cumulative_count(3);
  SetExemplar(b->mutable_exemplar(), "bucket", 0.7, 5000);
  return mf;
}

TEST(ProtobufParserTest, IntegerNativeHistogram) {
  ProtobufParser::Options opts;
  opts.parse_native_histograms = true;
  std::string body = Delimited({NativeHistogram()});
  EXPECT_THAT(ParseAll(body, opts),
              ::testing::ElementsAre("HELP nh ", "TYPE nh histogram", "nh{a=b} <histogram> # {id=bucket} 0.7 @5000"));
  ProtobufParser p(body, opts);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(p.Next().ok());
  ASSERT_EQ(*p.Next(), Entry::kHistogram);
  ASSERT_NE(p.CurrentHistogram(), nullptr);
  EXPECT_EQ(p.CurrentFloatHistogram(), nullptr);
  const Histogram& h = *p.CurrentHistogram();
  EXPECT_EQ(h.counter_reset_hint, CounterResetHint::kUnknown);
  EXPECT_EQ(h.schema, 1);
  EXPECT_EQ(h.zero_threshold, 0.001);
  EXPECT_EQ(h.zero_count, 1u);
  EXPECT_EQ(h.count, 6u);
  EXPECT_EQ(h.sum, 10);
  EXPECT_EQ(h.positive_spans, (std::vector<HistogramSpan>{{0, 3}}));
  EXPECT_EQ(h.positive_buckets, (std::vector<int64_t>{1, 1, -1}));
  EXPECT_EQ(h.negative_spans, (std::vector<HistogramSpan>{{-1, 1}}));
  EXPECT_EQ(h.negative_buckets, (std::vector<int64_t>{1}));
  EXPECT_EQ(p.Series(),
            "nh\xff"
            "a\xff"
            "b");
  EXPECT_EQ(*p.Next(), Entry::kEof);
}

TEST(ProtobufParserTest, NativeHistogramWithClassicKeptOrIgnored) {
  std::string body = Delimited({NativeHistogram()});
  ProtobufParser::Options both;
  both.parse_native_histograms = true;
  both.keep_classic_histograms = true;
  EXPECT_THAT(ParseAll(body, both),
              ::testing::ElementsAre("HELP nh ", "TYPE nh histogram", "nh{a=b} <histogram> # {id=bucket} 0.7 @5000",
                                     "nh_count{a=b} 6", "nh_sum{a=b} 10",
                                     "nh_bucket{a=b,le=1.0} 3 # {id=bucket} 0.7 @5000", "nh_bucket{a=b,le=+Inf} 6"));
  // scrape_native_histograms off: only the classic series.
  EXPECT_THAT(ParseAll(body),
              ::testing::ElementsAre("HELP nh ", "TYPE nh histogram", "nh_count{a=b} 6", "nh_sum{a=b} 10",
                                     "nh_bucket{a=b,le=1.0} 3 # {id=bucket} 0.7 @5000", "nh_bucket{a=b,le=+Inf} 6"));
}

TEST(ProtobufParserTest, FloatGaugeHistogramWithOwnExemplars) {
  pb::MetricFamily mf = Family("fh", pb::GAUGE_HISTOGRAM);
  pb::Histogram* h = mf.add_metric()->mutable_histogram();
  h->set_sample_count_float(3.5);
  h->set_sample_sum(1);
  h->set_schema(-2);
  pb::BucketSpan* s = h->add_positive_span();
  s->set_offset(2);
  s->set_length(2);
  h->add_positive_count(1.5);
  h->add_positive_count(2);
  SetExemplar(h->add_exemplars(), "kept", 1, 7000);
  SetExemplar(h->add_exemplars(), "dropped", 2);  // no timestamp: dropped for native histograms
  ProtobufParser::Options opts;
  opts.parse_native_histograms = true;
  std::string body = Delimited({mf});
  EXPECT_THAT(ParseAll(body, opts),
              ::testing::ElementsAre("HELP fh ", "TYPE fh gaugehistogram", "fh{} <histogram> # {id=kept} 1 @7000"));
  ProtobufParser p(body, opts);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(p.Next().ok());
  ASSERT_NE(p.CurrentFloatHistogram(), nullptr);
  const FloatHistogram& f = *p.CurrentFloatHistogram();
  EXPECT_EQ(f.counter_reset_hint, CounterResetHint::kGauge);
  EXPECT_EQ(f.count, 3.5);
  EXPECT_EQ(f.positive_spans, (std::vector<HistogramSpan>{{2, 2}}));
  EXPECT_EQ(f.positive_buckets, (std::vector<double>{1.5, 2}));
}

TEST(ProtobufParserTest, EmptyNativeHistogramNoOpSpanAndEmptyFamily) {
  pb::MetricFamily empty_family = Family("nothing", pb::COUNTER);
  pb::MetricFamily mf = Family("e", pb::HISTOGRAM);
  pb::Histogram* h = mf.add_metric()->mutable_histogram();
  h->set_schema(3);
  h->add_positive_span();  // {0, 0}: marks a native histogram without observations
  ProtobufParser::Options opts;
  opts.parse_native_histograms = true;
  std::string body = Delimited({empty_family, mf});
  EXPECT_THAT(ParseAll(body, opts), ::testing::ElementsAre("HELP e ", "TYPE e histogram", "e{} <histogram>"));
  ProtobufParser p(body, opts);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(p.Next().ok());
  ASSERT_NE(p.CurrentHistogram(), nullptr);
  EXPECT_TRUE(p.CurrentHistogram()->positive_spans.empty());
}

TEST(ProtobufParserTest, ClassicToNhcb) {
  ProtobufParser::Options opts;
  opts.convert_classic_to_nhcb = true;
  std::string body = Delimited({ClassicHistogram()});
  EXPECT_THAT(ParseAll(body, opts), ::testing::ElementsAre("HELP lat ", "TYPE lat histogram", "lat{} <histogram>"));
  ProtobufParser p(body, opts);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(p.Next().ok());
  ASSERT_NE(p.CurrentHistogram(), nullptr);
  // le=1: 2, le=2.5: 4, count 5: buckets 2, 2, 1 (the last up to +Inf).
  const Histogram& h = *p.CurrentHistogram();
  EXPECT_EQ(h.schema, kCustomBucketsSchema);
  EXPECT_EQ(h.custom_values, (std::vector<double>{1, 2.5}));
  EXPECT_EQ(h.positive_spans, (std::vector<HistogramSpan>{{0, 3}}));
  EXPECT_EQ(h.positive_buckets, (std::vector<int64_t>{2, 0, -1}));
  EXPECT_EQ(h.count, 5u);
  EXPECT_EQ(h.sum, 12);
  opts.keep_classic_histograms = true;
  EXPECT_EQ(ParseAll(body, opts).size(), 8u);  // 2 metadata, 5 classic series, 1 NHCB

  pb::MetricFamily broken = ClassicHistogram();
  broken.mutable_metric(0)->mutable_histogram()->mutable_bucket(1)->set_cumulative_count(1);  // decreasing
  opts.keep_classic_histograms = false;
  EXPECT_THAT(ParseError(Delimited({broken}), opts), HasSubstr("histogram \"lat\": "));
}

TEST(ProtobufParserTest, MalformedBodiesFail) {
  std::string good = Delimited({ClassicHistogram()});
  EXPECT_THAT(ParseError(good.substr(0, good.size() - 3)), HasSubstr("needs"));
  EXPECT_THAT(ParseError(std::string("\xff\xff\xff\xff\xff\xff", 6)), HasSubstr("bad message length"));
  EXPECT_THAT(ParseError(std::string("\x03\xff\xff\xff", 4)), HasSubstr("invalid MetricFamily message"));

  pb::MetricFamily bad_type = Family("x", static_cast<pb::MetricType>(9));
  bad_type.add_metric();
  EXPECT_EQ(ParseError(Delimited({bad_type})), "unknown metric type for metric \"x\": 9");

  pb::MetricFamily utf8 = Family("a.b", pb::GAUGE);
  utf8.add_metric();
  EXPECT_THAT(ParseError(Delimited({utf8})), HasSubstr("unsupported: metric name \"a.b\""));
}

TEST(ProtobufParserTest, BrokenNativeHistogramsFail) {
  ProtobufParser::Options opts;
  opts.parse_native_histograms = true;
  pb::MetricFamily spans = NativeHistogram();
  spans.mutable_metric(0)->mutable_histogram()->add_positive_delta(0);  // 4 deltas for 3 buckets
  EXPECT_EQ(ParseError(Delimited({spans}), opts), "histogram \"nh\": positive side: spans require 3 buckets, have 4");

  pb::MetricFamily schema = NativeHistogram();
  schema.mutable_metric(0)->mutable_histogram()->set_schema(9);
  EXPECT_THAT(ParseError(Delimited({schema}), opts), HasSubstr("histogram \"nh\": unknown schema 9"));
  schema.mutable_metric(0)->mutable_histogram()->set_schema(kCustomBucketsSchema);
  EXPECT_THAT(ParseError(Delimited({schema}), opts), HasSubstr("unknown schema -53"));

  pb::MetricFamily negative = NativeHistogram();
  negative.mutable_metric(0)->mutable_histogram()->set_positive_delta(1, -5);
  EXPECT_THAT(ParseError(Delimited({negative}), opts), HasSubstr("positive side: bucket 1 has a negative"));

  pb::MetricFamily count = NativeHistogram();
  count.mutable_metric(0)->mutable_histogram()->set_sample_count(2);
  EXPECT_THAT(ParseError(Delimited({count}), opts),
              HasSubstr("6 observations found in buckets, but the Count field is 2"));
  // Without native histogram parsing the same message is a classic one.
  EXPECT_EQ(ParseError(Delimited({spans})), "no error");
}

}  // namespace
}  // namespace promethium::scrape::textparse
