#include "rules/template/go_format.h"

#include <gtest/gtest.h>

#include <cmath>

namespace promethium::rules::tmpl {
namespace {

std::string Printf(std::string_view f, std::vector<Value> args) {
  auto r = Sprintf(f, args);
  EXPECT_TRUE(r.ok()) << f << ": " << r.status().ToString();
  return r.ok() ? *r : "";
}

TEST(GoFormatTest, FormatFloatShortest) {
  EXPECT_EQ(FormatGoFloat(1e6, 'g', -1), "1e+06");
  EXPECT_EQ(FormatGoFloat(100000, 'g', -1), "100000");
  EXPECT_EQ(FormatGoFloat(0.1, 'g', -1), "0.1");
  EXPECT_EQ(FormatGoFloat(3.14, 'g', -1), "3.14");
  EXPECT_EQ(FormatGoFloat(0.0001, 'g', -1), "0.0001");
  EXPECT_EQ(FormatGoFloat(0.00001, 'g', -1), "1e-05");
  EXPECT_EQ(FormatGoFloat(1e21, 'g', -1), "1e+21");
  EXPECT_EQ(FormatGoFloat(0, 'g', -1), "0");
  EXPECT_EQ(FormatGoFloat(-0.0, 'g', -1), "-0");
  EXPECT_EQ(FormatGoFloat(NAN, 'g', -1), "NaN");
  EXPECT_EQ(FormatGoFloat(INFINITY, 'g', -1), "+Inf");
  EXPECT_EQ(FormatGoFloat(-INFINITY, 'g', -1), "-Inf");
}

TEST(GoFormatTest, FormatFloatPrecision) {
  EXPECT_EQ(FormatGoFloat(1234.5678, 'g', 4), "1235");
  EXPECT_EQ(FormatGoFloat(12345, 'g', 4), "1.234e+04");  // round half to even on the exact value
  EXPECT_EQ(FormatGoFloat(12000, 'g', 4), "1.2e+04");
  EXPECT_EQ(FormatGoFloat(100, 'g', 4), "100");
  EXPECT_EQ(FormatGoFloat(1.5, 'g', 4), "1.5");
  EXPECT_EQ(FormatGoFloat(0.000123, 'g', 4), "0.000123");
  EXPECT_EQ(FormatGoFloat(0, 'g', 4), "0");
  EXPECT_EQ(FormatGoFloat(2.5, 'f', 0), "2");
  EXPECT_EQ(FormatGoFloat(1.005, 'f', 2), "1.00");
  EXPECT_EQ(FormatGoFloat(1e6, 'e', 6), "1.000000e+06");
  EXPECT_EQ(FormatGoFloat(1e-100, 'e', 2), "1.00e-100");
  EXPECT_EQ(FormatGoFloat(1e-10, 'G', -1), "1E-10");
}

TEST(GoFormatTest, SprintfVerbs) {
  EXPECT_EQ(Printf("%.2f|%5.1f|%-6.1f|%06.2f|%+.1e", {Value::Float(3.14159), Value::Float(2.25), Value::Float(1),
                                                      Value::Float(-1.5), Value::Float(12345)}),
            "3.14|  2.2|1.0   |-01.50|+1.2e+04");
  EXPECT_EQ(Printf("%v %s %d %x %X %o %b %c %q %U",
                   {Value::Int(42), Value::String("s"), Value::Int(-7), Value::Int(255), Value::Int(255), Value::Int(8),
                    Value::Int(5), Value::Int(0x263A), Value::Int('x'), Value::Int(0x1F600)}),
            "42 s -7 ff FF 10 101 \xE2\x98\xBA 'x' U+1F600");
  EXPECT_EQ(Printf("%q|%x|%10s|%-4s|%.2s", {Value::String("a\"b\n\x01"), Value::String("hi"), Value::String("r"),
                                            Value::String("l"), Value::String("truncate")}),
            "\"a\\\"b\\n\\x01\"|6869|         r|l   |tr");
  EXPECT_EQ(Printf("%t %v %5t", {Value::Bool(true), Value::Bool(false), Value::Bool(true)}), "true false  true");
  EXPECT_EQ(Printf("%5.1f%%", {Value::Float(99.44)}), " 99.4%");
  EXPECT_EQ(Printf("%.0d|%3.0d|%05d|%+05d", {Value::Int(0), Value::Int(0), Value::Int(-42), Value::Int(42)}),
            "|   |-0042|+0042");
  EXPECT_EQ(Printf("%8.2f|%-8v|%08.3f", {Value::Float(INFINITY), Value::Float(NAN), Value::Float(-INFINITY)}),
            "    +Inf|NaN     |    -Inf");
}

TEST(GoFormatTest, SprintfErrorNotations) {
  EXPECT_EQ(Printf("%d", {Value::String("x")}), "%!d(string=x)");
  EXPECT_EQ(Printf("%s", {Value::Float(1.5)}), "%!s(float64=1.5)");
  EXPECT_EQ(Printf("%f", {Value::Int(80)}), "%!f(int=80)");
  EXPECT_EQ(Printf("%d %d", {Value::Int(1)}), "1 %!d(MISSING)");
  EXPECT_EQ(Printf("x", {Value::Int(1), Value::String("a")}), "x%!(EXTRA int=1, string=a)");
  EXPECT_EQ(Printf("%z", {Value::Int(3)}), "%!z(int=3)");
  EXPECT_EQ(Printf("%", {}), "%!(NOVERB)");
  EXPECT_EQ(Printf("%s|%v", {Value(), Value()}), "%!s(<nil>)|<nil>");
}

TEST(GoFormatTest, SprintfRefusesWhatItCannotReproduce) {
  EXPECT_EQ(Sprintf("%[1]d", {Value::Int(1)}).status().code(), Status::Code::kUnsupported);
  EXPECT_EQ(Sprintf("%*d", {Value::Int(1)}).status().code(), Status::Code::kUnsupported);
  EXPECT_EQ(Sprintf("%x", {Value::Float(1.5)}).status().code(), Status::Code::kUnsupported);
  EXPECT_EQ(Sprintf("%#v", {Value::Int(1)}).status().code(), Status::Code::kUnsupported);
}

TEST(GoFormatTest, ValuesAndSprint) {
  auto m = std::make_shared<const StringMap>(StringMap{{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(*FormatValue(Value::Map(m)), "map[a:1 b:2]");
  EXPECT_EQ(*PrintValue(Value()), "<no value>");
  EXPECT_EQ(*Sprint({Value::Int(1), Value::Int(2), Value::String("a"), Value::String("b"), Value::Float(3)}), "1 2ab3");
  EXPECT_EQ(*Sprintln({Value::String("a"), Value::Int(1)}), "a 1\n");
  auto s = std::make_shared<const SampleData>(SampleData{{{"x", "y"}}, 2.5});
  EXPECT_EQ(*FormatValue(Value::Sample(s)), "&{map[x:y] 2.5}");
  EXPECT_EQ(*PrintValue(Value::Sample(s)), "{map[x:y] 2.5}");
  EXPECT_FALSE(FormatValue(Value::Samples(std::make_shared<const SampleList>(SampleList{s}))).ok());
}

TEST(GoFormatTest, TimesAndDurations) {
  EXPECT_EQ(GoTimeString(1435065584128), "2015-06-23 13:19:44.128 +0000 UTC");
  EXPECT_EQ(GoTimeString(0), "1970-01-01 00:00:00 +0000 UTC");
  EXPECT_EQ(GoTimeString(-1), "1969-12-31 23:59:59.999 +0000 UTC");
  EXPECT_EQ(GoTimeString(951782400000), "2000-02-29 00:00:00 +0000 UTC");
  EXPECT_EQ(GoDurationString(0), "0s");
  EXPECT_EQ(GoDurationString(90 * 1000000000LL), "1m30s");
  EXPECT_EQ(GoDurationString(3600 * 1000000000LL), "1h0m0s");
  EXPECT_EQ(GoDurationString(1500000000), "1.5s");
  EXPECT_EQ(GoDurationString(1500000), "1.5ms");
  EXPECT_EQ(GoDurationString(1500), "1.5\xC2\xB5s");
  EXPECT_EQ(GoDurationString(-2), "-2ns");
}

TEST(GoFormatTest, QuoteAndUnquote) {
  EXPECT_EQ(GoQuote("a\tb\"\\\x7f\xc3\xa9\xff"), "\"a\\tb\\\"\\\\\\x7f\xc3\xa9\\xff\"");
  EXPECT_EQ(*GoUnquote("\"a\\tb\\u00e9\\x41\\101\""),
            "a\tb\xc3\xa9"
            "AA");
  EXPECT_EQ(*GoUnquote("`raw\\n`"), "raw\\n");
  EXPECT_FALSE(GoUnquote("\"\\'\"").ok());
  EXPECT_EQ(*GoUnquoteChar("'\\n'"), '\n');
  EXPECT_EQ(*GoUnquoteChar("'\xc3\xa9'"), 0xE9);
}

TEST(GoFormatTest, ParseFloat) {
  EXPECT_EQ(*ParseGoFloat("1e3"), 1000);
  EXPECT_TRUE(std::isinf(*ParseGoFloat("+Inf")));
  EXPECT_TRUE(std::isnan(*ParseGoFloat("NaN")));
  EXPECT_EQ(*ParseGoFloat("0x1p-2"), 0.25);
  EXPECT_EQ(ParseGoFloat("12a").status().message(), "strconv.ParseFloat: parsing \"12a\": invalid syntax");
  EXPECT_EQ(ParseGoFloat(" 1").status().message(), "strconv.ParseFloat: parsing \" 1\": invalid syntax");
  EXPECT_FALSE(ParseGoFloat("").ok());
  EXPECT_FALSE(ParseGoFloat("1e500").ok());
}

}  // namespace
}  // namespace promethium::rules::tmpl
