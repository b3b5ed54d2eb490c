#include "scrape/textparse/scrape_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace promethium::scrape {
namespace {

using ::testing::HasSubstr;

TEST(ScrapeProtocolTest, DefaultAcceptHeaderMatchesPrometheusOrderAndWeights) {
  EXPECT_EQ(ScrapeAcceptHeader({}),
            "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,"
            "application/openmetrics-text;version=0.0.1;q=0.5,"
            "text/plain;version=1.0.0;escaping=underscores;q=0.4,"
            "text/plain;version=0.0.4;q=0.3,*/*;q=0.2");
  EXPECT_EQ(ScrapeAcceptHeader(DefaultScrapeProtocols()), ScrapeAcceptHeader({}));
}

TEST(ScrapeProtocolTest, CustomOrder) {
  EXPECT_EQ(ScrapeAcceptHeader({ScrapeProtocol::kPrometheusText0_0_4, ScrapeProtocol::kOpenMetricsText1_0_0}),
            "text/plain;version=0.0.4;q=0.6,application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.5,"
            "*/*;q=0.4");
}

TEST(ScrapeProtocolTest, Names) {
  ScrapeProtocol p;
  ASSERT_TRUE(ParseScrapeProtocolName("OpenMetricsText1.0.0", &p));
  EXPECT_EQ(p, ScrapeProtocol::kOpenMetricsText1_0_0);
  EXPECT_EQ(ScrapeProtocolName(p), "OpenMetricsText1.0.0");
  EXPECT_FALSE(ParseScrapeProtocolName("openmetricstext1.0.0", &p));
  EXPECT_EQ(SupportedScrapeProtocolNames(),
            "[OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0]");
}

TEST(ScrapeProtocolTest, ContentTypeSelectsParser) {
  auto om = SelectExpositionFormat("application/openmetrics-text; version=1.0.0; charset=utf-8", std::nullopt);
  ASSERT_TRUE(om.ok());
  EXPECT_EQ(om->format, ExpositionFormat::kOpenMetrics);
  EXPECT_TRUE(om->warning.empty());
  auto text = SelectExpositionFormat("Text/Plain; version=0.0.4", std::nullopt);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->format, ExpositionFormat::kPrometheusText);
  auto proto = SelectExpositionFormat(
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", std::nullopt);
  ASSERT_TRUE(proto.ok());
  EXPECT_EQ(proto->format, ExpositionFormat::kProtobuf);
  auto fallback = SelectExpositionFormat("", ScrapeProtocol::kPrometheusProto);
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback->format, ExpositionFormat::kProtobuf);
}

// Prometheus's acceptHeader over DefaultProtoFirstScrapeProtocols (what a
// job with scrape_native_histograms asks for): q from 0.6 down, escaping
// only on the 1.0.0 text formats.
TEST(ScrapeProtocolTest, ProtoFirstAcceptHeader) {
  EXPECT_EQ(ScrapeAcceptHeader(DefaultProtoFirstScrapeProtocols()),
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,"
            "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.5,"
            "application/openmetrics-text;version=0.0.1;q=0.4,"
            "text/plain;version=1.0.0;escaping=underscores;q=0.3,"
            "text/plain;version=0.0.4;q=0.2,*/*;q=0.1");
}

TEST(ScrapeProtocolTest, FallbackAndErrors) {
  auto blank = SelectExpositionFormat("", std::nullopt);
  EXPECT_EQ(blank.status().message(),
            "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for "
            "target");
  auto unknown = SelectExpositionFormat("application/json", std::nullopt);
  EXPECT_EQ(unknown.status().message(),
            "received unsupported Content-Type \"application/json\" and no fallback_scrape_protocol specified for "
            "target");
  auto garbage = SelectExpositionFormat("garbage", std::nullopt);
  EXPECT_THAT(garbage.status().message(), HasSubstr("cannot parse Content-Type \"garbage\""));

  auto fb = SelectExpositionFormat("", ScrapeProtocol::kOpenMetricsText1_0_0);
  ASSERT_TRUE(fb.ok());
  EXPECT_EQ(fb->format, ExpositionFormat::kOpenMetrics);
  EXPECT_THAT(fb->warning, HasSubstr("using fallback_scrape_protocol \"application/openmetrics-text\""));
  auto fb2 = SelectExpositionFormat("application/json", ScrapeProtocol::kPrometheusText0_0_4);
  ASSERT_TRUE(fb2.ok());
  EXPECT_EQ(fb2->format, ExpositionFormat::kPrometheusText);
}

}  // namespace
}  // namespace promethium::scrape
