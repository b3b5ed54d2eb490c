// Runner (see runner.h).
#include "tests/promqltest/runner.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "promql/parser/functions.h"
#include "promql/parser/walk.h"
#include "promql/seriesnotation/histogram_notation.h"
#include "tests/promqltest/nhcb_load.h"
#include "tsdb/base/metrics.h"

namespace promethium::promqltest {

using promql::Matrix;
using promql::QueryResult;
using promql::Scalar;
using promql::String;
using promql::Vector;
using promql::seriesnotation::HistogramTestExpression;

bool AlmostEqual(double a, double b, double epsilon) {
  if (IsStaleNaN(a) || IsStaleNaN(b)) return IsStaleNaN(a) && IsStaleNaN(b);
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  const double min_normal = std::numeric_limits<double>::min();
  double abs_sum = std::fabs(a) + std::fabs(b);
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < min_normal) return diff < epsilon * min_normal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

promql::EngineOptions Runner::TestEngineOptions() {
  promql::EngineOptions o;
  o.timeout = std::chrono::seconds(100);
  o.max_samples = 50'000'000;
  o.default_subquery_step_ms = 60'000;
  o.parse.enable_experimental_functions = true;
  o.parse.enable_limit_aggregations = true;
  o.enable_delayed_name_removal = true;
  return o;
}

namespace {

constexpr double kEpsilon = 0.000001;

std::string Truncate(std::string s, size_t n = 400) {
  if (s.size() > n) s = s.substr(0, n) + "...";
  return s;
}

std::string FormatPoints(const std::vector<Sample>& pts) {
  std::string out;
  for (size_t i = 0; i < pts.size() && i < 12; ++i) {
    out += fmt::format("{}{}@{}", i ? " " : "", FormatPromFloat(pts[i].v), pts[i].t);
  }
  if (pts.size() > 12) out += " ...";
  return out;
}

bool Matches(const ExpectCmd& e, const std::string& s) {
  if (e.message) return *e.message == s;
  if (e.regex) return re2::RE2::PartialMatch(s, re2::RE2(*e.regex));
  return true;
}

std::string CheckAnnotationKind(const EvalCmd& cmd, ExpectType want, ExpectType no, const std::vector<std::string>& got,
                                std::string_view kind) {
  std::vector<const ExpectCmd*> expected;
  bool forbid = false;
  for (const auto& e : cmd.expects) {
    if (e.type == want) expected.push_back(&e);
    if (e.type == no) forbid = true;
  }
  if (forbid && !got.empty()) return fmt::format("unexpected {} annotations: {}", kind, fmt::join(got, "; "));
  if (expected.empty()) return "";
  if (got.empty()) return fmt::format("expected {} annotations but none were found", kind);
  for (const auto* e : expected) {
    if (std::none_of(got.begin(), got.end(), [&](const std::string& g) { return Matches(*e, g); })) {
      return fmt::format("expected {} annotation matching {:?} but found: {}", kind,
                         e->message ? *e->message : e->regex.value_or(".*"), fmt::join(got, "; "));
    }
  }
  for (const auto& g : got) {
    if (std::none_of(expected.begin(), expected.end(), [&](const ExpectCmd* e) { return Matches(*e, g); })) {
      return fmt::format("unexpected {} annotation {:?}", kind, g);
    }
  }
  return "";
}

std::string CheckAnnotations(const EvalCmd& cmd, const QueryResult& r) {
  if (cmd.warn && r.warnings.empty()) return "expected warnings but got none";
  if (cmd.info && r.infos.empty()) return "expected info annotations but got none";
  std::string w = CheckAnnotationKind(cmd, ExpectType::kWarn, ExpectType::kNoWarn, r.warnings, "warn");
  if (!w.empty()) return w;
  return CheckAnnotationKind(cmd, ExpectType::kInfo, ExpectType::kNoInfo, r.infos, "info");
}

std::string CheckFailure(const EvalCmd& cmd, const std::string& err) {
  if (cmd.expected_fail_message && *cmd.expected_fail_message != err) {
    return fmt::format("expected error {:?}, got {:?}", *cmd.expected_fail_message, err);
  }
  if (cmd.expected_fail_regexp && !re2::RE2::PartialMatch(err, re2::RE2(*cmd.expected_fail_regexp))) {
    return fmt::format("expected error matching {:?}, got {:?}", *cmd.expected_fail_regexp, err);
  }
  for (const auto& e : cmd.expects) {
    if (e.type == ExpectType::kFail && !Matches(e, err)) {
      return fmt::format("expected error matching {:?}, got {:?}", e.message ? *e.message : e.regex.value_or(".*"),
                         err);
    }
  }
  return "";
}

// The non-empty buckets of one side as (index, count), which is what
// Prometheus compares after Compact(0).
std::vector<std::pair<int64_t, double>> NonEmptyBuckets(const std::vector<HistogramSpan>& spans,
                                                        const std::vector<double>& buckets) {
  std::vector<std::pair<int64_t, double>> out;
  int64_t index = 0;
  size_t b = 0;
  for (const auto& span : spans) {
    index += span.offset;
    for (uint32_t k = 0; k < span.length && b < buckets.size(); ++k, ++index, ++b) {
      if (buckets[b] != 0) out.push_back({index, buckets[b]});
    }
  }
  return out;
}

bool BucketsMatch(const std::vector<HistogramSpan>& exp_spans, const std::vector<double>& exp_buckets,
                  const std::vector<HistogramSpan>& got_spans, const std::vector<double>& got_buckets) {
  auto a = NonEmptyBuckets(exp_spans, exp_buckets);
  auto b = NonEmptyBuckets(got_spans, got_buckets);
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first || !AlmostEqual(a[i].second, b[i].second, kEpsilon)) return false;
  }
  return true;
}

