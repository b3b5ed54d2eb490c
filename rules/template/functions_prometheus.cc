// Prometheus's template functions (template/template.go, and
// prometheus/common's helpers/templates for the humanize family).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>

#include "rules/template/functions.h"
#include "rules/template/go_format.h"
#include "rules/template/template.h"
#include "tsdb/base/duration.h"
#include "tsdb/base/go_float.h"

namespace promethium::rules::tmpl {
namespace {

using P = ParamType;
using Args = std::vector<Value>;

const char kNilDeref[] = "runtime error: invalid memory address or nil pointer dereference";

// prometheus/common's ConvertToFloat.
Result<double> ToFloat(const Value& v) {
  switch (v.kind()) {
    case Kind::kFloat: return v.f();
    case Kind::kInt: return static_cast<double>(v.i());
    case Kind::kString: return ParseGoFloat(v.s());
    case Kind::kDuration:
      return static_cast<double>(v.i() / 1000000000) + static_cast<double>(v.i() % 1000000000) / 1e9;
    default: return Status::InvalidArgument(fmt::format("can't convert {} to float", v.TypeName()));
  }
}

std::string G4(double v) { return FormatGoFloat(v, 'g', 4); }

Result<Value> Humanize(const CallEnv&, Args& a) {
  PROMETHIUM_ASSIGN_OR_RETURN(double v, ToFloat(a[0]));
  if (v == 0 || std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  std::string prefix;
  if (std::fabs(v) >= 1) {
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return Value::String(G4(v) + prefix);
  }
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Value::String(G4(v) + prefix);
}

Result<Value> Humanize1024(const CallEnv&, Args& a) {
  PROMETHIUM_ASSIGN_OR_RETURN(double v, ToFloat(a[0]));
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  std::string prefix;
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return Value::String(G4(v) + prefix);
}

Result<Value> HumanizeDuration(const CallEnv&, Args& a) {
  PROMETHIUM_ASSIGN_OR_RETURN(double v, ToFloat(a[0]));
  if (std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  if (v == 0) return Value::String(G4(v) + "s");
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) sign = "-", v = -v;
    // Go's int64() of a float beyond int64 is MinInt64 on amd64 (what promtool prints).
    int64_t d = GoFloatToInt64(v);
    int64_t seconds = d % 60, minutes = d / 60 % 60, hours = d / 3600 % 24, days = d / 86400;
    if (days != 0) return Value::String(fmt::format("{}{}d {}h {}m {}s", sign, days, hours, minutes, seconds));
    if (hours != 0) return Value::String(fmt::format("{}{}h {}m {}s", sign, hours, minutes, seconds));
    if (minutes != 0) return Value::String(fmt::format("{}{}m {}s", sign, minutes, seconds));
    return Value::String(sign + G4(v) + "s");
  }
  std::string prefix;
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Value::String(G4(v) + prefix + "s");
}

// Prometheus's floatToTime: seconds -> a UTC time of millisecond precision.
Result<int64_t> FloatToTimeMs(double v) {
  if (std::isnan(v) || std::isinf(v)) return Status::InvalidArgument("value is NaN or Inf");
  double ts = v * 1e9;
  if (ts > 9223372036854775807.0 || ts < -9223372036854775808.0) {
    return Status::InvalidArgument(fmt::format(
        "{} cannot be represented as a nanoseconds timestamp since it overflows int64", FormatGoFloat(v, 'g', -1)));
  }
  return static_cast<int64_t>(ts) / 1000000;
}

Result<Value> HumanizeTimestamp(const CallEnv&, Args& a) {
  PROMETHIUM_ASSIGN_OR_RETURN(double v, ToFloat(a[0]));
  if (std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  PROMETHIUM_ASSIGN_OR_RETURN(int64_t ms, FloatToTimeMs(v));
  return Value::String(GoTimeString(ms));
}

Result<Value> HumanizePercentage(const CallEnv&, Args& a) {
  PROMETHIUM_ASSIGN_OR_RETURN(double v, ToFloat(a[0]));
  return Value::String(G4(v * 100) + "%");
}

// net.SplitHostPort; false on error.
bool SplitHostPort(std::string_view hp, std::string* host, std::string* port) {
  size_t i = hp.rfind(':');
  if (i == std::string_view::npos) return false;
  size_t j = 0, k = 0;
  if (!hp.empty() && hp[0] == '[') {
    size_t end = hp.find(']');
    if (end == std::string_view::npos || end + 1 != i) return false;
    *host = std::string(hp.substr(1, end - 1));
    j = 1;
    k = end + 1;
  } else {
    *host = std::string(hp.substr(0, i));
    if (host->find(':') != std::string::npos) return false;
  }
  if (hp.find('[', j) != std::string_view::npos) return false;
  if (hp.find(']', k) != std::string_view::npos) return false;
  *port = std::string(hp.substr(i + 1));
  return true;
}

bool IsIP(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

Result<Value> StripDomain(const CallEnv&, Args& a) {
  const std::string& hp = a[0].s();
  std::string host, port;
  if (!SplitHostPort(hp, &host, &port)) host = hp, port.clear();
  if (IsIP(host)) return Value::String(hp);
  host = host.substr(0, host.find('.'));
  if (port.empty()) return Value::String(host);
  if (host.find(':') != std::string::npos) return Value::String("[" + host + "]:" + port);
  return Value::String(host + ":" + port);
}

// Go's Regexp.Expand of $1, ${1}, $name, ${name} and $$.
void Expand(std::string* out, std::string_view repl, const re2::RE2& re, const std::vector<re2::StringPiece>& groups) {
  const auto& names = re.NamedCapturingGroups();
  while (!repl.empty()) {
    size_t d = repl.find('$');
    if (d == std::string_view::npos) break;
    out->append(repl.substr(0, d));
    repl.remove_prefix(d + 1);
    if (!repl.empty() && repl[0] == '$') {
      out->push_back('$');
      repl.remove_prefix(1);
      continue;
    }
    bool brace = !repl.empty() && repl[0] == '{';
    std::string_view s = brace ? repl.substr(1) : repl;
    size_t n = 0;
    while (n < s.size() && (std::isalnum(static_cast<unsigned char>(s[n])) || s[n] == '_' ||
                            static_cast<unsigned char>(s[n]) >= 0x80)) {
      ++n;
    }
    if (n == 0 || (brace && (n >= s.size() || s[n] != '}'))) {
      out->push_back('$');
      continue;
    }
    std::string name(s.substr(0, n));
    repl = s.substr(n + (brace ? 1 : 0));
    int num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= 100000000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name[0] == '0' && name.size() > 1) num = -1;
    if (num < 0) {
      auto it = names.find(name);
      if (it == names.end()) continue;
      num = it->second;
    }
    if (num < static_cast<int>(groups.size()) && groups[num].data() != nullptr) {
      out->append(groups[num].data(), groups[num].size());
    }
  }
  out->append(repl);
}

Result<Value> ReReplaceAll(const CallEnv&, Args& a) {
  re2::RE2 re(a[0].s(), re2::RE2::Quiet);
  if (!re.ok()) return Status::InvalidArgument(fmt::format("regexp: Compile({}): {}", GoQuote(a[0].s()), re.error()));
  const std::string& src = a[2].s();
  re2::StringPiece text(src);
  int ngroups = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> groups(ngroups);
  std::string out;
  size_t search = 0, last_end = 0;
  while (search <= src.size()) {
    if (!re.Match(text, search, src.size(), re2::RE2::UNANCHORED, groups.data(), ngroups)) break;
    size_t mstart = groups[0].data() - src.data(), mend = mstart + groups[0].size();
    out.append(src, last_end, mstart - last_end);
    if (mend > last_end || mstart == 0) Expand(&out, a[1].s(), re, groups);
    last_end = mend;
    size_t width = 1;
    if (search < src.size()) {
      auto c = static_cast<unsigned char>(src[search]);
      width = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    }
    if (search + width > mend) {
      search += width;
    } else if (search + 1 > mend) {
      ++search;
    } else {
      search = mend;
    }
  }
  if (last_end < src.size()) out.append(src, last_end);
  return Value::String(out);
}

Result<Value> Match(const CallEnv&, Args& a) {
  re2::RE2 re(a[0].s(), re2::RE2::Quiet);
  if (!re.ok()) return Status::InvalidArgument(fmt::format("error parsing regexp: {}", re.error()));
  return Value::Bool(re2::RE2::PartialMatch(a[1].s(), re));
}

// strings.Title, which Prometheus 2.42 uses: upper-cases the first letter of
// each word, words being separated by non-alphanumerics (ASCII only here).
Result<Value> Title(const CallEnv&, Args& a) {
  std::string s = a[0].s();
  bool prev_sep = true;
  for (char& c : s) {
    auto u = static_cast<unsigned char>(c);
    bool sep = u < 0x80 && !std::isalnum(u) && c != '_';
    if (prev_sep && u < 0x80) c = static_cast<char>(std::toupper(u));
    prev_sep = sep;
  }
  return Value::String(s);
}

Result<Value> MapCase(Args& a, bool upper) {
  std::string s = a[0].s();
  for (char& c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x80) c = static_cast<char>(upper ? std::toupper(u) : std::tolower(u));
  }
  return Value::String(s);
}

Result<Value> Query(const CallEnv& env, Args& a) {
  if (env.querier == nullptr) return Status::FailedPrecondition("query function is not available");
  PROMETHIUM_ASSIGN_OR_RETURN(auto results, env.querier->Query(a[0].s()));
  auto list = std::make_shared<SampleList>();
  for (const auto& r : results) {
    auto s = std::make_shared<SampleData>();
    for (const auto& l : r.labels) s->labels[l.name] = l.value;
    s->value = r.value;
    list->push_back(std::move(s));
  }
  return Value::Samples(std::move(list));
}

Result<Value> SortByLabel(const CallEnv&, Args& a) {
  auto list = std::make_shared<SampleList>(a[1].samples());
  const std::string& by = a[0].s();
  auto get = [&](const std::shared_ptr<const SampleData>& s) -> std::string_view {
    if (s == nullptr) return "";
    auto it = s->labels.find(by);
    return it == s->labels.end() ? std::string_view() : std::string_view(it->second);
  };
  std::stable_sort(list->begin(), list->end(), [&](const auto& x, const auto& y) { return get(x) < get(y); });
  return Value::Samples(std::move(list));
}

std::string UrlPath(std::string_view url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string_view::npos ? 0 : url.find('/', scheme + 3);
  if (start == std::string_view::npos) return "";
  std::string_view rest = url.substr(start);
  return std::string(rest.substr(0, rest.find_first_of("?#")));
}

FuncSpec Fn(std::vector<ParamType> params, FuncImpl impl) {
  return FuncSpec{std::move(params), false, std::move(impl)};
}

void RegisterTextFunctions(std::vector<std::pair<std::string, FuncSpec>>* out);

}  // namespace

void RegisterPrometheusFunctions(std::vector<std::pair<std::string, FuncSpec>>* out) {
  out->emplace_back("query", Fn({P::kString}, Query));
  out->emplace_back("first", Fn({P::kSamples}, [](const CallEnv&, Args& a) -> Result<Value> {
                      if (a[0].samples().empty()) {
                        return Status::InvalidArgument("first() called on vector with no elements");
                      }
                      return Value::Sample(a[0].samples()[0]);
                    }));
  out->emplace_back("label", Fn({P::kString, P::kSample}, [](const CallEnv&, Args& a) -> Result<Value> {
                      if (a[1].sample() == nullptr) return Status::Internal(kNilDeref);
                      auto it = a[1].sample()->labels.find(a[0].s());
                      return Value::String(it == a[1].sample()->labels.end() ? "" : it->second);
                    }));
  out->emplace_back("value", Fn({P::kSample}, [](const CallEnv&, Args& a) -> Result<Value> {
                      if (a[0].sample() == nullptr) return Status::Internal(kNilDeref);
                      return Value::Float(a[0].sample()->value);
                    }));
  out->emplace_back("strvalue", Fn({P::kSample}, [](const CallEnv&, Args& a) -> Result<Value> {
                      if (a[0].sample() == nullptr) return Status::Internal(kNilDeref);
                      auto it = a[0].sample()->labels.find("__value__");
                      return Value::String(it == a[0].sample()->labels.end() ? "" : it->second);
                    }));
  out->emplace_back("args", FuncSpec{{P::kAny}, true, [](const CallEnv&, Args& a) -> Result<Value> {
                                       auto m = std::make_shared<AnyMap>();
                                       for (size_t i = 0; i < a.size(); ++i) (*m)[fmt::format("arg{}", i)] = a[i];
                                       return Value::Any(std::move(m));
                                     }});
  out->emplace_back("reReplaceAll", Fn({P::kString, P::kString, P::kString}, ReReplaceAll));
  RegisterTextFunctions(out);
}

namespace {

void RegisterTextFunctions(std::vector<std::pair<std::string, FuncSpec>>* out) {
  out->emplace_back("safeHtml",
                    Fn({P::kString}, [](const CallEnv&, Args& a) -> Result<Value> { return Value::Html(a[0].s()); }));
  out->emplace_back("match", Fn({P::kString, P::kString}, Match));
  out->emplace_back("title", Fn({P::kString}, Title));
  out->emplace_back("toUpper", Fn({P::kString}, [](const CallEnv&, Args& a) { return MapCase(a, true); }));
  out->emplace_back("toLower", Fn({P::kString}, [](const CallEnv&, Args& a) { return MapCase(a, false); }));
  out->emplace_back("graphLink", Fn({P::kString}, [](const CallEnv&, Args& a) -> Result<Value> {
                      return Value::String("/graph?g0.expr=" + UrlQueryEscape(a[0].s()) + "&g0.tab=0");
                    }));
  out->emplace_back("tableLink", Fn({P::kString}, [](const CallEnv&, Args& a) -> Result<Value> {
                      return Value::String("/graph?g0.expr=" + UrlQueryEscape(a[0].s()) + "&g0.tab=1");
                    }));
  out->emplace_back("sortByLabel", Fn({P::kString, P::kSamples}, SortByLabel));
  out->emplace_back("stripPort", Fn({P::kString}, [](const CallEnv&, Args& a) -> Result<Value> {
                      std::string host, port;
                      return Value::String(SplitHostPort(a[0].s(), &host, &port) ? host : a[0].s());
                    }));
  out->emplace_back("stripDomain", Fn({P::kString}, StripDomain));
  out->emplace_back("humanize", Fn({P::kAny}, Humanize));
  out->emplace_back("humanize1024", Fn({P::kAny}, Humanize1024));
  out->emplace_back("humanizeDuration", Fn({P::kAny}, HumanizeDuration));
  out->emplace_back("humanizePercentage", Fn({P::kAny}, HumanizePercentage));
  out->emplace_back("humanizeTimestamp", Fn({P::kAny}, HumanizeTimestamp));
  out->emplace_back("toTime", Fn({P::kAny}, [](const CallEnv&, Args& a) -> Result<Value> {
                      PROMETHIUM_ASSIGN_OR_RETURN(double v, ToFloat(a[0]));
                      PROMETHIUM_ASSIGN_OR_RETURN(int64_t ms, FloatToTimeMs(v));
                      return Value::TimeMs(ms);
                    }));
  out->emplace_back("toDuration", Fn({P::kAny}, [](const CallEnv&, Args& a) -> Result<Value> {
                      PROMETHIUM_ASSIGN_OR_RETURN(double v, ToFloat(a[0]));
                      double ns = v * 1e9;
                      if (!(std::fabs(ns) < 9.2e18)) return Status::InvalidArgument("duration out of range");
                      return Value::DurationNs(static_cast<int64_t>(ns));
                    }));
  out->emplace_back("now", Fn({}, [](const CallEnv& env, Args&) -> Result<Value> {
                      return Value::Float(static_cast<double>(env.eval_time_ms) / 1000.0);
                    }));
  out->emplace_back("pathPrefix", Fn({}, [](const CallEnv& env, Args&) -> Result<Value> {
                      return Value::String(env.external_url ? UrlPath(*env.external_url) : "");
                    }));
  out->emplace_back("externalURL", Fn({}, [](const CallEnv& env, Args&) -> Result<Value> {
                      return Value::String(env.external_url ? *env.external_url : "");
                    }));
  out->emplace_back("parseDuration", Fn({P::kString}, [](const CallEnv&, Args& a) -> Result<Value> {
                      std::string_view s = a[0].s();
                      bool neg = !s.empty() && s[0] == '-';
                      PROMETHIUM_ASSIGN_OR_RETURN(int64_t ms, ParseDuration(neg ? s.substr(1) : s));
                      double secs = static_cast<double>(ms * 1000000) / 1e9;
                      return Value::Float(neg ? -secs : secs);
                    }));
  out->emplace_back("urlQueryEscape", Fn({P::kString}, [](const CallEnv&, Args& a) -> Result<Value> {
                      return Value::String(UrlQueryEscape(a[0].s()));
                    }));
}

}  // namespace

}  // namespace promethium::rules::tmpl
