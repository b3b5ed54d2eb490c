#include "web/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tsdb/api/labels.h"

namespace promethium::web {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

TEST(JsonStringTest, EscapesLikeGo) {
  EXPECT_EQ(Quoted("plain"), "\"plain\"");
  EXPECT_EQ(Quoted("<a>&b"), "\"\\u003ca\\u003e\\u0026b\"");
  EXPECT_EQ(Quoted("q\"b\\"), "\"q\\\"b\\\\\"");
  EXPECT_EQ(Quoted("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
  EXPECT_EQ(Quoted(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(Quoted(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
}

TEST(JsonStringTest, Utf8PassesThroughAndInvalidBytesBecomeReplacement) {
  EXPECT_EQ(Quoted("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"), "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(Quoted("a\xff"
                   "b"),
            "\"a\\ufffdb\"");
  EXPECT_EQ(Quoted("\xc3"), "\"\\ufffd\"");                        // truncated sequence
  EXPECT_EQ(Quoted("\xc0\xaf"), "\"\\ufffd\\ufffd\"");             // overlong '/'
  EXPECT_EQ(Quoted("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
  EXPECT_EQ(Quoted("\xe2\x80\xa8\xe2\x80\xa9"), "\"\\u2028\\u2029\"");
}

TEST(JsonWriterTest, TimestampsAreSecondsWithMillisecondDigits) {
  auto ts = [](int64_t ms) {
    JsonWriter w;
    w.Timestamp(ms);
    return w.Take();
  };
  EXPECT_EQ(ts(1435781451781), "1435781451.781");
  EXPECT_EQ(ts(1500), "1.500");
  EXPECT_EQ(ts(12000), "12");
  EXPECT_EQ(ts(5), "0.005");
  EXPECT_EQ(ts(0), "0");
  EXPECT_EQ(ts(-1500), "-1.500");
  EXPECT_EQ(ts(-20), "-0.020");
}

TEST(JsonWriterTest, SampleValuesAreGoFormattedStrings) {
  EXPECT_EQ(FormatApiSampleValue(1.5), "1.5");
  EXPECT_EQ(FormatApiSampleValue(0.1), "0.1");
  EXPECT_EQ(FormatApiSampleValue(123456789), "123456789");
  EXPECT_EQ(FormatApiSampleValue(1e20), "100000000000000000000");
  EXPECT_EQ(FormatApiSampleValue(1e21), "1e+21");
  EXPECT_EQ(FormatApiSampleValue(1e-6), "0.000001");
  EXPECT_EQ(FormatApiSampleValue(1e-7), "1e-07");
  EXPECT_EQ(FormatApiSampleValue(-2.5e-10), "-2.5e-10");
  EXPECT_EQ(FormatApiSampleValue(0), "0");
  EXPECT_EQ(FormatApiSampleValue(std::nan("")), "NaN");
  EXPECT_EQ(FormatApiSampleValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatApiSampleValue(-std::numeric_limits<double>::infinity()), "-Inf");
  JsonWriter w;
  w.SampleValue(2);
  EXPECT_EQ(w.str(), "\"2\"");
}

TEST(JsonWriterTest, DoublesAreGoJsonNumbers) {
  auto d = [](double v) {
    JsonWriter w;
    w.Double(v);
    return w.Take();
  };
  EXPECT_EQ(d(0.0012), "0.0012");
  EXPECT_EQ(d(15), "15");
  EXPECT_EQ(d(1e-7), "1e-7");
  EXPECT_EQ(d(1.5e-10), "1.5e-10");
  EXPECT_EQ(d(std::nan("")), "null");
}

TEST(JsonWriterTest, InsertsCommasAndNests) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.Int(1);
  w.String("x");
  w.Bool(true);
  w.Null();
  w.BeginObject();
  w.EndObject();
  w.EndArray();
  w.Key("b");
  w.LabelsObject(Labels{{"job", "a<b"}, {"__name__", "up"}});
  w.Key("c");
  w.StringArray({"p", "q"});
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"a":[1,"x",true,null,{}],"b":{"__name__":"up","job":"a\u003cb"},"c":["p","q"]})");
}

}  // namespace
}  // namespace promethium::web
