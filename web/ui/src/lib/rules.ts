// The /api/v1/rules answer (Prometheus's JSON, web/rules_api.cc) and the
// /alerts page's grouping and filtering of it, kept free of rendering so
// Vitest can check it.

export type Labels = Record<string, string>;

export interface ActiveAlert {
  labels: Labels;
  annotations: Labels;
  state: string;
  activeAt: string;
  keepFiringSince?: string;
  value: string;
}

interface RuleCommon {
  name: string;
  query: string;
  labels: Labels;
  health: string; // ok, err or unknown
  lastError?: string;
  evaluationTime: number; // seconds
  lastEvaluation: string;
}

export interface AlertingRule extends RuleCommon {
  type: 'alerting';
  state: string; // firing, pending or inactive
  duration: number; // `for`, seconds
  keepFiringFor: number; // seconds
  annotations: Labels;
  alerts: ActiveAlert[];
}

export interface RecordingRule extends RuleCommon {
  type: 'recording';
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
  name: string;
  file: string;
  rules: Rule[];
  interval: number; // seconds
  limit: number;
  evaluationTime: number; // seconds
  lastEvaluation: string;
}

export interface RulesData {
  groups: RuleGroup[];
}

// The states of an alerting rule, in the order the /alerts page lists them.
export const ALERT_STATES = ['firing', 'pending', 'inactive'] as const;

// An alerting rule with the group it belongs to.
export interface GroupedRule {
  rule: AlertingRule;
  group: RuleGroup;
}

// Every alerting rule of the groups, in API order.
export function alertingRules(groups: RuleGroup[]): GroupedRule[] {
  return groups.flatMap((group) =>
    group.rules.filter((r): r is AlertingRule => r.type === 'alerting').map((rule) => ({ rule, group })),
  );
}

// Number of rules per state (every state of ALERT_STATES present, possibly 0).
export function countByState(rules: GroupedRule[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(ALERT_STATES.map((s) => [s, 0]));
  for (const { rule } of rules) counts[rule.state] = (counts[rule.state] ?? 0) + 1;
  return counts;
}

// Case-insensitive substring match against the rule's name and the label
// values of the rule and of its active alerts; an empty text matches all.
export function ruleMatchesText(rule: AlertingRule, text: string): boolean {
  const needle = text.trim().toLowerCase();
  if (needle === '') return true;
  const values = [rule.name, ...Object.values(rule.labels), ...rule.alerts.flatMap((a) => Object.values(a.labels))];
  return values.some((v) => v.toLowerCase().includes(needle));
}
