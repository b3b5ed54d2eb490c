// The histogram values of the series notation. Expected values are those of
// Prometheus's promql/parser/parse_test.go (TestParseHistogramSeries).
#include "promql/seriesnotation/histogram_notation.h"

#include <gtest/gtest.h>

namespace promethium::promql::seriesnotation {
namespace {

std::vector<SequenceValue> Values(std::string_view line) {
  auto d = ParseSeriesDesc(line);
  EXPECT_TRUE(d.ok()) << line << ": " << d.status().ToString();
  return d.ok() ? d->values : std::vector<SequenceValue>{};
}

std::string Error(std::string_view line) {
  auto d = ParseSeriesDesc(line);
  EXPECT_FALSE(d.ok()) << line;
  return d.ok() ? "" : d.status().message();
}

TEST(HistogramNotationTest, EmptyHistograms) {
  for (const char* line : {"{} {{}}", "{} {{ }}"}) {
    auto v = Values(line);
    ASSERT_EQ(v.size(), 1u) << line;
    ASSERT_TRUE(v[0].histogram);
    ASSERT_NE(v[0].h, nullptr);
    EXPECT_TRUE(v[0].h->Equals(FloatHistogram{}));
  }
}

TEST(HistogramNotationTest, AllProperties) {
  auto v = Values(
      "{} {{schema:1 sum:0.3 count:3.1 z_bucket:7.1 z_bucket_w:0.05 buckets:[5.1 10 7] offset:3 n_buckets:[4.1 5] "
      "n_offset:5 counter_reset_hint:gauge}}");
  ASSERT_EQ(v.size(), 1u);
  const FloatHistogram& h = *v[0].h;
  EXPECT_EQ(h.schema, 1);
  EXPECT_EQ(h.sum, 0.3);
  EXPECT_EQ(h.count, 3.1);
  EXPECT_EQ(h.zero_count, 7.1);
  EXPECT_EQ(h.zero_threshold, 0.05);
  EXPECT_EQ(h.positive_buckets, (std::vector<double>{5.1, 10, 7}));
  EXPECT_EQ(h.positive_spans, (std::vector<HistogramSpan>{{3, 3}}));
  EXPECT_EQ(h.negative_buckets, (std::vector<double>{4.1, 5}));
  EXPECT_EQ(h.negative_spans, (std::vector<HistogramSpan>{{5, 2}}));
  EXPECT_EQ(h.counter_reset_hint, CounterResetHint::kGauge);
  EXPECT_TRUE(v[0].counter_reset_hint_set);

  // Extra spaces between items and inside lists, negative values.
  auto w = Values(
      "{} {{schema:1  sum:-0.3  count:3  z_bucket:7 z_bucket_w:5 buckets:[-5 10  7  ] offset:-3  n_buckets:[4 5]  "
      "n_offset:-5  counter_reset_hint:gauge  }}");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].h->sum, -0.3);
  EXPECT_EQ(w[0].h->positive_buckets, (std::vector<double>{-5, 10, 7}));
  EXPECT_EQ(w[0].h->positive_spans, (std::vector<HistogramSpan>{{-3, 3}}));
  EXPECT_EQ(w[0].h->negative_spans, (std::vector<HistogramSpan>{{-5, 2}}));
}

TEST(HistogramNotationTest, CustomValuesAndHints) {
  auto v = Values("{} {{schema:-53 count:3 buckets:[1 2] custom_values:[0.5 1]}} {{counter_reset_hint:not_reset}}");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].h->schema, kCustomBucketsSchema);
  EXPECT_EQ(v[0].h->custom_values, (std::vector<double>{0.5, 1}));
  EXPECT_FALSE(v[0].counter_reset_hint_set);
  EXPECT_EQ(v[1].h->counter_reset_hint, CounterResetHint::kNotCounterReset);
  EXPECT_TRUE(v[1].counter_reset_hint_set);
  auto u = Values("{} {{counter_reset_hint:unknown}} {{counter_reset_hint:reset}}");
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].h->counter_reset_hint, CounterResetHint::kUnknown);
  EXPECT_TRUE(u[0].counter_reset_hint_set);
  EXPECT_EQ(u[1].h->counter_reset_hint, CounterResetHint::kCounterReset);
}

