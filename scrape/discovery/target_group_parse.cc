#include "scrape/discovery/target_group_parse.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <exception>

#include "scrape/relabel/relabel_config.h"
#include "scrape/textparse/utf8.h"

namespace promethium::scrape {
namespace {

// Bounds what a discovery source can make us hold.
constexpr size_t kMaxGroups = 100'000;

// A group's labels, checked as model.LabelSet.Validate does.
Status CheckedLabel(const std::string& name, const std::string& value, std::vector<Label>* out) {
  if (!IsValidLabelNameFor(NameValidation::kUtf8, name)) {
    return Status::InvalidArgument(fmt::format("{} is not a valid label name", QuoteLabelValue(name)));
  }
  if (!textparse::ValidUtf8(value)) {
    return Status::InvalidArgument(fmt::format("invalid label value for {}", QuoteLabelValue(name)));
  }
  out->push_back({name, value});
  return Status::OK();
}

Result<TargetGroup> JsonGroup(const boost::json::value& v) {
  if (!v.is_object()) return Status::InvalidArgument("target group is not a JSON object");
  TargetGroup g;
  const boost::json::object& obj = v.as_object();
  if (const boost::json::value* targets = obj.if_contains("targets"); targets && !targets->is_null()) {
    if (!targets->is_array()) return Status::InvalidArgument("\"targets\" is not a list of strings");
    for (const boost::json::value& t : targets->as_array()) {
      if (!t.is_string()) return Status::InvalidArgument("\"targets\" is not a list of strings");
      g.targets.emplace_back(t.as_string());
    }
  }
  if (const boost::json::value* labels = obj.if_contains("labels"); labels && !labels->is_null()) {
    if (!labels->is_object()) return Status::InvalidArgument("\"labels\" is not an object of strings");
    std::vector<Label> out;
    for (const auto& kv : labels->as_object()) {
      if (!kv.value().is_string()) return Status::InvalidArgument("\"labels\" is not an object of strings");
      PROMETHIUM_RETURN_IF_ERROR(CheckedLabel(std::string(kv.key()), std::string(kv.value().as_string()), &out));
    }
    g.labels = Labels::FromVector(std::move(out));
  }
  return g;
}

Result<TargetGroup> YamlGroup(const YAML::Node& node) {
  if (!node.IsMap())
    return Status::InvalidArgument(fmt::format("line {}: target group is not a map", node.Mark().line + 1));
  TargetGroup g;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const int line = key.Mark().line + 1;
    const std::string name = key.IsScalar() ? key.Scalar() : std::string();
    if (name == "targets") {
      if (value.IsNull()) continue;
      if (!value.IsSequence()) return Status::InvalidArgument(fmt::format("line {}: targets is not a list", line));
      for (const YAML::Node& t : value) {
        if (!t.IsScalar()) return Status::InvalidArgument(fmt::format("line {}: target is not a string", line));
        g.targets.push_back(t.Scalar());
      }
    } else if (name == "labels") {
      if (value.IsNull()) continue;
      if (!value.IsMap()) return Status::InvalidArgument(fmt::format("line {}: labels is not a map", line));
      std::vector<Label> out;
      for (auto l = value.begin(); l != value.end(); ++l) {
        if (!l->first.IsScalar() || !l->second.IsScalar()) {
          return Status::InvalidArgument(fmt::format("line {}: label is not a string", line));
        }
        PROMETHIUM_RETURN_IF_ERROR(CheckedLabel(l->first.Scalar(), l->second.Scalar(), &out));
      }
      g.labels = Labels::FromVector(std::move(out));
    } else {  // yaml.UnmarshalStrict, as Prometheus's file SD
      return Status::InvalidArgument(fmt::format("line {}: field {} not found in type struct", line, name));
    }
  }
  return g;
}

}  // namespace

Result<std::vector<TargetGroup>> ParseTargetGroupsJson(std::string_view text, const std::string& source_prefix) {
  boost::json::value root;
  try {
    boost::system::error_code ec;
    root = boost::json::parse(text, ec);
    if (ec) return Status::InvalidArgument(fmt::format("invalid JSON: {}", ec.message()));
  } catch (const std::exception& e) {  // Boost.JSON edge (e.g. allocation, depth)
    return Status::InvalidArgument(fmt::format("invalid JSON: {}", e.what()));
  }
  std::vector<TargetGroup> groups;
  if (root.is_null()) return groups;
  if (!root.is_array()) return Status::InvalidArgument("expected a JSON list of target groups");
  if (root.as_array().size() > kMaxGroups) return Status::ResourceExhausted("too many target groups");
  for (const boost::json::value& item : root.as_array()) {
    Result<TargetGroup> g = JsonGroup(item);
    if (!g.ok()) return g.status();
    g->source = fmt::format("{}:{}", source_prefix, groups.size());
    groups.push_back(std::move(*g));
  }
  return groups;
}

Result<std::vector<TargetGroup>> ParseTargetGroupsYaml(std::string_view text, const std::string& source_prefix) {
  std::vector<TargetGroup> groups;
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsDefined() || root.IsNull()) return groups;
    if (!root.IsSequence()) return Status::InvalidArgument("expected a YAML list of target groups");
    if (root.size() > kMaxGroups) return Status::ResourceExhausted("too many target groups");
    for (const YAML::Node& item : root) {
      Result<TargetGroup> g = YamlGroup(item);
      if (!g.ok()) return g.status();
      g->source = fmt::format("{}:{}", source_prefix, groups.size());
      groups.push_back(std::move(*g));
    }
  } catch (const YAML::Exception& e) {  // yaml-cpp edge
    return Status::InvalidArgument(fmt::format("yaml: line {}: {}", e.mark.line + 1, e.msg));
  }
  return groups;
}

}  // namespace promethium::scrape
