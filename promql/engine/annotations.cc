// Annotation texts and position formatting (see annotations.h).
#include "promql/engine/annotations.h"

#include <fmt/format.h>

#include "tsdb/base/metrics.h"

namespace promethium::promql {

std::vector<std::string> Annotations::Render(const Set& set) const {
  std::vector<std::string> out;
  out.reserve(set.size());
  for (const auto& [text, pos] : set) out.push_back(WithPosition(text, pos));
  return out;
}

std::string Annotations::WithPosition(const std::string& msg, PositionRange pos) const {
  if (query_.empty()) return msg;
  int p = pos.start;
  if (p < 0 || p > static_cast<int>(query_.size())) return msg + " (invalid position)";
  int line = 1;
  int last_break = -1;
  for (int i = 0; i < p; ++i) {
    if (query_[static_cast<size_t>(i)] == '\n') {
      last_break = i;
      ++line;
    }
  }
  return fmt::format("{} ({}:{})", msg, line, p - last_break);
}

void Annotations::AddWarning(std::string_view text, PositionRange pos) {
  warnings_["PromQL warning: " + std::string(text)] = pos;
}

void Annotations::AddInfo(std::string_view text, PositionRange pos) {
  infos_["PromQL info: " + std::string(text)] = pos;
}

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0.
size_t Utf8SeqLen(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc >> 6) != 0x2) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

}  // namespace

std::string QuoteGoString(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\t': out += "\\t"; continue;
      case '\r': out += "\\r"; continue;
      default: break;
    }
    if (c >= 0x80) {
      size_t n = Utf8SeqLen(s, i);
      if (n > 0) {
        out.append(s.substr(i, n));
        i += n - 1;
      } else {
        out += fmt::format("\\x{:02x}", c);  // invalid UTF-8, as Go's %q
      }
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string FormatGoG(double v) { return FormatPromFloat(v); }

std::string PossibleNonCounterInfo(std::string_view metric_name) {
  return "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: " +
         QuoteGoString(metric_name);
}

std::string InvalidQuantileWarning(double q) { return "quantile value should be between 0 and 1, got " + FormatGoG(q); }

std::string InvalidRatioWarning(double q, double to) {
  return "ratio value should be between -1 and 1, got " + FormatGoG(q) + ", capping to " + FormatGoG(to);
}

std::string BadBucketLabelWarning(std::string_view metric_name, std::string_view label) {
  std::string s = "bucket label \"le\" is missing or has a malformed value of " + QuoteGoString(label);
  if (!metric_name.empty()) s += " for metric name " + QuoteGoString(metric_name);
  return s;
}

std::string HistogramQuantileForcedMonotonicityInfo(std::string_view metric_name) {
  std::string s =
      "input to histogram_quantile needed to be fixed for monotonicity (see "
      "https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)";
  if (!metric_name.empty()) s += " for metric name " + QuoteGoString(metric_name);
  return s;
}

std::string MixedFloatsHistogramsWarning(std::string_view metric_name) {
  return "encountered a mix of histograms and floats for metric name " + QuoteGoString(metric_name);
}

std::string MixedFloatsHistogramsAggWarning() { return "encountered a mix of histograms and floats for aggregation"; }

std::string NativeHistogramNotCounterWarning(std::string_view metric_name) {
  return "this native histogram metric is not a counter: " + QuoteGoString(metric_name);
}

std::string NativeHistogramNotGaugeWarning(std::string_view metric_name) {
  return "this native histogram metric is not a gauge: " + QuoteGoString(metric_name);
}

std::string MixedExponentialCustomHistogramsWarning(std::string_view metric_name) {
  return "vector contains a mix of histograms with exponential and custom buckets schemas for metric name " +
         QuoteGoString(metric_name);
}

std::string MixedClassicNativeHistogramsWarning(std::string_view metric_name) {
  std::string s = "vector contains a mix of classic and native histograms";
  if (!metric_name.empty()) s += " for metric name " + QuoteGoString(metric_name);
  return s;
}

std::string HistogramIgnoredInMixedRangeInfo(std::string_view metric_name) {
  return "ignored histograms in a range containing both floats and histograms for metric name " +
         QuoteGoString(metric_name);
}

std::string HistogramIgnoredInAggregationInfo(std::string_view aggregation) {
  return fmt::format("ignored histogram in {} aggregation", aggregation);
}

std::string IncompatibleBucketLayoutInBinOpWarning(std::string_view op) {
  return fmt::format("incompatible bucket layout encountered for binary operator {}", op);
}

std::string IncompatibleTypesInBinOpInfo(std::string_view lhs_type, std::string_view op, std::string_view rhs_type) {
  return fmt::format("incompatible sample types encountered for binary operator {}: {} {} {}", QuoteGoString(op),
                     lhs_type, op, rhs_type);
}

std::string HistogramCounterResetCollisionWarning(std::string_view operation) {
  return fmt::format("conflicting counter resets during histogram {}", operation);
}

std::string MismatchedCustomBucketsHistogramsInfo(std::string_view operation) {
  return fmt::format("mismatched custom buckets were reconciled during {}", operation);
}

std::string SortInRangeQueryWarning() {
  return "sort is ineffective for range queries since results are always ordered by labels";
}

}  // namespace promethium::promql
