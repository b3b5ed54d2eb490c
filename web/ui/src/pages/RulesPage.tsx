// /rules: every rule group (/api/v1/rules) with its file, interval and last
// evaluation, and each rule with its definition, health, last error and
// evaluation timings, as Prometheus's rules page.
import { useState } from 'preact/hooks';
import { RuleDefinition } from '../components/RuleDefinition';
import { formatDuration } from '../lib/duration';
import { formatAgo, formatSeconds } from '../lib/format';
import type { Rule, RuleGroup, RulesData } from '../lib/rules';
import { LoadStatus, useApi } from './useApi';

function RuleRow({ rule, now }: { rule: Rule; now: number }) {
  return (
    <tr class={`rule health-${rule.health}`} data-rule={rule.name}>
      <td>
        <span class={`rule-type type-${rule.type}`}>{rule.type}</span>
        <RuleDefinition rule={rule} />
      </td>
      <td>
        <span class={`health badge-${rule.health}`}>{rule.health.toUpperCase()}</span>
      </td>
      <td class="last-error">{rule.lastError ?? ''}</td>
      <td class="last-evaluation">{formatAgo(rule.lastEvaluation, now)}</td>
      <td class="duration">{formatSeconds(rule.evaluationTime)}</td>
    </tr>
  );
}

function GroupSection({ group, now }: { group: RuleGroup; now: number }) {
  return (
    <section class="rule-group-section" data-group={group.name}>
      <h2>{group.name}</h2>
      <div class="group-info">
        <span class="group-file">file: {group.file}</span>
        <span class="group-interval">interval: {formatDuration(group.interval * 1000)}</span>
        {group.limit > 0 && <span class="group-limit">limit: {group.limit}</span>}
        <span class="group-last-evaluation">last evaluation: {formatAgo(group.lastEvaluation, now)}</span>
        <span class="group-evaluation-time">evaluation time: {formatSeconds(group.evaluationTime)}</span>
      </div>
      <table class="rules-table">
        <thead>
          <tr><th>Rule</th><th>Health</th><th>Error</th><th>Last evaluation</th><th>Evaluation time</th></tr>
        </thead>
        <tbody>
          {group.rules.map((r) => <RuleRow rule={r} now={now} />)}
        </tbody>
      </table>
    </section>
  );
}

export function RulesPage() {
  const [reload, setReload] = useState(0);
  const rules = useApi<RulesData>('rules', undefined, reload);
  const groups = rules.data?.groups ?? [];
  const now = Date.now();
  return (
    <div class="rules-page">
      <h1>Rules</h1>
      <div class="filters">
        <button onClick={() => setReload(reload + 1)}>Refresh</button>
      </div>
      <LoadStatus what="rules" loaded={rules} />
      {!rules.loading && !rules.error && groups.length === 0 && (
        <p class="empty">No rule groups: add rule files with `rule_files` in the configuration.</p>
      )}
      {groups.map((g) => <GroupSection group={g} now={now} />)}
    </div>
  );
}