// Prometheus's compareNativeHistogram: counts, sum and buckets within the
// float tolerance, schema, zero threshold and custom bounds exact, the
// counter-reset hint only when the expectation names one.
bool HistogramsMatch(const FloatHistogram& exp, const FloatHistogram& got, bool hint_set) {
  if (exp.schema != got.schema || !AlmostEqual(exp.count, got.count, kEpsilon) ||
      !AlmostEqual(exp.sum, got.sum, kEpsilon)) {
    return false;
  }
  if (IsCustomBucketsSchema(exp.schema) && exp.custom_values != got.custom_values) return false;
  if (exp.zero_threshold != got.zero_threshold || !AlmostEqual(exp.zero_count, got.zero_count, kEpsilon)) return false;
  if (!BucketsMatch(exp.negative_spans, exp.negative_buckets, got.negative_spans, got.negative_buckets)) return false;
  if (!BucketsMatch(exp.positive_spans, exp.positive_buckets, got.positive_spans, got.positive_buckets)) return false;
  return !hint_set || exp.counter_reset_hint == got.counter_reset_hint;
}

std::string FormatHistogramPoints(const std::vector<promql::HistogramPoint>& pts) {
  std::string out;
  for (size_t i = 0; i < pts.size() && i < 4; ++i) {
    out += fmt::format("{}{}@{}", i ? " " : "", HistogramTestExpression(*pts[i].h), pts[i].t);
  }
  if (pts.size() > 4) out += " ...";
  return out;
}

std::string FormatSeries(const promql::MatrixSeries& s) {
  std::string out = FormatPoints(s.points);
  if (!s.histograms.empty()) {
    if (!out.empty()) out += ' ';
    out += FormatHistogramPoints(s.histograms);
  }
  return out;
}

std::string FormatElement(const promql::VectorElement& e) {
  return e.h != nullptr ? HistogramTestExpression(*e.h) : FormatPromFloat(e.v);
}

