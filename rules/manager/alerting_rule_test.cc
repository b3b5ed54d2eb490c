// Tests for AlertingRule: the pending/firing/resolved state machine with
// `for` and `keep_firing_for` at exact timestamps, ALERTS and
// ALERTS_FOR_STATE output, templates, duplicates, limit, sending.
#include "rules/manager/alerting_rule.h"

#include <gtest/gtest.h>

#include <map>

namespace promethium::rules {
namespace {

// A query function whose result depends on the query time.
struct Script {
  std::map<int64_t, promql::Vector> at;
  QueryFunc Func() {
    return [this](std::string_view, int64_t ts) -> Result<promql::Vector> {
      auto it = at.find(ts);
      return it == at.end() ? promql::Vector{} : it->second;
    };
  }
};

const Labels kSample{{"__name__", "up"}, {"instance", "i1"}, {"job", "j"}};

AlertingRuleOptions Opts(int64_t for_ms, int64_t keep_ms = 0) {
  AlertingRuleOptions o;
  o.name = "Down";
  o.expr = "up == 0";
  o.for_ms = for_ms;
  o.keep_firing_for_ms = keep_ms;
  o.labels = Labels{{"severity", "page"}};
  return o;
}

const Labels kAlertLabels{{"alertname", "Down"}, {"instance", "i1"}, {"job", "j"}, {"severity", "page"}};

TEST(AlertingRuleTest, PendingFiringResolvedWithFor) {
  Script s;
  for (int64_t t : {0, 60000, 120000, 180000}) s.at[t] = {{kSample, t, 0}};
  QueryFunc q = s.Func();
  AlertingRule r(Opts(120000));

  auto out = r.Eval({0, 0, &q, 0});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].metric, (Labels{{"__name__", "ALERTS"},
                                      {"alertname", "Down"},
                                      {"alertstate", "pending"},
                                      {"instance", "i1"},
                                      {"job", "j"},
                                      {"severity", "page"}}));
  EXPECT_EQ((*out)[0].v, 1);
  EXPECT_EQ((*out)[1].metric, (Labels{{"__name__", "ALERTS_FOR_STATE"},
                                      {"alertname", "Down"},
                                      {"instance", "i1"},
                                      {"job", "j"},
                                      {"severity", "page"}}));
  EXPECT_EQ((*out)[1].v, 0);
  ASSERT_EQ(r.ActiveAlerts().size(), 1u);
  EXPECT_EQ(r.ActiveAlerts()[0].labels, kAlertLabels);
  EXPECT_EQ(r.State(), AlertState::kPending);

  ASSERT_TRUE(r.Eval({60000, 0, &q, 0}).ok());
  EXPECT_EQ(r.State(), AlertState::kPending);  // 60s < 120s
  out = r.Eval({120000, 0, &q, 0});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(r.State(), AlertState::kFiring);  // exactly `for` later
  EXPECT_EQ((*out)[0].metric.Get("alertstate"), "firing");
  EXPECT_EQ((*out)[1].v, 0);  // activeAt stays 0
  EXPECT_EQ(*r.ActiveAlerts()[0].fired_at_ms, 120000);

  ASSERT_TRUE(r.Eval({180000, 0, &q, 0}).ok());
  out = r.Eval({240000, 0, &q, 0});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
  EXPECT_TRUE(r.ActiveAlerts().empty());
  auto all = r.CurrentAlerts();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, AlertState::kInactive);
  EXPECT_EQ(*all[0].resolved_at_ms, 240000);

  // Kept exactly 15 minutes after resolving, dropped after.
  ASSERT_TRUE(r.Eval({240000 + kResolvedRetentionMs, 0, &q, 0}).ok());
  EXPECT_EQ(r.CurrentAlerts().size(), 1u);
  ASSERT_TRUE(r.Eval({240000 + kResolvedRetentionMs + 60000, 0, &q, 0}).ok());
  EXPECT_TRUE(r.CurrentAlerts().empty());
}

