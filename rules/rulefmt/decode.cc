// Strict decoding of a rule file's YAML tree into Decoded* values, with
// go-yaml v3's messages for the problems it reports (see rulefmt_internal.h).
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>

#include "rules/rulefmt/rulefmt_internal.h"
#include "tsdb/base/duration.h"

namespace promethium::rules::rulefmt_internal {

Pos PosOf(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};
}

namespace {

// The Go types named in "field x not found in type T" (Prometheus 3.x decodes
// into these).
constexpr std::string_view kFileType = "rulefmt.RuleGroups";
constexpr std::string_view kGroupType = "rulefmt.RuleGroup";
constexpr std::string_view kRuleType = "rulefmt.Rule";

bool IsPlainInt(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// go-yaml's short tag of a node's resolved type, for "cannot unmarshal".
std::string TagOf(const YAML::Node& node) {
  if (node.IsNull()) return "!!null";
  if (node.IsSequence()) return "!!seq";
  if (node.IsMap()) return "!!map";
  if (node.Tag() == "!") return "!!str";  // quoted
  const std::string& s = node.Scalar();
  if (IsPlainInt(s)) return "!!int";
  static const char* kBools[] = {"true", "True", "TRUE", "false", "False", "FALSE"};
  if (std::any_of(std::begin(kBools), std::end(kBools), [&](const char* b) { return s == b; })) return "!!bool";
  if (!s.empty()) {
    char* end = nullptr;
    errno = 0;
    std::strtod(s.c_str(), &end);
    if (end == s.c_str() + s.size() && s.find_first_of("0123456789") != std::string::npos) return "!!float";
  }
  return "!!str";
}

class Decoder {
 public:
  explicit Decoder(std::vector<std::string>* errors) : errors_(errors) {}

  std::vector<DecodedGroup> File(const YAML::Node& root) {
    std::vector<DecodedGroup> groups;
    ForEachField(root, kFileType, [&](const std::string& key, const YAML::Node& v) {
      if (key != "groups") return false;
      if (v.IsNull()) return true;
      if (!v.IsSequence()) {
        TypeError(v, "[]rulefmt.RuleGroup");
        return true;
      }
      for (const YAML::Node& item : v) groups.push_back(Group(item));
      return true;
    });
    return groups;
  }

 private:
  using FieldFn = std::function<bool(const std::string& key, const YAML::Node& value)>;

  void Error(Pos pos, std::string what) { errors_->push_back(fmt::format("{}:{}: {}", pos.line, pos.col, what)); }

  void TypeError(const YAML::Node& node, std::string_view into) {
    if (node.IsScalar()) {
      Error(PosOf(node), fmt::format("cannot unmarshal {} `{}` into {}", TagOf(node), node.Scalar(), into));
    } else {
      Error(PosOf(node), fmt::format("cannot unmarshal {} into {}", TagOf(node), into));
    }
  }

  // Calls fn for each key of a mapping, in order; fn returns false for keys
  // it does not know. Null decodes as an empty mapping.
  void ForEachField(const YAML::Node& node, std::string_view type, const FieldFn& fn) {
    if (node.IsNull()) return;
    if (!node.IsMap()) return TypeError(node, type);
    std::map<std::string, int> seen;  // key -> line
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;  // copies: the iterator yields temporaries
      const YAML::Node value = it->second;
      if (!key.IsScalar()) {
        TypeError(key, "string");
        continue;
      }
      const std::string& name = key.Scalar();
      auto [prev, inserted] = seen.emplace(name, PosOf(key).line);
      if (!inserted) {
        Error(PosOf(key), fmt::format("mapping key \"{}\" already defined at line {}", name, prev->second));
        continue;
      }
      key_pos_ = PosOf(key);
      if (!fn(name, value)) Error(PosOf(key), fmt::format("field {} not found in type {}", name, type));
    }
  }

  // A Go string: any scalar; null leaves it unchanged.
  void String(const YAML::Node& v, std::string* out) {
    if (v.IsNull()) return;
    if (!v.IsScalar()) return TypeError(v, "string");
    *out = v.Scalar();
  }

  // model.Duration: a string in Prometheus duration syntax.
  void Duration(const YAML::Node& v, int64_t* out_ms) {
    if (v.IsNull()) return;
    if (!v.IsScalar()) return TypeError(v, "string");
    Result<int64_t> ms = ParseDuration(v.Scalar());
    if (!ms.ok()) return Error(PosOf(v), ms.status().message());
    *out_ms = *ms;
  }

  void Int(const YAML::Node& v, int64_t* out) {
    if (v.IsNull()) return;
    const bool ok = v.IsScalar() && v.Tag() != "!" && IsPlainInt(v.Scalar());
    errno = 0;
    const long long n = ok ? std::strtoll(v.Scalar().c_str(), nullptr, 10) : 0;
    if (!ok || errno == ERANGE) return TypeError(v, "int");
    *out = n;
  }

  // map[string]string, in file order.
  void StringMap(const YAML::Node& v, std::vector<Entry>* out) {
    if (v.IsNull()) return;
    if (!v.IsMap()) return TypeError(v, "map[string]string");
    std::map<std::string, int> seen;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      Entry e;
      String(key, &e.name);
      String(value, &e.value);
      e.name_pos = PosOf(key);
      e.value_pos = value.IsNull() ? e.name_pos : PosOf(value);
      auto [prev, inserted] = seen.emplace(e.name, e.name_pos.line);
      if (!inserted) {
        Error(e.name_pos, fmt::format("mapping key \"{}\" already defined at line {}", e.name, prev->second));
        continue;
      }
      out->push_back(std::move(e));
    }
  }

