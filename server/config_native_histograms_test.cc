// The native-histogram keys of scrape configs (Prometheus 3.x):
// scrape_native_histograms, always_scrape_classic_histograms,
// convert_classic_histograms_to_nhcb (global defaults, per-job override),
// native_histogram_bucket_limit, native_histogram_min_bucket_factor, and
// the protocol default that scrape_native_histograms picks. Expected values
// follow Prometheus's config.go (Validate) and its testdata
// (*_scrape_native_hist*.good.yml).
#include <gtest/gtest.h>

#include "server/config.h"
#include "server/config_test_util.h"

namespace promethium::server {
namespace {

using scrape::ScrapeProtocol;
using testutil::MustParse;
using testutil::ParseError;

TEST(ServerConfigNativeHistogramsTest, DefaultsAreOff) {
  Config cfg = MustParse("scrape_configs:\n  - job_name: a\n");
  const scrape::ScrapeConfig& sc = cfg.scrape_configs[0];
  EXPECT_EQ(sc.scrape_native_histograms, false);
  EXPECT_EQ(sc.always_scrape_classic_histograms, false);
  EXPECT_EQ(sc.convert_classic_histograms_to_nhcb, false);
  EXPECT_EQ(sc.native_histogram_bucket_limit, 0u);
  EXPECT_EQ(sc.native_histogram_min_bucket_factor, 0);
  EXPECT_EQ(sc.scrape_protocols, scrape::DefaultScrapeProtocols());
}

// global_enable_scrape_native_hist.good.yml / local_disable_scrape_native_hist.good.yml:
// the job inherits the global setting unless it sets its own, and a job
// that scrapes native histograms without scrape_protocols asks for
// protobuf first.
TEST(ServerConfigNativeHistogramsTest, GlobalInheritanceAndProtoFirstDefault) {
  Config cfg = MustParse(R"(
global:
  scrape_native_histograms: true
  always_scrape_classic_histograms: true
  convert_classic_histograms_to_nhcb: true
scrape_configs:
  - job_name: inherits
  - job_name: overrides
    scrape_native_histograms: false
    always_scrape_classic_histograms: false
    convert_classic_histograms_to_nhcb: false
    native_histogram_bucket_limit: 160
    native_histogram_min_bucket_factor: 1.1
)");
  const scrape::ScrapeConfig& a = cfg.scrape_configs[0];
  const scrape::ScrapeConfig& b = cfg.scrape_configs[1];
  EXPECT_EQ(a.scrape_native_histograms, true);
  EXPECT_EQ(a.always_scrape_classic_histograms, true);
  EXPECT_EQ(a.convert_classic_histograms_to_nhcb, true);
  EXPECT_EQ(a.scrape_protocols, scrape::DefaultProtoFirstScrapeProtocols());
  EXPECT_EQ(b.scrape_native_histograms, false);
  EXPECT_EQ(b.always_scrape_classic_histograms, false);
  EXPECT_EQ(b.convert_classic_histograms_to_nhcb, false);
  EXPECT_EQ(b.scrape_protocols, scrape::DefaultScrapeProtocols());
  EXPECT_EQ(b.native_histogram_bucket_limit, 160u);
  EXPECT_EQ(b.native_histogram_min_bucket_factor, 1.1);

  Config again = MustParse(ConfigToYaml(cfg));
  EXPECT_EQ(again.global, cfg.global);
  EXPECT_EQ(again.scrape_configs, cfg.scrape_configs);
}

// local_enable_scrape_native_hist_and_scrape_protocols.good.yml and
// global_scrape_protocols_and_local_disable_scrape_native_hist.good.yml:
// explicit scrape_protocols (job or global) win over the proto-first default.
TEST(ServerConfigNativeHistogramsTest, ExplicitProtocolsWin) {
  Config cfg = MustParse(R"(
global:
  scrape_protocols: [PrometheusText0.0.4]
scrape_configs:
  - job_name: a
    scrape_native_histograms: true
  - job_name: b
    scrape_native_histograms: true
    scrape_protocols: [OpenMetricsText1.0.0]
)");
  EXPECT_EQ(cfg.scrape_configs[0].scrape_protocols, std::vector<ScrapeProtocol>{ScrapeProtocol::kPrometheusText0_0_4});
  EXPECT_EQ(cfg.scrape_configs[1].scrape_protocols, std::vector<ScrapeProtocol>{ScrapeProtocol::kOpenMetricsText1_0_0});
}

TEST(ServerConfigNativeHistogramsTest, TypeErrors) {
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: a\n    scrape_native_histograms: maybe\n"),
            "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `maybe` into bool");
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: a\n    native_histogram_min_bucket_factor: big\n"),
            "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `big` into float64");
  EXPECT_EQ(ParseError("scrape_configs:\n  - job_name: a\n    native_histogram_bucket_limit: -1\n"),
            "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!int `-1` into uint");
}

}  // namespace
}  // namespace promethium::server
