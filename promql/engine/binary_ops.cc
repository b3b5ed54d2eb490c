// Binary operators: arithmetic, comparison and set operators between
// scalars and instant vectors, with Prometheus's vector matching rules and
// error wording (engine.go VectorBinop, VectorscalarBinop, VectorAnd/Or/Unless).
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "promql/engine/evaluator.h"

namespace promethium::promql {

namespace {

bool IsArithmetic(BinaryOp op) { return op <= BinaryOp::kAtan2; }
// The histogram trim operators </ and >/ are undefined on floats: no result
// and an info annotation, as in Prometheus.
bool IsTrim(BinaryOp op) { return op == BinaryOp::kTrimUpper || op == BinaryOp::kTrimLower; }
std::string IncompatibleTypesInfo(BinaryOp op) {
  return IncompatibleTypesInBinOpInfo("float", BinaryOpString(op), "float");
}

// The outcome of an operation on a pair involving a histogram.
struct HistElem {
  double v = 0;
  HistogramPtr h;
  bool keep = false;
  bool dropped = false;  // no result for this pair; annotation says why
};

HistogramPtr Scaled(const FloatHistogram& h, double factor, bool divide) {
  auto out = std::make_shared<FloatHistogram>(h);
  if (divide) {
    out->Div(factor);
  } else {
    out->Mul(factor);
  }
  out->Compact(0);
  return out;
}

// Prometheus's vectorElemBinop for pairs with at least one histogram (hl
// or hr set): histogram * float, float * histogram, histogram / float,
// histogram +/- histogram, histogram ==/!= histogram, histogram </ and >/
// float; anything else drops the pair with an info annotation.
Result<HistElem> HistogramElemBinop(QueryContext* ctx, PositionRange pos, BinaryOp op, double fl, double fr,
                                    const HistogramPtr& hl, const HistogramPtr& hr) {
  HistElem r;
  r.keep = true;
  if (hl && !hr && IsTrim(op)) {
    auto trimmed = std::make_shared<FloatHistogram>(*hl);
    trimmed->TrimBuckets(fr, op == BinaryOp::kTrimUpper);
    r.h = std::move(trimmed);
  } else if (!hl && op == BinaryOp::kMul) {
    r.h = Scaled(*hr, fl, false);
  } else if (hl && !hr && (op == BinaryOp::kMul || op == BinaryOp::kDiv)) {
    r.h = Scaled(*hl, fr, op == BinaryOp::kDiv);
  } else if (hl && hr && (op == BinaryOp::kAdd || op == BinaryOp::kSub)) {
    auto res = std::make_shared<FloatHistogram>(*hl);
    HistogramOpResult opres;
    Status st = op == BinaryOp::kAdd ? res->Add(*hr, &opres) : res->Sub(*hr, &opres);
    if (!st.ok()) {
      ctx->annotations.AddWarning(IncompatibleBucketLayoutInBinOpWarning(BinaryOpString(op)), pos);
      r.dropped = true;
      return r;
    }
    const char* what = op == BinaryOp::kAdd ? "addition" : "subtraction";
    if (opres.counter_reset_collision) ctx->annotations.AddWarning(HistogramCounterResetCollisionWarning(what), pos);
    if (opres.nhcb_bounds_reconciled) ctx->annotations.AddInfo(MismatchedCustomBucketsHistogramsInfo(what), pos);
    if (op == BinaryOp::kSub) res->counter_reset_hint = CounterResetHint::kGauge;
    res->Compact(0);
    r.h = std::move(res);
  } else if (hl && hr && (op == BinaryOp::kEql || op == BinaryOp::kNeq)) {
    r.h = hl;
    r.keep = hl->Equals(*hr) == (op == BinaryOp::kEql);
  } else {
    ctx->annotations.AddInfo(
        IncompatibleTypesInBinOpInfo(hl ? "histogram" : "float", BinaryOpString(op), hr ? "histogram" : "float"), pos);
    r.dropped = true;
  }
  return r;
}

// Applies op to two floats; for comparisons `keep` reports whether the
// comparison held and the value is the left side.
double ElemBinop(BinaryOp op, double l, double r, bool* keep) {
  *keep = true;
  switch (op) {
    case BinaryOp::kAdd: return l + r;
    case BinaryOp::kSub: return l - r;
    case BinaryOp::kMul: return l * r;
    case BinaryOp::kDiv: return l / r;
    case BinaryOp::kMod: return std::fmod(l, r);
    case BinaryOp::kPow: return std::pow(l, r);
    case BinaryOp::kAtan2: return std::atan2(l, r);
    case BinaryOp::kEql: *keep = l == r; return l;
    case BinaryOp::kNeq: *keep = l != r; return l;
    case BinaryOp::kGtr: *keep = l > r; return l;
    case BinaryOp::kLss: *keep = l < r; return l;
    case BinaryOp::kGte: *keep = l >= r; return l;
    case BinaryOp::kLte: *keep = l <= r; return l;
    default: *keep = false; return 0;
  }
}

// Join signatures and result labels for vector/vector matching, cached per
// input label set across steps.
class Matcher2 {
 public:
  Matcher2(const VectorMatching& m, NodeHelper* h) : m_(m), h_(h) {
    names_ = m.matching_labels;
    std::sort(names_.begin(), names_.end());
    drop_names_ = names_;
    drop_names_.push_back(std::string(kMetricName));
  }
  uint64_t Sig(const Labels* l) {
    auto it = sigs_.find(l);
    if (it != sigs_.end()) return it->second;
    uint64_t s = ComputeSig(l);
    sigs_.emplace(l, s);
    return s;
  }
  uint64_t ComputeSig(const Labels* l) const { return m_.on ? l->HashForLabels(names_) : l->HashWithoutLabels(names_); }
  // A dense ordinal for the join signature of a sample from side 0 (left
  // argument) or 1 (right), cached per input series so that steps after the
  // first need no hashing.
  int32_t Ord(int side, const EvSample& s) {
    auto& cache = ords_[side];
    const bool indexed = s.series >= 0;
    const size_t idx = static_cast<size_t>(s.series);
    if (indexed && idx < cache.size() && cache[idx] >= 0) return cache[idx];
    // Indexed samples are cached below; the per-pointer map is for the rest.
    const uint64_t sig = indexed ? ComputeSig(s.metric) : Sig(s.metric);
    auto [it, inserted] = ord_of_sig_.emplace(sig, static_cast<int32_t>(ord_of_sig_.size()));
    if (indexed) {
      if (cache.size() <= idx) cache.resize(idx + 1, -1);
      cache[idx] = it->second;
    }
    return it->second;
  }
  // Starts a step: per-ordinal scratch is invalidated by bumping a stamp.
  void NextStep() {
    ++stamp_;
    right_by_ord.resize(ord_of_sig_.size(), nullptr);
    right_stamp.resize(ord_of_sig_.size(), 0);
    matched_stamp.resize(ord_of_sig_.size(), 0);
  }
  bool HasRight(int32_t ord) const {
    return static_cast<size_t>(ord) < right_stamp.size() && right_stamp[static_cast<size_t>(ord)] == stamp_;
  }
  uint32_t stamp() const { return stamp_; }

