#include "scrape/textparse/openmetrics_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "scrape/textparse/parser_fixture_util.h"

namespace promethium::scrape::textparse {
namespace {

using ::testing::HasSubstr;

// One parsed entry, flattened for comparison.
struct Got {
  Entry entry;
  std::string text;  // series key, or meta name + " " + help/unit/type
  double value = 0;
  bool has_ts = false;
  int64_t ts = 0;
  std::string exemplar;  // "{labels} value[@ts]" when present
};

std::string FormatLabels(const std::vector<LabelView>& labels) {
  std::string out = "{";
  for (const LabelView& l : labels) {
    if (out.size() > 1) out += ",";
    out += std::string(l.name) + "=";
    OpenMetricsParser::UnescapeLabelValue(l.value, &out);
  }
  return out + "}";
}

// Parses `body` to the end; fails the test on a parse error.
std::vector<Got> ParseAll(std::string_view body, OpenMetricsParser::Options opts = {}) {
  OpenMetricsParser p(body, opts);
  std::vector<Got> out;
  for (;;) {
    Result<Entry> e = p.Next();
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    if (!e.ok() || *e == Entry::kEof) break;
    Got g;
    g.entry = *e;
    switch (*e) {
      case Entry::kSeries:
        g.text = std::string(p.Series());
        g.value = p.Value();
        g.has_ts = p.HasTimestamp();
        g.ts = p.Timestamp();
        if (p.HasExemplar()) {
          g.exemplar = FormatLabels(p.ExemplarLabels()) + " " + std::to_string(p.ExemplarValue());
          if (p.ExemplarHasTimestamp()) {
            g.exemplar += '@';
            g.exemplar += std::to_string(p.ExemplarTimestamp());
          }
        }
        break;
      case Entry::kHelp: g.text = std::string(p.MetaName()) + " " + p.Help(); break;
      case Entry::kUnit: g.text = std::string(p.MetaName()) + " " + std::string(p.Unit()); break;
      case Entry::kType: g.text = std::string(p.MetaName()) + " " + std::string(MetricTypeName(p.Type())); break;
      default: break;
    }
    out.push_back(g);
  }
  return out;
}

Status ParseError(std::string_view body) {
  OpenMetricsParser p(body);
  for (;;) {
    Result<Entry> e = p.Next();
    if (!e.ok()) return e.status();
    if (*e == Entry::kEof) return Status::OK();
  }
}

TEST(OpenMetricsParserTest, ParsesFamiliesMetadataAndSamples) {
  const std::string body =
      "# HELP go_gc_duration_seconds A summary of the GC invocation durations.\n"
      "# TYPE go_gc_duration_seconds summary\n"
      "# UNIT go_gc_duration_seconds seconds\n"
      "go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05\n"
      "go_gc_duration_seconds{quantile=\"0.5\",a=\"b\"} 8.3835e-05\n"
      "# HELP nohelp1 \n"
      "# HELP help2 escape \\ \\n \\\\ \\\" \\x chars\n"
      "# UNIT nounit \n"
      "go_gc_duration_seconds_count 99\n"
      "some:aggregate:rate5m{a_b=\"c\"} 1\n"
      "# TYPE go_goroutines gauge\n"
      "go_goroutines 33 123.123\n"
      "# TYPE ss stateset\n"
      "ss{ss=\"foo\"} 1\n"
      "# TYPE un unknown\n"
      "_metric_starting_with_underscore 1\n"
      "testmetric{label=\"\\\"bar\\\"\"} 1\n"
      "trailing{a=\"b\",} 2\n"
      "# EOF\n";
  std::vector<Got> got = ParseAll(body);
  ASSERT_EQ(got.size(), 18u);
  EXPECT_EQ(got[0].entry, Entry::kHelp);
  EXPECT_EQ(got[0].text, "go_gc_duration_seconds A summary of the GC invocation durations.");
  EXPECT_EQ(got[1].text, "go_gc_duration_seconds summary");
  EXPECT_EQ(got[2].entry, Entry::kUnit);
  EXPECT_EQ(got[2].text, "go_gc_duration_seconds seconds");
  EXPECT_EQ(got[3].text, "go_gc_duration_seconds{quantile=\"0\"}");
  EXPECT_DOUBLE_EQ(got[3].value, 4.9351e-05);
  EXPECT_FALSE(got[3].has_ts);
  EXPECT_EQ(got[5].text, "nohelp1 ");
  EXPECT_EQ(got[6].text, "help2 escape \\ \n \\ \" \\x chars");
  EXPECT_EQ(got[7].text, "nounit ");
  EXPECT_EQ(got[8].text, "go_gc_duration_seconds_count");
  EXPECT_EQ(got[9].text, "some:aggregate:rate5m{a_b=\"c\"}");
  EXPECT_EQ(got[10].text, "go_goroutines gauge");
  // Timestamps are seconds with a fraction, converted to milliseconds.
  EXPECT_TRUE(got[11].has_ts);
  EXPECT_EQ(got[11].ts, 123123);
  EXPECT_EQ(got[12].text, "ss stateset");
  EXPECT_EQ(got[14].text, "un untyped");  // MetricTypeName's spelling of unknown
  EXPECT_EQ(got[15].text, "_metric_starting_with_underscore");
  EXPECT_EQ(got[16].text, "testmetric{label=\"\\\"bar\\\"\"}");
  EXPECT_EQ(got[17].text, "trailing{a=\"b\",}");  // a trailing comma is allowed
}

TEST(OpenMetricsParserTest, ExposesEscapedLabelValues) {
  OpenMetricsParser p("m{a=\"x\\\"y\\\\z\\nw\",b=\"plain\"} 1\n# EOF\n");
  Result<Entry> e = p.Next();
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(p.Labels().size(), 2u);
  EXPECT_TRUE(p.Labels()[0].escaped);
  EXPECT_FALSE(p.Labels()[1].escaped);
  std::string v;
  OpenMetricsParser::UnescapeLabelValue(p.Labels()[0].value, &v);
  EXPECT_EQ(v, "x\"y\\z\nw");
}

TEST(OpenMetricsParserTest, ParsesExemplars) {
  const std::string body =
      "# TYPE hhh histogram\n"
      "hhh_bucket{le=\"+Inf\"} 1 # {id=\"histogram-bucket-test\"} 4\n"
      "# TYPE ggh gaugehistogram\n"
      "ggh_bucket{le=\"+Inf\"} 1 # {id=\"gaugehistogram-bucket-test\",xx=\"yy\"} 4 123.123\n"
      "# TYPE foo counter\n"
      "foo_total 17.0 1520879607.789 # {id=\"counter-test\"} 5\n"
      "foo_total{a=\"b\"} 18 # {} 1.5\n"
      "plain 1\n"
      "# EOF";
  std::vector<Got> got = ParseAll(body);
  ASSERT_EQ(got.size(), 8u);
  EXPECT_EQ(got[1].text, "hhh_bucket{le=\"+Inf\"}");
  EXPECT_EQ(got[1].exemplar, "{id=histogram-bucket-test} 4.000000");
  EXPECT_EQ(got[3].exemplar, "{id=gaugehistogram-bucket-test,xx=yy} 4.000000@123123");
  EXPECT_EQ(got[5].text, "foo_total");
  EXPECT_EQ(got[5].value, 17.0);
  EXPECT_TRUE(got[5].has_ts);
  EXPECT_EQ(got[5].ts, 1520879607789);
  EXPECT_EQ(got[5].exemplar, "{id=counter-test} 5.000000");
  EXPECT_EQ(got[6].exemplar, "{} 1.500000");
  EXPECT_EQ(got[7].exemplar, "");  // the exemplar does not leak to the next line
}

TEST(OpenMetricsParserTest, CreatedSeriesAreSamplesByDefault) {
  const std::string body =
      "# TYPE foo counter\n"
      "foo_total 17.0\n"
      "foo_created 1520872607.123\n"
      "# TYPE fizz_created gauge\n"
      "fizz_created 17.0\n"
      "# EOF\n";
  std::vector<Got> got = ParseAll(body);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[2].text, "foo_created");
  EXPECT_DOUBLE_EQ(got[2].value, 1520872607.123);

