// promtool-style failure text (see report.h).
#include "rules/unittest/report.h"

#include <fmt/format.h>

#include <cstdlib>

#include "rules/template/go_format.h"

namespace promethium::rules::unittest {

std::string GoDurationString(int64_t ms) {
  if (ms == 0) return "0s";
  std::string sign = ms < 0 ? "-" : "";
  uint64_t u = static_cast<uint64_t>(ms < 0 ? -ms : ms);
  if (u < 1000) return fmt::format("{}{}ms", sign, u);
  const uint64_t h = u / 3'600'000, m = u / 60'000 % 60, s = u / 1000 % 60, frac = u % 1000;
  std::string secs = std::to_string(s);
  if (frac != 0) {
    std::string f = fmt::format("{:03d}", frac);
    while (f.back() == '0') f.pop_back();
    secs += "." + f;
  }
  if (h > 0) return fmt::format("{}{}h{}m{}s", sign, h, m, secs);
  if (m > 0) return fmt::format("{}{}m{}s", sign, m, secs);
  return fmt::format("{}{}s", sign, secs);
}

std::string LabelPairsString(const LabelPairs& ls) {
  std::string out = "{";
  for (size_t i = 0; i < ls.size(); ++i) {
    if (i > 0) out += ", ";
    out += ls[i].name + "=" + QuoteLabelValue(ls[i].value);
  }
  return out + "}";
}

std::string IndentLines(std::string_view text, std::string_view indent) {
  std::string out;
  size_t start = 0;
  bool first = true;
  while (true) {
    const size_t nl = text.find('\n', start);
    if (!first) out += indent;
    first = false;
    out += text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (nl == std::string_view::npos) break;
    out += '\n';
    start = nl + 1;
  }
  return out;
}

std::string AlertsString(const std::vector<AlertLabels>& alerts) {
  if (alerts.empty()) return "[]";
  std::string out = "[";
  for (size_t i = 0; i < alerts.size(); ++i) {
    const std::string one =
        "Labels:" + LabelPairsString(alerts[i].labels) + "\nAnnotations:" + LabelPairsString(alerts[i].annotations);
    out += (i == 0 ? "\n" : ",\n") + std::to_string(i) + ":" + IndentLines("\n" + one, "  ");
  }
  return out + "\n]";
}

std::string SamplesString(const std::vector<ParsedSample>& samples) {
  if (samples.empty()) return "nil";
  std::string out;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i > 0) out += ", ";
    out += LabelPairsString(samples[i].labels) + " ";
    out += samples[i].histogram.empty() ? tmpl::FormatGoFloat(samples[i].value, 'E', -1) : samples[i].histogram;
  }
  return out;
}

}  // namespace promethium::rules::unittest