  Status CheckMemory() const { return h_->CheckMemory(); }
  Labels MatchLabels(const Labels& l) const { return m_.on ? l.Keep(names_) : l.Drop(drop_names_); }
  // The result labels for a matched pair, cached per left series.
  const Labels* ResultMetric(const EvSample& ls, int lside, const Labels* rhs, bool drop_name) {
    auto& cache = result_cache_[lside];
    const size_t idx = static_cast<size_t>(ls.series);
    if (ls.series >= 0 && idx < cache.size() && cache[idx].first == rhs) return cache[idx].second;
    if (ls.series < 0) return ResultMetric(ls.metric, rhs, drop_name);
    if (cache.size() <= idx) cache.resize(idx + 1, {nullptr, nullptr});
    // The first pair of a left series skips the pair map; a left series
    // matched to several right ones over time goes through it.
    const bool first = cache[idx].first == nullptr;
    const Labels* out = first ? BuildResultMetric(ls.metric, rhs, drop_name) : ResultMetric(ls.metric, rhs, drop_name);
    cache[idx] = {rhs, out};
    return out;
  }
  const Labels* ResultMetric(const Labels* lhs, const Labels* rhs, bool drop_name) {
    auto key = std::make_pair(lhs, rhs);
    auto it = results_.find(key);
    if (it != results_.end()) return it->second;
    const Labels* out = BuildResultMetric(lhs, rhs, drop_name);
    results_.emplace(key, out);
    return out;
  }
  // The interned result labels of a matched pair (not cached here).
  const Labels* BuildResultMetric(const Labels* lhs, const Labels* rhs, bool drop_name) {
    LabelsBuilder b(*lhs);
    if (drop_name) b.Del(kMetricName);
    if (m_.card == Cardinality::kOneToOne) {
      if (m_.on) {
        for (const auto& l : *lhs) {
          if (!std::binary_search(names_.begin(), names_.end(), l.name)) b.Del(l.name);
        }
      } else {
        for (const auto& n : names_) b.Del(n);
      }
    }
    for (const auto& n : m_.include) b.Set(n, rhs->Get(n));
    return h_->Intern(b.Build());
  }

