// WriteAstJson's tree shape (keys, order, nulls) through a plain test
// encoder; web/query_format_api_test.cc checks the bytes /api/v1/parse_query
// sends with web's Go-compatible JsonWriter.
#include "promql/parser/ast_json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "promql/parser/parser.h"

namespace promethium::promql {
namespace {

// Compact JSON; escapes only quotes and backslashes (enough for these
// queries).
class TestEncoder final : public JsonEncoder {
 public:
  void BeginObject() override { Open('{'); }
  void EndObject() override { Close('}'); }
  void BeginArray() override { Open('['); }
  void EndArray() override { Close(']'); }
  void Key(std::string_view key) override {
    Separate();
    Quoted(key);
    out_ += ':';
    after_key_ = true;
  }
  void String(std::string_view s) override {
    Separate();
    Quoted(s);
  }
  void Int(int64_t v) override { Scalar(std::to_string(v)); }
  void Bool(bool b) override { Scalar(b ? "true" : "false"); }
  void Null() override { Scalar("null"); }
  const std::string& str() const { return out_; }

 private:
  void Separate() {
    if (!after_key_ && !first_.empty() && !first_.back()) out_ += ',';
    if (!after_key_ && !first_.empty()) first_.back() = false;
    after_key_ = false;
  }
  void Open(char c) {
    Separate();
    out_ += c;
    first_.push_back(true);
  }
  void Close(char c) {
    out_ += c;
    first_.pop_back();
  }
  void Scalar(const std::string& v) {
    Separate();
    out_ += v;
  }
  void Quoted(std::string_view s) {
    out_ += '"';
    for (char c : s) {
      if (c == '"' || c == '\\') out_ += '\\';
      out_ += c;
    }
    out_ += '"';
  }
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written yet
  bool after_key_ = false;
};

std::string AstJson(std::string_view query) {
  Result<ExprPtr> expr = ParseExpr(query);
  EXPECT_TRUE(expr.ok()) << query << ": " << expr.status().message();
  if (!expr.ok()) return "";
  TestEncoder enc;
  WriteAstJson(**expr, &enc);
  return enc.str();
}

TEST(AstJsonTest, VectorSelector) {
  EXPECT_EQ(AstJson(R"(up{job="x"} offset 5m)"),
            R"({"anchored":false,"matchers":[{"name":"job","type":"=","value":"x"},)"
            R"({"name":"__name__","type":"=","value":"up"}],"name":"up","offset":300000,"smoothed":false,)"
            R"("startOrEnd":null,"timestamp":null,"type":"vectorSelector"})");
}

TEST(AstJsonTest, AggregationCallAndBinary) {
  EXPECT_EQ(AstJson("sum by(job)(rate(x[1m] @ end())) > bool 0.5"),
            R"({"bool":true,"lhs":{"expr":{"args":[{"anchored":false,)"
            R"("matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"range":60000,)"
            R"("smoothed":false,"startOrEnd":"end","timestamp":null,"type":"matrixSelector"}],)"
            R"("func":{"argTypes":["matrix"],"name":"rate","returnType":"vector","variadic":0},"type":"call"},)"
            R"("grouping":["job"],"op":"sum","param":null,"type":"aggregation","without":false},)"
            R"("matching":null,"op":">","rhs":{"type":"numberLiteral","val":"0.5"},"type":"binaryExpr"})");
}

TEST(AstJsonTest, MatchingSubqueryUnaryParenAndLiterals) {
  std::string binary = AstJson("a + on(i) group_left(k) b");
  EXPECT_NE(binary.find(R"("matching":{"card":"many-to-one","include":["k"],"labels":["i"],"on":true})"),
            std::string::npos)
      << binary;
  EXPECT_EQ(
      AstJson("-max_over_time((x)[5m:1m] @ 100)"),
      R"({"expr":{"args":[{"expr":{"expr":{"anchored":false,"matchers":[{)"
      R"("name":"__name__","type":"=","value":"x"}],"name":"x","offset":0,"smoothed":false,"startOrEnd":null,)"
      R"("timestamp":null,"type":"vectorSelector"},"type":"parenExpr"},"offset":0,"range":300000,)"
      R"("startOrEnd":null,"step":60000,"timestamp":100000,"type":"subquery"}],"func":{"argTypes":["matrix"],)"
      R"("name":"max_over_time","returnType":"vector","variadic":0},"type":"call"},"op":"-","type":"unaryExpr"})");
  EXPECT_EQ(AstJson("1e100"),
            R"({"type":"numberLiteral","val":")" + std::string("1") + std::string(100, '0') + R"("})");
  EXPECT_EQ(AstJson(R"("a")"), R"({"type":"stringLiteral","val":"a"})");
}

}  // namespace
}  // namespace promethium::promql
