#include "scrape/relabel/relabel.h"

#include <string>

#include "scrape/relabel/md5.h"

namespace promethium::scrape {
namespace {

std::string JoinSourceValues(const LabelsBuilder& b, const RelabelConfig& cfg) {
  std::string val;
  for (size_t i = 0; i < cfg.source_labels.size(); ++i) {
    if (i > 0) val += cfg.separator;
    val += b.Get(cfg.source_labels[i]);
  }
  return val;
}

std::string MapAscii(std::string s, bool upper) {
  for (char& c : s) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

uint64_t HashMod(std::string_view val, uint64_t modulus) {
  Md5Digest d = Md5(val);
  uint64_t tail = 0;
  for (size_t i = 8; i < 16; ++i) tail = tail << 8 | d[i];  // Prometheus uses hash[8:]
  return tail % modulus;
}

bool HasVariable(std::string_view s) { return s.find('$') != std::string_view::npos; }

void ApplyReplace(LabelsBuilder* b, const RelabelConfig& cfg, const std::string& val) {
  // Fast path (as Prometheus): set or delete a fixed label.
  if (val.empty() && cfg.regex.is_default() && !HasVariable(cfg.target_label) && !HasVariable(cfg.replacement)) {
    b->Set(cfg.target_label, cfg.replacement);
    return;
  }
  std::vector<std::string_view> groups;
  if (!cfg.regex.Match(val, &groups)) return;  // no match: no replacement
  std::string target = cfg.regex.Expand(cfg.target_label, groups);
  if (!IsValidLabelNameFor(cfg.name_validation, target)) return;
  std::string res = cfg.regex.Expand(cfg.replacement, groups);
  if (res.empty()) {
    b->Del(target);
  } else {
    b->Set(target, res);
  }
}

// labelmap, labeldrop, labelkeep: act on label names, over a snapshot of
// the labels as they were before this rule.
void ApplyToNames(LabelsBuilder* b, const RelabelConfig& cfg) {
  const Labels snapshot = b->Build();
  std::vector<std::string_view> groups;
  for (const Label& l : snapshot) {
    switch (cfg.action) {
      case RelabelAction::kLabelMap:
        // The regex is anchored, so "replace all" is one whole-name replacement.
        if (cfg.regex.Match(l.name, &groups)) b->Set(cfg.regex.Expand(cfg.replacement, groups), l.value);
        break;
      case RelabelAction::kLabelDrop:
        if (cfg.regex.Matches(l.name)) b->Del(l.name);
        break;
      case RelabelAction::kLabelKeep:
        if (!cfg.regex.Matches(l.name)) b->Del(l.name);
        break;
      default: break;
    }
  }
}

// One rule; false when it drops the label set.
bool ApplyRule(LabelsBuilder* b, const RelabelConfig& cfg) {
  const std::string val = JoinSourceValues(*b, cfg);
  switch (cfg.action) {
    case RelabelAction::kDrop: return !cfg.regex.Matches(val);
    case RelabelAction::kKeep: return cfg.regex.Matches(val);
    case RelabelAction::kDropEqual: return b->Get(cfg.target_label) != val;
    case RelabelAction::kKeepEqual: return b->Get(cfg.target_label) == val;
    case RelabelAction::kReplace: ApplyReplace(b, cfg, val); return true;
    case RelabelAction::kLowercase: b->Set(cfg.target_label, MapAscii(val, false)); return true;
    case RelabelAction::kUppercase: b->Set(cfg.target_label, MapAscii(val, true)); return true;
    case RelabelAction::kHashMod:
      // Validate() rejects modulus 0; an unvalidated one must not divide by zero.
      if (cfg.modulus != 0) b->Set(cfg.target_label, std::to_string(HashMod(val, cfg.modulus)));
      return true;
    case RelabelAction::kLabelMap:
    case RelabelAction::kLabelDrop:
    case RelabelAction::kLabelKeep: ApplyToNames(b, cfg); return true;
  }
  return true;
}

}  // namespace

bool RelabelBuilder(LabelsBuilder* builder, const std::vector<RelabelConfig>& configs) {
  for (const RelabelConfig& cfg : configs) {
    if (!ApplyRule(builder, cfg)) return false;
  }
  return true;
}

RelabelResult Relabel(const Labels& labels, const std::vector<RelabelConfig>& configs) {
  if (configs.empty()) return {labels, true};
  LabelsBuilder b(labels);
  if (!RelabelBuilder(&b, configs)) return {Labels(), false};
  return {b.Build(), true};
}

}  // namespace promethium::scrape
