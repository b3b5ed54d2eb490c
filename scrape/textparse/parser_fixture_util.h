// Test helpers for the differential tests of the exposition parsers: loads
// the real node_exporter fixtures in bench/testdata/ and reduces a parser's
// whole output (every entry with its line number, series text, unescaped
// labels, value bits, timestamp, exemplar, metadata) to entry counts and one
// FNV-1a checksum, so the tests can pin the output of the parser as it was
// before an optimisation and fail on any change.
// Header-only so it needs no CMake change; used by prom_parser_test.cc and
// openmetrics_parser_test.cc only.
// Thread-safety: pure functions.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "scrape/textparse/prom_parser.h"
#include "tsdb/base/env.h"
#include "tsdb/base/result.h"

namespace promethium::scrape::textparse::testutil {

// The source tree, which scrape/CMakeLists.txt passes to the test.
inline std::string SourceDir() { return PROMETHIUM_SOURCE_DIR; }

// bench/testdata/<name> of the source tree.
inline Result<std::string> ReadFixture(std::string_view name) {
  std::string root = SourceDir();
  if (root.empty()) return Status::NotFound("cannot locate the source tree for bench/testdata");
  if (root.back() != '/') root += '/';
  return ReadFileToString(Env::Default(), root + "bench/testdata/" + std::string(name));
}

struct Digest {
  uint64_t hash = 1469598103934665603ULL;  // FNV-1a 64 offset basis
  int64_t series = 0, help = 0, type = 0, comment = 0, unit = 0, labels = 0, timestamps = 0, exemplars = 0;

  void Bytes(std::string_view s) {
    for (char c : s) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ULL;
    }
    hash ^= 0xff;  // field separator: "ab","c" differs from "a","bc"
    hash *= 1099511628211ULL;
  }
  void Int(uint64_t v) {
    char b[8];
    std::memcpy(b, &v, 8);
    Bytes(std::string_view(b, 8));
  }
};

// Folds the current entry of parser `p` (PromParser or OpenMetricsParser)
// into *d. Label values are hashed unescaped, values as exact bit patterns.
template <typename Parser>
void AddEntry(const Parser& p, Entry e, Digest* d) {
  d->Int(static_cast<uint64_t>(e));
  d->Int(static_cast<uint64_t>(p.line()));
  switch (e) {
    case Entry::kSeries: {
      ++d->series;
      d->Bytes(p.Series());
      d->Bytes(p.MetricName());
      for (const LabelView& l : p.Labels()) {
        ++d->labels;
        std::string v;
        Parser::UnescapeLabelValue(l.value, &v);
        d->Bytes(l.name);
        d->Bytes(v);
      }
      d->Int(std::bit_cast<uint64_t>(p.Value()));
      d->Int(p.HasTimestamp() ? 1 : 0);
      if (p.HasTimestamp()) {
        ++d->timestamps;
        d->Int(static_cast<uint64_t>(p.Timestamp()));
      }
      if constexpr (requires { p.HasExemplar(); }) {
        if (p.HasExemplar()) {
          ++d->exemplars;
          for (const LabelView& l : p.ExemplarLabels()) {
            std::string v;
            Parser::UnescapeLabelValue(l.value, &v);
            d->Bytes(l.name);
            d->Bytes(v);
          }
          d->Int(std::bit_cast<uint64_t>(p.ExemplarValue()));
          d->Int(p.ExemplarHasTimestamp() ? static_cast<uint64_t>(p.ExemplarTimestamp()) : 0);
        }
      }
      break;
    }
    case Entry::kHelp:
      ++d->help;
      d->Bytes(p.MetaName());
      d->Bytes(p.Help());
      break;
    case Entry::kType:
      ++d->type;
      d->Bytes(p.MetaName());
      d->Bytes(MetricTypeName(p.Type()));
      break;
    case Entry::kComment:
      ++d->comment;
      d->Bytes(p.Comment());
      break;
    case Entry::kUnit:
      ++d->unit;
      d->Bytes(p.MetaName());
      if constexpr (requires { p.Unit(); }) d->Bytes(p.Unit());
      break;
    case Entry::kEof:
    case Entry::kHistogram: break;  // text formats have no native histograms
  }
}

// Parses all of `body`, digesting every entry; a parse error ends it and is
// returned in `error`.
template <typename Parser>
Digest DigestOf(std::string_view body, std::string* error) {
  Digest d;
  Parser p(body);
  for (;;) {
    Result<Entry> e = p.Next();
    if (!e.ok()) {
      *error = e.status().ToString();
      return d;
    }
    if (*e == Entry::kEof) return d;
    AddEntry(p, *e, &d);
  }
}

}  // namespace promethium::scrape::textparse::testutil
