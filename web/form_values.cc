#include "web/form_values.h"

#include <strings.h>

#include "tsdb/api/labels.h"

namespace promethium::web {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsFormBody(const HttpRequest& req) {
  if (req.method != "POST" && req.method != "PUT" && req.method != "PATCH") return false;
  std::string_view type = FindHeader(req.headers, "Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  return type.size() == kForm.size() && strncasecmp(type.data(), kForm.data(), kForm.size()) == 0;
}

}  // namespace

bool FormBodyTooLarge(const HttpRequest& req) { return req.body.size() > kMaxFormBodyBytes && IsFormBody(req); }

Result<std::string> PercentDecode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      bool complete = i + 2 < s.size();
      int hi = complete ? HexValue(s[i + 1]) : -1;
      int lo = complete ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("invalid URL escape " + QuoteLabelValue(s.substr(i, 3)));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

void FormValues::Parse(std::string_view query) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.find(';') != std::string_view::npos) {
      if (parse_error_.empty()) parse_error_ = "invalid semicolon separator in query";
      continue;
    }
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    auto key = PercentDecode(raw_key, true);
    auto value = key.ok() ? PercentDecode(raw_value, true) : key;
    if (!key.ok() || !value.ok()) {
      if (parse_error_.empty()) parse_error_ = (!key.ok() ? key : value).status().message();
      continue;
    }
    values_.emplace_back(std::move(key).value(), std::move(value).value());
  }
}

FormValues FormValues::FromQueryString(std::string_view query) {
  FormValues form;
  form.Parse(query);
  return form;
}

FormValues FormValues::FromRequest(const HttpRequest& req) {
  FormValues form;
  if (IsFormBody(req)) form.Parse(req.body);
  form.Parse(SplitTarget(req.target).second);
  return form;
}

std::string FormValues::Get(std::string_view key) const {
  for (const auto& [k, v] : values_) {
    if (k == key) return v;
  }
  return {};
}

std::vector<std::string> FormValues::GetAll(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : values_) {
    if (k == key) out.push_back(v);
  }
  return out;
}

bool FormValues::Has(std::string_view key) const {
  for (const auto& kv : values_) {
    if (kv.first == key) return true;
  }
  return false;
}

}  // namespace promethium::web
