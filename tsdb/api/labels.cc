#include "tsdb/api/labels.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack: no allocation per hash
#include <xxhash.h>

#include <algorithm>

namespace promethium {
namespace {

constexpr char kSep = '\xff';  // cannot appear in valid UTF-8, so pairs never run together

void HashPair(XXH3_state_t* st, const Label& l) {
  XXH3_64bits_update(st, l.name.data(), l.name.size());
  XXH3_64bits_update(st, &kSep, 1);
  XXH3_64bits_update(st, l.value.data(), l.value.size());
  XXH3_64bits_update(st, &kSep, 1);
}

template <typename Pred>
uint64_t HashIf(const std::vector<Label>& labels, Pred keep) {
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  for (const Label& l : labels) {
    if (keep(l)) HashPair(&st, l);
  }
  return XXH3_64bits_digest(&st);
}

bool Contains(const std::vector<std::string>& names, std::string_view n) {
  return std::find(names.begin(), names.end(), n) != names.end();
}

}  // namespace

Labels::Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::vector<Label> v;
  v.reserve(pairs.size());
  for (const auto& [n, val] : pairs) v.push_back(Label{std::string(n), std::string(val)});
  *this = FromVector(std::move(v));
}

Labels Labels::FromVector(std::vector<Label> labels) {
  // Stable sort keeps input order among equal names, so "last wins" holds.
  std::stable_sort(labels.begin(), labels.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
  std::vector<Label> out;
  out.reserve(labels.size());
  for (auto& l : labels) {
    if (!out.empty() && out.back().name == l.name) {
      out.back().value = std::move(l.value);
    } else {
      out.push_back(std::move(l));
    }
  }
  std::erase_if(out, [](const Label& l) { return l.value.empty(); });
  return Labels(std::move(out));
}

Labels Labels::FromSortedUnchecked(std::vector<Label> labels) { return Labels(std::move(labels)); }

std::string_view Labels::Get(std::string_view name) const {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != labels_.end() && it->name == name) return it->value;
  return {};
}

bool Labels::Has(std::string_view name) const {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  return it != labels_.end() && it->name == name;
}

uint64_t Labels::Hash() const {
  return HashIf(labels_, [](const Label&) { return true; });
}

uint64_t Labels::HashForLabels(const std::vector<std::string>& names) const {
  return HashIf(labels_, [&](const Label& l) { return Contains(names, l.name); });
}

uint64_t Labels::HashWithoutLabels(const std::vector<std::string>& names) const {
  return HashIf(labels_, [&](const Label& l) { return l.name != kMetricName && !Contains(names, l.name); });
}

Labels Labels::Keep(const std::vector<std::string>& names) const {
  std::vector<Label> out;
  for (const Label& l : labels_) {
    if (Contains(names, l.name)) out.push_back(l);
  }
  return Labels(std::move(out));
}

Labels Labels::Drop(const std::vector<std::string>& names) const {
  std::vector<Label> out;
  for (const Label& l : labels_) {
    if (!Contains(names, l.name)) out.push_back(l);
  }
  return Labels(std::move(out));
}

Labels Labels::DropMetricName() const {
  if (!Has(kMetricName)) return *this;
  std::vector<Label> out;
  out.reserve(labels_.size() - 1);
  for (const Label& l : labels_) {
    if (l.name != kMetricName) out.push_back(l);
  }
  return Labels(std::move(out));
}

std::string Labels::ToString() const {
  std::string out = "{";
  bool first = true;
  for (const Label& l : labels_) {
    if (!first) out += ", ";
    first = false;
    out += l.name;
    out += '=';
    out += QuoteLabelValue(l.value);
  }
  out += '}';
  return out;
}

size_t Labels::ByteSize() const {
  size_t n = sizeof(*this) + labels_.capacity() * sizeof(Label);
  for (const Label& l : labels_) {
    if (l.name.capacity() > 15) n += l.name.capacity();
    if (l.value.capacity() > 15) n += l.value.capacity();
  }
  return n;
}

std::strong_ordering operator<=>(const Labels& a, const Labels& b) {
  size_t n = std::min(a.labels_.size(), b.labels_.size());
  for (size_t i = 0; i < n; ++i) {
    if (auto c = a.labels_[i].name <=> b.labels_[i].name; c != 0) return c;
    if (auto c = a.labels_[i].value <=> b.labels_[i].value; c != 0) return c;
  }
  return a.labels_.size() <=> b.labels_.size();
}

void LabelsBuilder::Reset(const Labels& base) { labels_ = base.vec(); }

LabelsBuilder& LabelsBuilder::Set(std::string_view name, std::string_view value) {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  bool found = it != labels_.end() && it->name == name;
  if (value.empty()) {
    if (found) labels_.erase(it);
  } else if (found) {
    it->value.assign(value);
  } else {
    labels_.insert(it, Label{std::string(name), std::string(value)});
  }
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(std::string_view name) { return Set(name, {}); }

std::string_view LabelsBuilder::Get(std::string_view name) const {
  for (const Label& l : labels_) {
    if (l.name == name) return l.value;
  }
  return {};
}

Labels LabelsBuilder::Build() const { return Labels::FromSortedUnchecked(labels_); }

std::string QuoteLabelValue(std::string_view value) {
  // Go's strconv.Quote: escapes quotes, backslashes and control characters,
  // keeps printable UTF-8 as is.
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

namespace {
bool IsNameChar(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}
bool IsValidName(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, colon)) return false;
  }
  return true;
}
}  // namespace

bool IsValidLabelName(std::string_view name) { return IsValidName(name, false); }
bool IsValidMetricName(std::string_view name) { return IsValidName(name, true); }

}  // namespace promethium
