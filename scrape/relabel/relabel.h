// Relabel: applies relabeling rules to a label set (Prometheus's
// relabel.Process / ProcessBuilder).
//
// Rules run in order on a working copy of the labels; the first rule that
// drops (keep, drop, keepequal, dropequal) stops processing. Every action of
// Prometheus 3 is implemented: replace, keep, drop, keepequal, dropequal,
// hashmod (MD5 of the joined source values; the digest's last 8 bytes as a
// big-endian integer, mod modulus, as Prometheus does), labelmap, labeldrop,
// labelkeep, lowercase, uppercase. Setting a label to "" deletes it. A
// replace whose expanded target is not a valid label name does nothing.
// lowercase/uppercase map ASCII letters only (Go maps all of Unicode).
//
// Thread-safety: pure functions; configs are immutable and shareable.
#pragma once

#include <vector>

#include "scrape/relabel/relabel_config.h"
#include "tsdb/api/labels.h"

namespace promethium::scrape {

struct RelabelResult {
  Labels labels;  // the relabeled set; empty when dropped
  bool keep = true;
};

// Applies `configs` to `labels`.
RelabelResult Relabel(const Labels& labels, const std::vector<RelabelConfig>& configs);

// Applies `configs` to the labels in `builder`, editing it in place.
// Returns false when a rule drops the set (the builder is then partial).
bool RelabelBuilder(LabelsBuilder* builder, const std::vector<RelabelConfig>& configs);

}  // namespace promethium::scrape
