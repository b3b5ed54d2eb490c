import { describe, expect, it } from 'vitest';
import { alertingRules, countByState, ruleMatchesText } from './rules';
import type { AlertingRule, RuleGroup } from './rules';

function alerting(name: string, state: string, labels = {}, alertLabels: Record<string, string>[] = []): AlertingRule {
  return {
    type: 'alerting', name, state, query: 'up', labels, annotations: {}, duration: 0, keepFiringFor: 0,
    alerts: alertLabels.map((l) => ({ labels: l, annotations: {}, state, activeAt: '', value: '1e+00' })),
    health: 'ok', evaluationTime: 0, lastEvaluation: '',
  };
}

function group(name: string, rules: RuleGroup['rules']): RuleGroup {
  return { name, file: 'f.yml', rules, interval: 60, limit: 0, evaluationTime: 0, lastEvaluation: '' };
}

describe('alerting rules', () => {
  const groups = [
    group('a', [
      alerting('Up', 'firing'),
      { type: 'recording', name: 'r', query: 'x', labels: {}, health: 'ok', evaluationTime: 0, lastEvaluation: '' },
    ]),
    group('b', [alerting('Slow', 'pending'), alerting('Never', 'inactive'), alerting('Odd', 'unknown')]),
  ];

  it('flattens the alerting rules with their group, in order', () => {
    expect(alertingRules(groups).map((r) => `${r.group.name}/${r.rule.name}`)).toEqual(['a/Up', 'b/Slow', 'b/Never', 'b/Odd']);
  });

  it('counts rules per state, standard states first and always present', () => {
    expect(countByState(alertingRules(groups))).toEqual({ firing: 1, pending: 1, inactive: 1, unknown: 1 });
    expect(Object.keys(countByState([]))).toEqual(['firing', 'pending', 'inactive']);
  });

  it('matches the text against name and label values, case-insensitively', () => {
    const r = alerting('HighLatency', 'firing', { severity: 'page' }, [{ instance: 'host:9100' }]);
    expect(ruleMatchesText(r, '')).toBe(true);
    expect(ruleMatchesText(r, 'latency')).toBe(true);
    expect(ruleMatchesText(r, 'PAGE')).toBe(true);
    expect(ruleMatchesText(r, 'host:91')).toBe(true);
    expect(ruleMatchesText(r, 'severity')).toBe(false); // label names do not match
    expect(ruleMatchesText(r, 'nothing')).toBe(false);
  });
});
