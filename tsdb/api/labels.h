// Labels: the identity of a time series, a set of (name, value) pairs.
//
// A Labels is kept sorted by name with unique names, so equality, ordering
// and hashing are cheap and deterministic. The metric name is the label
// "__name__". This is the API value type; the storage engine may keep a more
// compact interned form internally and hand out Labels at its boundary.
//
// Thread-safety: an immutable value once built; LabelsBuilder is not
// thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace promethium {

inline constexpr std::string_view kMetricName = "__name__";

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};

class Labels {
 public:
  Labels() = default;
  // Sorts by name. With duplicate names the last one wins; empty values are
  // dropped (an empty label value means "no such label" in Prometheus).
  Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
  static Labels FromVector(std::vector<Label> labels);
  // Caller guarantees sorted, unique names and non-empty values.
  static Labels FromSortedUnchecked(std::vector<Label> labels);

  size_t size() const { return labels_.size(); }
  bool empty() const { return labels_.empty(); }
  const Label& operator[](size_t i) const { return labels_[i]; }
  std::vector<Label>::const_iterator begin() const { return labels_.begin(); }
  std::vector<Label>::const_iterator end() const { return labels_.end(); }
  const std::vector<Label>& vec() const { return labels_; }

  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  std::string_view MetricName() const { return Get(kMetricName); }

  // 64-bit xxhash of all pairs. Equal Labels hash equally; collisions are
  // possible, so users must confirm with ==.
  uint64_t Hash() const;
  // Hash of only the named labels (names must be sorted), or of all labels
  // except the named ones and __name__. Used for PromQL grouping/matching.
  uint64_t HashForLabels(const std::vector<std::string>& sorted_names) const;
  uint64_t HashWithoutLabels(const std::vector<std::string>& sorted_names) const;

  // Copies keeping only / dropping the named labels.
  Labels Keep(const std::vector<std::string>& names) const;
  Labels Drop(const std::vector<std::string>& names) const;
  Labels DropMetricName() const;

  // As Prometheus's labels.Labels.String(): {__name__="up", job="x"}.
  std::string ToString() const;
  // Approximate heap bytes held, for memory accounting.
  size_t ByteSize() const;

  friend bool operator==(const Labels& a, const Labels& b) { return a.labels_ == b.labels_; }
  // Prometheus's labels.Compare: pairwise by name then value, shorter first.
  friend std::strong_ordering operator<=>(const Labels& a, const Labels& b);

 private:
  explicit Labels(std::vector<Label> sorted) : labels_(std::move(sorted)) {}
  std::vector<Label> labels_;
};

// Builds a Labels by editing a base set: Set with an empty value deletes.
class LabelsBuilder {
 public:
  LabelsBuilder() = default;
  explicit LabelsBuilder(const Labels& base) { Reset(base); }
  void Reset(const Labels& base);
  LabelsBuilder& Set(std::string_view name, std::string_view value);
  LabelsBuilder& Del(std::string_view name);
  std::string_view Get(std::string_view name) const;
  Labels Build() const;

 private:
  std::vector<Label> labels_;  // kept sorted by name
};

// Escapes a label value as in Prometheus's String(): Go's strconv.Quote.
std::string QuoteLabelValue(std::string_view value);
// Label names: [a-zA-Z_][a-zA-Z0-9_]*; metric names also allow ':'.
bool IsValidLabelName(std::string_view name);
bool IsValidMetricName(std::string_view name);

}  // namespace promethium
