#include "scrape/textparse/prom_parser.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "scrape/textparse/parser_fixture_util.h"
#include "scrape/textparse/scan.h"
#include "scrape/textparse/utf8.h"

namespace promethium::scrape::textparse {
namespace {

struct ParsedSeries {
  std::string series;
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // unescaped
  double value = 0;
  bool has_ts = false;
  int64_t ts = 0;
};

// Parses a whole body; returns the series and fills *error on failure.
std::vector<ParsedSeries> ParseAll(std::string_view body, std::string* error = nullptr,
                                   std::vector<std::string>* meta = nullptr) {
  PromParser p(body);
  std::vector<ParsedSeries> out;
  for (;;) {
    Result<Entry> e = p.Next();
    if (!e.ok()) {
      if (error) *error = e.status().message();
      return out;
    }
    if (*e == Entry::kEof) break;
    if (*e == Entry::kSeries) {
      ParsedSeries s;
      s.series = std::string(p.Series());
      s.name = std::string(p.MetricName());
      for (const LabelView& l : p.Labels()) {
        std::string v;
        PromParser::UnescapeLabelValue(l.value, &v);
        s.labels.emplace_back(std::string(l.name), v);
      }
      s.value = p.Value();
      s.has_ts = p.HasTimestamp();
      s.ts = p.Timestamp();
      out.push_back(std::move(s));
    } else if (meta && *e == Entry::kHelp) {
      meta->push_back("HELP " + std::string(p.MetaName()) + " " + p.Help());
    } else if (meta && *e == Entry::kType) {
      meta->push_back("TYPE " + std::string(p.MetaName()) + " " + std::string(MetricTypeName(p.Type())));
    } else if (meta && *e == Entry::kComment) {
      meta->push_back("COMMENT " + std::string(p.Comment()));
    }
  }
  if (error) error->clear();
  return out;
}

std::string ErrorOf(std::string_view body) {
  std::string err;
  ParseAll(body, &err);
  return err;
}

TEST(PromParserTest, EmptyBody) {
  std::string err = "x";
  EXPECT_TRUE(ParseAll("", &err).empty());
  EXPECT_EQ(err, "");
  EXPECT_TRUE(ParseAll("\n\n  \n\t\n", &err).empty());
  EXPECT_EQ(err, "");
}

TEST(PromParserTest, SimpleSeriesWithMetadata) {
  std::vector<std::string> meta;
  std::string err;
  auto got = ParseAll(
      "# HELP go_goroutines Number of goroutines that currently exist.\n"
      "# TYPE go_goroutines gauge\n"
      "go_goroutines 33\n"
      "# some other comment\n"
      "#no space comment\n"
      "\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n",
      &err, &meta);
  ASSERT_EQ(err, "");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "go_goroutines");
  EXPECT_EQ(got[0].series, "go_goroutines");
  EXPECT_EQ(got[0].value, 33);
  EXPECT_FALSE(got[0].has_ts);
  EXPECT_EQ(got[1].series, "http_requests_total{method=\"post\",code=\"200\"}");
  ASSERT_EQ(got[1].labels.size(), 2u);
  EXPECT_EQ(got[1].labels[0], std::make_pair(std::string("method"), std::string("post")));
  EXPECT_EQ(got[1].labels[1], std::make_pair(std::string("code"), std::string("200")));
  EXPECT_TRUE(got[1].has_ts);
  EXPECT_EQ(got[1].ts, 1395066363000);
  ASSERT_EQ(meta.size(), 4u);
  EXPECT_EQ(meta[0], "HELP go_goroutines Number of goroutines that currently exist.");
  EXPECT_EQ(meta[1], "TYPE go_goroutines gauge");
  EXPECT_EQ(meta[2], "COMMENT # some other comment");
  EXPECT_EQ(meta[3], "COMMENT #no space comment");
}

TEST(PromParserTest, HelpUnescapesBackslashAndNewline) {
  std::vector<std::string> meta;
  std::string err;
  ParseAll("# HELP m a\\\\b\\nc \\\"q\\\"\n# HELP empty\n", &err, &meta);
  ASSERT_EQ(err, "");
  ASSERT_EQ(meta.size(), 2u);
  EXPECT_EQ(meta[0], "HELP m a\\b\nc \\\"q\\\"");  // \" is not a help escape
  EXPECT_EQ(meta[1], "HELP empty ");
}

TEST(PromParserTest, LabelValueEscapes) {
  std::string err;
  auto got = ParseAll("m{a=\"x\\\\y\",b=\"q\\\"q\",c=\"l1\\nl2\",d=\"\\t kept\"} 1\n", &err);
  ASSERT_EQ(err, "");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].labels[0].second, "x\\y");
  EXPECT_EQ(got[0].labels[1].second, "q\"q");
  EXPECT_EQ(got[0].labels[2].second, "l1\nl2");
  EXPECT_EQ(got[0].labels[3].second, "\\t kept");
}