std::string CompareSeriesPoints(const SeriesDesc& exp, const promql::MatrixSeries& s, int64_t start, int64_t end,
                                int64_t step) {
  std::vector<Sample> want;
  std::vector<std::pair<int64_t, const SequenceValue*>> want_h;
  for (size_t i = 0; i < exp.values.size(); ++i) {
    int64_t ts = start + static_cast<int64_t>(i) * step;
    if (ts > end) return fmt::format("expected more points for {} than the query range allows", s.metric.ToString());
    const SequenceValue& v = exp.values[i];
    if (v.histogram) {
      want_h.push_back({ts, &v});
    } else if (!v.omitted) {
      want.push_back({ts, v.value});
    }
  }
  if (want.size() != s.points.size() || want_h.size() != s.histograms.size()) {
    return fmt::format("expected {} float points and {} histogram points for {}, got {}", want.size(), want_h.size(),
                       s.metric.ToString(), FormatSeries(s));
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].t != s.points[i].t || !AlmostEqual(want[i].v, s.points[i].v, kEpsilon)) {
      return fmt::format("for {} expected {} got {}", s.metric.ToString(), FormatPoints(want), FormatPoints(s.points));
    }
  }
  for (size_t i = 0; i < want_h.size(); ++i) {
    const auto& got = s.histograms[i];
    const SequenceValue& e = *want_h[i].second;
    if (want_h[i].first != got.t || got.h == nullptr || !HistogramsMatch(*e.h, *got.h, e.counter_reset_hint_set)) {
      return fmt::format("for {} expected histogram {}@{} got {}", s.metric.ToString(), HistogramTestExpression(*e.h),
                         want_h[i].first, got.h ? fmt::format("{}@{}", HistogramTestExpression(*got.h), got.t) : "");
    }
  }
  return "";
}

std::string CompareMatrix(const EvalCmd& cmd, const Matrix& m, int64_t start, int64_t end, int64_t step) {
  if (cmd.expect_scalar) return "expected scalar result, but got a matrix";
  for (size_t i = 1; i < m.size(); ++i) {
    if (m[i].metric < m[i - 1].metric) return "matrix results should always be sorted by labels";
  }
  std::unordered_map<uint64_t, const SeriesDesc*> expected;
  for (const auto& e : cmd.expected) expected[e.metric.Hash()] = &e;
  size_t seen = 0;
  for (const auto& s : m) {
    auto it = expected.find(s.metric.Hash());
    if (it == expected.end()) {
      return fmt::format("unexpected metric {} in result, has {}", s.metric.ToString(), FormatSeries(s));
    }
    ++seen;
    std::string err = CompareSeriesPoints(*it->second, s, start, end, step);
    if (!err.empty()) return err;
  }
  if (seen != expected.size()) {
    for (const auto& e : cmd.expected) {
      bool found = std::any_of(m.begin(), m.end(), [&](const auto& s) { return s.metric == e.metric; });
      if (!found) return fmt::format("expected metric {} not found", e.metric.ToString());
    }
  }
  return "";
}

// One element against its expectation, as Prometheus's compareResult.
std::string CompareElement(const SeriesDesc& e, const promql::VectorElement& got) {
  if (e.values.empty()) return fmt::format("no expected value for {}", e.metric.ToString());
  const SequenceValue& want = e.values[0];
  if (!want.histogram && got.h != nullptr) {
    return fmt::format("expected float value {} for {} but got histogram {}", FormatPromFloat(want.value),
                       got.metric.ToString(), HistogramTestExpression(*got.h));
  }
  if (want.histogram && got.h == nullptr) {
    return fmt::format("expected histogram {} for {} but got float value {}", HistogramTestExpression(*want.h),
                       got.metric.ToString(), FormatPromFloat(got.v));
  }
  if (want.histogram) {
    if (!HistogramsMatch(*want.h, *got.h, want.counter_reset_hint_set)) {
      return fmt::format("expected {} for {} but got {}", HistogramTestExpression(*want.h), got.metric.ToString(),
                         HistogramTestExpression(*got.h));
    }
    return "";
  }
  if (!AlmostEqual(want.value, got.v, kEpsilon)) {
    return fmt::format("expected {} for {} but got {}", FormatPromFloat(want.value), e.metric.ToString(),
                       FormatPromFloat(got.v));
  }
  return "";
}

