// Differential test against Prometheus 2.42: testdata/templates_test.yml holds
// alert annotations exactly as promtool rendered them (corpus.py --update,
// re-checked by check_with_promtool.sh). We render the same templates with
// the same labels, value, external labels/URL and query data and require
// byte-identical text, including Prometheus's "<error expanding template: ...>".
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "rules/template/template.h"

namespace promethium::rules {
namespace {

const std::string kDir = RULES_TEMPLATE_TESTDATA;

// Parses `name{a="x", b="y"}` (the corpus uses no escapes inside values).
Labels ParseSeries(const std::string& s) {
  std::vector<Label> out;
  size_t brace = s.find('{');
  std::string name = s.substr(0, brace);
  if (!name.empty()) out.push_back({"__name__", name});
  if (brace != std::string::npos) {
    size_t i = brace + 1;
    while (i < s.size() && s[i] != '}') {
      while (s[i] == ' ' || s[i] == ',') ++i;
      if (s[i] == '}') break;
      size_t eq = s.find('=', i);
      size_t q1 = s.find('"', eq), q2 = s.find('"', q1 + 1);
      out.push_back({s.substr(i, eq - i), s.substr(q1 + 1, q2 - q1 - 1)});
      i = q2 + 1;
    }
  }
  return Labels::FromVector(std::move(out));
}

class CorpusQuerier : public TemplateQuerier {
 public:
  void Add(Labels l, double v) { series_.push_back({std::move(l), v}); }
  Result<std::vector<TemplateQueryResult>> Query(std::string_view promql) override {
    Labels sel = ParseSeries(std::string(promql));
    std::vector<TemplateQueryResult> out;
    for (const auto& s : series_) {
      bool match = true;
      for (const auto& l : sel) match = match && s.labels.Get(l.name) == l.value;
      if (match) out.push_back(s);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.labels < b.labels; });
    return out;
  }

 private:
  std::vector<TemplateQueryResult> series_;
};

double ParseValue(const std::string& s) {
  if (s == "+Inf" || s == "Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  if (s == "NaN") return NAN;
  return std::strtod(s.c_str(), nullptr);
}

TEST(PromtoolCorpusTest, AnnotationsMatchPrometheus) {
  ASSERT_TRUE(std::filesystem::exists(kDir + "/templates_test.yml")) << "corpus missing in " << kDir;
  ASSERT_TRUE(std::filesystem::exists(kDir + "/templates_rules.yml")) << "corpus missing in " << kDir;
  YAML::Node test = YAML::LoadFile(kDir + "/templates_test.yml");
  YAML::Node rules = YAML::LoadFile(kDir + "/templates_rules.yml");
  std::map<std::string, YAML::Node> annotations;
  for (const auto& g : rules["groups"]) {
    for (const auto& r : g["rules"]) annotations[r["alert"].as<std::string>()] = r["annotations"];
  }
  int checked = 0, alerts = 0;
  for (const auto& group : test["tests"]) {
    CorpusQuerier querier;
    for (const auto& s : group["input_series"]) {
      std::string values = s["values"].as<std::string>();
      querier.Add(ParseSeries(s["series"].as<std::string>()), ParseValue(values.substr(0, values.find(' '))));
    }
    std::vector<Label> ext;
    for (const auto& kv : group["external_labels"])
      ext.push_back({kv.first.as<std::string>(), kv.second.as<std::string>()});
    for (const auto& t : group["alert_rule_test"]) {
      std::string alert = t["alertname"].as<std::string>();
      ASSERT_TRUE(annotations.count(alert)) << alert;
      for (const auto& exp : t["exp_alerts"]) {
        ++alerts;
        std::vector<Label> labels;
        for (const auto& kv : exp["exp_labels"]) {
          if (kv.first.as<std::string>() != "alertname") {
            labels.push_back({kv.first.as<std::string>(), kv.second.as<std::string>()});
          }
        }
        TemplateData data;
        data.labels = Labels::FromVector(labels);
        data.value = ParseValue(std::string(data.labels.Get("val")));
        data.external_labels = Labels::FromVector(ext);
        data.external_url = group["external_url"].as<std::string>();
        std::string name = "__alert_" + alert;
        ASSERT_EQ(exp["exp_annotations"].size(), annotations[alert].size()) << alert;
        for (const auto& a : annotations[alert]) {
          std::string key = a.first.as<std::string>();
          std::string want = exp["exp_annotations"][key].as<std::string>();
          auto tmpl = Template::Parse(name, a.second.as<std::string>(), {});
          ASSERT_TRUE(tmpl.ok()) << alert << "/" << key << ": " << tmpl.status().ToString();
          auto got = (*tmpl)->Execute(data, &querier);
          std::string text = got.ok() ? *got
                                      : "<error expanding template: error executing template " + name + ": " +
                                            got.status().message() + ">";
          EXPECT_EQ(text, want) << alert << "/" << key << " template: " << a.second.as<std::string>();
          ++checked;
        }
      }
    }
  }
  std::printf("checked %d promtool-verified annotations of %d alerts\n", checked, alerts);
  EXPECT_GT(checked, 300);
}

}  // namespace
}  // namespace promethium::rules