TEST(PromParserTest, EscapedFlagOnlyWhenNeeded) {
  PromParser p("m{a=\"plain\",b=\"es\\\"c\"} 1");
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_FALSE(p.Labels()[0].escaped);
  EXPECT_TRUE(p.Labels()[1].escaped);
  EXPECT_EQ(p.Labels()[1].value, "es\\\"c");  // raw view into the body
}

TEST(PromParserTest, WhitespaceTrailingCommaAndCrlf) {
  std::string err;
  auto got = ParseAll("  m { a = \"1\" , b=\"2\", }\t2.5 \t 17 \r\nn{} 3\r\nk{a=\"1\" b=\"2\"} 4", &err);
  ASSERT_EQ(err, "");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].name, "m");
  EXPECT_EQ(got[0].labels.size(), 2u);
  EXPECT_EQ(got[0].value, 2.5);
  EXPECT_EQ(got[0].ts, 17);
  EXPECT_EQ(got[1].series, "n{}");
  EXPECT_TRUE(got[1].labels.empty());
  EXPECT_EQ(got[2].labels.size(), 2u);  // Prometheus allows a missing comma
  EXPECT_EQ(got[2].value, 4);
}

TEST(PromParserTest, MetricNamesWithColons) {
  std::string err;
  auto got = ParseAll("job:rate5m:sum 1\n:odd_ 2\n_x 3\n", &err);
  ASSERT_EQ(err, "");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].name, "job:rate5m:sum");
  EXPECT_EQ(got[1].name, ":odd_");
}

