// Native-histogram values of the series notation (see histogram_notation.h).
#include "promql/seriesnotation/histogram_notation.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "tsdb/base/metrics.h"

namespace promethium::promql::seriesnotation {

namespace {

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<double> Number(std::string_view key, std::string_view text) {
  double v = 0;
  if (!ParseNumber(text, &v)) return Status::InvalidArgument(fmt::format("error parsing {} number: {:?}", key, text));
  return v;
}

// The grammar's `int`: an optionally signed integer.
Result<int64_t> Integer(std::string_view key, std::string_view text) {
  PROMETHIUM_ASSIGN_OR_RETURN(double v, Number(key, text));
  if (std::trunc(v) != v || std::fabs(v) > 1e15) {
    return Status::InvalidArgument(fmt::format("error parsing {} number: {:?} is not an integer", key, text));
  }
  return static_cast<int64_t>(v);
}

Result<std::vector<double>> BucketList(std::string_view key, std::string_view text) {
  // text is "[a b c]".
  std::vector<double> out;
  std::string_view inner = text.substr(1, text.size() - 2);
  if (!inner.empty() && IsSpace(inner[0])) return Status::InvalidArgument("unexpected \" \" in series values");
  size_t i = 0;
  while (i < inner.size()) {
    while (i < inner.size() && IsSpace(inner[i])) ++i;
    size_t j = i;
    while (j < inner.size() && !IsSpace(inner[j])) ++j;
    if (j > i) {
      PROMETHIUM_ASSIGN_OR_RETURN(double v, Number(key, inner.substr(i, j - i)));
      out.push_back(v);
    }
    i = j;
  }
  if (out.empty()) return Status::InvalidArgument(fmt::format("empty bucket list for {}", key));
  return out;
}

Result<CounterResetHint> Hint(std::string_view text) {
  std::string l = Lower(text);
  if (l == "unknown") return CounterResetHint::kUnknown;
  if (l == "reset") return CounterResetHint::kCounterReset;
  if (l == "not_reset") return CounterResetHint::kNotCounterReset;
  if (l == "gauge") return CounterResetHint::kGauge;
  return Status::InvalidArgument(fmt::format("error parsing counter_reset_hint: unknown value {:?}", text));
}

// Splits the inside of {{...}} into key -> value text ("[..]" kept whole).
Result<std::map<std::string, std::string>> SplitItems(std::string_view inner) {
  std::map<std::string, std::string> items;
  size_t i = 0;
  // As Prometheus's lexer: `{{ }}` is the empty histogram, but items must
  // follow `{{` directly.
  if (!inner.empty() && IsSpace(inner[0]) && !TrimSpace(inner).empty()) {
    return Status::InvalidArgument("unexpected \" \" in series values");
  }
  while (true) {
    while (i < inner.size() && IsSpace(inner[i])) ++i;
    if (i >= inner.size()) break;
    size_t colon = inner.find(':', i);
    std::string key = Lower(inner.substr(i, colon == std::string_view::npos ? inner.size() - i : colon - i));
    if (colon == std::string_view::npos || key.empty() || key.find_first_of(" \t[]") != std::string::npos) {
      return Status::InvalidArgument(fmt::format("bad histogram descriptor found: {:?}", key));
    }
    size_t v = colon + 1;
    size_t end = v;
    if (v < inner.size() && inner[v] == '[') {
      end = inner.find(']', v);
      if (end == std::string_view::npos) return Status::InvalidArgument("unterminated bucket list in histogram");
      ++end;
    } else {
      while (end < inner.size() && !IsSpace(inner[end])) ++end;
    }
    if (end == v) return Status::InvalidArgument("unexpected \" \" in series values");
    if (!items.emplace(key, std::string(inner.substr(v, end - v))).second) {
      return Status::InvalidArgument(fmt::format("duplicate key \"{}\" in histogram", key));
    }
    i = end;
  }
  return items;
}

Status SetBuckets(const std::map<std::string, std::string>& items, const char* buckets_key, const char* offset_key,
                  std::vector<double>* buckets, std::vector<HistogramSpan>* spans) {
  int64_t offset = 0;
  if (auto it = items.find(offset_key); it != items.end()) {
    PROMETHIUM_ASSIGN_OR_RETURN(offset, Integer(offset_key, it->second));
  }
  auto it = items.find(buckets_key);
  if (it == items.end()) return Status::OK();
  if (it->second.front() != '[' || it->second.back() != ']') {
    return Status::InvalidArgument(fmt::format("error parsing {} float array: {:?}", buckets_key, it->second));
  }
  PROMETHIUM_ASSIGN_OR_RETURN(*buckets, BucketList(buckets_key, it->second));
  spans->push_back({static_cast<int32_t>(offset), static_cast<uint32_t>(buckets->size())});
  return Status::OK();
}

Status FillHistogram(const std::map<std::string, std::string>& items, HistogramDesc* d) {
  static const char* kKeys[] = {"schema",        "sum",     "count",     "z_bucket", "z_bucket_w",        "offset",
                                "custom_values", "buckets", "n_buckets", "n_offset", "counter_reset_hint"};
  for (const auto& item : items) {
    const std::string& key = item.first;  // named: clang before 16 cannot capture a structured binding
    if (std::none_of(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return key == k; })) {
      return Status::InvalidArgument(fmt::format("bad histogram descriptor found: {:?}", key));
    }
  }
  FloatHistogram& h = d->h;
  auto get = [&](const char* key) -> const std::string* {
    auto it = items.find(key);
    return it == items.end() ? nullptr : &it->second;
  };
  if (const auto* v = get("schema")) {
    PROMETHIUM_ASSIGN_OR_RETURN(int64_t s, Integer("schema", *v));
    h.schema = static_cast<int32_t>(s);
  }
  if (const auto* v = get("sum")) {
    PROMETHIUM_ASSIGN_OR_RETURN(h.sum, Number("sum", *v));
  }
  if (const auto* v = get("count")) {
    PROMETHIUM_ASSIGN_OR_RETURN(h.count, Number("count", *v));
  }
  if (const auto* v = get("z_bucket")) {
    PROMETHIUM_ASSIGN_OR_RETURN(h.zero_count, Number("z_bucket", *v));
  }
  if (const auto* v = get("z_bucket_w")) {
    PROMETHIUM_ASSIGN_OR_RETURN(h.zero_threshold, Number("z_bucket_w", *v));
  }
  if (const auto* v = get("custom_values")) {
    if (v->front() != '[' || v->back() != ']') {
      return Status::InvalidArgument(fmt::format("error parsing custom_values: {:?}", *v));
    }
    PROMETHIUM_ASSIGN_OR_RETURN(h.custom_values, BucketList("custom_values", *v));
  }
  if (const auto* v = get("counter_reset_hint")) {
    PROMETHIUM_ASSIGN_OR_RETURN(h.counter_reset_hint, Hint(*v));
    d->counter_reset_hint_set = true;
  }
  PROMETHIUM_RETURN_IF_ERROR(SetBuckets(items, "buckets", "offset", &h.positive_buckets, &h.positive_spans));
  return SetBuckets(items, "n_buckets", "n_offset", &h.negative_buckets, &h.negative_spans);
}

// The length of the `{{...}}` at the start of s, or 0.
size_t BracesLength(std::string_view s) {
  if (!s.starts_with("{{")) return 0;
  size_t close = s.find("}}", 2);
  return close == std::string_view::npos ? 0 : close + 2;
}

Result<uint64_t> Times(std::string_view s) {
  // s is "x<digits>".
  if (s.size() < 2 || s[0] != 'x') return Status::InvalidArgument(fmt::format("bad histogram expansion {:?}", s));
  for (char c : s.substr(1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return Status::InvalidArgument(fmt::format("bad histogram expansion {:?}", s));
    }
  }
  return std::strtoull(std::string(s.substr(1)).c_str(), nullptr, 10);
}

SequenceValue HistogramValue(const FloatHistogram& h, bool hint_set) {
  SequenceValue v;
  v.histogram = true;
  v.h = std::make_shared<const FloatHistogram>(h);
  v.counter_reset_hint_set = hint_set;
  return v;
}

}  // namespace