  std::vector<Got> skipped = ParseAll(body, {.skip_created_series = true});
  ASSERT_EQ(skipped.size(), 4u);
  EXPECT_EQ(skipped[1].text, "foo_total");
  EXPECT_EQ(skipped[3].text, "fizz_created");  // gauges have no _created series
}

TEST(OpenMetricsParserTest, SpecialValuesAndNegativeTimestamps) {
  std::vector<Got> got = ParseAll("a +Inf\nb -Inf\nc NaN\nd 1 -1.5\ne 1 0\n# EOF\n");
  ASSERT_EQ(got.size(), 5u);
  EXPECT_TRUE(std::isinf(got[0].value) && got[0].value > 0);
  EXPECT_TRUE(std::isinf(got[1].value) && got[1].value < 0);
  EXPECT_TRUE(std::isnan(got[2].value));
  EXPECT_EQ(got[3].ts, -1500);
  EXPECT_TRUE(got[4].has_ts);
  EXPECT_EQ(got[4].ts, 0);
}

TEST(OpenMetricsParserTest, EofHandling) {
  EXPECT_TRUE(ParseError("# EOF").ok());
  EXPECT_TRUE(ParseError("# EOF\n").ok());
  EXPECT_THAT(ParseError("").message(), HasSubstr("data does not end with # EOF"));
  EXPECT_THAT(ParseError("metric 1").message(), HasSubstr("data does not end with # EOF"));
  EXPECT_THAT(ParseError("metric 1\n").message(), HasSubstr("data does not end with # EOF"));
  EXPECT_THAT(ParseError("metric_total 1 # {aa=\"bb\"} 4").message(), HasSubstr("data does not end with # EOF"));
  EXPECT_THAT(ParseError("# EOF\na 1").message(), HasSubstr("unexpected data after # EOF"));
  EXPECT_THAT(ParseError("# EOF\n\n").message(), HasSubstr("unexpected data after # EOF"));
  EXPECT_THAT(ParseError("# EOFa 1").message(), HasSubstr("unexpected data after # EOF"));
}

struct ErrorCase {
  std::string input;
  std::string err;
};

TEST(OpenMetricsParserTest, MalformedBodies) {
  const std::vector<ErrorCase> cases = {
      {"\n", "line 1: expected a valid start token, got end of line"},
      {"metric", "expected value after metric, got end of input"},
      {"a\n#EOF\n", "expected value after metric, got end of line"},
      {" a 1\n# EOF\n", "expected a valid start token"},
      {"9\n# EOF\n", "expected a valid start token, got \"9\""},
      {"# TYPE u untyped\n# EOF\n", "invalid metric type \"untyped\""},
      {"# TYPE c counter \n# EOF\n", "invalid metric type \"counter \""},
      {"# TYPE c  counter\n# EOF\n", "invalid metric type \" counter\""},
      {"#  TYPE c counter\n# EOF\n", "expected a valid start token"},
      {"#\tTYPE c counter\n# EOF\n", "expected a valid start token"},
      {"# a comment\n# EOF\n", "expected a valid start token"},
      {"# TYPE \n# EOF\n", "expected metric name after TYPE"},
      {"# TYPE m\n# EOF\n", "expected text in TYPE"},
      {"# UNIT metric suffix\n# EOF\n", "unit \"suffix\" not a suffix of metric \"metric\""},
      {"# UNIT metricsuffix suffix\n# EOF\n", "unit \"suffix\" not a suffix of metric \"metricsuffix\""},
      {"# UNIT m suffix\n# EOF\n", "unit \"suffix\" not a suffix of metric \"m\""},
      {"# UNIT m\n# EOF\n", "expected text in UNIT"},
      {"# HELP \n# EOF\n", "expected metric name after HELP"},
      {"# HELP m\n# EOF\n", "expected text in HELP"},
      {"a\t1\n# EOF\n", "expected value after metric"},
      {"a 1\t2\n# EOF\n", "expected float as value, got \"1\\x092\""},
      {"a 1 2 \n# EOF\n", "expected next entry after timestamp"},
      {"a 1 2 #\n# EOF\n", "expected next entry after timestamp"},
      {"a 1 1z\n# EOF\n", "expected float as timestamp, got \"1z\""},
      {"a 1 1 1\n# EOF\n", "expected next entry after timestamp"},
      {"a 1 NaN\n# EOF\n", "invalid timestamp"},
      {"a 1 Inf\n# EOF\n", "invalid timestamp"},
      {"a{b='c'} 1\n# EOF\n", "expected label value, got \"'c'}\""},
      {"a{,b=\"c\"} 1\n# EOF\n", "expected label name, got \",b=\\\"c\\\"}\""},
      {"a{b=\"c\"d=\"e\"} 1\n# EOF\n", "expected comma or brace close"},
      {"a{b=\"c\",,d=\"e\"} 1\n# EOF\n", "expected label name"},
      {"a{b =\"c\"} 1\n# EOF\n", "expected equal"},
      {"a{b=\n# EOF\n", "expected label value, got end of line"},
      {"a{\xff=\"foo\"} 1\n# EOF\n", "expected label name"},
      {"a{b=\"\xff\"} 1\n# EOF\n", "invalid UTF-8 label value"},
      {"something_weird{problem=\"\n# EOF\n", "unterminated quoted value for label \"problem\""},
      {"a true\n# EOF\n", "expected float as value, got \"true\""},
      {"a{b=\"c\"}1\n# EOF\n", "expected value after metric"},
      {"a  1\n# EOF\n", "expected value after metric"},
      {"a{a=\"1\",a=\"2\"} 1\n# EOF\n", "duplicate label name \"a\""},
      {"{b=\"c\"} 1\n# EOF\n", "metric name not set"},
      {"a 1 # {id=\"x\"}\n# EOF\n", "expected value after exemplar labels"},
      {"a 1 # {id=\"x\"} 2 3 4\n# EOF\n", "expected next entry after exemplar timestamp"},
      {"a 1 # {id=\"x\"} 2 NaN\n# EOF\n", "invalid exemplar timestamp"},
      {"a 1 # {id=x} 2\n# EOF\n", "expected label value"},
      {"a 1 # id=\"x\" 2\n# EOF\n", "expected float as timestamp, got \"#\""},
      {"ok 1\nbad\n# EOF\n", "line 2: expected value after metric"},
  };
  for (const ErrorCase& c : cases) {
    Status st = ParseError(c.input);
    EXPECT_FALSE(st.ok()) << c.input;
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << c.input;
    EXPECT_THAT(st.message(), HasSubstr(c.err)) << "input: " << c.input;
    EXPECT_THAT(st.message(), HasSubstr("openmetrics format parsing error in line")) << c.input;
  }
}

TEST(OpenMetricsParserTest, QuotedNamesAreUnsupported) {
  for (std::string_view body :
       {"{\"my.metric\"} 1\n# EOF\n", "a{\"my.label\"=\"x\"} 1\n# EOF\n", "# TYPE \"my.metric\" counter\n# EOF\n"}) {
    Status st = ParseError(body);
    EXPECT_EQ(st.code(), Status::Code::kUnsupported) << body;
    EXPECT_THAT(st.message(), HasSubstr("unsupported: quoted")) << body;
  }
}

// Differential tests, as in prom_parser_test.cc: counts and a checksum of
// every entry recorded with the parser as of commit 07c9b1e.
testutil::Digest DigestOf(std::string_view body, std::string* error) {
  return testutil::DigestOf<OpenMetricsParser>(body, error);
}

TEST(OpenMetricsParserTest, RealNodeExporterFixtureMatchesRecordedOutput) {
  Result<std::string> body = testutil::ReadFixture("node_exporter.om");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  std::string err;
  testutil::Digest d = DigestOf(*body, &err);
  ASSERT_EQ(err, "");
  EXPECT_EQ(d.series, 2107);
  EXPECT_EQ(d.help, 439);
  EXPECT_EQ(d.type, 439);
  EXPECT_EQ(d.labels, 2542);
  EXPECT_EQ(d.hash, 0xfacc472eec161270ULL) << std::hex << d.hash;
}

// Exemplars, timestamps, units, escapes, UTF-8 and every float form.
std::string TrickyOpenMetricsBody() {
  uint64_t rng = 11;
  auto next = [&rng](uint64_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % n;
  };
  const char* values[] = {
      "0", "1", "-1", "1.0", "1.5e3", "-0.25", "+Inf", "-Inf", "NaN", "1e-400", "2.5E+06", ".5", "9007199254740993",
      "17"};
  const char* stamps[] = {"1700000000", "1700000000.123", "-1.5", "0", "1.7e9"};
  const char* label_values[] = {"plain", "", "with space", "q\\\"q", "nl\\nx", "h\xc3\xa9llo", "{}=,#"};
  std::string b;
  for (int i = 0; i < 2000; ++i) {
    std::string name = "fam" + std::to_string(i / 10);
    if (i % 10 == 0) {
      b += "# HELP " + name + "_seconds help \\\\ \\n \\\"x\\\"\n";
      b += "# TYPE " + name + "_seconds counter\n";
      b += "# UNIT " + name + "_seconds seconds\n";
    }
    b += name;
    b += next(5) == 0 ? "_seconds_created" : "_seconds_total";
    uint64_t nl = next(4);
    if (nl > 0) {
      b += '{';
      for (uint64_t k = 0; k < nl; ++k) {
        b += 'l';
        b += std::to_string(k);
        b += "=\"";
        b += label_values[next(std::size(label_values))];
        b += '"';
        if (k + 1 < nl) b += ',';
      }
      b += '}';
    }
    b += ' ';
    b += values[next(std::size(values))];
    if (next(3) == 0) {
      b += ' ';
      b += stamps[next(std::size(stamps))];
    }
    if (next(4) == 0) {
      b += " # {trace_id=\"";
      b += std::to_string(next(1000000));
      b += "\"} ";
      b += values[next(6)];
      if (next(2) == 0) {
        b += ' ';
        b += stamps[next(std::size(stamps))];
      }
    }
    b += '\n';
  }
  b += "# EOF\n";
  return b;
}

TEST(OpenMetricsParserTest, TrickyBodyMatchesRecordedOutput) {
  std::string body = TrickyOpenMetricsBody();
  std::string err;
  testutil::Digest d = DigestOf(body, &err);
  ASSERT_EQ(err, "");
  EXPECT_EQ(body.size(), 126409u);
  EXPECT_EQ(d.series, 2000);
  EXPECT_EQ(d.unit, 200);
  EXPECT_EQ(d.labels, 3046);
  EXPECT_EQ(d.timestamps, 675);
  EXPECT_EQ(d.exemplars, 483);
  EXPECT_EQ(d.hash, 0x80662befdcb50b9dULL) << std::hex << d.hash;
}

// Every truncation of a body with long lines fails (no `# EOF`) with a
// located error, after yielding a prefix of the whole body's entries.
TEST(OpenMetricsParserTest, TruncatedBodiesFailWithLocatedErrors) {
  const std::string body =
      "# HELP node_network_receive_bytes Network device statistic receive_bytes.\n"
      "# TYPE node_network_receive_bytes counter\n"
      "# UNIT node_network_receive_bytes bytes\n"
      "node_network_receive_bytes_total{device=\"eth0\",ifalias=\"uplink \\\"A\\\" h\xc3\xa9\"} 1.2345678e+09 "
      "1700000000.5 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 1.0 1700000000.001\n"
      "node_load1 NaN\n"
      "# EOF\n";
  std::vector<Got> full = ParseAll(body);
  ASSERT_EQ(full.size(), 5u);
  for (size_t cut = 0; cut + 1 < body.size(); ++cut) {
    OpenMetricsParser p(std::string_view(body).substr(0, cut));
    size_t entries = 0;
    for (;;) {
      Result<Entry> e = p.Next();
      if (!e.ok()) {
        EXPECT_THAT(e.status().message(), HasSubstr("openmetrics format parsing error in line")) << cut;
        break;
      }
      ASSERT_NE(*e, Entry::kEof) << cut;
      ASSERT_LT(entries, full.size()) << cut;
      EXPECT_EQ(*e, full[entries].entry) << cut;
      ++entries;
    }
  }
}

}  // namespace
}  // namespace promethium::scrape::textparse
