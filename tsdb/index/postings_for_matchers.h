// PostingsForMatchers: resolves a selector's matchers to the refs of the
// series they select, with Prometheus semantics:
//  - a matcher that matches "" also selects series that lack the label;
//  - =~ with a literal alternation (Matcher::SetMatches) looks values up
//    directly instead of running the regex over every value;
//  - != and !~ (and other empty-matching matchers) become subtractions;
//  - at least one matcher must not match the empty string, otherwise the
//    selector would scan everything: that fails with InvalidArgument.
// Also the label-name/label-value lookups restricted by matchers.
//
// Ownership: returns owned iterators/vectors; borrows `ix` only during the call.
// Thread-safety: as safe as the IndexReader it is given.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/api/matcher.h"
#include "tsdb/base/result.h"
#include "tsdb/index/index_reader.h"

namespace promethium::tsdb {

inline constexpr std::string_view kErrNoNonEmptyMatcher = "vector selector must contain at least one non-empty matcher";

Result<std::unique_ptr<Postings>> PostingsForMatchers(IndexReader* ix, const Matchers& matchers);

// Sorted, unique values of `name` among series selected by matchers (all
// values when matchers is empty).
Result<std::vector<std::string>> LabelValuesForMatchers(IndexReader* ix, std::string_view name,
                                                        const Matchers& matchers);
// Sorted, unique label names among series selected by matchers (all names
// when matchers is empty).
Result<std::vector<std::string>> LabelNamesForMatchers(IndexReader* ix, const Matchers& matchers);

}  // namespace promethium::tsdb