TEST(PromParserTest, FloatSyntax) {
  struct Case {
    const char* text;
    double want;
  };
  const Case cases[] = {
      {"1", 1},      {"-1", -1},  {"+1", 1},        {"1e3", 1000},      {"1E-3", 0.001},
      {".5", 0.5},   {"5.", 5},   {"-0.25", -0.25}, {"1.5e+06", 1.5e6}, {"123456789012345678", 123456789012345678.0},
      {"1e-400", 0}, {"0.1", 0.1}};
  for (const Case& c : cases) {
    double v = -42;
    EXPECT_TRUE(ParsePromFloat(c.text, &v)) << c.text;
    EXPECT_EQ(v, c.want) << c.text;
  }
  double v;
  ASSERT_TRUE(ParsePromFloat("+Inf", &v));
  EXPECT_TRUE(std::isinf(v) && v > 0);
  ASSERT_TRUE(ParsePromFloat("-Inf", &v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  ASSERT_TRUE(ParsePromFloat("inf", &v));
  ASSERT_TRUE(ParsePromFloat("Infinity", &v));
  ASSERT_TRUE(ParsePromFloat("NaN", &v));
  EXPECT_TRUE(std::isnan(v));
  EXPECT_EQ(std::bit_cast<uint64_t>(v), 0x7ff8000000000001ULL);  // normal NaN, never a stale marker
  ASSERT_TRUE(ParsePromFloat("nan", &v));
  for (const char* bad : {"", "+", "-", "abc", "0x1p3", "0x10", "1_000", "1e", "e3", ".", "+-1", "--1", "+NaN",
                          "nan(1)", "1e400", "-1e400", "1.2.3", "Infin", "1,5"}) {
    EXPECT_FALSE(ParsePromFloat(bad, &v)) << bad;
  }
}

TEST(PromParserTest, SpecialValuesInBody) {
  std::string err;
  auto got = ParseAll("a +Inf\nb -Inf\nc NaN\n", &err);
  ASSERT_EQ(err, "");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(std::isinf(got[0].value));
  EXPECT_TRUE(std::isinf(got[1].value) && got[1].value < 0);
  EXPECT_TRUE(std::isnan(got[2].value));
}

TEST(PromParserTest, MalformedLinesNameLineAndProblem) {
  EXPECT_EQ(ErrorOf("a 1\nb 2\nc abc\n"), "text format parsing error in line 3: expected float as value, got \"abc\"");
  EXPECT_EQ(ErrorOf("m{a=\"x} 1\n"), "text format parsing error in line 1: unterminated quoted value for label \"a\"");
  EXPECT_EQ(ErrorOf("m{a=\"x"), "text format parsing error in line 1: unterminated quoted value for label \"a\"");
  EXPECT_EQ(ErrorOf("m\n"), "text format parsing error in line 1: expected value after metric, got end of line");
  EXPECT_EQ(ErrorOf("m"), "text format parsing error in line 1: expected value after metric, got end of input");
  EXPECT_EQ(ErrorOf("m{a=\"1\"}\n"),
            "text format parsing error in line 1: expected value after metric, got end of line");
  EXPECT_EQ(ErrorOf("m 1 abc\n"), "text format parsing error in line 1: expected timestamp or new record, got \"abc\"");
  EXPECT_EQ(ErrorOf("m 1 -5\n"), "text format parsing error in line 1: expected timestamp or new record, got \"-5\"");
  EXPECT_EQ(ErrorOf("m 1 12x\n"),
            "text format parsing error in line 1: expected next entry after timestamp, got \"x\"");
  EXPECT_EQ(ErrorOf("m 1 1 2\n"),
            "text format parsing error in line 1: expected next entry after timestamp, got \"2\"");
  EXPECT_EQ(ErrorOf("m 1 99999999999999999999\n"),
            "text format parsing error in line 1: timestamp out of range: \"99999999999999999999\"");
  EXPECT_EQ(ErrorOf("\n\n1abc 1\n"), "text format parsing error in line 3: expected a valid start token, got \"1abc\"");
  EXPECT_EQ(ErrorOf("m-x 1\n"), "text format parsing error in line 1: expected float as value, got \"-x\"");
  EXPECT_EQ(ErrorOf("m{a=\"1\",a=\"2\"} 1\n"), "text format parsing error in line 1: duplicate label name \"a\"");
  EXPECT_EQ(ErrorOf("m{__name__=\"x\"} 1\n"),
            "text format parsing error in line 1: duplicate label name \"__name__\" (the metric name)");
  EXPECT_EQ(ErrorOf("m{1a=\"1\"} 1\n"),
            "text format parsing error in line 1: expected label name, got \"1a=\\\"1\\\"}\"");
  EXPECT_EQ(ErrorOf("m{a:b=\"1\"} 1\n"), "text format parsing error in line 1: expected equal, got \":b=\\\"1\\\"}\"");
  EXPECT_EQ(ErrorOf("m{a=1} 1\n"), "text format parsing error in line 1: expected label value, got \"1}\"");
  EXPECT_EQ(ErrorOf("m{a=\"1\",,} 1\n"), "text format parsing error in line 1: expected label name, got \",}\"");
  EXPECT_EQ(ErrorOf("{a=\"1\"} 1\n"), "text format parsing error in line 1: metric name not set");
  EXPECT_EQ(ErrorOf("# TYPE m gaugeish\n"), "text format parsing error in line 1: invalid metric type \"gaugeish\"");
  EXPECT_EQ(ErrorOf("# TYPE m\n"), "text format parsing error in line 1: invalid metric type \"\"");
  EXPECT_EQ(ErrorOf("# HELP 9m x\n"),
            "text format parsing error in line 1: expected metric name after HELP, got \"9m\"");
  EXPECT_EQ(ErrorOf("m 1 2 \r x\n"),
            "text format parsing error in line 1: expected next entry after timestamp, got \"\\x0d\"");
}

TEST(PromParserTest, UnsupportedQuotedNamesFailLoudly) {
  EXPECT_EQ(ErrorOf("{\"my.metric\"} 1\n"), "unsupported: quoted (UTF-8) metric names");
  EXPECT_EQ(ErrorOf("m{\"a.b\"=\"1\"} 1\n"), "unsupported: quoted (UTF-8) label names");
}

TEST(PromParserTest, NulBytes) {
  using namespace std::string_literals;
  // Allowed inside label values and comments, as in Prometheus.
  std::string err;
  auto got = ParseAll("m{a=\"x\0y\"} 1\n# c\0mment\n"s, &err);
  ASSERT_EQ(err, "");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].labels[0].second, "x\0y"s);
  // Anywhere else they are an error.
  EXPECT_EQ(ErrorOf("\0m 1\n"s), "text format parsing error in line 1: expected a valid start token, got \"\\x00m\"");
  EXPECT_EQ(ErrorOf("m 1\0\n"s), "text format parsing error in line 1: expected float as value, got \"1\\x00\"");
}

TEST(PromParserTest, InvalidUtf8LabelValue) {
  EXPECT_EQ(ErrorOf("m{a=\"\xff\"} 1\n"), "text format parsing error in line 1: invalid UTF-8 label value: \"\xff\"");
  std::string err;
  auto got = ParseAll("m{a=\"h\xc3\xa9llo \xe2\x82\xac\"} 1\n", &err);  // "héllo €"
  ASSERT_EQ(err, "");
  EXPECT_EQ(got[0].labels[0].second, "h\xc3\xa9llo \xe2\x82\xac");
}

