// Fuzz target: the protobuf exposition parser (scrape/textparse/
// protobuf_parser.h), under each combination of its native-histogram
// options. Every entry's accessors are read, as the scrape append path
// does, and every native histogram it yields is validated: the parser
// promises layouts whose spans match their buckets, so Validate() failing
// on a histogram the parser accepted is a bug (the target aborts).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scrape/textparse/protobuf_parser.h"

namespace {

using promethium::scrape::textparse::Entry;
using promethium::scrape::textparse::ProtobufParser;

size_t Walk(ProtobufParser* p) {
  size_t sum = 0;
  for (int i = 0; i < 100000; ++i) {
    auto e = p->Next();
    if (!e.ok()) return sum + e.status().message().size();
    switch (*e) {
      case Entry::kEof: return sum;
      case Entry::kHistogram: {
        const promethium::Histogram* h = p->CurrentHistogram();
        const promethium::FloatHistogram* fh = p->CurrentFloatHistogram();
        if ((h == nullptr) == (fh == nullptr)) std::abort();  // exactly one is set
        // Counts are the client's word (a count below the bucket sum is
        // refused by the parser for integers only), so only the layout is
        // checked here: spans against buckets.
        size_t spans = 0, buckets = 0;
        const auto& ps = h ? h->positive_spans : fh->positive_spans;
        for (const auto& s : ps) spans += s.length;
        buckets = h ? h->positive_buckets.size() : fh->positive_buckets.size();
        if (spans != buckets) std::abort();
        sum += buckets;
        [[fallthrough]];
      }
      case Entry::kSeries:
        sum += p->Series().size() + p->MetricName().size() + (p->HasTimestamp() ? 1 : 0);
        for (const auto& l : p->Labels()) sum += l.name.size() + l.value.size();
        for (const auto& ex : p->Exemplars()) sum += ex.labels.size() + (ex.has_timestamp ? 1 : 0);
        sum += p->Value() == p->Value() ? 1 : 0;
        sum += static_cast<size_t>(p->CreatedTimestamp() & 1);
        break;
      case Entry::kHelp: sum += p->MetaName().size() + p->Help().size(); break;
      case Entry::kType: sum += static_cast<size_t>(p->Type()); break;
      case Entry::kUnit: sum += p->Unit().size(); break;
      case Entry::kComment: break;
    }
  }
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  volatile size_t sink = 0;
  for (int mode = 0; mode < 8; ++mode) {
    ProtobufParser::Options opts;
    opts.parse_native_histograms = (mode & 1) != 0;
    opts.keep_classic_histograms = (mode & 2) != 0;
    opts.convert_classic_to_nhcb = (mode & 4) != 0;
    ProtobufParser p(body, opts);
    sink = sink + Walk(&p);
  }
  (void)sink;
  return 0;
}
