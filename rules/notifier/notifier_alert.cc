#include "rules/notifier/notifier_alert.h"

#include <fmt/format.h>

#include <ctime>

namespace promethium::rules {
namespace {

bool Unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

// encoding/json's string escaping (HTML-safe, as json.Marshal).
void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out->append("\\\""); continue;
      case '\\': out->append("\\\\"); continue;
      case '\n': out->append("\\n"); continue;
      case '\r': out->append("\\r"); continue;
      case '\t': out->append("\\t"); continue;
      default: break;
    }
    if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
    } else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) == 0xa8 || static_cast<unsigned char>(s[i + 2]) == 0xa9)) {
      out->append(static_cast<unsigned char>(s[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029");
      i += 2;
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('"');
}

// A LabelSet as a JSON object, keys sorted (Labels are sorted by name).
void AppendLabelSet(std::string* out, const Labels& labels) {
  out->push_back('{');
  bool first = true;
  for (const Label& l : labels) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, l.name);
    out->push_back(':');
    AppendJsonString(out, l.value);
  }
  out->push_back('}');
}

}  // namespace

std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (Unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string TableLinkForExpression(std::string_view expr) {
  return fmt::format("/graph?g0.expr={}&g0.tab=1", QueryEscape(expr));
}

std::vector<NotifierAlert> ToNotifierAlerts(std::string_view expr, const std::vector<Alert>& alerts,
                                            std::string_view external_url) {
  std::vector<NotifierAlert> out;
  out.reserve(alerts.size());
  const std::string generator_url = std::string(external_url) + TableLinkForExpression(expr);
  for (const Alert& a : alerts) {
    NotifierAlert n;
    n.labels = a.labels;
    n.annotations = a.annotations;
    n.starts_at_ms = a.fired_at_ms;
    n.ends_at_ms = a.resolved_at_ms ? a.resolved_at_ms : a.valid_until_ms;
    n.generator_url = generator_url;
    out.push_back(std::move(n));
  }
  return out;
}

std::string FormatAlertTime(std::optional<int64_t> ms) {
  if (!ms) return "0001-01-01T00:00:00.000Z";
  int64_t secs = *ms / 1000;
  int64_t millis = *ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

std::string EncodeAlertsV2(const std::vector<NotifierAlert>& alerts) {
  std::string out = "[";
  for (size_t i = 0; i < alerts.size(); ++i) {
    const NotifierAlert& a = alerts[i];
    if (i > 0) out.push_back(',');
    out.push_back('{');
    if (!a.annotations.empty()) {
      out.append("\"annotations\":");
      AppendLabelSet(&out, a.annotations);
      out.push_back(',');
    }
    out.append("\"endsAt\":\"").append(FormatAlertTime(a.ends_at_ms)).append("\",");
    out.append("\"startsAt\":\"").append(FormatAlertTime(a.starts_at_ms)).append("\",");
    if (!a.generator_url.empty()) {
      out.append("\"generatorURL\":");
      AppendJsonString(&out, a.generator_url);
      out.push_back(',');
    }
    out.append("\"labels\":");
    AppendLabelSet(&out, a.labels);
    out.push_back('}');
  }
  out.push_back(']');
  return out;
}

}  // namespace promethium::rules