std::string CompareVector(const EvalCmd& cmd, const Vector& v, bool check_order) {
  if (cmd.expect_scalar) return fmt::format("expected scalar result, but got a vector of {} elements", v.size());
  std::unordered_map<uint64_t, size_t> expected;
  for (size_t i = 0; i < cmd.expected.size(); ++i) expected[cmd.expected[i].metric.Hash()] = i;
  size_t seen = 0;
  for (size_t pos = 0; pos < v.size(); ++pos) {
    auto it = expected.find(v[pos].metric.Hash());
    if (it == expected.end()) {
      return fmt::format("unexpected metric {} in result, has value {}", v[pos].metric.ToString(),
                         FormatElement(v[pos]));
    }
    const SeriesDesc& e = cmd.expected[it->second];
    if (check_order && it->second != pos) {
      return fmt::format("expected metric {} at position {} but was at {}", e.metric.ToString(), it->second + 1,
                         pos + 1);
    }
    std::string err = CompareElement(e, v[pos]);
    if (!err.empty()) return err;
    ++seen;
  }
  if (seen != cmd.expected.size()) {
    for (const auto& e : cmd.expected) {
      bool found = std::any_of(v.begin(), v.end(), [&](const auto& s) { return s.metric == e.metric; });
      if (!found) return fmt::format("expected metric {} not found", e.metric.ToString());
    }
  }
  return "";
}

std::string CompareValue(const EvalCmd& cmd, const promql::Value& value) {
  if (const auto* m = std::get_if<Matrix>(&value)) {
    if (cmd.ordered) return "expected ordered result, but query returned a matrix";
    if (cmd.is_range) return CompareMatrix(cmd, *m, cmd.start_ms, cmd.end_ms, cmd.step_ms);
    if (!cmd.expect_range_vector) return "instant query returned a matrix without 'expect range vector'";
    return CompareMatrix(cmd, *m, cmd.rv_start_ms, cmd.rv_end_ms, cmd.rv_step_ms);
  }
  if (const auto* v = std::get_if<Vector>(&value)) return CompareVector(cmd, *v, cmd.ordered);
  if (const auto* s = std::get_if<Scalar>(&value)) {
    if (!cmd.expect_scalar)
      return fmt::format("expected vector or matrix result, but got scalar {}", FormatPromFloat(s->v));
    if (!AlmostEqual(cmd.scalar_value, s->v, kEpsilon)) {
      return fmt::format("expected scalar {} but got {}", FormatPromFloat(cmd.scalar_value), FormatPromFloat(s->v));
    }
    return "";
  }
  const auto& str = std::get<String>(value);
  if (cmd.expected_string != str.v) {
    return fmt::format("expected string {:?} but got {:?}", cmd.expected_string.value_or(""), str.v);
  }
  return "";
}

// Sets `@ ts` on every selector and subquery without one, except below a
// subquery (which then has one; Prometheus's atModifierTestCases). Returns
// false when the expression uses a function whose result depends on the
// evaluation time even for step-invariant arguments.
bool SetAtModifier(promql::Expr& e, int64_t ts) {
  using promql::AtModifier;
  using promql::NodeKind;
  static const char* kUnsafe[] = {"days_in_month", "day_of_month", "day_of_week", "day_of_year", "end",
                                  "hour",          "minute",       "month",       "year",        "predict_linear",
                                  "range",         "start",        "step",        "time",        "timestamp"};
  bool ok = true;
  promql::Inspect(e, [&](promql::Expr& node, promql::AstPath path) {
    bool under_subquery =
        std::any_of(path.begin(), path.end(), [](const promql::Expr* a) { return a->kind() == NodeKind::kSubquery; });
    auto set = [&](AtModifier& at, int64_t& at_ts) {
      if (!under_subquery && at == AtModifier::kNone) {
        at = AtModifier::kTimestamp;
        at_ts = ts;
      }
    };
    if (node.kind() == NodeKind::kVectorSelector) {
      auto& vs = node.As<promql::VectorSelector>();
      set(vs.at, vs.at_timestamp_ms);
    } else if (node.kind() == NodeKind::kSubquery) {
      auto& sq = node.As<promql::SubqueryExpr>();
      set(sq.at, sq.at_timestamp_ms);
    } else if (node.kind() == NodeKind::kCall) {
      std::string_view name = node.As<promql::Call>().func->name;
      if (std::any_of(std::begin(kUnsafe), std::end(kUnsafe), [&](const char* n) { return name == n; })) ok = false;
    }
    return promql::Visit::kContinue;
  });
  return ok;
}

