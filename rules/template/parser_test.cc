#include "rules/template/parser.h"

#include <gtest/gtest.h>

#include "rules/template/template.h"

namespace promethium::rules::tmpl {
namespace {

std::string ParseError(std::string_view text) {
  auto r = ParseTemplate("x", text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.status().message();
}

TEST(ParserTest, RoundTripsThroughString) {
  auto r = ParseTemplate("x", "a{{if $x := .A.B}}{{$x | printf \"%d\"}}{{else}}{{(len .C).D}}{{end}}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->root->String(), "a{{if $x := .A.B}}{{$x | printf \"%d\"}}{{else}}{{(len .C).D}}{{end}}");
}

TEST(ParserTest, ElseIfChains) {
  auto r = ParseTemplate("x", "{{if 1}}a{{else if 2}}b{{else}}c{{end}}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->root->String(), "{{if 1}}a{{else}}{{if 2}}b{{else}}c{{end}}{{end}}");
}

TEST(ParserTest, Defines) {
  auto r = ParseTemplate("x", "{{define \"a\"}}A{{end}}b{{template \"a\" .}}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)->defines.count("a"), 1u);
  EXPECT_EQ((*r)->defines["a"]->String(), "A");
}

TEST(ParserTest, ErrorsNameLineAndColumn) {
  EXPECT_EQ(ParseError("abc {{ .X "), "template: x:1:10: unclosed action");
  EXPECT_EQ(ParseError("line1\n  {{ nosuch 1 }}"), "template: x:2:5: function \"nosuch\" not defined");
  EXPECT_EQ(ParseError("{{ if 1 }}"), "template: x:1:10: unexpected EOF");
  EXPECT_EQ(ParseError("{{ end }}"), "template: x:1:3: unexpected {{end}}");
  EXPECT_EQ(ParseError("{{ else }}"), "template: x:1:3: unexpected {{else}}");
  EXPECT_EQ(ParseError("{{ $y }}"), "template: x:1:3: undefined variable \"$y\"");
  EXPECT_EQ(ParseError("{{ $y = 1 }}"), "template: x:1:3: undefined variable \"$y\"");
  EXPECT_EQ(ParseError("{{ }}"), "template: x:1:3: missing value for command");
  EXPECT_EQ(ParseError("{{ 1 | 2 }}"), "template: x:1:7: non executable command in pipeline stage 2");
  EXPECT_EQ(ParseError("{{ break }}"), "template: x:1:3: {{break}} outside {{range}}");
  EXPECT_EQ(ParseError("{{ range . }}{{ else }}{{ continue }}{{ end }}"),
            "template: x:1:26: {{continue}} outside {{range}}");
  EXPECT_EQ(ParseError("{{ \"a\".b }}"), "template: x:1:6: unexpected . after term \"\\\"a\\\"\"");
  EXPECT_EQ(ParseError("{{ 1e500x }}"), "template: x:1:3: bad number syntax: \"1e500x\"");
  EXPECT_EQ(ParseError("{{ 99999999999999999999 }}"),
            "template: x:1:3: illegal number syntax: \"99999999999999999999\"");
  EXPECT_EQ(ParseError("{{ \"\\q\" }}"), "template: x:1:3: invalid syntax");
  EXPECT_EQ(ParseError("{{ with . }}{{ else if . }}{{ end }}"), "template: x:1:20: unexpected <if> in input");
  EXPECT_EQ(ParseError("{{ template x }}"), "template: x:1:12: unexpected \"x\" in template clause");
}

TEST(ParserTest, WrongArgumentCountsFailAtParse) {
  EXPECT_EQ(ParseError("{{ humanize }}"), "template: x:1:3: wrong number of args for humanize: want 1 got 0");
  EXPECT_EQ(ParseError("{{ humanize 1 2 }}"), "template: x:1:3: wrong number of args for humanize: want 1 got 2");
  EXPECT_EQ(ParseError("{{ 1 | humanize 2 }}"), "template: x:1:7: wrong number of args for humanize: want 1 got 2");
  EXPECT_EQ(ParseError("{{ printf }}"), "template: x:1:3: wrong number of args for printf: want at least 1 got 0");
  EXPECT_EQ(ParseError("{{ reReplaceAll \"a\" \"b\" }}"),
            "template: x:1:3: wrong number of args for reReplaceAll: want 3 got 2");
  EXPECT_EQ(ParseError("{{ print (label \"x\") }}"), "template: x:1:10: wrong number of args for label: want 2 got 1");
  EXPECT_EQ(ParseError("{{ eq }}"), "template: x:1:3: wrong number of args for eq: want at least 1 got 0");
  EXPECT_TRUE(ParseTemplate("x", "{{ \"a\" | printf \"%s\" }}{{ 1 | eq 1 }}{{ pathPrefix }}").ok());
}

TEST(ParserTest, UnsupportedFailsLoudly) {
  auto r = ParseTemplate("x", "{{ call .F }}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnsupported);
  EXPECT_EQ(r.status().message(), "template: x:1:3: unsupported: template function \"call\"");
  r = ParseTemplate("x", "{{ 1+2i }}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "template: x:1:3: unsupported: complex constant 1+2i");
}

TEST(ParserTest, PublicParseAddsThePreamble) {
  // Positions count the preamble, as in Prometheus's messages.
  auto r = Template::Parse("__alert_A", "{{ nosuch }}", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "template: __alert_A:1:115: function \"nosuch\" not defined");
  TemplateOptions raw;
  raw.alert_preamble = false;
  r = Template::Parse("t", "{{ $labels }}", raw);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "template: t:1:3: undefined variable \"$labels\"");
}

}  // namespace
}  // namespace promethium::rules::tmpl
