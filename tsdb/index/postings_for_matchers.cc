#include "tsdb/index/postings_for_matchers.h"

#include <algorithm>
#include <set>

namespace promethium::tsdb {
namespace {

bool IsNegative(const Matcher& m) { return m.type() == MatchType::kNotEqual || m.type() == MatchType::kRegexNoMatch; }

// Postings of the series whose value for m.name() satisfies m (when
// `want_match`) or fails it (otherwise). Only present values are
// considered: series lacking the label are never included.
std::unique_ptr<Postings> PostingsWhere(IndexReader* ix, const Matcher& m, bool want_match) {
  if (want_match && m.type() == MatchType::kEqual) return ix->PostingsFor(m.name(), {m.value()});
  if (want_match && m.SetMatches().has_value()) return ix->PostingsFor(m.name(), *m.SetMatches());
  if (!want_match && m.type() == MatchType::kNotEqual) return ix->PostingsFor(m.name(), {m.value()});
  std::vector<std::string> values = ix->LabelValues(m.name());
  std::erase_if(values, [&](const std::string& v) { return m.Matches(v) != want_match; });
  return ix->PostingsFor(m.name(), values);
}

}  // namespace

Result<std::unique_ptr<Postings>> PostingsForMatchers(IndexReader* ix, const Matchers& matchers) {
  const bool any_selective =
      std::any_of(matchers.begin(), matchers.end(), [](const Matcher& m) { return !m.MatchesEmpty(); });
  if (!any_selective) return Status::InvalidArgument(std::string(kErrNoNonEmptyMatcher));

  // Labels that some matcher requires to be present (non-empty).
  std::set<std::string, std::less<>> must_be_set;
  for (const Matcher& m : matchers) {
    if (!m.MatchesEmpty()) must_be_set.insert(m.name());
  }

  std::vector<std::unique_ptr<Postings>> its;
  std::vector<std::unique_ptr<Postings>> not_its;
  for (const Matcher& m : matchers) {
    if (!m.MatchesEmpty()) {
      // l="a", l=~"a.+", l!="" : the series must carry a matching value.
      its.push_back(PostingsWhere(ix, m, /*want_match=*/true));
    } else if (must_be_set.count(m.name()) > 0 && !IsNegative(m)) {
      // l=~"a|" next to a matcher that forces l to be set: plain lookup.
      its.push_back(PostingsWhere(ix, m, /*want_match=*/true));
    } else {
      // l!="a", l="", l=~"|a" alone: subtract the series whose present value
      // fails the matcher; series without the label stay selected.
      not_its.push_back(PostingsWhere(ix, m, /*want_match=*/false));
    }
  }
  if (its.empty()) its.push_back(ix->AllPostings());
  std::unique_ptr<Postings> result = Intersect(std::move(its));
  for (auto& n : not_its) result = Without(std::move(result), std::move(n));
  return result;
}

Result<std::vector<std::string>> LabelValuesForMatchers(IndexReader* ix, std::string_view name,
                                                        const Matchers& matchers) {
  if (matchers.empty()) return ix->LabelValues(name);
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<Postings> p, PostingsForMatchers(ix, matchers));
  std::set<std::string, std::less<>> values;
  Labels labels;
  while (p->Next()) {
    if (!ix->Series(p->At(), &labels, nullptr).ok()) continue;  // removed meanwhile
    std::string_view v = labels.Get(name);
    if (!v.empty() && values.find(v) == values.end()) values.emplace(v);
  }
  return std::vector<std::string>(values.begin(), values.end());
}

Result<std::vector<std::string>> LabelNamesForMatchers(IndexReader* ix, const Matchers& matchers) {
  if (matchers.empty()) return ix->LabelNames();
  PROMETHIUM_ASSIGN_OR_RETURN(std::unique_ptr<Postings> p, PostingsForMatchers(ix, matchers));
  std::set<std::string, std::less<>> names;
  Labels labels;
  while (p->Next()) {
    if (!ix->Series(p->At(), &labels, nullptr).ok()) continue;
    for (const Label& l : labels) {
      if (names.find(l.name) == names.end()) names.insert(l.name);
    }
  }
  return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace promethium::tsdb
