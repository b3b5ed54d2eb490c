// NhcbTextParser: convert_classic_histograms_to_nhcb for the text formats,
// as Prometheus's textparse.NHCBParser. It wraps a PromParser or
// OpenMetricsParser and presents the same entry interface plus what the
// protobuf parser adds (kHistogram entries, CurrentHistogram(),
// Exemplars()), so AppendParsed handles it like the protobuf parser.
//
// In a family whose # TYPE is histogram, the `<name>_bucket` (with a
// numeric, non-NaN `le`), `<name>_count` and `<name>_sum` series of one
// label set (without `le`) are collected into a ClassicHistogramConverter;
// when the next entry belongs elsewhere (other labels, another series, a
// metadata line, the end of the body) the custom-bucket native histogram is
// emitted first, as `<name>` with those labels, carrying the exemplars of
// the classic series and the timestamp of the last one. The classic series
// themselves pass through only with keep_classic (always_scrape_classic_
// histograms). A histogram the converter refuses (e.g. bucket counts that
// are not cumulative) is dropped silently, as Prometheus does.
//
// Ownership: wraps `inner` (borrowed, must outlive the wrapper). Views are
// valid until the next Next(). Thread-safety: none; one per scrape.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scrape/textparse/prom_parser.h"
#include "scrape/textparse/protobuf_parser.h"
#include "tsdb/histogram/classic_to_nhcb.h"

namespace promethium::scrape {

template <typename Inner>
class NhcbTextParser {
 public:
  NhcbTextParser(Inner* inner, bool keep_classic) : inner_(inner), keep_classic_(keep_classic) {}

  Result<textparse::Entry> Next() {
    using textparse::Entry;
    for (;;) {
      emitting_ = false;
      if (!held_) {
        Result<Entry> e = inner_->Next();
        if (!e.ok()) return e;
        entry_ = *e;
        held_ = true;
        if (entry_ == Entry::kType) type_ = inner_->Type(), family_ = std::string(inner_->MetaName());
      }
      const bool classic = entry_ == Entry::kSeries && IsClassicPart();
      if (collecting_ && (!classic || GroupKey() != group_key_)) {
        if (Emit()) return Entry::kHistogram;  // the held entry comes next
      }
      held_ = false;
      if (classic) {
        Collect();
        if (!keep_classic_) continue;
      }
      FillPassThroughExemplars();
      return entry_;
    }
  }

  // The current series or NHCB (see PromParser for the series accessors).
  std::string_view Series() const { return emitting_ ? std::string_view(nhcb_key_) : inner_->Series(); }
  std::string_view MetricName() const { return emitting_ ? std::string_view(nhcb_name_) : inner_->MetricName(); }
  const std::vector<textparse::LabelView>& Labels() const { return emitting_ ? nhcb_views_ : inner_->Labels(); }
  double Value() const { return inner_->Value(); }
  bool HasTimestamp() const { return emitting_ ? nhcb_has_ts_ : inner_->HasTimestamp(); }
  int64_t Timestamp() const { return emitting_ ? nhcb_ts_ : inner_->Timestamp(); }
  const Histogram* CurrentHistogram() const { return nhcb_.integer ? &*nhcb_.integer : nullptr; }
  const FloatHistogram* CurrentFloatHistogram() const { return nhcb_.floating ? &*nhcb_.floating : nullptr; }
  const std::vector<textparse::ParsedExemplar>& Exemplars() const {
    return emitting_ ? nhcb_exemplars_ : pass_exemplars_;
  }

  std::string_view MetaName() const { return inner_->MetaName(); }
  std::string Help() const { return inner_->Help(); }
  std::string_view HelpRaw() const { return inner_->HelpRaw(); }
  textparse::MetricType Type() const { return inner_->Type(); }
  std::string_view Unit() const requires requires(const Inner& i) { i.Unit(); }
  { return inner_->Unit(); }
  std::string_view Comment() const { return inner_->Comment(); }
  static void UnescapeLabelValue(std::string_view value, std::string* out) { Inner::UnescapeLabelValue(value, out); }

 private:
  enum class Part { kNone, kBucket, kCount, kSum };

  // Which part of the current family's classic histogram the held series
  // is; kNone outside histogram families.
  Part PartOf(double* le) const {
    if (type_ != textparse::MetricType::kHistogram) return Part::kNone;
    std::string_view name = inner_->MetricName();
    if (name.size() <= family_.size() || name.substr(0, family_.size()) != family_) return Part::kNone;
    std::string_view suffix = name.substr(family_.size());
    if (suffix == "_count") return Part::kCount;
    if (suffix == "_sum") return Part::kSum;
    if (suffix != "_bucket") return Part::kNone;
    for (const textparse::LabelView& l : inner_->Labels()) {
      if (l.name != "le") continue;
      std::string v;
      Inner::UnescapeLabelValue(l.value, &v);
      return textparse::ParsePromFloat(v, le) && !std::isnan(*le) ? Part::kBucket : Part::kNone;
    }
    return Part::kNone;
  }
  bool IsClassicPart() const {
    double le;
    return PartOf(&le) != Part::kNone;
  }