struct LabelsHash {
  size_t operator()(const Labels& l) const { return static_cast<size_t>(l.Hash()); }
};

}  // namespace

std::string Runner::Load(const LoadCmd& cmd) {
  // As Prometheus's loadCmd, a series defined twice in one load keeps only
  // its last definition (aggregators.test relies on it).
  std::unordered_map<Labels, size_t, LabelsHash> last_def;
  for (size_t i = 0; i < cmd.series.size(); ++i) last_def[cmd.series[i].metric] = i;
  std::vector<LoadSample> batch;
  NhcbLoad nhcb;  // owns the labels of its samples in `batch`
  for (size_t def = 0; def < cmd.series.size(); ++def) {
    const SeriesDesc& s = cmd.series[def];
    if (last_def[s.metric] != def) continue;
    for (size_t i = 0; i < s.values.size(); ++i) {
      const SequenceValue& v = s.values[i];
      if (v.omitted) continue;
      batch.push_back(LoadSample{&s.metric, static_cast<int64_t>(i) * cmd.interval_ms, v.value, v.h});
    }
    if (cmd.with_nhcb) {
      Status st = nhcb.AddSeries(s, cmd.interval_ms);
      if (!st.ok()) return st.ToString();
    }
  }
  if (cmd.with_nhcb) {
    Status st = nhcb.AppendTo(&batch);
    if (!st.ok()) return st.ToString();
  }
  Status st = storage_->AppendBatch(batch);
  return st.ok() ? "" : st.ToString();
}

std::string Runner::RunEval(const EvalCmd& cmd) {
  std::string err = RunQuery(cmd, cmd.expr, cmd.start_ms);
  if (!err.empty() || cmd.is_range) return err;
  // As Prometheus does: with every selector pinned by `@ t`, the query must
  // give the same result at other evaluation times.
  auto parsed = promql::ParseExpr(cmd.expr, engine_->options().parse);
  if (!parsed.ok()) return "";
  promql::ExprPtr expr = std::move(parsed).value();
  if (!SetAtModifier(*expr, cmd.start_ms)) return "";
  std::string pinned = promql::ToString(*expr);
  int64_t ts = cmd.start_ms;
  std::vector<int64_t> times =
      ts == 0 ? std::vector<int64_t>{-1000, 0, 1000} : std::vector<int64_t>{-10 * ts, 0, ts / 5, ts, 10 * ts};
  for (int64_t t : times) {
    err = RunQuery(cmd, pinned, t);
    if (!err.empty()) return fmt::format("with @ modifiers ({} at {}ms): {}", pinned, t, err);
  }
  return "";
}