TEST(HistogramNotationTest, StaticSeriesMixedWithFloats) {
  auto v = Values("{} {{buckets:[5 10 7] schema:1}}x2 1 _ {{buckets:[1]}}x0");
  ASSERT_EQ(v.size(), 6u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(v[i].histogram);
    EXPECT_EQ(v[i].h->positive_buckets, (std::vector<double>{5, 10, 7}));
    EXPECT_EQ(v[i].h->schema, 1);
  }
  EXPECT_FALSE(v[3].histogram);
  EXPECT_EQ(v[3].value, 1);
  EXPECT_TRUE(v[4].omitted);
  EXPECT_EQ(v[5].h->positive_buckets, (std::vector<double>{1}));
}

TEST(HistogramNotationTest, IncrementsAndDecrements) {
  auto v = Values("{} {{sum:1}}+{{sum:1}}x2 {{sum:2}}+{{sum:2}}x2");
  ASSERT_EQ(v.size(), 6u);
  std::vector<double> sums = {1, 2, 3, 2, 4, 6};
  for (size_t i = 0; i < sums.size(); ++i) EXPECT_EQ(v[i].h->sum, sums[i]) << i;

  auto d = Values("{} {{buckets:[5 10 7] schema:1}}-{{buckets:[1 2 3] schema:1}}x2");
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[1].h->positive_buckets, (std::vector<double>{4, 8, 4}));
  EXPECT_EQ(d[2].h->positive_buckets, (std::vector<double>{3, 6, 1}));

  auto z = Values("{} {{buckets:[5 10 7] schema:1}}+{{buckets:[1 2 3] schema:1}}x0");
  ASSERT_EQ(z.size(), 1u);
  EXPECT_EQ(z[0].h->positive_buckets, (std::vector<double>{5, 10, 7}));

  // The increment is reduced to the base's lower schema.
  auto s = Values("{} {{buckets:[5] schema:0}}+{{buckets:[1 2] schema:1}}x2");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[1].h->schema, 0);
  EXPECT_EQ(s[1].h->positive_buckets, (std::vector<double>{6, 2}));
  EXPECT_EQ(s[2].h->positive_buckets, (std::vector<double>{7, 4}));
}

TEST(HistogramNotationTest, Errors) {
  EXPECT_EQ(Error("{} {{buckets:[5 10 7] schema:1}}+{{buckets:[1 2 3] schema:0}}x2"),
            "error combining histograms: cannot merge from schema 0 to 1");
  EXPECT_NE(Error("{} {{schema:1 schema:1}}").find("duplicate key \"schema\" in histogram"), std::string::npos);
  EXPECT_NE(Error("{} {{foo:1}}").find("bad histogram descriptor found: \"foo\""), std::string::npos);
  Error("{} {{schema :1}}");
  EXPECT_EQ(Error("{} {{schema: 1}}"), "unexpected \" \" in series values");
  EXPECT_NE(Error("{} {{buckets:[ 1]}}").find("unexpected \" \" in series values"), std::string::npos);
  Error("{} {{ schema:1}}");
  EXPECT_NE(Error("{} {{counter_reset_hint:foo}}").find("counter_reset_hint"), std::string::npos);
  Error("{} {{schema:1.5}}");
  Error("{} {{sum:1");
}

TEST(HistogramNotationTest, TestExpressionRoundTrips) {
  const char* text =
      "{{schema:1 count:3.1 sum:0.3 z_bucket:7.1 z_bucket_w:0.05 counter_reset_hint:gauge offset:3 buckets:[5.1 0 "
      "7] n_buckets:[4.1 5]}}";
  auto d = ParseHistogramDesc(text);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(HistogramTestExpression(d->h), text);
  // Two spans print as one, with the gap filled; empty edge buckets go.
  FloatHistogram h;
  h.schema = kCustomBucketsSchema;
  h.custom_values = {1, 2, 5};
  h.positive_spans = {{0, 2}, {1, 1}};
  h.positive_buckets = {0, 2, 1};
  EXPECT_EQ(HistogramTestExpression(h), "{{schema:-53 custom_values:[1 2 5] offset:1 buckets:[2 0 1]}}");
}

}  // namespace
}  // namespace promethium::promql::seriesnotation
