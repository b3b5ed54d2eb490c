// A rule as written in its rule file: expression, `for` and
// `keep_firing_for` (alerting rules), labels and annotations. Shared by the
// /alerts and /rules pages.
import { formatDuration } from '../lib/duration';
import type { Rule } from '../lib/rules';
import { Labels } from './Labels';

// Annotation names and values, one per row.
export function Annotations({ annotations }: { annotations: Record<string, string> }) {
  return (
    <table class="annotations">
      <tbody>
        {Object.entries(annotations).map(([k, v]) => (
          <tr>
            <th>{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RuleDefinition({ rule }: { rule: Rule }) {
  const alerting = rule.type === 'alerting' ? rule : undefined;
  return (
    <dl class="rule-definition">
      <dt>{alerting ? 'alert' : 'record'}</dt>
      <dd class="rule-name">{rule.name}</dd>
      <dt>expr</dt>
      <dd>
        <pre class="rule-expr">{rule.query}</pre>
      </dd>
      {alerting && alerting.duration > 0 && (
        <>
          <dt>for</dt>
          <dd class="rule-for">{formatDuration(alerting.duration * 1000)}</dd>
        </>
      )}
      {alerting && alerting.keepFiringFor > 0 && (
        <>
          <dt>keep_firing_for</dt>
          <dd class="rule-keep-firing-for">{formatDuration(alerting.keepFiringFor * 1000)}</dd>
        </>
      )}
      {Object.keys(rule.labels).length > 0 && (
        <>
          <dt>labels</dt>
          <dd class="rule-labels">
            <Labels labels={rule.labels} />
          </dd>
        </>
      )}
      {alerting && Object.keys(alerting.annotations).length > 0 && (
        <>
          <dt>annotations</dt>
          <dd class="rule-annotations">
            <Annotations annotations={alerting.annotations} />
          </dd>
        </>
      )}
    </dl>
  );
}