std::string Runner::RunQuery(const EvalCmd& cmd, const std::string& query, int64_t eval_ms) {
  QueryResult r = cmd.is_range
                      ? engine_->RangeQuery(storage_->queryable(), query, cmd.start_ms, cmd.end_ms, cmd.step_ms)
                      : engine_->InstantQuery(storage_->queryable(), query, eval_ms);
  if (cmd.fail) {
    if (r.ok()) return "expected error evaluating query but got none";
    return CheckFailure(cmd, r.error);
  }
  if (!r.ok()) return fmt::format("error evaluating query: {}: {}", promql::QueryErrorTypeName(r.error_type), r.error);
  std::string err = CheckAnnotations(cmd, r);
  if (!err.empty()) return err;
  err = CompareValue(cmd, r.value);
  if (!err.empty() || cmd.is_range || cmd.expect_range_vector || cmd.expected_string || cmd.ordered) return err;
  static const re2::RE2 kContextFns(R"((?:^|[^\w])(?:range|step|start|end)\(\))");
  if (re2::RE2::PartialMatch(query, kContextFns)) return "";
  // As Prometheus does: the same query in range mode must agree at t.
  QueryResult rr = engine_->RangeQuery(storage_->queryable(), query, eval_ms - 60000, eval_ms + 60000, 60000);
  if (!rr.ok()) return fmt::format("error evaluating query in range mode: {}", rr.error);
  const auto* m = std::get_if<Matrix>(&rr.value);
  if (m == nullptr) return "range mode did not return a matrix";
  Vector at_t;
  for (const auto& s : *m) {
    for (const auto& p : s.points) {
      if (p.t == eval_ms) at_t.push_back({s.metric, p.t, p.v, nullptr});
    }
    for (const auto& p : s.histograms) {
      if (p.t == eval_ms) at_t.push_back({s.metric, p.t, 0, p.h});
    }
  }
  if (std::holds_alternative<Scalar>(r.value)) {
    if (at_t.empty()) return "range mode: no scalar value at t";
    err = CompareValue(cmd, Scalar{eval_ms, at_t[0].v});
  } else {
    err = CompareVector(cmd, at_t, false);
  }
  return err.empty() ? "" : "range mode: " + err;
}

void Runner::Record(FileResult* res, int line, const std::string& what, const std::string& err) const {
  std::optional<std::string> reason = known_ ? known_->Reason(res->file, line) : std::nullopt;
  std::string where = fmt::format("{}:{}: {}", res->file, line, what);
  if (err.empty() && !reason) {
    res->passed++;
  } else if (err.empty()) {
    res->failed++;
    res->failures.push_back(
        Truncate(fmt::format("{}: passes but is listed in the known failures ({}): remove the entry", where, *reason)));
  } else if (reason) {
    res->known_failed++;
    res->known_failures.push_back(Truncate(fmt::format("{}: {}", where, err)));
  } else {
    res->failed++;
    res->failures.push_back(Truncate(fmt::format("{}: {}", where, err)));
  }
}

FileResult Runner::RunScript(const std::string& name, std::string_view text) {
  FileResult res;
  res.file = name;
  auto cmds = ParseScript(text);
  if (!cmds.ok()) {
    res.script_error = cmds.status().message();
    return res;
  }
  auto storage = TestStorage::Make(storage_kind_);
  if (!storage.ok()) {
    res.script_error = storage.status().ToString();
    return res;
  }
  storage_ = std::move(storage).value();
  std::set<int> command_lines;
  for (const auto& c : *cmds) {
    switch (c.kind) {
      case Command::Kind::kClear: {
        Status st = storage_->Clear();
        if (!st.ok()) {
          res.script_error = st.ToString();
          return res;
        }
        break;
      }
      case Command::Kind::kLoad: {
        std::string err = Load(c.load);
        command_lines.insert(c.load.line);
        // A load that works is not an eval: it only counts when it fails
        // (or is listed).
        if (!err.empty() || (known_ && known_->Reason(name, c.load.line))) Record(&res, c.load.line, "load", err);
        break;
      }
      case Command::Kind::kEval: {
        command_lines.insert(c.eval.line);
        Record(&res, c.eval.line, c.eval.expr, RunEval(c.eval));
        break;
      }
    }
  }
  if (known_ != nullptr) {
    for (int line : known_->LinesOf(name)) {
      if (command_lines.contains(line)) continue;
      res.failed++;
      res.failures.push_back(
          fmt::format("{}:{}: listed in the known failures but no load or eval starts there", name, line));
    }
  }
  return res;
}

}  // namespace promethium::promqltest
