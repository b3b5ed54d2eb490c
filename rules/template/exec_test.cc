// Execution semantics of the template language (Go's text/template), with
// expected strings. Prometheus-rendered expectations live in the promtool
// corpus test.
#include <gtest/gtest.h>

#include "rules/template/test_util.h"

namespace promethium::rules {
namespace {

TemplateData Data() {
  TemplateData d;
  d.labels = Labels{{"instance", "host:9100"}, {"job", "node"}, {"severity", "page"}};
  d.external_labels = Labels{{"region", "eu"}};
  d.external_url = "http://prom:9090";
  d.value = 1234.5;
  return d;
}

TEST(ExecTest, PreambleVariablesAndDot) {
  EXPECT_EQ(MustRender("{{ $labels.instance }} is {{ $value }} ({{ .Value }}) {{ $externalLabels.region }} "
                       "{{ $externalURL }}",
                       Data()),
            "host:9100 is 1234.5 (1234.5) eu http://prom:9090");
  EXPECT_EQ(MustRender("[{{ $labels.nope }}]", Data()), "[]");  // missingkey=zero
  TemplateOptions def;
  def.missing_key = TemplateMissingKey::kDefault;
  EXPECT_EQ(*Render("[{{ $labels.nope }}]", Data(), nullptr, def), "[<no value>]");
  TemplateOptions err;
  err.missing_key = TemplateMissingKey::kError;
  EXPECT_NE(ErrorOf("{{ $labels.nope }}", Data(), nullptr, err).find("map has no entry for key \"nope\""),
            std::string::npos);
}

TEST(ExecTest, Conditionals) {
  const char* t = "{{ if gt $value 1000.0 }}high{{ else if gt $value 10.0 }}mid{{ else }}low{{ end }}";
  TemplateData d = Data();
  EXPECT_EQ(MustRender(t, d), "high");
  d.value = 50;
  EXPECT_EQ(MustRender(t, d), "mid");
  d.value = 1;
  EXPECT_EQ(MustRender(t, d), "low");
  EXPECT_EQ(MustRender("{{ with $labels.job }}{{ . }}{{ else }}none{{ end }}", Data()), "node");
  EXPECT_EQ(MustRender("{{ if and $labels.job (eq $labels.severity \"page\" \"crit\") }}y{{ end }}", Data()), "y");
  EXPECT_EQ(MustRender("{{ if not (or 0 \"\") }}empty{{ end }}"), "empty");
}

TEST(ExecTest, MixedKindsAreAnError) {
  EXPECT_NE(ErrorOf("{{ if gt $value 80 }}x{{ end }}", Data())
                .find("executing \"t\" at <gt $value 80>: error calling gt: incompatible types for comparison"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{{ lt true false }}").find("invalid type for comparison"), std::string::npos);
  EXPECT_EQ(MustRender("{{ eq 1 1 }} {{ lt 1.5 2.0 }} {{ eq \"a\" \"b\" \"a\" }}"), "true true true");
}

TEST(ExecTest, RangeAndVariables) {
  EXPECT_EQ(MustRender("{{ range $k, $v := $labels }}{{ $k }}={{ $v }},{{ end }}", Data()),
            "instance=host:9100,job=node,severity=page,");
  EXPECT_EQ(MustRender("{{ range $labels }}{{ . }} {{ end }}", Data()), "host:9100 node page ");
  EXPECT_EQ(MustRender("{{ range $k, $v := $labels }}{{ if eq $k \"job\" }}{{ continue }}{{ end }}"
                       "{{ if eq $k \"severity\" }}{{ break }}{{ end }}{{ $k }}{{ end }}",
                       Data()),
            "instance");
  // A missing key is "" (missingkey=zero) and ranging over a string is an error, as in Prometheus.
  EXPECT_NE(ErrorOf("{{ range .Labels.nope }}x{{ else }}none{{ end }}", Data()).find("range can't iterate over "),
            std::string::npos);
  EXPECT_EQ(MustRender("{{ $x := 1 }}{{ range $labels }}{{ $x = 2 }}{{ end }}{{ $x }}", Data()), "2");
  EXPECT_EQ(MustRender("{{ $n := 0 }}{{ if true }}{{ $n := 5 }}{{ $n }}{{ end }}{{ $n }}"), "50");
}

TEST(ExecTest, DefineTemplateBlock) {
  EXPECT_EQ(MustRender("{{ define \"sev\" }}<{{ .severity }}>{{ end }}{{ template \"sev\" $labels }}", Data()),
            "<page>");
  EXPECT_EQ(MustRender("{{ block \"b\" $value }}[{{ . }}]{{ end }}", Data()), "[1234.5]");
  EXPECT_NE(ErrorOf("{{ template \"nope\" }}").find("template \"nope\" not defined"), std::string::npos);
  EXPECT_NE(ErrorOf("{{ define \"r\" }}{{ template \"r\" }}{{ end }}{{ template \"r\" }}")
                .find("exceeded maximum template depth"),
            std::string::npos);
}

TEST(ExecTest, PipelinesAndLiterals) {
  EXPECT_EQ(MustRender("{{ $labels.job | toUpper | printf \"%s!\" }}", Data()), "NODE!");
  EXPECT_EQ(MustRender("{{ 1e6 }} {{ 0x1F }} {{ 'a' }} {{ 1.0 }} {{ -3 }} {{ print nil }}"), "1e+06 31 97 1 -3 <nil>");
  EXPECT_EQ(MustRender("{{ \"a\\tb\" }}|{{ `a\\tb` }}"), "a\tb|a\\tb");
  EXPECT_EQ(MustRender("{{ (index $labels \"job\") }} {{ index $labels \"nope\" | len }}", Data()), "node 0");
  EXPECT_EQ(MustRender("{{ html \"<&>\" }} {{ js \"'=\" }} {{ urlquery \"a b\" }}"), "&lt;&amp;&gt; \\'\\u003D a+b");
}

TEST(ExecTest, WhitespaceAndComments) {
  EXPECT_EQ(MustRender("a  {{- 1 -}}  b {{/* c */}}c\n  {{- /* d */ -}}\n  d"), "a1b cd");
}

TEST(ExecTest, ExecutionErrors) {
  EXPECT_NE(ErrorOf("{{ .Nope }}").find("can't evaluate field Nope in type struct"), std::string::npos);
  EXPECT_NE(ErrorOf("{{ toUpper $value }}").find("wrong type for value; expected string; got float64"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{{ toUpper 3 }}").find("expected string; found 3"), std::string::npos);
  EXPECT_NE(ErrorOf("{{ $value 1 }}").find("can't give argument to non-function $value"), std::string::npos);
  EXPECT_NE(ErrorOf("{{ nil }}").find("nil is not a command"), std::string::npos);
  EXPECT_NE(ErrorOf("{{ range $value }}{{ end }}").find("range can't iterate over 0"), std::string::npos);
  EXPECT_NE(ErrorOf("{{ index $labels 1 }}").find("value has type int; should be string"), std::string::npos);
  EXPECT_NE(ErrorOf("{{ slice \"abc\" 2 1 }}").find("invalid slice index: 2 > 1"), std::string::npos);
  // Positions: name:line:col, col a 0-based byte offset as in Go.
  TemplateOptions raw;
  raw.alert_preamble = false;
  EXPECT_EQ(ErrorOf("x\n  {{ len 3 }}", {}, nullptr, raw),
            "template: t:2:5: executing \"t\" at <len 3>: error calling len: len of type int");
}

TEST(ExecTest, OutputIsBounded) {
  TemplateOptions small;
  small.max_output_bytes = 10;
  auto r = Render("{{ range $labels }}0123456789{{ end }}", Data(), nullptr, small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kResourceExhausted);
}

TEST(ExecTest, ParsedOnceExecutedMany) {
  auto t = Template::Parse("__alert_X", "{{ $labels.job }}={{ humanize $value }}", {});
  ASSERT_TRUE(t.ok());
  TemplateData d = Data();
  for (double v : {1.0, 1500.0, 2e6}) {
    d.value = v;
    auto r = (*t)->Execute(d, nullptr);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "node=" + std::string(v == 1.0 ? "1" : v == 1500.0 ? "1.5k" : "2M"));
  }
}

}  // namespace
}  // namespace promethium::rules