  // The held series' labels without `le`, unescaped, in exposition order.
  std::vector<std::pair<std::string, std::string>> GroupLabels() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const textparse::LabelView& l : inner_->Labels()) {
      if (l.name == "le") continue;
      std::string v;
      Inner::UnescapeLabelValue(l.value, &v);
      out.emplace_back(std::string(l.name), std::move(v));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string GroupKey() const {
    std::string key = family_;
    for (const auto& [n, v] : GroupLabels()) key += '\xff' + n + '\xff' + v;
    return key;
  }

  void Collect() {
    if (!collecting_) {
      collecting_ = true;
      group_name_ = family_;
      group_key_ = GroupKey();
      group_labels_ = GroupLabels();
      conv_.Reset();
      collected_exemplars_.clear();
    }
    double le = 0;
    switch (PartOf(&le)) {
      case Part::kBucket: conv_.SetBucketCount(le, inner_->Value()).IgnoreError(); break;  // sticky in conv_
      case Part::kCount: conv_.SetCount(inner_->Value()).IgnoreError(); break;
      case Part::kSum: conv_.SetSum(inner_->Value()).IgnoreError(); break;
      case Part::kNone: break;
    }
    last_has_ts_ = inner_->HasTimestamp();
    last_ts_ = inner_->Timestamp();
    FillPassThroughExemplars();
    for (const textparse::ParsedExemplar& e : pass_exemplars_) collected_exemplars_.push_back(e);
  }

  // Converts what was collected; false (nothing to emit) when the
  // converter refuses it.
  bool Emit() {
    collecting_ = false;
    Result<ConvertedNhcb> converted = conv_.Convert();
    if (!converted.ok()) return false;
    nhcb_ = std::move(*converted);
    nhcb_name_ = group_name_;
    nhcb_key_ = group_key_;
    nhcb_labels_ = group_labels_;
    nhcb_views_.clear();
    for (const auto& [n, v] : nhcb_labels_) nhcb_views_.push_back({n, v, false});
    nhcb_has_ts_ = last_has_ts_;
    nhcb_ts_ = last_ts_;
    nhcb_exemplars_ = std::move(collected_exemplars_);
    collected_exemplars_.clear();
    emitting_ = true;
    return true;
  }

  // The inner parser's exemplar (OpenMetrics: at most one per series).
  void FillPassThroughExemplars() {
    pass_exemplars_.clear();
    if constexpr (requires(const Inner& i) { i.HasExemplar(); }) {
      if (entry_ != textparse::Entry::kSeries || !inner_->HasExemplar()) return;
      textparse::ParsedExemplar e;
      for (const textparse::LabelView& l : inner_->ExemplarLabels()) {
        std::string v;
        Inner::UnescapeLabelValue(l.value, &v);
        e.labels.emplace_back(std::string(l.name), std::move(v));
      }
      e.value = inner_->ExemplarValue();
      e.has_timestamp = inner_->ExemplarHasTimestamp();
      e.timestamp_ms = inner_->ExemplarTimestamp();
      pass_exemplars_.push_back(std::move(e));
    }
  }

  Inner* inner_;
  const bool keep_classic_;
  textparse::Entry entry_ = textparse::Entry::kEof;
  bool held_ = false;  // entry_ was read from inner_ and not returned yet
  textparse::MetricType type_ = textparse::MetricType::kUnknown;
  std::string family_;

  bool collecting_ = false;
  std::string group_name_;  // the family being collected (family_ may have moved on)
  std::string group_key_;
  std::vector<std::pair<std::string, std::string>> group_labels_;
  ClassicHistogramConverter conv_;
  std::vector<textparse::ParsedExemplar> collected_exemplars_;
  bool last_has_ts_ = false;
  int64_t last_ts_ = 0;

  bool emitting_ = false;
  ConvertedNhcb nhcb_;
  std::string nhcb_name_;
  std::string nhcb_key_;
  std::vector<std::pair<std::string, std::string>> nhcb_labels_;
  std::vector<textparse::LabelView> nhcb_views_;
  bool nhcb_has_ts_ = false;
  int64_t nhcb_ts_ = 0;
  std::vector<textparse::ParsedExemplar> nhcb_exemplars_;
  std::vector<textparse::ParsedExemplar> pass_exemplars_;
};

}  // namespace promethium::scrape