TEST(AlertingRuleTest, PendingAlertDisappearingIsDropped) {
  Script s;
  s.at[0] = {{kSample, 0, 0}};
  QueryFunc q = s.Func();
  AlertingRule r(Opts(120000));
  ASSERT_TRUE(r.Eval({0, 0, &q, 0}).ok());
  ASSERT_TRUE(r.Eval({60000, 0, &q, 0}).ok());
  EXPECT_TRUE(r.CurrentAlerts().empty());
  // Comes back: a fresh activeAt.
  s.at[120000] = {{kSample, 120000, 0}};
  ASSERT_TRUE(r.Eval({120000, 0, &q, 0}).ok());
  ASSERT_EQ(r.ActiveAlerts().size(), 1u);
  EXPECT_EQ(r.ActiveAlerts()[0].active_at_ms, 120000);
}

TEST(AlertingRuleTest, ForZeroFiresAtOnceAndKeepFiringFor) {
  Script s;
  s.at[0] = {{kSample, 0, 0}};
  QueryFunc q = s.Func();
  AlertingRule r(Opts(0, 120000));
  ASSERT_TRUE(r.Eval({0, 0, &q, 0}).ok());
  EXPECT_EQ(r.State(), AlertState::kFiring);

  auto out = r.Eval({60000, 0, &q, 0});  // gone: keepFiringSince = 60s
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(r.State(), AlertState::kFiring);
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].metric.Get("alertstate"), "firing");
  EXPECT_EQ(*r.ActiveAlerts()[0].keep_firing_since_ms, 60000);
  ASSERT_TRUE(r.Eval({120000, 0, &q, 0}).ok());
  EXPECT_EQ(r.State(), AlertState::kFiring);  // 60s < 120s
  out = r.Eval({180000, 0, &q, 0});           // 120s: resolves
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
  EXPECT_EQ(r.State(), AlertState::kInactive);
  EXPECT_EQ(*r.CurrentAlerts()[0].resolved_at_ms, 180000);
}

TEST(AlertingRuleTest, KeepFiringSinceResetsWhenBack) {
  Script s;
  s.at[0] = {{kSample, 0, 0}};
  s.at[120000] = {{kSample, 120000, 0}};
  QueryFunc q = s.Func();
  AlertingRule r(Opts(0, 120000));
  ASSERT_TRUE(r.Eval({0, 0, &q, 0}).ok());
  ASSERT_TRUE(r.Eval({60000, 0, &q, 0}).ok());
  ASSERT_TRUE(r.Eval({120000, 0, &q, 0}).ok());
  EXPECT_FALSE(r.ActiveAlerts()[0].keep_firing_since_ms.has_value());
  ASSERT_TRUE(r.Eval({180000, 0, &q, 0}).ok());
  ASSERT_TRUE(r.Eval({240000, 0, &q, 0}).ok());
  EXPECT_EQ(r.State(), AlertState::kFiring);  // 240 - 180 < 120
  ASSERT_TRUE(r.Eval({300000, 0, &q, 0}).ok());
  EXPECT_EQ(r.State(), AlertState::kInactive);
}

TEST(AlertingRuleTest, QueryOffsetShiftsQueryAndOutputNotActiveAt) {
  Script s;
  s.at[90000] = {{kSample, 90000, 0}};
  QueryFunc q = s.Func();
  AlertingRule r(Opts(0));
  auto out = r.Eval({120000, 30000, &q, 0});
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].t, 90000);
  EXPECT_EQ((*out)[1].v, 120);  // activeAt is the evaluation time, in seconds
}

TEST(AlertingRuleTest, ForStateValueIsWholeSeconds) {
  Script s;
  s.at[61500] = {{kSample, 61500, 0}};
  QueryFunc q = s.Func();
  AlertingRule r(Opts(60000));
  auto out = r.Eval({61500, 0, &q, 0});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[1].v, 61);
}

TEST(AlertingRuleTest, TemplatesInLabelsAndAnnotations) {
  AlertingRuleOptions o = Opts(0);
  o.labels = Labels{{"severity", "{{ if gt $value 5.0 }}high{{ else }}low{{ end }}"}};
  o.annotations = {
      {"desc", "{{ $labels.__name__ }} on {{ $labels.instance }} is {{ $value }} ({{ $externalLabels.dc }})"},
      {"broken", "{{ index $value 1 }}"}};
  o.external_labels = Labels{{"dc", "eu1"}};
  AlertingRule r(o);
  Script s;
  s.at[0] = {{kSample, 0, 7}};
  QueryFunc q = s.Func();
  auto out = r.Eval({0, 0, &q, 0});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  auto alerts = r.ActiveAlerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels.Get("severity"), "high");
  EXPECT_EQ(alerts[0].value, 7);
  EXPECT_EQ(alerts[0].annotations.Get("desc"), "up on i1 is 7 (eu1)");
  EXPECT_EQ(
      std::string(alerts[0].annotations.Get("broken"))
          .rfind("<error expanding template: error executing template __alert_Down: template: __alert_Down:1:", 0),
      0u)
      << alerts[0].annotations.Get("broken");
  // ALERTS carries the expanded label.
  EXPECT_EQ((*out)[0].metric.Get("severity"), "high");
}

