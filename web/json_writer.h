// JsonWriter: a small streaming JSON writer that produces byte-for-byte the
// JSON Prometheus's HTTP API writes.
//
// Why hand-written rather than Boost.JSON: the API needs exact control over
// three things Boost.JSON does differently: strings are escaped as Go's
// encoding/json (jsoniter's standard-library mode) does (<, >, & as \u003c,
// \u003e, \u0026; U+2028/U+2029 escaped; invalid UTF-8 replaced by \ufffd);
// sample timestamps are written as seconds with exactly millisecond digits
// (1435781451.781); sample values are quoted strings formatted as Go's
// strconv ('f', or 'e' for tiny/huge magnitudes). A streaming writer also
// avoids building a DOM for large matrices.
//
// The writer inserts commas itself; callers only open/close containers and
// emit keys and values in order.
// Thread-safety: not thread-safe; one writer per response.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace promethium {
class Labels;
}

namespace promethium::web {

class JsonWriter {
 public:
  JsonWriter() = default;

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);
  void String(std::string_view s);
  void Int(int64_t v);
  void Double(double v);  // a JSON number; non-finite values are written as null
  void Bool(bool b);
  void Null();
  // Inserts already-serialized JSON as one value.
  void Raw(std::string_view json);

  // A sample timestamp (ms) as float seconds: 1435781451.781, 12, -0.5.
  void Timestamp(int64_t ms);
  // A sample value as a quoted string, as Prometheus's jsonutil.MarshalFloat.
  void SampleValue(double v);
  // A label set as a JSON object {"name":"value",...} in label order.
  void LabelsObject(const Labels& labels);
  // A JSON array of strings.
  void StringArray(const std::vector<std::string>& values);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open container: true once it holds an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// Appends s to out as a quoted JSON string with Go-compatible escaping.
void AppendJsonString(std::string* out, std::string_view s);
// Formats a sample value as Prometheus's API does: Go's strconv.FormatFloat
// with 'f' (shortest), or 'e' when |v| < 1e-6 or |v| >= 1e21; "NaN",
// "+Inf", "-Inf".
std::string FormatApiSampleValue(double v);

}  // namespace promethium::web
