#include "rules/template/value.h"

namespace promethium::rules::tmpl {

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.b_ = b;
  return v;
}
Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = Kind::kInt;
  v.i_ = i;
  return v;
}
Value Value::Float(double f) {
  Value v;
  v.kind_ = Kind::kFloat;
  v.f_ = f;
  return v;
}
Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.s_ = std::move(s);
  return v;
}
Value Value::Html(std::string s) {
  Value v;
  v.kind_ = Kind::kHtml;
  v.s_ = std::move(s);
  return v;
}
Value Value::Map(std::shared_ptr<const StringMap> m) {
  Value v;
  v.kind_ = Kind::kStringMap;
  v.smap_ = m ? std::move(m) : std::make_shared<const StringMap>();
  return v;
}
Value Value::Any(std::shared_ptr<const AnyMap> m) {
  Value v;
  v.kind_ = Kind::kAnyMap;
  v.amap_ = m ? std::move(m) : std::make_shared<const AnyMap>();
  return v;
}
Value Value::Sample(std::shared_ptr<const SampleData> s) {
  Value v;
  v.kind_ = Kind::kSample;
  v.sample_ = std::move(s);
  return v;
}
Value Value::Samples(std::shared_ptr<const SampleList> l) {
  Value v;
  v.kind_ = Kind::kSampleList;
  v.samples_ = l ? std::move(l) : std::make_shared<const SampleList>();
  return v;
}
Value Value::TimeMs(int64_t unix_ms) {
  Value v;
  v.kind_ = Kind::kTime;
  v.i_ = unix_ms;
  return v;
}
Value Value::DurationNs(int64_t ns) {
  Value v;
  v.kind_ = Kind::kDuration;
  v.i_ = ns;
  return v;
}
Value Value::Data(std::shared_ptr<const AlertData> d) {
  Value v;
  v.kind_ = Kind::kData;
  v.data_ = std::move(d);
  return v;
}

std::string Value::TypeName() const {
  switch (kind_) {
    case Kind::kInvalid: return "<nil>";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float64";
    case Kind::kString: return "string";
    case Kind::kHtml: return "template.HTML";
    case Kind::kStringMap: return "map[string]string";
    case Kind::kAnyMap: return "map[string]interface {}";
    case Kind::kSample: return "*template.sample";
    case Kind::kSampleList: return "template.queryResult";
    case Kind::kTime: return "*time.Time";
    case Kind::kDuration: return "*time.Duration";
    case Kind::kData:
      return "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value "
             "float64 }";
  }
  return "?";
}

bool IsTrue(const Value& v) {
  switch (v.kind()) {
    case Kind::kInvalid: return false;
    case Kind::kBool: return v.b();
    case Kind::kInt: return v.i() != 0;
    case Kind::kFloat: return v.f() != 0;
    case Kind::kString:
    case Kind::kHtml: return !v.s().empty();
    case Kind::kStringMap: return !v.map().empty();
    case Kind::kAnyMap: return !v.any_map().empty();
    case Kind::kSample: return v.sample() != nullptr;
    case Kind::kSampleList: return !v.samples().empty();
    case Kind::kTime:
    case Kind::kDuration:
    case Kind::kData: return true;
  }
  return false;
}

}  // namespace promethium::rules::tmpl