TEST(AlertingRuleTest, TemplateParseErrorExpandsToErrorText) {
  AlertingRuleOptions o = Opts(0);
  o.annotations = {{"a", "{{ "}};
  AlertingRule r(o);
  Script s;
  s.at[0] = {{kSample, 0, 0}};
  QueryFunc q = s.Func();
  ASSERT_TRUE(r.Eval({0, 0, &q, 0}).ok());
  EXPECT_EQ(std::string(r.ActiveAlerts()[0].annotations.Get("a"))
                .rfind("<error expanding template: error parsing template __alert_Down: template: __alert_Down:1:", 0),
            0u);
}

TEST(AlertingRuleTest, DuplicateLabelsetAndLimit) {
  Script s;
  Labels a{{"instance", "a"}}, b{{"instance", "b"}}, c{{"instance", "c"}};
  s.at[0] = {{a, 0, 1}, {b, 0, 1}, {c, 0, 1}};
  QueryFunc q = s.Func();
  AlertingRuleOptions o = Opts(0);
  o.labels = Labels{{"instance", "same"}};
  AlertingRule dup(o);
  auto out = dup.Eval({0, 0, &q, 0});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "vector contains metrics with the same labelset after applying alert labels");

  AlertingRule r(Opts(0));
  out = r.Eval({0, 0, &q, 2});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "exceeded limit of 2 with 3 alerts");
  EXPECT_TRUE(r.CurrentAlerts().empty());
  EXPECT_TRUE(r.Eval({0, 0, &q, 3}).ok());
  EXPECT_EQ(r.CurrentAlerts().size(), 3u);
}

TEST(AlertingRuleTest, NotRestoredWritesNoSeries) {
  AlertingRuleOptions o = Opts(0);
  o.restored = false;
  AlertingRule r(o);
  Script s;
  s.at[0] = {{kSample, 0, 0}};
  QueryFunc q = s.Func();
  auto out = r.Eval({0, 0, &q, 0});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
  EXPECT_EQ(r.State(), AlertState::kFiring);
  r.SetRestored(true);
  s.at[60000] = {{kSample, 60000, 0}};
  EXPECT_EQ(r.Eval({60000, 0, &q, 0})->size(), 2u);
}

TEST(AlertingRuleTest, SendingWithResendDelay) {
  Script s;
  for (int64_t t = 0; t <= 120000; t += 60000) s.at[t] = {{kSample, t, 0}};
  QueryFunc q = s.Func();
  AlertingRule r(Opts(60000));
  ASSERT_TRUE(r.Eval({0, 0, &q, 0}).ok());
  EXPECT_TRUE(r.TakeAlertsToSend(0, 60000, 30000).empty());  // pending: never sent
  ASSERT_TRUE(r.Eval({60000, 0, &q, 0}).ok());
  auto sent = r.TakeAlertsToSend(60000, 60000, 30000);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(*sent[0].valid_until_ms, 60000 + 4 * 60000);
  ASSERT_TRUE(r.Eval({120000, 0, &q, 0}).ok());
  EXPECT_TRUE(r.TakeAlertsToSend(120000, 60000, 30000).empty());  // 60s + 60s is not before 120s
  EXPECT_EQ(r.TakeAlertsToSend(120001, 60000, 30000).size(), 1u);
  ASSERT_TRUE(r.Eval({180000, 0, &q, 0}).ok());  // resolved
  sent = r.TakeAlertsToSend(180000, 60000, 30000);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].state, AlertState::kInactive);
  EXPECT_EQ(*sent[0].resolved_at_ms, 180000);
}

}  // namespace
}  // namespace promethium::rules