TEST(PromParserTest, VeryLongLine) {
  std::string big(1 << 20, 'v');
  std::string body = "m{a=\"" + big + "\"} 7\n";
  std::string err;
  auto got = ParseAll(body, &err);
  ASSERT_EQ(err, "");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].labels[0].second.size(), big.size());
  // A long garbage line errors with a bounded excerpt.
  std::string msg = ErrorOf("m " + big + "\n");
  EXPECT_LT(msg.size(), 200u);
  EXPECT_NE(msg.find("expected float as value"), std::string::npos);
}

TEST(PromParserTest, SpringBootActuatorBody) {
  const char* body =
      "# HELP jvm_memory_used_bytes The amount of used memory\n"
      "# TYPE jvm_memory_used_bytes gauge\n"
      "jvm_memory_used_bytes{application=\"demo\",area=\"heap\",id=\"G1 Eden Space\",} 2.5165824E7\n"
      "jvm_memory_used_bytes{application=\"demo\",area=\"nonheap\",id=\"Metaspace\",} 4.1286952E7\n"
      "# HELP http_server_requests_seconds  \n"
      "# TYPE http_server_requests_seconds summary\n"
      "http_server_requests_seconds_count{application=\"demo\",exception=\"None\",method=\"GET\",outcome=\"SUCCESS\","
      "status=\"200\",uri=\"/actuator/prometheus\",} 12.0\n"
      "http_server_requests_seconds_sum{application=\"demo\",exception=\"None\",method=\"GET\",outcome=\"SUCCESS\","
      "status=\"200\",uri=\"/actuator/prometheus\",} 0.094851\n"
      "# HELP process_start_time_seconds Start time of the process since unix epoch.\n"
      "# TYPE process_start_time_seconds gauge\n"
      "process_start_time_seconds{application=\"demo\",} 1.700000000123E9\n"
      "jvm_gc_pause_seconds_max{action=\"end of minor GC\",application=\"demo\",cause=\"G1 Evacuation Pause\",} 0.0\n";
  std::string err;
  auto got = ParseAll(body, &err);
  ASSERT_EQ(err, "");
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[0].value, 2.5165824e7);
  EXPECT_EQ(got[0].labels.size(), 3u);
  EXPECT_EQ(got[0].labels[2].second, "G1 Eden Space");
  EXPECT_EQ(got[2].labels.size(), 6u);
  EXPECT_EQ(got[2].labels[5].second, "/actuator/prometheus");
  EXPECT_EQ(got[4].value, 1.700000000123e9);
  EXPECT_EQ(got[5].labels[0].second, "end of minor GC");
}

TEST(PromParserTest, NodeExporterBody) {
  const char* body =
      "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n"
      "# TYPE node_cpu_seconds_total counter\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 2.14713452e+06\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 16842.17\n"
      "# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.\n"
      "# TYPE node_filesystem_avail_bytes gauge\n"
      "node_filesystem_avail_bytes{device=\"/dev/sda1\",fstype=\"ext4\",mountpoint=\"/\"} 3.2e+10\n"
      "# HELP node_scrape_collector_duration_seconds node_exporter: Duration of a collector scrape.\n"
      "# TYPE node_scrape_collector_duration_seconds gauge\n"
      "node_scrape_collector_duration_seconds{collector=\"cpu\"} 0.000263413\n"
      "# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.\n"
      "# TYPE go_gc_duration_seconds summary\n"
      "go_gc_duration_seconds{quantile=\"0\"} 2.4e-05\n"
      "go_gc_duration_seconds{quantile=\"1\"} 0.000113\n"
      "go_gc_duration_seconds_sum 0.0241\n"
      "go_gc_duration_seconds_count 512\n"
      "# HELP node_network_up Value is 1 if operstate is 'up', 0 otherwise.\n"
      "# TYPE node_network_up gauge\n"
      "node_network_up{device=\"eth0\"} 1\n"
      "# TYPE http_request_duration_seconds histogram\n"
      "http_request_duration_seconds_bucket{le=\"0.1\"} 10\n"
      "http_request_duration_seconds_bucket{le=\"+Inf\"} 12\n";
  std::string err;
  std::vector<std::string> meta;
  auto got = ParseAll(body, &err, &meta);
  ASSERT_EQ(err, "");
  ASSERT_EQ(got.size(), 11u);
  EXPECT_EQ(got[0].value, 2.14713452e+06);
  EXPECT_EQ(got[3].value, 0.000263413);
  EXPECT_EQ(got[6].name, "go_gc_duration_seconds_sum");
  EXPECT_EQ(got[10].labels[0].second, "+Inf");
  EXPECT_EQ(meta.back(), "TYPE http_request_duration_seconds histogram");
}

