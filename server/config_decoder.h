// YamlDecoder: the decoding primitives the config loader shares between its
// parts (config.cc, config_http_client.cc). Mirrors go-yaml's strict
// decoding: type mismatches and unknown keys are collected as "unmarshal
// errors" (errors()) and reported together by the caller; errors from
// custom decoders (durations, sizes, unsupported keys) stop decoding at once
// and are returned.
//
// Internal to server/: not part of the loader's interface (config.h).
// Thread-safety: one decoder per parse; not shared.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/base/status.h"

namespace promethium::server::config_internal {

// Go type names used in "field x not found in type T" messages.
inline constexpr std::string_view kScrapeType = "config.ScrapeConfig";

// 1-based line of a node, for messages.
int LineOf(const YAML::Node& node);

class YamlDecoder {
 public:
  using FieldFn = std::function<Status(const std::string& key, const YAML::Node& value)>;

  // Records a type mismatch and lets decoding continue (returns OK).
  Status TypeError(const YAML::Node& node, std::string_view into);

  // Calls fn for each key of a mapping in order. Reports a non-mapping node,
  // non-scalar and duplicate keys, unknown keys (those fn does not claim by
  // returning NotFound, see Unknown()) and known-but-unsupported keys
  // (`unsupported`, and in a scrape config every *_sd_configs not
  // implemented), which fail with "unsupported: <key> (line N)" unless their
  // value is empty.
  Status ForEachField(const YAML::Node& node, std::string_view type, const std::set<std::string_view>& unsupported,
                      const FieldFn& fn);
  static Status Unknown() { return Status::NotFound(""); }

  // The decoders below return OK after recording a type mismatch, and an
  // error only when decoding must stop. null leaves the output unchanged.
  Status DecodeString(const YAML::Node& v, std::string* out);
  Status DecodeBool(const YAML::Node& v, bool* out);
  Status DecodeUint(const YAML::Node& v, uint64_t* out);
  Status DecodeInt64(const YAML::Node& v, int64_t* out);
  // A YAML float (also an integer, .inf, .nan) into float64.
  Status DecodeFloat64(const YAML::Node& v, double* out);
  // A *bool field: null leaves it unset (inherited), a bool sets it.
  Status DecodeOptionalBool(const YAML::Node& v, std::optional<bool>* out);
  // model.Duration: a string in Prometheus duration syntax. Its errors come
  // from a custom unmarshaler, so they stop decoding and carry no line.
  Status DecodeDuration(const YAML::Node& v, int64_t* out_ms);
  Status DecodeSize(const YAML::Node& v, uint64_t* out);  // body_size_limit syntax
  // A string field for which null means "" (not "keep the default").
  Status DecodeNullableString(const YAML::Node& v, std::string* out);
  Status DecodeStringList(const YAML::Node& v, std::vector<std::string>* out);

  const std::vector<std::string>& errors() const { return errors_; }

 protected:
  std::vector<std::string> errors_;
};

}  // namespace promethium::server::config_internal
