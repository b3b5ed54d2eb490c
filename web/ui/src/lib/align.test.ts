import { describe, expect, it } from 'vitest';
import { alignSeries, plotLines } from './align';
import { filterTargets, Target } from '../pages/TargetsPage';

describe('alignSeries', () => {
  const series = [
    { metric: { a: '1' }, values: [[10, '1'], [30, '3']] as [number, string][] },
    { metric: { a: '2' }, values: [[10, '10'], [20, '20'], [30, 'NaN']] as [number, string][] },
  ];

  it('puts samples on the step grid with gaps as null', () => {
    expect(alignSeries(plotLines(series), 10, 30, 10, false)).toEqual([
      [10, 20, 30],
      [1, null, 3],
      [10, 20, NaN],
    ]);
  });

  it('stacks each series on the ones before it', () => {
    expect(alignSeries(plotLines(series), 10, 30, 10, true)).toEqual([
      [10, 20, 30],
      [1, null, 3],
      [11, 20, NaN],
    ]);
  });
});

describe('filterTargets', () => {
  const t = (health: Target['health'], url: string, job: string): Target => ({
    discoveredLabels: {},
    labels: { job },
    scrapePool: job,
    scrapeUrl: url,
    lastError: '',
    lastScrape: '',
    lastScrapeDuration: 0,
    health,
  });
  const targets = [t('up', 'http://a:1/metrics', 'node'), t('down', 'http://b:2/metrics', 'api')];

  it('filters by health and by text', () => {
    expect(filterTargets(targets, new Set(), '')).toHaveLength(2);
    expect(filterTargets(targets, new Set(['down']), '').map((x) => x.scrapeUrl)).toEqual(['http://b:2/metrics']);
    expect(filterTargets(targets, new Set(), 'job="node"').map((x) => x.scrapeUrl)).toEqual(['http://a:1/metrics']);
    expect(filterTargets(targets, new Set(['up']), 'b:2')).toHaveLength(0);
  });
});
