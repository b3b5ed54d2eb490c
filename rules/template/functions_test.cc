// Prometheus's template functions. The promtool corpus covers these against
// Prometheus itself; these cases pin the edges and the functions promtool
// 2.42 cannot show (toDuration, now, urlQueryEscape, externalURL, pathPrefix).
#include <gtest/gtest.h>

#include "rules/template/test_util.h"

namespace promethium::rules {
namespace {

class FakeQuerier : public TemplateQuerier {
 public:
  Result<std::vector<TemplateQueryResult>> Query(std::string_view q) override {
    last = std::string(q);
    if (q == "fail") return Status::InvalidArgument("parse error");
    return std::vector<TemplateQueryResult>{{Labels{{"__name__", "up"}, {"instance", "b"}}, 1},
                                            {Labels{{"__name__", "up"}, {"instance", "a"}}, 0}};
  }
  std::string last;
};

TEST(FunctionsTest, Humanize) {
  EXPECT_EQ(MustRender("{{ humanize 1234567.0 }} {{ humanize 0.000123 }} {{ humanize -1500 }} {{ humanize \"2e3\" }}"),
            "1.235M 123u -1.5k 2k");
  EXPECT_EQ(MustRender("{{ humanize1024 1048576 }} {{ humanize1024 0.5 }} {{ humanize1024 -2048 }}"), "1Mi 0.5 -2ki");
  EXPECT_EQ(MustRender("{{ humanizeDuration 90061.5 }}|{{ humanizeDuration 0.0015 }}|{{ humanizeDuration 3.14159 }}|"
                       "{{ humanizeDuration -3661 }}|{{ humanizeDuration 0 }}"),
            "1d 1h 1m 1s|1.5ms|3.142s|-1h 1m 1s|0s");
  EXPECT_EQ(MustRender("{{ humanizePercentage 0.12345 }} {{ humanizeTimestamp 1435065584.128 }}"),
            "12.35% 2015-06-23 13:19:44.128 +0000 UTC");
  EXPECT_NE(ErrorOf("{{ humanize \"abc\" }}").find("error calling humanize: strconv.ParseFloat: parsing \"abc\""),
            std::string::npos);
  EXPECT_NE(ErrorOf("{{ humanize true }}").find("can't convert bool to float"), std::string::npos);
}

TEST(FunctionsTest, DurationsAndTimes) {
  EXPECT_EQ(MustRender("{{ toDuration 90.5 }} {{ (toDuration 1.5).Seconds }} {{ toDuration 0.0015 }}"),
            "1m30.5s 1.5 1.5ms");
  EXPECT_EQ(MustRender("{{ parseDuration \"1h30m\" }} {{ parseDuration \"-5m\" }}"), "5400 -300");
  EXPECT_NE(ErrorOf("{{ parseDuration \"5x\" }}").find("error calling parseDuration"), std::string::npos);
  EXPECT_EQ(MustRender("{{ (toTime 1435065584.999).UnixMilli }}"), "1435065584999");
  EXPECT_EQ(
      ErrorOf("{{ (toTime 1).Format \"2006\" }}").find("unsupported: method Format of *time.Time") != std::string::npos,
      true);
  TemplateData d;
  d.eval_time_ms = 1500;
  EXPECT_EQ(MustRender("{{ now }}", d), "1.5");
}

TEST(FunctionsTest, Urls) {
  TemplateData d;
  d.external_url = "https://prom.example.com/sub/path?x=1";
  EXPECT_EQ(MustRender("{{ externalURL }} {{ pathPrefix }}", d), "https://prom.example.com/sub/path?x=1 /sub/path");
  EXPECT_EQ(MustRender("{{ urlQueryEscape \"a b/c\" }} {{ graphLink \"up\" }}"), "a+b%2Fc /graph?g0.expr=up&g0.tab=0");
}

TEST(FunctionsTest, Query) {
  FakeQuerier q;
  EXPECT_EQ(MustRender("{{ range sortByLabel \"instance\" (query \"up\") }}{{ label \"instance\" . }}={{ value . }} "
                       "{{ end }}",
                       {}, &q),
            "a=0 b=1 ");
  EXPECT_EQ(q.last, "up");
  EXPECT_EQ(MustRender("{{ with query \"up\" }}{{ (. | first).Labels.instance }}{{ end }}", {}, &q), "b");
  EXPECT_NE(ErrorOf("{{ query \"fail\" }}", {}, &q).find("error calling query: parse error"), std::string::npos);
  EXPECT_NE(ErrorOf("{{ query \"up\" }}", {}, nullptr).find("query function is not available"), std::string::npos);
  // Printing a query result would print Go pointers: refused.
  EXPECT_NE(ErrorOf("{{ query \"up\" }}", {}, &q).find("unsupported"), std::string::npos);
}

TEST(FunctionsTest, Strings) {
  EXPECT_EQ(MustRender("{{ reReplaceAll \"a(x*)b\" \"${1}W\" \"-ab-axxb-\" }}"), "-W-xxW-");
  EXPECT_EQ(MustRender("{{ reReplaceAll \"\" \"-\" \"ab\" }}"), "-a-b-");
  EXPECT_EQ(MustRender("{{ reReplaceAll \"a|\" \"-\" \"baaac\" }}"), "-b---c-");
  EXPECT_NE(ErrorOf("{{ reReplaceAll \"(\" \"\" \"x\" }}").find("error calling reReplaceAll: regexp: Compile("),
            std::string::npos);
  EXPECT_EQ(MustRender("{{ stripPort \"[fe80::1]:9100\" }} {{ stripDomain \"a.b.c:80\" }} {{ stripDomain \"::1\" }}"),
            "fe80::1 a:80 ::1");
  EXPECT_EQ(MustRender("{{ title \"x-ray o'neil\" }}"), "X-Ray O'Neil");
  EXPECT_EQ(MustRender("{{ args 1 \"a\" }}"), "map[arg0:1 arg1:a]");
}

}  // namespace
}  // namespace promethium::rules
