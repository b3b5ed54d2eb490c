import { describe, expect, it } from 'vitest';
import { decodePanels, encodePanels, newPanel, translateGraphLink, parseEndInput } from './urlState';

describe('panel URL state', () => {
  it('round-trips panels', () => {
    const a = { ...newPanel('rate(x[1m])'), tab: 'graph' as const, rangeMs: 2 * 3600e3, stepSeconds: 15 };
    const b = { ...newPanel('up'), displayMode: 'stacked' as const, endMs: Date.UTC(2024, 0, 2, 3, 4, 5) };
    const decoded = decodePanels('?' + encodePanels([a, b]));
    expect(decoded).toEqual([a, b]);
  });

  it('decodes Prometheus 2.x links', () => {
    const [p] = decodePanels('g0.expr=up%7Bjob%3D%22x%22%7D&g0.tab=0&g0.stacked=1&g0.range_input=1h&g0.step_input=30');
    expect(p.expr).toBe('up{job="x"}');
    expect(p.tab).toBe('graph');
    expect(p.displayMode).toBe('stacked');
    expect(p.rangeMs).toBe(3600e3);
    expect(p.stepSeconds).toBe(30);
    expect(decodePanels('g0.expr=up&g0.tab=1')[0].tab).toBe('table');
  });

  it('ignores a malformed range and step', () => {
    const [p] = decodePanels('g0.expr=up&g0.range_input=abc&g0.step_input=-1');
    expect(p.rangeMs).toBe(3600e3);
    expect(p.stepSeconds).toBeNull();
  });

  it('parses 2.x end times as UTC', () => {
    expect(parseEndInput('2024-01-02 03:04:05')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(parseEndInput('garbage')).toBeNull();
  });

  it('translates /graph links to /query', () => {
    expect(translateGraphLink('/graph')).toBe('/query');
    const t = translateGraphLink('/graph?g0.expr=up&g0.tab=0&g0.range_input=1h');
    expect(t.startsWith('/query?')).toBe(true);
    const [p] = decodePanels(t.slice('/query'.length));
    expect(p).toMatchObject({ expr: 'up', tab: 'graph', rangeMs: 3600e3 });
    expect(translateGraphLink('/targets?x=1')).toBe('/targets?x=1');
  });
});
