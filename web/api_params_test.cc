#include "web/api_params.h"

#include <gtest/gtest.h>

#include "web/form_values.h"

namespace promethium::web {
namespace {

int64_t TimeOk(std::string_view s) {
  Result<int64_t> r = ParseApiTime(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  return r.ok() ? *r : -1;
}

std::string TimeErr(std::string_view s) {
  Result<int64_t> r = ParseApiTime(s);
  EXPECT_FALSE(r.ok()) << s;
  return r.ok() ? "" : r.status().message();
}

TEST(ParseApiTimeTest, UnixSeconds) {
  EXPECT_EQ(TimeOk("1435781451"), 1435781451000);
  EXPECT_EQ(TimeOk("1435781451.781"), 1435781451781);
  EXPECT_EQ(TimeOk("1435781451.7815"), 1435781451782);  // rounded to ms
  EXPECT_EQ(TimeOk("1e9"), 1000000000000);
  EXPECT_EQ(TimeOk("+12.5"), 12500);
  EXPECT_EQ(TimeOk("-1.5"), -1500);
  EXPECT_EQ(TimeOk("0"), 0);
}

TEST(ParseApiTimeTest, Rfc3339) {
  EXPECT_EQ(TimeOk("2015-07-01T20:10:51.781Z"), 1435781451781);
  EXPECT_EQ(TimeOk("2015-07-01T20:10:51Z"), 1435781451000);
  EXPECT_EQ(TimeOk("2015-07-01T22:10:51.781+02:00"), 1435781451781);
  EXPECT_EQ(TimeOk("2015-07-01T18:40:51.781-01:30"), 1435781451781);
  EXPECT_EQ(TimeOk("2015-07-01T20:10:51.781999999Z"), 1435781451781);  // truncated, as FromTime
  EXPECT_EQ(TimeOk("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(TimeOk("1969-12-31T23:59:59.5Z"), -500);
  EXPECT_EQ(TimeOk("2024-02-29T00:00:00Z"), 1709164800000);
}

// client_golang and promtool send Prometheus's own minTime/maxTime, printed
// with 9-digit years, when a range is open; Prometheus accepts exactly these.
TEST(ParseApiTimeTest, GoClientBoundaryTimes) {
  EXPECT_EQ(TimeOk("-292273086-05-16T16:47:06Z"), -9223309901257974000);
  EXPECT_EQ(TimeOk("292277025-08-18T07:12:54.999999999Z"), 9223309901257974999);
  TimeErr("-292273086-05-16T16:47:07Z");  // only the exact strings
  TimeErr("292277025-08-18T07:12:54Z");
}

TEST(ParseApiTimeTest, ErrorsUsePrometheusWording) {
  EXPECT_EQ(TimeErr("x"), "cannot parse \"x\" to a valid timestamp");
  EXPECT_EQ(TimeErr(""), "cannot parse \"\" to a valid timestamp");
  EXPECT_EQ(TimeErr("2015-07-01 20:10:51Z"), "cannot parse \"2015-07-01 20:10:51Z\" to a valid timestamp");
  TimeErr("2015-13-01T00:00:00Z");
  TimeErr("2023-02-29T00:00:00Z");
  TimeErr("2015-07-01T20:10:51");    // zone required
  TimeErr("2015-07-01T20:10:51.Z");  // empty fraction
  TimeErr("NaN");
  TimeErr("Inf");
  TimeErr("12abc");
}

TEST(ParseApiDurationTest, SecondsAndPrometheusDurations) {
  EXPECT_EQ(*ParseApiDuration("15s"), 15'000'000'000);
  EXPECT_EQ(*ParseApiDuration("1m"), 60'000'000'000);
  EXPECT_EQ(*ParseApiDuration("1h30m"), 5'400'000'000'000);
  EXPECT_EQ(*ParseApiDuration("15"), 15'000'000'000);
  EXPECT_EQ(*ParseApiDuration("0.5"), 500'000'000);
  EXPECT_EQ(*ParseApiDuration("0"), 0);
  EXPECT_EQ(*ParseApiDuration("-1"), -1'000'000'000);
}

TEST(ParseApiDurationTest, Errors) {
  EXPECT_EQ(ParseApiDuration("x").status().message(), "cannot parse \"x\" to a valid duration");
  EXPECT_EQ(ParseApiDuration("").status().message(), "cannot parse \"\" to a valid duration");
  EXPECT_EQ(ParseApiDuration("1e300").status().message(),
            "cannot parse \"1e300\" to a valid duration. It overflows int64");
}

TEST(ParseLimitParamTest, AtoiRules) {
  EXPECT_EQ(*ParseLimitParam(""), 0);
  EXPECT_EQ(*ParseLimitParam("10"), 10);
  EXPECT_EQ(ParseLimitParam("-1").status().message(), "limit must be non-negative");
  EXPECT_EQ(ParseLimitParam("abc").status().message(), "strconv.Atoi: parsing \"abc\": invalid syntax");
  EXPECT_EQ(ParseLimitParam("1.5").status().message(), "strconv.Atoi: parsing \"1.5\": invalid syntax");
}

TEST(FormValuesTest, BodyValuesComeFirstThenUrl) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/query?query=url&time=5&match[]=b";
  req.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
  req.body = "query=sum%28up%29+by+(job)&match%5B%5D=a";
  FormValues form = FormValues::FromRequest(req);
  EXPECT_EQ(form.Get("query"), "sum(up) by (job)");
  EXPECT_EQ(form.Get("time"), "5");
  EXPECT_EQ(form.GetAll("match[]"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(form.Get("absent"), "");
  EXPECT_TRUE(form.parse_error().empty());
}

TEST(FormValuesTest, BodyIgnoredForGetAndOtherContentTypes) {
  HttpRequest req;
  req.method = "GET";
  req.target = "/x?a=1";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "a=2";
  EXPECT_EQ(FormValues::FromRequest(req).Get("a"), "1");
  req.method = "POST";
  req.headers = {{"Content-Type", "application/json"}};
  EXPECT_EQ(FormValues::FromRequest(req).Get("a"), "1");
}

TEST(FormValuesTest, MalformedPairsAreSkippedAndReported) {
  FormValues form = FormValues::FromQueryString("a=%zz&b=2&c=1;d=2");
  EXPECT_FALSE(form.Has("a"));
  EXPECT_EQ(form.Get("b"), "2");
  EXPECT_EQ(form.parse_error(), "invalid URL escape \"%zz\"");
  EXPECT_EQ(FormValues::FromQueryString("c=1;d=2").parse_error(), "invalid semicolon separator in query");
}

}  // namespace
}  // namespace promethium::web