// Deterministic mutation fuzzing: every truncation and many random byte
// edits of a valid body either parse or fail with a located error; none may
// read out of bounds (run under ASan) or loop forever.
TEST(PromParserTest, MutatedBodiesNeverMisbehave) {
  const std::string base =
      "# HELP m_total A \\\\ help\\n.\n# TYPE m_total counter\nm_total{a=\"x\\\"y\",b=\"\xc3\xa9\",} 1.5e3 17\r\n"
      "n +Inf\n# comment\n\nk{} -2\n";
  auto check = [](const std::string& body) {
    PromParser p(body);
    for (int steps = 0; steps < 1000; ++steps) {
      Result<Entry> e = p.Next();
      if (!e.ok()) {
        const std::string& m = e.status().message();
        EXPECT_TRUE(m.rfind("text format parsing error in line ", 0) == 0 || m.rfind("unsupported: ", 0) == 0) << m;
        return;
      }
      if (*e == Entry::kEof) return;
    }
    ADD_FAILURE() << "parser did not terminate on: " << body;
  };
  for (size_t n = 0; n <= base.size(); ++n) check(base.substr(0, n));
  uint64_t rng = 42;
  auto next = [&rng] {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng >> 33;
  };
  const char alphabet[] = "{}=\",\\\n\r\t #aZ09.+-eE\0\xff";
  for (int i = 0; i < 5000; ++i) {
    std::string body = base;
    int edits = 1 + static_cast<int>(next() % 4);
    for (int k = 0; k < edits; ++k) {
      size_t at = next() % body.size();
      char c = alphabet[next() % (sizeof(alphabet) - 1)];
      switch (next() % 3) {
        case 0: body[at] = c; break;
        case 1: body = body.substr(0, at) + c + body.substr(at); break;
        default: body.erase(at, 1);
      }
      if (body.empty()) body.push_back('x');
    }
    check(body);
  }
}

TEST(PromParserTest, LineNumbersCountBlankAndCommentLines) {
  PromParser p("# c\n\na 1\n\r\nb 2\n");
  ASSERT_EQ(*p.Next(), Entry::kComment);
  EXPECT_EQ(p.line(), 1);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.line(), 3);
  ASSERT_EQ(*p.Next(), Entry::kSeries);
  EXPECT_EQ(p.line(), 5);
  EXPECT_EQ(*p.Next(), Entry::kEof);
}

// Differential tests: the output of the parser over these bodies is pinned
// by entry counts and a checksum of every entry (testutil::Digest) recorded
// with the parser as it was before the throughput work for issue 6 (commit
// 07c9b1e). Any change in what the parser yields fails here.
testutil::Digest DigestOf(std::string_view body, std::string* error) {
  return testutil::DigestOf<PromParser>(body, error);
}

TEST(PromParserTest, RealNodeExporterFixtureMatchesRecordedOutput) {
  Result<std::string> body = testutil::ReadFixture("node_exporter.prom");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  std::string err;
  testutil::Digest d = DigestOf(*body, &err);
  ASSERT_EQ(err, "");
  EXPECT_EQ(d.series, 2107);
  EXPECT_EQ(d.help, 439);
  EXPECT_EQ(d.type, 439);
  EXPECT_EQ(d.comment, 0);
  EXPECT_EQ(d.labels, 2542);
  EXPECT_EQ(d.timestamps, 0);
  EXPECT_EQ(d.hash, 0x39bd01ccef389df0ULL) << std::hex << d.hash;
}

// An independent reference scan of the same fixture: node_exporter writes
// one `<series> <value>` per line, so the series text is everything before
// the last space and the value is what strtod makes of the rest.
TEST(PromParserTest, RealNodeExporterFixtureMatchesReferenceScan) {
  Result<std::string> body = testutil::ReadFixture("node_exporter.prom");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  std::string_view text = *body;
  PromParser p(text);
  size_t pos = 0;
  int64_t checked = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    ASSERT_NE(eol, std::string_view::npos);  // node_exporter ends every line
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] == '#') continue;
    Result<Entry> e = p.Next();
    while (e.ok() && *e != Entry::kSeries && *e != Entry::kEof) e = p.Next();
    ASSERT_TRUE(e.ok() && *e == Entry::kSeries) << line;
    size_t sp = line.rfind(' ');
    ASSERT_NE(sp, std::string_view::npos);
    EXPECT_EQ(p.Series(), line.substr(0, sp));
    std::string value(line.substr(sp + 1));
    double want = std::strtod(value.c_str(), nullptr);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(p.Value())) << line;
    } else {
      EXPECT_EQ(p.Value(), want) << line;
    }
    EXPECT_FALSE(p.HasTimestamp());
    ++checked;
  }
  Result<Entry> e = p.Next();
  while (e.ok() && *e != Entry::kEof) e = p.Next();
  EXPECT_TRUE(e.ok());
  EXPECT_EQ(checked, 2107);
}

