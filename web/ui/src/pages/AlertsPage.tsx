// /alerts: the alerting rules (/api/v1/rules?type=alert, alerts embedded)
// listed by state (firing, pending, inactive) with a count per state, state
// toggles and a text filter, as Prometheus's alerts page. Each rule opens to
// its definition and its active alerts.
import { useState } from 'preact/hooks';
import { Labels } from '../components/Labels';
import { Annotations, RuleDefinition } from '../components/RuleDefinition';
import { formatAgo, formatTimestamp } from '../lib/format';
import { alertingRules, countByState, ruleMatchesText } from '../lib/rules';
import type { ActiveAlert, GroupedRule, RulesData } from '../lib/rules';
import { LoadStatus, useApi } from './useApi';
import { useToggleSet } from './useToggleSet';

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

// "2024-01-02 03:04:05.678 UTC (3.2s ago)"; the text as sent if unparsable.
function activeSince(iso: string, now: number): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${formatTimestamp(ms / 1000)} (${formatAgo(iso, now)})`;
}

function ActiveAlerts({ alerts, now }: { alerts: ActiveAlert[]; now: number }) {
  if (alerts.length === 0) return null;
  return (
    <table class="active-alerts">
      <thead>
        <tr><th>Labels</th><th>State</th><th>Active since</th><th>Value</th><th>Annotations</th></tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <tr class={`active-alert state-${a.state}`}>
            <td><Labels labels={a.labels} /></td>
            <td><span class={`alert-state badge-${a.state}`}>{a.state.toUpperCase()}</span></td>
            <td class="active-at">{activeSince(a.activeAt, now)}</td>
            <td class="alert-value">{a.value}</td>
            <td><Annotations annotations={a.annotations} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// One rule: a summary line that opens to the definition and active alerts.
// Rules with active alerts start open.
function AlertingRuleItem({ item, now }: { item: GroupedRule; now: number }) {
  const { rule, group } = item;
  return (
    <details class={`alert-rule state-${rule.state}`} data-rule={rule.name} open={rule.alerts.length > 0}>
      <summary>
        <span class="rule-title">{rule.name}</span>{' '}
        <span class={`alert-state badge-${rule.state}`}>{rule.state.toUpperCase()}</span>{' '}
        <span class="alert-count">({rule.alerts.length} active)</span>{' '}
        <span class="rule-group">
          {group.file} &gt; {group.name}
        </span>
      </summary>
      <RuleDefinition rule={rule} />
      {rule.lastError && <div class="alert error rule-error">{rule.lastError}</div>}
      <ActiveAlerts alerts={rule.alerts} now={now} />
    </details>
  );
}

export function AlertsPage() {
  const [reload, setReload] = useState(0);
  const rules = useApi<RulesData>('rules', { type: 'alert' }, reload);
  const [hidden, toggle] = useToggleSet();
  const [text, setText] = useState('');
  const all = alertingRules(rules.data?.groups ?? []);
  const counts = countByState(all);
  const states = Object.keys(counts); // firing, pending, inactive, then any other state seen
  const now = Date.now();
  return (
    <div class="alerts-page">
      <h1>Alerts</h1>
      <div class="filters">
        {states.map((s) => (
          <label class={`state-toggle toggle-${s}`}>
            <input type="checkbox" class={`show-${s}`} checked={!hidden.has(s)} onChange={() => toggle(s)} />{' '}
            {capitalized(s)} (<span class="state-count">{counts[s]}</span>)
          </label>
        ))}
        <input class="text-filter" placeholder="Filter by rule name or label values" value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        <button onClick={() => setReload(reload + 1)}>Refresh</button>
      </div>
      <LoadStatus what="alerting rules" loaded={rules} />
      {!rules.loading && !rules.error && all.length === 0 && (
        <p class="empty">No alerting rules: add rule files with `rule_files` in the configuration.</p>
      )}
      {states.filter((s) => !hidden.has(s)).map((s) => {
        const shown = all.filter((r) => r.rule.state === s && ruleMatchesText(r.rule, text));
        if (shown.length === 0) return null;
        return (
          <section class={`alert-state-section section-${s}`} data-state={s}>
            <h2>
              {capitalized(s)} ({shown.length})
            </h2>
            {shown.map((item) => <AlertingRuleItem item={item} now={now} />)}
          </section>
        );
      })}
    </div>
  );
}
