// Runner (see runner.h).
#include "tests/promqltest/runner.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "promql/parser/functions.h"
#include "promql/parser/walk.h"
#include "tsdb/base/metrics.h"

namespace promethium::promqltest {

using promql::Matrix;
using promql::QueryResult;
using promql::Scalar;
using promql::String;
using promql::Vector;

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
      return fmt::format("unexpected metric {} in result, has {}", s.metric.ToString(), FormatPoints(s.points));
    }
    ++seen;
    std::vector<Sample> want;
    for (size_t i = 0; i < it->second->values.size(); ++i) {
      int64_t ts = start + static_cast<int64_t>(i) * step;
      if (ts > end) return fmt::format("expected more points for {} than the query range allows", s.metric.ToString());
      if (!it->second->values[i].omitted) want.push_back({ts, it->second->values[i].value});
    }
    if (want.size() != s.points.size()) {
      return fmt::format("expected {} points for {}, got {}: {}", want.size(), s.metric.ToString(), s.points.size(),
                         FormatPoints(s.points));
    }
    for (size_t i = 0; i < want.size(); ++i) {
      if (want[i].t != s.points[i].t || !AlmostEqual(want[i].v, s.points[i].v, kEpsilon)) {
        return fmt::format("for {} expected {} got {}", s.metric.ToString(), FormatPoints(want),
                           FormatPoints(s.points));
      }
    }
  }
  if (seen != expected.size()) {
    for (const auto& e : cmd.expected) {
      bool found = std::any_of(m.begin(), m.end(), [&](const auto& s) { return s.metric == e.metric; });
      if (!found) return fmt::format("expected metric {} not found", e.metric.ToString());
    }
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
                         FormatPromFloat(v[pos].v));
    }
    const SeriesDesc& e = cmd.expected[it->second];
    if (check_order && it->second != pos) {
      return fmt::format("expected metric {} at position {} but was at {}", e.metric.ToString(), it->second + 1,
                         pos + 1);
    }
    if (e.values.empty() || !AlmostEqual(e.values[0].value, v[pos].v, kEpsilon)) {
      return fmt::format("expected {} for {} but got {}", e.values.empty() ? "?" : FormatPromFloat(e.values[0].value),
                         e.metric.ToString(), FormatPromFloat(v[pos].v));
    }
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

bool SelectorMatches(const Matchers& selector, const Labels& l) {
  for (const auto& m : selector) {
    if (!m.Matches(l.Get(m.name()))) return false;
  }
  return true;
}

}  // namespace

std::string Runner::Load(const LoadCmd& cmd) {
  // As Prometheus's loadCmd, a series defined twice in one load keeps only
  // its last definition (aggregators.test relies on it).
  std::unordered_map<Labels, size_t, LabelsHash> last_def;
  for (size_t i = 0; i < cmd.series.size(); ++i) last_def[cmd.series[i].metric] = i;
  std::vector<LoadSample> batch;
  for (size_t def = 0; def < cmd.series.size(); ++def) {
    const SeriesDesc& s = cmd.series[def];
    if (last_def[s.metric] != def) continue;
    bool any_histogram = false;
    for (size_t i = 0; i < s.values.size(); ++i) {
      const SequenceValue& v = s.values[i];
      if (v.histogram) {
        any_histogram = true;
        continue;
      }
      if (v.omitted) continue;
      batch.push_back(LoadSample{&s.metric, static_cast<int64_t>(i) * cmd.interval_ms, v.value});
    }
    std::string name(s.metric.MetricName());
    if (any_histogram) histogram_series_.push_back(s.metric);
    if (cmd.with_nhcb) {
      // The NHCB conversion adds a histogram series named without the suffix.
      for (std::string_view suffix : {"_bucket", "_count", "_sum"}) {
        if (name.size() > suffix.size() && name.ends_with(suffix)) {
          LabelsBuilder b(s.metric);
          b.Set(kMetricName, name.substr(0, name.size() - suffix.size()));
          b.Del("le");
          histogram_series_.push_back(b.Build());
        }
      }
    }
  }
  Status st = storage_->AppendBatch(batch);
  return st.ok() ? "" : st.ToString();
}

std::string Runner::SkipReason(const EvalCmd& cmd) const {
  if (cmd.has_histogram_expectation) return "native histogram in expected result";
  static const char* kHistogramFns[] = {
      "histogram_count(",    "histogram_sum(",    "histogram_avg(",
      "histogram_fraction(", "histogram_stddev(", "histogram_stdvar(",
  };
  for (const char* f : kHistogramFns) {
    if (cmd.expr.find(f) != std::string::npos) return "native-histogram function";
  }
  if (histogram_series_.empty()) return "";
  auto parsed = promql::ParseExpr(cmd.expr, engine_->options().parse);
  if (!parsed.ok()) return "";
  for (const Matchers& selector : promql::ExtractSelectors(**parsed)) {
    for (const auto& l : histogram_series_) {
      if (SelectorMatches(selector, l)) return "reads native-histogram (or NHCB) series";
    }
  }
  return "";
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
      if (p.t == eval_ms) at_t.push_back({s.metric, p.t, p.v});
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

FileResult Runner::RunScript(const std::string& name, std::string_view text) {
  FileResult res;
  res.file = name;
  histogram_series_.clear();
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
  for (const auto& c : *cmds) {
    switch (c.kind) {
      case Command::Kind::kClear: {
        histogram_series_.clear();
        Status st = storage_->Clear();
        if (!st.ok()) {
          res.script_error = st.ToString();
          return res;
        }
        break;
      }
      case Command::Kind::kLoad: {
        std::string err = Load(c.load);
        if (!err.empty()) {
          res.failed++;
          res.failures.push_back(Truncate(fmt::format("{}:{}: load: {}", name, c.load.line, err)));
        }
        break;
      }
      case Command::Kind::kEval: {
        std::string skip = SkipReason(c.eval);
        if (!skip.empty()) {
          res.skipped++;
          res.skip_reasons[skip]++;
          break;
        }
        std::string err = RunEval(c.eval);
        if (err.empty()) {
          res.passed++;
        } else {
          res.failed++;
          res.failures.push_back(Truncate(fmt::format("{}:{}: {}: {}", name, c.eval.line, c.eval.expr, err)));
        }
        break;
      }
    }
  }
  return res;
}

}  // namespace promethium::promqltest