Result<HistogramDesc> ParseHistogramDesc(std::string_view text) {
  if (BracesLength(text) != text.size() || text.size() < 4) {
    return Status::InvalidArgument(fmt::format("bad histogram {:?}", text));
  }
  PROMETHIUM_ASSIGN_OR_RETURN(auto items, SplitItems(text.substr(2, text.size() - 4)));
  HistogramDesc d;
  PROMETHIUM_RETURN_IF_ERROR(FillHistogram(items, &d).WithContext(fmt::format("histogram {}", text)));
  return d;
}

size_t HistogramTokenLength(std::string_view s) {
  size_t n = BracesLength(s);
  if (n == 0) return 0;
  if (n < s.size() && (s[n] == '+' || s[n] == '-')) {
    size_t second = BracesLength(s.substr(n + 1));
    if (second == 0) return 0;
    n += 1 + second;
  }
  while (n < s.size() && !IsSpace(s[n])) ++n;  // the xN suffix
  return n;
}

Status ExpandHistogramToken(std::string_view token, std::vector<SequenceValue>* out) {
  size_t first_len = BracesLength(token);
  PROMETHIUM_ASSIGN_OR_RETURN(HistogramDesc base, ParseHistogramDesc(token.substr(0, first_len)));
  std::string_view rest = token.substr(first_len);
  if (rest.empty()) {
    out->push_back(HistogramValue(base.h, base.counter_reset_hint_set));
    return Status::OK();
  }
  if (rest[0] == 'x') {
    PROMETHIUM_ASSIGN_OR_RETURN(uint64_t times, Times(rest));
    for (uint64_t i = 0; i <= times; ++i) out->push_back(HistogramValue(base.h, base.counter_reset_hint_set));
    return Status::OK();
  }
  bool add = rest[0] == '+';
  size_t inc_len = BracesLength(rest.substr(1));
  PROMETHIUM_ASSIGN_OR_RETURN(HistogramDesc inc, ParseHistogramDesc(rest.substr(1, inc_len)));
  PROMETHIUM_ASSIGN_OR_RETURN(uint64_t times, Times(rest.substr(1 + inc_len)));
  // As Prometheus: every value carries the hint flag of the increment (the
  // last histogram described).
  bool hint_set = inc.counter_reset_hint_set;
  FloatHistogram cur = base.h;
  out->push_back(HistogramValue(cur, hint_set));
  for (uint64_t i = 1; i <= times; ++i) {
    if (cur.schema > inc.h.schema) {
      return Status::InvalidArgument(
          fmt::format("error combining histograms: cannot merge from schema {} to {}", inc.h.schema, cur.schema));
    }
    PROMETHIUM_RETURN_IF_ERROR(add ? cur.Add(inc.h) : cur.Sub(inc.h));
    out->push_back(HistogramValue(cur, hint_set));
  }
  return Status::OK();
}