 private:
  const VectorMatching& m_;
  NodeHelper* h_;
  std::vector<std::string> names_;
  std::vector<std::string> drop_names_;
  struct PairHash {
    size_t operator()(const std::pair<const Labels*, const Labels*>& p) const {
      return std::hash<const void*>()(p.first) * 31 + std::hash<const void*>()(p.second);
    }
  };
  std::unordered_map<const Labels*, uint64_t> sigs_;
  std::unordered_map<std::pair<const Labels*, const Labels*>, const Labels*, PairHash> results_;
  std::unordered_map<uint64_t, int32_t> ord_of_sig_;
  std::vector<int32_t> ords_[2];
  std::vector<std::pair<const Labels*, const Labels*>> result_cache_[2];
  uint32_t stamp_ = 0;

 public:
  // Per-step scratch indexed by signature ordinal, valid where the stamp
  // equals the current step's.
  std::vector<const EvSample*> right_by_ord;
  std::vector<uint32_t> right_stamp;
  std::vector<uint32_t> matched_stamp;
  // group_left/right: the step and match group that last produced each
  // (interned, hence pointer-unique) result label set.
  struct ResultUse {
    uint32_t stamp = 0;
    size_t ord = 0;
  };
  std::unordered_map<const Labels*, ResultUse> result_use;
  std::unordered_set<uint64_t> sig_set;
};

Status DuplicateSeriesError(Matcher2& mt, const VectorMatching& m, const Labels& a, const Labels& b) {
  std::string d1 = a.ToString(), d2 = b.ToString();
  if (d1 > d2) std::swap(d1, d2);
  return Status::InvalidArgument(fmt::format(
      "found duplicate series for the match group {} on the {} hand-side of the operation: [{}, {}];many-to-many "
      "matching not allowed: matching labels must be unique on one side",
      mt.MatchLabels(a).ToString(), m.card == Cardinality::kOneToMany ? "left" : "right", d1, d2));
}

// A histogram sample against a scalar (Prometheus's VectorscalarBinop):
// `dropped_name_metric` is the sample's labels with __name__ removed now
// when removal is not delayed.
Status HistogramScalarBinop(QueryContext* ctx, const BinaryExpr& b, bool swap, double scalar, const EvSample& s,
                            const Labels* dropped_name_metric, EvVector* out) {
  const HistogramPtr none;
  PROMETHIUM_ASSIGN_OR_RETURN(HistElem he, swap ? HistogramElemBinop(ctx, b.pos, b.op, scalar, 0, none, s.h)
                                                : HistogramElemBinop(ctx, b.pos, b.op, 0, scalar, s.h, none));
  if (he.dropped || !he.keep) return Status::OK();
  EvSample o = s;
  o.h = std::move(he.h);
  if (IsArithmetic(b.op) || b.return_bool) {
    o.drop_name = true;
    o.metric = dropped_name_metric;
  }
  out->push_back(std::move(o));
  return Status::OK();
}

Status VectorBinop(QueryContext* ctx, PositionRange pos, BinaryOp op, const EvVector& lhs_in, const EvVector& rhs_in,
                   const VectorMatching& m, bool return_bool, bool delayed, Matcher2& mt, EvVector* out,
                   bool* incompatible) {
  if (lhs_in.empty() || rhs_in.empty()) return Status::OK();
  const EvVector* lhs = &lhs_in;
  const EvVector* rhs = &rhs_in;
  if (m.card == Cardinality::kOneToMany) std::swap(lhs, rhs);
  const int lside = m.card == Cardinality::kOneToMany ? 1 : 0;
  const int rside = 1 - lside;
  for (const auto& rs : *rhs) mt.Ord(rside, rs);  // assign ordinals first
  mt.NextStep();
  const uint32_t stamp = mt.stamp();
  for (const auto& rs : *rhs) {
    const size_t ord = static_cast<size_t>(mt.Ord(rside, rs));
    if (mt.right_stamp[ord] == stamp) return DuplicateSeriesError(mt, m, *rs.metric, *mt.right_by_ord[ord]->metric);
    mt.right_stamp[ord] = stamp;
    mt.right_by_ord[ord] = &rs;
  }
  for (const auto& ls : *lhs) {
    const int32_t lord = mt.Ord(lside, ls);
    if (!mt.HasRight(lord)) continue;
    const size_t ord = static_cast<size_t>(lord);
    const EvSample& rs = *mt.right_by_ord[ord];
    double fl = ls.v, fr = rs.v;
    HistogramPtr hl = ls.h, hr = rs.h;
    if (m.card == Cardinality::kOneToMany) {
      std::swap(fl, fr);
      std::swap(hl, hr);
    }
    bool keep;
    double v;
    HistogramPtr h;
    if (hl || hr) {
      PROMETHIUM_ASSIGN_OR_RETURN(HistElem he, HistogramElemBinop(ctx, pos, op, fl, fr, hl, hr));
      if (he.dropped) continue;  // before the matching checks, as Prometheus
      v = he.v;
      h = std::move(he.h);
      keep = he.keep;
    } else {
      v = ElemBinop(op, fl, fr, &keep);
    }
    if (return_bool) {
      v = keep ? 1.0 : 0.0;
      h = nullptr;
    }
    const Labels* metric = mt.ResultMetric(ls, lside, rs.metric, (!delayed && return_bool) || IsArithmetic(op));
    PROMETHIUM_RETURN_IF_ERROR(mt.CheckMemory());  // group_left/right can build large label sets
    if (m.card == Cardinality::kOneToOne) {
      if (mt.matched_stamp[ord] == stamp) {
        return Status::InvalidArgument(
            "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
      }
      mt.matched_stamp[ord] = stamp;
    } else {
      // Result labels are interned, so equal label sets are equal pointers:
      // no per-step hashing. (The same labels from two different match
      // groups are not this error; they fail later as a duplicate labelset.)
      auto& use = mt.result_use[metric];
      if (use.stamp == stamp && use.ord == ord) {
        return Status::InvalidArgument("multiple matches for labels: grouping labels must ensure unique matches");
      }
      use = {stamp, ord};
    }
    if (IsTrim(op) && !hl && !hr) {
      *incompatible = true;
      continue;
    }
    if (!keep && !return_bool) continue;
    out->push_back({metric, v, return_bool, -1, std::move(h)});
  }
  return Status::OK();
}

Status SetOp(BinaryOp op, const EvVector& lhs, const EvVector& rhs, Matcher2& mt, EvVector* out) {
  switch (op) {
    case BinaryOp::kAnd: {
      if (lhs.empty() || rhs.empty()) return Status::OK();
      auto& right = mt.sig_set;
      right.clear();
      for (const auto& rs : rhs) right.insert(mt.Sig(rs.metric));
      for (const auto& ls : lhs) {
        if (right.count(mt.Sig(ls.metric))) out->push_back(ls);
      }
      return Status::OK();
    }
    case BinaryOp::kOr: {
      auto& left = mt.sig_set;
      left.clear();
      for (const auto& ls : lhs) {
        left.insert(mt.Sig(ls.metric));
        out->push_back(ls);
      }
      for (const auto& rs : rhs) {
        if (!left.count(mt.Sig(rs.metric))) out->push_back(rs);
      }
      return Status::OK();
    }
    case BinaryOp::kUnless: {
      auto& right = mt.sig_set;
      right.clear();
      for (const auto& rs : rhs) right.insert(mt.Sig(rs.metric));
      for (const auto& ls : lhs) {
        if (!right.count(mt.Sig(ls.metric))) out->push_back(ls);
      }
      return Status::OK();
    }
    default: return Status::Internal("not a set operator");
  }
}

}  // namespace

Result<EvMatrix> Evaluator::EvalBinary(const BinaryExpr& b) {
  const ExprType lt = b.lhs->type(), rt = b.rhs->type();
  const BinaryOp op = b.op;
  const bool ret_bool = b.return_bool;
  const bool delayed = ctx_->delayed_name_removal;
  if (lt == ExprType::kScalar && rt == ExprType::kScalar) {
    // Scalar comparisons always carry `bool` (the parser insists): 0 or 1.
    return RangeEvalExprs({b.lhs.get(), b.rhs.get()}, [op](std::span<const EvVector> a, int64_t, EvVector* out) {
      bool keep;
      double v = ElemBinop(op, ScalarOf(a[0]), ScalarOf(a[1]), &keep);
      if (IsComparisonOp(op)) v = keep ? 1.0 : 0.0;
      static const Labels kEmpty;
      out->push_back({&kEmpty, v, false});
      return Status::OK();
    });
  }
  auto helper = std::make_shared<NodeHelper>(&ctx_->memory);
  if (lt == ExprType::kVector && rt == ExprType::kVector) {
    if (!b.matching) return Status::Internal("vector binary operation without matching");
    auto mt = std::make_shared<Matcher2>(*b.matching, helper.get());
    const VectorMatching& m = *b.matching;
    if (IsSetOp(op)) {
      return RangeEvalExprs({b.lhs.get(), b.rhs.get()}, [op, mt](std::span<const EvVector> a, int64_t, EvVector* out) {
        return SetOp(op, a[0], a[1], *mt, out);
      });
    }
    if (m.card == Cardinality::kManyToMany) return Status::Internal("many-to-many only allowed for set operators");
    return RangeEvalExprs({b.lhs.get(), b.rhs.get()}, [op, mt, &m, ret_bool, delayed, ctx = ctx_, pos = b.pos](
                                                          std::span<const EvVector> a, int64_t, EvVector* out) {
      bool incompatible = false;
      Status st = VectorBinop(ctx, pos, op, a[0], a[1], m, ret_bool, delayed, *mt, out, &incompatible);
      if (incompatible) ctx->annotations.AddInfo(IncompatibleTypesInfo(op), pos);
      return st;
    });
  }
  // Vector/scalar in either order.
  const bool swap = lt == ExprType::kScalar;
  return RangeEvalExprs({b.lhs.get(), b.rhs.get()},
                        [this, &b, op, ret_bool, swap, helper](std::span<const EvVector> a, int64_t, EvVector* out) {
                          const EvVector& vec = swap ? a[1] : a[0];
                          const double scalar = swap ? ScalarOf(a[0]) : ScalarOf(a[1]);
                          if (IsTrim(op)) {
                            // Trims apply to histograms; floats get an info.
                            for (const auto& s : vec) {
                              if (!s.h) {
                                ctx_->annotations.AddInfo(IncompatibleTypesInfo(op), b.pos);
                                continue;
                              }
                              PROMETHIUM_RETURN_IF_ERROR(HistogramScalarBinop(
                                  ctx_, b, swap, scalar, s, MaybeDropNameNow(helper.get(), s.metric), out));
                            }
                            return Status::OK();
                          }
                          for (const auto& s : vec) {
                            if (s.h) {
                              PROMETHIUM_RETURN_IF_ERROR(HistogramScalarBinop(
                                  ctx_, b, swap, scalar, s, MaybeDropNameNow(helper.get(), s.metric), out));
                              continue;
                            }
                            double l = s.v, r = scalar;
                            if (swap) std::swap(l, r);
                            bool keep;
                            double v = ElemBinop(op, l, r, &keep);
                            if (IsComparisonOp(op) && swap) v = r;
                            if (ret_bool) {
                              v = keep ? 1.0 : 0.0;
                              keep = true;
                            }
                            if (!keep) continue;
                            EvSample o = s;
                            o.v = v;
                            if (IsArithmetic(op) || ret_bool) {
                              o.drop_name = true;
                              o.metric = MaybeDropNameNow(helper.get(), s.metric);
                            }
                            out->push_back(o);
                          }
                          return Status::OK();
                        });
}

}  // namespace promethium::promql