// A generated body that walks the slow and fast paths: escapes in label
// values, UTF-8, long values, tabs and extra blanks, CRLF, every float form,
// timestamps, comments, empty label sets, trailing commas.
std::string TrickyBody() {
  uint64_t rng = 7;
  auto next = [&rng](uint64_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % n;
  };
  const char* values[] = {"0",
                          "1",
                          "-1",
                          "+7",
                          "123456789012345",
                          "1234567890123456789",
                          "1.5",
                          "-0.25",
                          ".5",
                          "5.",
                          "1e3",
                          "1E-3",
                          "2.5e+06",
                          "+Inf",
                          "-Inf",
                          "inf",
                          "NaN",
                          "nan",
                          "1e-400",
                          "0.000263413",
                          "3.2e+10",
                          "00012",
                          "9007199254740993",
                          "4.9e-324"};
  const char* label_values[] = {"plain",
                                "",
                                "with space",
                                "q\\\"q",
                                "back\\\\slash",
                                "nl\\nx",
                                "tab\tinside",
                                "h\xc3\xa9llo \xe2\x82\xac",
                                "{}=,#",
                                "\\t kept",
                                "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"};
  std::string b;
  for (int i = 0; i < 3000; ++i) {
    switch (next(10)) {
      case 0: b += "# HELP m" + std::to_string(i) + " help \\\\ with \\n escapes\n"; continue;
      case 1: b += "# TYPE m" + std::to_string(i) + " counter\n"; continue;
      case 2: b += "# a comment " + std::to_string(i) + (next(2) ? "\r\n" : "\n"); continue;
      case 3: b += next(2) ? "\n" : " \t\n"; continue;
      default: break;
    }
    b += next(4) == 0 ? " \tm:" : "metric_";
    b += std::to_string(next(50));
    uint64_t nl = next(5);
    if (nl > 0 || next(2)) {
      b += next(3) == 0 ? " { " : "{";
      for (uint64_t k = 0; k < nl; ++k) {
        b += 'l';
        b += std::to_string(k);
        b += next(4) == 0 ? " = \"" : "=\"";
        b += label_values[next(std::size(label_values))];
        b += '"';
        if (k + 1 < nl || next(3) == 0) b += next(4) == 0 ? " , " : ",";
      }
      b += '}';
    }
    b += next(4) == 0 ? "\t " : " ";
    b += values[next(std::size(values))];
    if (next(3) == 0) {
      b += ' ';
      b += std::to_string(next(2000000000000ULL));
    }
    b += next(6) == 0 ? "\r\n" : "\n";
  }
  b += "last_line_without_newline{a=\"b\"} 42 1700000000000";
  return b;
}

TEST(PromParserTest, TrickyBodyMatchesRecordedOutput) {
  std::string body = TrickyBody();
  std::string err;
  testutil::Digest d = DigestOf(body, &err);
  ASSERT_EQ(err, "");
  EXPECT_EQ(body.size(), 134611u);
  EXPECT_EQ(d.series, 1834);
  EXPECT_EQ(d.help, 292);
  EXPECT_EQ(d.comment, 292);
  EXPECT_EQ(d.labels, 3670);
  EXPECT_EQ(d.timestamps, 625);
  EXPECT_EQ(d.hash, 0x2b5ea19470cf0308ULL) << std::hex << d.hash;
}

