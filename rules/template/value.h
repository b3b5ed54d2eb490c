// Value: a dynamic template value with Go's types, as the reflect.Values
// Go's text/template passes around when expanding Prometheus alert templates.
//
// Kinds mirror the Go types that appear in Prometheus templates: bool, int,
// float64, string, template.HTML (safeHtml), map[string]string ($labels),
// map[string]interface{} (args), *sample and queryResult (query/first),
// *time.Time (toTime), *time.Duration (toDuration) and the alert data struct
// (the dot). kInvalid is Go's invalid reflect.Value (nil, "<no value>").
//
// Ownership: composite payloads are immutable and shared (shared_ptr), so
// copying a Value is cheap. Thread-safety: immutable once built.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace promethium::rules::tmpl {

class Value;
using StringMap = std::map<std::string, std::string>;
using AnyMap = std::map<std::string, Value>;

// Prometheus's template "sample": Labels (incl. __name__) and Value.
struct SampleData {
  StringMap labels;
  double value = 0;
};
using SampleList = std::vector<std::shared_ptr<const SampleData>>;

// The dot of an alert template: Prometheus's AlertTemplateData struct.
struct AlertData {
  std::shared_ptr<const StringMap> labels;
  std::shared_ptr<const StringMap> external_labels;
  std::string external_url;
  double value = 0;
};

enum class Kind {
  kInvalid,
  kBool,
  kInt,
  kFloat,
  kString,
  kHtml,
  kStringMap,
  kAnyMap,
  kSample,      // *sample, possibly nil
  kSampleList,  // queryResult
  kTime,        // *time.Time, millisecond precision (as Prometheus builds it)
  kDuration,    // *time.Duration, nanoseconds
  kData,        // the alert data struct
};

class Value {
 public:
  Value() = default;  // invalid
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double f);
  static Value String(std::string s);
  static Value Html(std::string s);
  static Value Map(std::shared_ptr<const StringMap> m);
  static Value Any(std::shared_ptr<const AnyMap> m);
  static Value Sample(std::shared_ptr<const SampleData> s);
  static Value Samples(std::shared_ptr<const SampleList> l);
  static Value TimeMs(int64_t unix_ms);
  static Value DurationNs(int64_t ns);
  static Value Data(std::shared_ptr<const AlertData> d);

  Kind kind() const { return kind_; }
  bool valid() const { return kind_ != Kind::kInvalid; }
  bool is_string_kind() const { return kind_ == Kind::kString || kind_ == Kind::kHtml; }
  bool b() const { return b_; }
  int64_t i() const { return i_; }
  double f() const { return f_; }
  const std::string& s() const { return s_; }
  const StringMap& map() const { return *smap_; }
  const AnyMap& any_map() const { return *amap_; }
  const SampleData* sample() const { return sample_.get(); }
  const std::shared_ptr<const SampleData>& sample_ptr() const { return sample_; }
  const SampleList& samples() const { return *samples_; }
  const std::shared_ptr<const SampleList>& samples_ptr() const { return samples_; }
  const AlertData& data() const { return *data_; }

  // The Go type name, for messages: "float64", "map[string]string", ...
  std::string TypeName() const;

 private:
  Kind kind_ = Kind::kInvalid;
  bool b_ = false;
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_;
  std::shared_ptr<const StringMap> smap_;
  std::shared_ptr<const AnyMap> amap_;
  std::shared_ptr<const SampleData> sample_;
  std::shared_ptr<const SampleList> samples_;
  std::shared_ptr<const AlertData> data_;
};

// Go's template truth: false, 0, "", empty map/slice, nil pointer and the
// invalid value are false.
bool IsTrue(const Value& v);

}  // namespace promethium::rules::tmpl
