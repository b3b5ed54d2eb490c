#include "web/json_writer.h"

#include <charconv>
#include <cmath>

#include "tsdb/api/labels.h"
#include "tsdb/base/metrics.h"

namespace promethium::web {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendUnicodeEscape(std::string* out, unsigned code) {
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(code >> shift) & 0xF]);
}

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 when the
// bytes there are not valid UTF-8 (overlong forms and surrogates included).
size_t ValidUtf8Length(std::string_view s, size_t i, unsigned* code_point) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned c = byte(i);
  size_t len;
  unsigned cp, min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, cp = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, cp = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    unsigned cont = byte(i + k);
    if ((cont & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cont & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return len;
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        case '<':
        case '>':
        case '&': AppendUnicodeEscape(out, c); break;
        default:
          if (c < 0x20) {
            AppendUnicodeEscape(out, c);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    unsigned cp = 0;
    size_t len = ValidUtf8Length(s, i, &cp);
    if (len == 0) {
      out->append("\\ufffd");  // as Go: each invalid byte becomes U+FFFD
      ++i;
    } else if (cp == 0x2028 || cp == 0x2029) {
      AppendUnicodeEscape(out, cp);  // JavaScript line separators
      i += len;
    } else {
      out->append(s.substr(i, len));
      i += len;
    }
  }
  out->push_back('"');
}

std::string FormatApiSampleValue(double v) {
  double magnitude = std::fabs(v);
  if (std::isfinite(v) && magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21)) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
    return std::string(buf, res.ptr);
  }
  return FormatJsonFloat(v);
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_element_.empty()) {
    if (has_element_.back()) out_.push_back(',');
    has_element_.back() = true;
  }
}

void JsonWriter::BeginObject() {
  BeforeValue();
  out_.push_back('{');
  has_element_.push_back(false);
}

void JsonWriter::EndObject() {
  out_.push_back('}');
  has_element_.pop_back();
}

void JsonWriter::BeginArray() {
  BeforeValue();
  out_.push_back('[');
  has_element_.push_back(false);
}

void JsonWriter::EndArray() {
  out_.push_back(']');
  has_element_.pop_back();
}

void JsonWriter::Key(std::string_view key) {
  BeforeValue();
  AppendJsonString(&out_, key);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendJsonString(&out_, s);
}

void JsonWriter::Int(int64_t v) {
  BeforeValue();
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out_.append(buf, res.ptr);
}

void JsonWriter::Double(double v) {
  BeforeValue();
  if (!std::isfinite(v)) {
    out_.append("null");
    return;
  }
  // Go's encoding/json: shortest 'f' digits, 'e' only for tiny or huge
  // magnitudes, with a one-digit negative exponent ("1e-7").
  char buf[400];
  double magnitude = std::fabs(v);
  bool exponent = magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21);
  auto res =
      std::to_chars(buf, buf + sizeof(buf), v, exponent ? std::chars_format::scientific : std::chars_format::fixed);
  std::string_view text(buf, static_cast<size_t>(res.ptr - buf));
  size_t e = text.find("e-0");
  if (exponent && e != std::string_view::npos && e + 4 == text.size()) {
    out_.append(text.substr(0, e + 2));
    out_.push_back(text.back());
  } else {
    out_.append(text);
  }
}

void JsonWriter::Bool(bool b) {
  BeforeValue();
  out_.append(b ? "true" : "false");
}

void JsonWriter::Null() {
  BeforeValue();
  out_.append("null");
}

void JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_.append(json);
}

void JsonWriter::Timestamp(int64_t ms) {
  BeforeValue();
  uint64_t magnitude = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  if (ms < 0) out_.push_back('-');
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), magnitude / 1000);
  out_.append(buf, res.ptr);
  unsigned fraction = static_cast<unsigned>(magnitude % 1000);
  if (fraction != 0) {
    // Exactly three digits, trailing zeros kept, as Prometheus writes them.
    out_.push_back('.');
    out_.push_back(static_cast<char>('0' + fraction / 100));
    out_.push_back(static_cast<char>('0' + fraction / 10 % 10));
    out_.push_back(static_cast<char>('0' + fraction % 10));
  }
}

void JsonWriter::SampleValue(double v) {
  BeforeValue();
  out_.push_back('"');
  out_.append(FormatApiSampleValue(v));
  out_.push_back('"');
}

void JsonWriter::LabelsObject(const Labels& labels) {
  BeginObject();
  for (const Label& label : labels) {
    Key(label.name);
    String(label.value);
  }
  EndObject();
}

void JsonWriter::StringArray(const std::vector<std::string>& values) {
  BeginArray();
  for (const std::string& v : values) String(v);
  EndArray();
}

}  // namespace promethium::web
