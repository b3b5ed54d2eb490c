// Fuzz target: the scrape body parsers (scrape/textparse): the Prometheus
// text format and OpenMetrics, fed the same bytes. Every entry's accessors
// are read, as the scrape loop does, so that views past the body show up
// under ASan.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "scrape/textparse/openmetrics_parser.h"
#include "scrape/textparse/prom_parser.h"

namespace {

using promethium::scrape::textparse::Entry;

// Reads what the scrape loop reads of each entry; returns a value that
// depends on every byte read so the reads are not optimized away.
template <typename Parser>
size_t Walk(std::string_view body, Parser* p) {
  size_t sum = 0;
  std::string scratch;
  for (int i = 0; i < 100000; ++i) {
    auto e = p->Next();
    if (!e.ok()) return sum + e.status().message().size();
    switch (*e) {
      case Entry::kEof: return sum;
      case Entry::kSeries:
        sum += p->Series().size() + p->MetricName().size() + (p->HasTimestamp() ? 1 : 0);
        for (const auto& l : p->Labels()) {
          scratch.clear();
          Parser::UnescapeLabelValue(l.value, &scratch);
          sum += l.name.size() + scratch.size();
        }
        sum += p->Value() == p->Value() ? 1 : 0;
        if constexpr (requires { p->ExemplarLabels(); }) {
          if (p->HasExemplar()) {
            for (const auto& l : p->ExemplarLabels()) sum += l.name.size() + l.value.size();
            sum += p->ExemplarHasTimestamp() ? static_cast<size_t>(p->ExemplarTimestamp() & 1) : 0;
          }
        }
        break;
      case Entry::kHelp: sum += p->MetaName().size() + p->Help().size() + p->HelpRaw().size(); break;
      case Entry::kType: sum += p->MetaName().size() + static_cast<size_t>(p->Type()); break;
      case Entry::kUnit:
        if constexpr (requires { p->Unit(); }) sum += p->MetaName().size() + p->Unit().size();
        break;
      case Entry::kComment: sum += p->Comment().size(); break;
      case Entry::kHistogram: break;  // only the protobuf parser yields these
    }
  }
  return sum + body.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  volatile size_t sink = 0;
  {
    promethium::scrape::textparse::PromParser p(body);
    sink = sink + Walk(body, &p);
  }
  for (bool skip_created : {false, true}) {
    promethium::scrape::textparse::OpenMetricsParser::Options opts;
    opts.skip_created_series = skip_created;
    promethium::scrape::textparse::OpenMetricsParser p(body, opts);
    sink = sink + Walk(body, &p);
  }
  (void)sink;
  return 0;
}