  DecodedGroup Group(const YAML::Node& node) {
    DecodedGroup g;
    g.pos = PosOf(node);
    ForEachField(node, kGroupType, [&](const std::string& key, const YAML::Node& v) {
      if (key == "name") {
        String(v, &g.name);
      } else if (key == "interval") {
        Duration(v, &g.interval_ms);
      } else if (key == "query_offset") {
        if (!v.IsNull()) g.query_offset_ms = 0;
        Duration(v, &g.query_offset_ms);
      } else if (key == "limit") {
        Int(v, &g.limit);
      } else if (key == "labels") {
        StringMap(v, &g.labels);
      } else if (key == "rules") {
        if (v.IsNull()) return true;
        if (!v.IsSequence()) {
          TypeError(v, "[]rulefmt.Rule");
          return true;
        }
        for (const YAML::Node& item : v) g.rules.push_back(Rule(item));
      } else {
        return false;
      }
      return true;
    });
    return g;
  }

  DecodedRule Rule(const YAML::Node& node) {
    DecodedRule r;
    r.pos = PosOf(node);
    ForEachField(node, kRuleType, [&](const std::string& key, const YAML::Node& v) {
      // A key without a value ("expr:") is placed at the key.
      auto value_pos = [&] { return v.IsNull() ? key_pos_ : PosOf(v); };
      if (key == "record") {
        r.has_record = true;
        r.record_pos = value_pos();
        String(v, &r.record);
      } else if (key == "alert") {
        r.has_alert = true;
        r.alert_pos = value_pos();
        String(v, &r.alert);
      } else if (key == "expr") {
        r.has_expr = true;
        r.expr_pos = value_pos();
        String(v, &r.expr);
      } else if (key == "for") {
        Duration(v, &r.for_ms);
      } else if (key == "keep_firing_for") {
        Duration(v, &r.keep_firing_for_ms);
      } else if (key == "labels") {
        StringMap(v, &r.labels);
      } else if (key == "annotations") {
        StringMap(v, &r.annotations);
      } else {
        return false;
      }
      return true;
    });
    return r;
  }

  std::vector<std::string>* errors_;
  Pos key_pos_;  // of the key ForEachField is handing to its callback
};

}  // namespace

std::vector<DecodedGroup> DecodeRuleGroups(const YAML::Node& root, std::vector<std::string>* errors) {
  return Decoder(errors).File(root);
}

}  // namespace promethium::rules::rulefmt_internal