// The 16-byte scanners against byte-at-a-time definitions, for every start
// and length around the block size and the tail copy, on bytes drawn from
// the interesting classes.
TEST(ScanTest, MatchesByteAtATimeDefinitions) {
  auto name_char = [](char c, bool colon) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (colon && c == ':');
  };
  auto first = [](const std::string& s, size_t p, auto stop) {
    while (p < s.size() && !stop(s[p])) ++p;
    return p;
  };
  static const char kAlphabet[] = "aZz09_:{}\"\\\n\r\t =,#@[`\x7f\x80\xc3\xff";
  const std::string alphabet = std::string(kAlphabet, sizeof(kAlphabet) - 1) + std::string(1, '\0');
  uint64_t rng = 3;
  auto next = [&rng](uint64_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % n;
  };
  for (int iter = 0; iter < 4000; ++iter) {
    size_t len = next(70);
    std::string s;
    // Mostly name characters, so scans run past 16 bytes before stopping.
    for (size_t i = 0; i < len; ++i) s += next(4) == 0 ? alphabet[next(alphabet.size())] : "abcXYZ019_"[next(10)];
    for (size_t p = 0; p <= len; ++p) {
      const char* b = s.data();
      ASSERT_EQ(scan::SkipNameChars(b, p, len, true), first(s, p, [&](char c) { return !name_char(c, true); }));
      ASSERT_EQ(scan::SkipNameChars(b, p, len, false), first(s, p, [&](char c) { return !name_char(c, false); }));
      ASSERT_EQ(scan::FindLabelValueStop(b, p, len), first(s, p, [](char c) {
                  return c == '"' || c == '\\' || c == '\n' || static_cast<unsigned char>(c) >= 0x80;
                }));
      ASSERT_EQ(scan::FindValueEnd(b, p, len),
                first(s, p, [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '{'; }));
      ASSERT_EQ(scan::FindSpaceOrNewline(b, p, len), first(s, p, [](char c) { return c == ' ' || c == '\n'; }));
      ASSERT_EQ(scan::FindNonAscii(b, p, len),
                first(s, p, [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
    }
  }
}

// The exact decimal fast path must give the same double as strtod
// (correctly rounded) on every plain decimal form, and leave the rest to
// the general path.
TEST(PromParserTest, DecimalFastPathMatchesStrtod) {
  uint64_t rng = 5;
  auto next = [&rng](uint64_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % n;
  };
  auto digits = [&](size_t k) {
    std::string d;
    for (size_t i = 0; i < k; ++i) d += static_cast<char>('0' + next(10));
    return d;
  };
  for (int i = 0; i < 200000; ++i) {
    std::string t;
    if (next(3) == 0) t += next(2) ? '-' : '+';
    size_t int_digits = next(12), frac_digits = next(3) == 0 ? 0 : next(12);
    if (int_digits + frac_digits == 0) int_digits = 1;
    t += digits(int_digits);
    if (frac_digits > 0 || next(8) == 0) t += '.' + digits(frac_digits);
    if (next(3) == 0) {
      t += next(2) ? 'e' : 'E';
      if (next(2)) t += next(2) ? '-' : '+';
      t += std::to_string(next(40));
    }
    double got = -1;
    ASSERT_TRUE(ParsePromFloat(t, &got)) << t;
    double want = std::strtod(t.c_str(), nullptr);
    ASSERT_EQ(std::bit_cast<uint64_t>(got), std::bit_cast<uint64_t>(want)) << t;
  }
  // Edges of the fast path: 2^53, 2^53 + 1, 10^22, 10^23, 19 and 20 digits,
  // four-digit exponents, signed zeros.
  for (const char* t : {"9007199254740992",
                        "9007199254740993",
                        "1e22",
                        "1e23",
                        "1e-22",
                        "1e-23",
                        "4.35e22",
                        "1234567890123456789",
                        "12345678901234567890",
                        "0.0000000000000000001",
                        "1e0001",
                        "1e-0001",
                        "1e00001",
                        "-0",
                        "+0.0",
                        "-0e5",
                        "179769313486231570000e288",
                        "2.2250738585072014e-308",
                        "4.9e-324",
                        "1.7976931348623157e308"}) {
    double got = -1;
    ASSERT_TRUE(ParsePromFloat(t, &got)) << t;
    double want = std::strtod(t, nullptr);
    EXPECT_EQ(std::bit_cast<uint64_t>(got), std::bit_cast<uint64_t>(want)) << t;
  }
  // Forms the fast path must not accept and the general path refuses.
  double v;
  for (const char* bad : {"1e",    "1e+", "1e-", "e5",   ".",  "+.", "-",   "1.2.3", "1e5.0", "1e5e5", "0x1A",
                          "0X1p3", "1_0", "0b1", "1e5x", "5 ", " 5", "1,0", "1e1_0", "++1",   "1e--1"}) {
    EXPECT_FALSE(ParsePromFloat(bad, &v)) << bad;
  }
}

// Escapes, non-ASCII bytes and the closing quote at every offset across
// the 16-byte blocks of the scanner, in label values and HELP text.
TEST(PromParserTest, EscapesAndUtf8AtEveryBlockOffset) {
  for (size_t k = 0; k < 40; ++k) {
    std::string pad(k, 'v');
    std::string body = "m{a=\"" + pad + "\\\"q\\\\\\n" + pad + "\xc3\xa9\",b=\"" + pad + "\"} 1\n";
    std::string err;
    auto got = ParseAll(body, &err);
    ASSERT_EQ(err, "") << k;
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].labels[0].second, pad + "\"q\\\n" + pad + "\xc3\xa9") << k;
    EXPECT_EQ(got[0].labels[1].second, pad) << k;
    std::string bad_value = pad + "\xc3(";
    std::string excerpt = bad_value.size() > 40 ? bad_value.substr(0, 40) + "..." : bad_value;
    EXPECT_EQ(ErrorOf("m{a=\"" + bad_value + "\"} 1\n"),
              "text format parsing error in line 1: invalid UTF-8 label value: \"" + excerpt + "\"")
        << k;
    std::vector<std::string> meta;
    ParseAll("# HELP m " + pad + "\xe2\x82\xac\\n" + pad + "\n", &err, &meta);
    ASSERT_EQ(err, "") << k;
    EXPECT_EQ(meta[0], "HELP m " + pad + "\xe2\x82\xac\n" + pad);
    EXPECT_NE(ErrorOf("# HELP m " + pad + "\xed\xa0\x80\n").find("is not a valid utf8 string"), std::string::npos);
    // The value token and the line end at every offset, with CRLF and
    // without a final newline.
    std::string name = "n" + pad;
    got = ParseAll(name + " 1.5\r\n" + name + "{x=\"" + pad + "\"} -2e3 17", &err);
    ASSERT_EQ(err, "") << k;
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].name, name);
    EXPECT_EQ(got[0].value, 1.5);
    EXPECT_EQ(got[1].value, -2000);
    EXPECT_EQ(got[1].ts, 17);
  }
}