namespace {

// Buckets of one side as one run from the first to the last non-empty
// bucket (Prometheus compacts with an unlimited gap before printing).
void OneSpan(const std::vector<HistogramSpan>& spans, const std::vector<double>& buckets, int32_t* offset,
             std::vector<double>* out) {
  std::vector<std::pair<int32_t, double>> all;
  int32_t index = 0;
  size_t b = 0;
  for (const auto& s : spans) {
    index += s.offset;
    for (uint32_t k = 0; k < s.length && b < buckets.size(); ++k, ++index, ++b) all.push_back({index, buckets[b]});
  }
  size_t lo = 0, hi = all.size();
  while (lo < hi && all[lo].second == 0) ++lo;
  while (hi > lo && all[hi - 1].second == 0) --hi;
  out->clear();
  if (lo == hi) return;
  *offset = all[lo].first;
  for (int32_t i = all[lo].first, k = static_cast<int32_t>(lo); i <= all[hi - 1].first; ++i) {
    if (all[static_cast<size_t>(k)].first == i) {
      out->push_back(all[static_cast<size_t>(k)].second);
      ++k;
    } else {
      out->push_back(0);
    }
  }
}

std::string JoinG(const std::vector<double>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + FormatPromFloat(v[i]);
  return s;
}

}  // namespace

std::string HistogramTestExpression(const FloatHistogram& h) {
  std::vector<std::string> parts;
  if (h.schema != 0) parts.push_back(fmt::format("schema:{}", h.schema));
  if (h.count != 0) parts.push_back("count:" + FormatPromFloat(h.count));
  if (h.sum != 0) parts.push_back("sum:" + FormatPromFloat(h.sum));
  if (h.zero_count != 0) parts.push_back("z_bucket:" + FormatPromFloat(h.zero_count));
  if (h.zero_threshold != 0) parts.push_back("z_bucket_w:" + FormatPromFloat(h.zero_threshold));
  if (IsCustomBucketsSchema(h.schema)) parts.push_back("custom_values:[" + JoinG(h.custom_values) + "]");
  switch (h.counter_reset_hint) {
    case CounterResetHint::kUnknown: break;
    case CounterResetHint::kCounterReset: parts.push_back("counter_reset_hint:reset"); break;
    case CounterResetHint::kNotCounterReset: parts.push_back("counter_reset_hint:not_reset"); break;
    case CounterResetHint::kGauge: parts.push_back("counter_reset_hint:gauge"); break;
  }
  auto side = [&](const char* buckets_key, const char* offset_key, const std::vector<HistogramSpan>& spans,
                  const std::vector<double>& buckets) {
    int32_t offset = 0;
    std::vector<double> run;
    OneSpan(spans, buckets, &offset, &run);
    if (run.empty()) return;
    if (offset != 0) parts.push_back(fmt::format("{}:{}", offset_key, offset));
    parts.push_back(fmt::format("{}:[{}]", buckets_key, JoinG(run)));
  };
  side("buckets", "offset", h.positive_spans, h.positive_buckets);
  side("n_buckets", "n_offset", h.negative_spans, h.negative_buckets);
  return "{{" + fmt::format("{}", fmt::join(parts, " ")) + "}}";
}

}  // namespace promethium::promql::seriesnotation
