// Decoding of rule unit-test files (see test_file.h). yaml-cpp exceptions
// stop at this file's edge and become a Status.
#include "rules/unittest/test_file.h"

#include <fmt/format.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include "tsdb/base/duration.h"

namespace promethium::rules::unittest {

namespace {

Status ErrorAt(const YAML::Node& n, std::string_view what) {
  const YAML::Mark m = n.Mark();
  return Status::InvalidArgument(fmt::format("{}:{}: {}", m.line + 1, m.column + 1, what));
}

const char* KindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "!!map";
    case YAML::NodeType::Sequence: return "!!seq";
    default: return "!!str";
  }
}

Status Mismatch(const YAML::Node& n, std::string_view into) {
  return ErrorAt(n, fmt::format("cannot unmarshal {} into {}", KindName(n), into));
}

Result<std::string> DecodeString(const YAML::Node& n) {
  if (n.IsNull()) return std::string();
  if (!n.IsScalar()) return Mismatch(n, "string");
  return n.Scalar();
}

Result<int64_t> DecodeDuration(const YAML::Node& n) {
  if (n.IsNull()) return int64_t{0};
  if (!n.IsScalar()) return Mismatch(n, "model.Duration");
  Result<int64_t> d = ParseDuration(n.Scalar());
  if (!d.ok()) return ErrorAt(n, d.status().message());
  return d;
}

// yaml.v2's float resolution: YAML 1.1 numbers and .inf/.nan, plain only.
Result<double> DecodeFloat(const YAML::Node& n) {
  if (n.IsNull()) return 0.0;
  if (!n.IsScalar()) return Mismatch(n, "float64");
  const std::string& s = n.Scalar();
  auto refuse = [&] { return ErrorAt(n, fmt::format("cannot unmarshal !!str `{}` into float64", s)); };
  if (n.Tag() == "!") return refuse();  // quoted: a string
  static const re2::RE2 kInf(R"(([-+]?)\.(inf|Inf|INF))");
  static const re2::RE2 kNaN(R"(\.(nan|NaN|NAN))");
  static const re2::RE2 kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  static const re2::RE2 kInt(R"([-+]?(0b[01_]+|0x[0-9a-fA-F_]+|[0-9_]+))");
  std::string sign;
  if (re2::RE2::FullMatch(s, kInf, &sign)) {
    return sign == "-" ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (re2::RE2::FullMatch(s, kNaN)) return std::numeric_limits<double>::quiet_NaN();
  if (!re2::RE2::FullMatch(s, kFloat) && !re2::RE2::FullMatch(s, kInt)) return refuse();
  std::string clean;
  for (char c : s) {
    if (c != '_') clean += c;
  }
  char* end = nullptr;
  const double v = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) return refuse();
  return v;
}

Result<std::vector<std::string>> DecodeStrings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n.IsNull()) return out;
  if (!n.IsSequence()) return Mismatch(n, "[]string");
  for (const YAML::Node& e : n) {
    PROMETHIUM_ASSIGN_OR_RETURN(std::string s, DecodeString(e));
    out.push_back(std::move(s));
  }
  return out;
}

// A map[string]string, sorted by name as labels.FromMap returns it.
Result<LabelPairs> DecodeStringMap(const YAML::Node& n) {
  LabelPairs out;
  if (n.IsNull()) return out;
  if (!n.IsMap()) return Mismatch(n, "map[string]string");
  std::map<std::string, std::string> m;
  for (const auto& kv : n) {
    PROMETHIUM_ASSIGN_OR_RETURN(std::string k, DecodeString(kv.first));
    PROMETHIUM_ASSIGN_OR_RETURN(std::string v, DecodeString(kv.second));
    m[k] = std::move(v);
  }
  for (auto& [k, v] : m) out.push_back({k, v});
  return out;
}

// Calls `field` for every key of a mapping; unknown keys are errors naming
// the Go type, as UnmarshalStrict does.
using FieldFn = std::function<Status(const std::string& key, const YAML::Node& value, bool* known)>;
Status DecodeStruct(const YAML::Node& n, std::string_view type, const FieldFn& field) {
  if (n.IsNull()) return Status::OK();
  if (!n.IsMap()) return Mismatch(n, fmt::format("main.{}", type));
  for (const auto& kv : n) {
    PROMETHIUM_ASSIGN_OR_RETURN(std::string key, DecodeString(kv.first));
    bool known = true;
    PROMETHIUM_RETURN_IF_ERROR(field(key, kv.second, &known));
    if (!known) return ErrorAt(kv.first, fmt::format("field {} not found in type main.{}", key, type));
  }
  return Status::OK();
}

template <typename T>
Result<std::vector<T>> DecodeList(const YAML::Node& n, std::string_view type,
                                  const std::function<Status(const YAML::Node&, T*)>& one) {
  std::vector<T> out;
  if (n.IsNull()) return out;
  if (!n.IsSequence()) return Mismatch(n, fmt::format("[]main.{}", type));
  for (const YAML::Node& e : n) {
    T v;
    PROMETHIUM_RETURN_IF_ERROR(one(e, &v));
    out.push_back(std::move(v));
  }
  return out;
}