// Every truncation of a body of long lines: the entries before the cut line
// are the same as in the whole body, and the cut line either parses (when
// the cut leaves a valid line) or fails with a located error.
TEST(PromParserTest, TruncatedBodies) {
  const std::string body =
      "# HELP node_network_receive_bytes_total Network device statistic receive_bytes.\n"
      "# TYPE node_network_receive_bytes_total counter\n"
      "node_network_receive_bytes_total{device=\"eth0\",ifalias=\"uplink \\\"A\\\"\"} 1.2345678e+09\n"
      "node_uname_info{domainname=\"(none)\",machine=\"x86_64\",nodename=\"h\xc3\xa9te\",release=\"6.1.0\"} 1\n"
      "node_time_seconds 1.7000000001234e+09 1700000000000\r\n"
      "node_load1 NaN\n";
  std::string err;
  auto full = ParseAll(body, &err);
  ASSERT_EQ(err, "");
  ASSERT_EQ(full.size(), 4u);
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    std::string part = body.substr(0, cut);
    auto got = ParseAll(part, &err);
    size_t complete = 0;  // series whose line (with its newline) fits in the cut
    for (const char* start : {"\nnode_network", "\nnode_uname", "\nnode_time", "\nnode_load1"}) {
      if (body.find('\n', body.find(start) + 1) < cut) ++complete;
    }
    ASSERT_GE(got.size(), complete) << cut;
    for (size_t i = 0; i < complete; ++i) EXPECT_EQ(got[i].series, full[i].series) << cut;
    if (!err.empty()) {
      EXPECT_EQ(err.rfind("text format parsing error in line ", 0), 0u) << err;
      EXPECT_EQ(got.size(), complete) << cut;
    }
  }
}

// ValidUtf8 skips ASCII runs 16 bytes at a time: every kind of sequence at
// every offset around the block size.
TEST(ScanTest, ValidUtf8AtEveryOffset) {
  struct Case {
    const char* bytes;
    bool valid;
  };
  const Case cases[] = {
      {"\xc3\xa9", true},
      {"\xe2\x82\xac", true},
      {"\xf0\x9f\x98\x80", true},
      {"\xf4\x8f\xbf\xbf", true},
      {"\xc0\xaf", false},
      {"\xe0\x80\xaf", false},
      {"\xed\xa0\x80", false},
      {"\xf4\x90\x80\x80", false},
      {"\xe2\x82", false},
      {"\x80", false},
      {"\xff", false},
      {"\xc3(", false},
  };
  for (const Case& c : cases) {
    for (size_t k = 0; k < 40; ++k) {
      std::string pad(k, 'a');
      EXPECT_EQ(ValidUtf8(pad + c.bytes), c.valid) << k << " " << c.bytes;
      EXPECT_EQ(ValidUtf8(pad + c.bytes + pad), c.valid) << k << " " << c.bytes;
      EXPECT_EQ(ValidUtf8(std::string(c.bytes) + pad), c.valid) << k << " " << c.bytes;
    }
  }
  EXPECT_TRUE(ValidUtf8(""));
  EXPECT_TRUE(ValidUtf8(std::string(100, '\x7f')));
}

}  // namespace
}  // namespace promethium::scrape::textparse
