// The go-yaml-like decoding primitives of the config loader (see
// config_decoder.h).
#include "server/config_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <set>

#include "server/config.h"
#include "tsdb/base/duration.h"

namespace promethium::server::config_internal {
namespace {

// Every service discovery mechanism except these is "<name>_sd_configs",
// matched by suffix in a scrape config, and unsupported.
const std::set<std::string_view> kSupportedSd = {"file_sd_configs", "http_sd_configs", "docker_sd_configs",
                                                 "dns_sd_configs"};

// null, "", [] or {}: a value that asks for nothing.
bool IsEmptyValue(const YAML::Node& node) {
  if (node.IsNull()) return true;
  if (node.IsScalar()) return node.Scalar().empty();
  return node.size() == 0;
}

// go-yaml's name for a node's resolved tag, for "cannot unmarshal" messages.
std::string TagOf(const YAML::Node& node) {
  if (node.IsNull()) return "!!null";
  if (node.IsSequence()) return "!!seq";
  if (node.IsMap()) return "!!map";
  if (node.Tag() == "!") return "!!str";  // quoted: always a string
  bool b;
  int64_t i;
  double d;
  if (YAML::convert<int64_t>::decode(node, i)) return "!!int";
  if (YAML::convert<double>::decode(node, d)) return "!!float";
  if (YAML::convert<bool>::decode(node, b)) return "!!bool";
  return "!!str";
}

}  // namespace

int LineOf(const YAML::Node& node) { return node.Mark().line + 1; }

Status YamlDecoder::TypeError(const YAML::Node& node, std::string_view into) {
  if (node.IsScalar()) {
    errors_.push_back(
        fmt::format("line {}: cannot unmarshal {} `{}` into {}", LineOf(node), TagOf(node), node.Scalar(), into));
  } else {
    errors_.push_back(fmt::format("line {}: cannot unmarshal {} into {}", LineOf(node), TagOf(node), into));
  }
  return Status::OK();
}

Status YamlDecoder::ForEachField(const YAML::Node& node, std::string_view type,
                                 const std::set<std::string_view>& unsupported, const FieldFn& fn) {
  if (node.IsNull()) return Status::OK();
  if (!node.IsMap()) return TypeError(node, type);
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;  // copies: the iterator yields temporaries
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      TypeError(key, "string").IgnoreError();  // always OK: the error is collected in errors_
      continue;
    }
    const std::string& name = key.Scalar();
    if (!seen.insert(name).second) {
      errors_.push_back(fmt::format("line {}: key {} already set in map", LineOf(key), QuoteLabelValue(name)));
      continue;
    }
    bool is_sd = type == kScrapeType && name.ends_with("_sd_configs") && !kSupportedSd.contains(name);
    if (unsupported.contains(name) || is_sd) {
      if (IsEmptyValue(value)) continue;  // asks for nothing: honoured exactly
      return Status::Unsupported(fmt::format("{} (line {})", name, LineOf(key)));
    }
    Status s = fn(name, value);
    if (s.code() == Status::Code::kNotFound) {
      errors_.push_back(fmt::format("line {}: field {} not found in type {}", LineOf(key), name, type));
    } else if (!s.ok()) {
      return s;
    }
  }
  return Status::OK();
}

Status YamlDecoder::DecodeString(const YAML::Node& v, std::string* out) {
  if (v.IsNull()) return Status::OK();
  if (!v.IsScalar()) return TypeError(v, "string");
  *out = v.Scalar();
  return Status::OK();
}

Status YamlDecoder::DecodeBool(const YAML::Node& v, bool* out) {
  if (v.IsNull()) return Status::OK();
  if (!v.IsScalar() || !YAML::convert<bool>::decode(v, *out)) return TypeError(v, "bool");
  return Status::OK();
}

Status YamlDecoder::DecodeUint(const YAML::Node& v, uint64_t* out) {
  if (v.IsNull()) return Status::OK();
  const std::string s = v.IsScalar() ? v.Scalar() : std::string();
  bool digits = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!v.IsScalar() || !digits || s.size() > 19) return TypeError(v, "uint");
  *out = std::stoull(s);
  return Status::OK();
}

Status YamlDecoder::DecodeInt64(const YAML::Node& v, int64_t* out) {
  if (v.IsNull()) return Status::OK();
  const std::string s = v.IsScalar() ? v.Scalar() : std::string();
  const size_t sign = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
  bool digits = s.size() > sign && std::all_of(s.begin() + static_cast<std::ptrdiff_t>(sign), s.end(),
                                               [](char c) { return c >= '0' && c <= '9'; });
  if (!v.IsScalar() || !digits || s.size() - sign > 18) return TypeError(v, "int64");
  *out = std::stoll(s);
  return Status::OK();
}

Status YamlDecoder::DecodeFloat64(const YAML::Node& v, double* out) {
  if (v.IsNull()) return Status::OK();
  if (!v.IsScalar()) return TypeError(v, "float64");
  std::string s = v.Scalar();
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == ".inf" || lower == "+.inf") {
    *out = std::numeric_limits<double>::infinity();
    return Status::OK();
  }
  if (lower == "-.inf") {
    *out = -std::numeric_limits<double>::infinity();
    return Status::OK();
  }
  if (lower == ".nan") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return Status::OK();
  }
  char* end = nullptr;
  errno = 0;
  double d = s.empty() ? 0 : std::strtod(s.c_str(), &end);
  // strtod also takes "inf", "nan" and hex floats, which YAML 1.1 does not.
  bool plain = !s.empty() && lower.find_first_of("inx") == std::string::npos;
  if (!plain || end != s.c_str() + s.size() || errno == ERANGE) return TypeError(v, "float64");
  *out = d;
  return Status::OK();
}

Status YamlDecoder::DecodeOptionalBool(const YAML::Node& v, std::optional<bool>* out) {
  if (v.IsNull()) return Status::OK();
  bool b = false;
  if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) return TypeError(v, "bool");
  *out = b;
  return Status::OK();
}

Status YamlDecoder::DecodeDuration(const YAML::Node& v, int64_t* out_ms) {
  if (v.IsNull()) return Status::OK();
  if (!v.IsScalar()) return TypeError(v, "string");
  Result<int64_t> ms = ParseDuration(v.Scalar());
  if (!ms.ok()) return Status::InvalidArgument(ms.status().message());
  *out_ms = *ms;
  return Status::OK();
}

Status YamlDecoder::DecodeSize(const YAML::Node& v, uint64_t* out) {
  if (v.IsNull()) return Status::OK();
  if (!v.IsScalar()) return TypeError(v, "string");
  Result<uint64_t> n = ParseByteSize(v.Scalar());
  if (!n.ok()) return n.status();
  *out = *n;
  return Status::OK();
}

Status YamlDecoder::DecodeNullableString(const YAML::Node& v, std::string* out) {
  if (v.IsNull()) {
    out->clear();
    return Status::OK();
  }
  return DecodeString(v, out);
}

Status YamlDecoder::DecodeStringList(const YAML::Node& v, std::vector<std::string>* out) {
  if (v.IsNull()) return Status::OK();
  if (!v.IsSequence()) return TypeError(v, "[]string");
  for (const YAML::Node& item : v) {
    std::string value;
    PROMETHIUM_RETURN_IF_ERROR(DecodeString(item, &value));
    out->push_back(std::move(value));
  }
  return Status::OK();
}

}  // namespace promethium::server::config_internal