// Assigns the decoded value of a Result-returning decoder to *out.
template <typename T, typename F>
Status Set(T* out, const YAML::Node& n, F decode) {
  auto r = decode(n);
  if (!r.ok()) return r.status();
  *out = std::move(r).value();
  return Status::OK();
}

Status DecodeInputSeries(const YAML::Node& n, InputSeries* s) {
  return DecodeStruct(n, "series", [&](const std::string& k, const YAML::Node& v, bool* known) {
    if (k == "series") return Set(&s->series, v, DecodeString);
    if (k == "values") return Set(&s->values, v, DecodeString);
    *known = false;
    return Status::OK();
  });
}

Status DecodeExpAlert(const YAML::Node& n, ExpAlert* a) {
  return DecodeStruct(n, "alert", [&](const std::string& k, const YAML::Node& v, bool* known) {
    if (k == "exp_labels") return Set(&a->labels, v, DecodeStringMap);
    if (k == "exp_annotations") return Set(&a->annotations, v, DecodeStringMap);
    *known = false;
    return Status::OK();
  });
}

Status DecodeAlertTest(const YAML::Node& n, AlertTestCase* t) {
  return DecodeStruct(n, "alertTestCase", [&](const std::string& k, const YAML::Node& v, bool* known) {
    if (k == "eval_time") return Set(&t->eval_time_ms, v, DecodeDuration);
    if (k == "alertname") return Set(&t->alertname, v, DecodeString);
    if (k == "exp_alerts") {
      return Set(&t->exp_alerts, v,
                 [](const YAML::Node& x) { return DecodeList<ExpAlert>(x, "alert", DecodeExpAlert); });
    }
    *known = false;
    return Status::OK();
  });
}

Status DecodeExpSample(const YAML::Node& n, ExpSample* s) {
  return DecodeStruct(n, "sample", [&](const std::string& k, const YAML::Node& v, bool* known) {
    if (k == "labels") return Set(&s->labels, v, DecodeString);
    if (k == "value") return Set(&s->value, v, DecodeFloat);
    if (k == "histogram") return Set(&s->histogram, v, DecodeString);
    *known = false;
    return Status::OK();
  });
}

Status DecodePromqlTest(const YAML::Node& n, PromqlTestCase* t) {
  return DecodeStruct(n, "promqlTestCase", [&](const std::string& k, const YAML::Node& v, bool* known) {
    if (k == "expr") return Set(&t->expr, v, DecodeString);
    if (k == "eval_time") return Set(&t->eval_time_ms, v, DecodeDuration);
    if (k == "exp_samples") {
      return Set(&t->exp_samples, v,
                 [](const YAML::Node& x) { return DecodeList<ExpSample>(x, "sample", DecodeExpSample); });
    }
    *known = false;
    return Status::OK();
  });
}

Status DecodeTestGroup(const YAML::Node& n, TestGroup* g) {
  return DecodeStruct(n, "testGroup", [&](const std::string& k, const YAML::Node& v, bool* known) {
    if (k == "name") return Set(&g->name, v, DecodeString);
    if (k == "interval") return Set(&g->interval_ms, v, DecodeDuration);
    if (k == "external_url") return Set(&g->external_url, v, DecodeString);
    if (k == "external_labels") {
      LabelPairs pairs;
      PROMETHIUM_RETURN_IF_ERROR(Set(&pairs, v, DecodeStringMap));
      g->external_labels = Labels::FromVector(std::move(pairs));
      return Status::OK();
    }
    if (k == "input_series") {
      return Set(&g->input_series, v,
                 [](const YAML::Node& x) { return DecodeList<InputSeries>(x, "series", DecodeInputSeries); });
    }
    if (k == "alert_rule_test") {
      return Set(&g->alert_rule_tests, v,
                 [](const YAML::Node& x) { return DecodeList<AlertTestCase>(x, "alertTestCase", DecodeAlertTest); });
    }
    if (k == "promql_expr_test") {
      return Set(&g->promql_expr_tests, v,
                 [](const YAML::Node& x) { return DecodeList<PromqlTestCase>(x, "promqlTestCase", DecodePromqlTest); });
    }
    *known = false;
    return Status::OK();
  });
}

Status DecodeFile(const YAML::Node& root, UnitTestFile* f) {
  return DecodeStruct(root, "unitTestFile", [&](const std::string& k, const YAML::Node& v, bool* known) {
    if (k == "rule_files") return Set(&f->rule_files, v, DecodeStrings);
    if (k == "evaluation_interval") return Set(&f->evaluation_interval_ms, v, DecodeDuration);
    if (k == "group_eval_order") return Set(&f->group_eval_order, v, DecodeStrings);
    if (k == "tests") {
      return Set(&f->tests, v,
                 [](const YAML::Node& x) { return DecodeList<TestGroup>(x, "testGroup", DecodeTestGroup); });
    }
    *known = false;
    return Status::OK();
  });
}

}  // namespace

Result<UnitTestFile> ParseUnitTestFile(std::string_view content) {
  UnitTestFile f;
  try {
    const YAML::Node root = YAML::Load(std::string(content));
    PROMETHIUM_RETURN_IF_ERROR(DecodeFile(root, &f));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("{}:{}: {}", e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  return f;
}

}  // namespace promethium::rules::unittest
