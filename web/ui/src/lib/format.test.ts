import { describe, expect, it } from 'vitest';
import { countSamples, formatSeries, formatTimestamp, resultRows, formatAgo, formatSeconds } from './format';
import { formatDuration, parseDuration } from './duration';
import { defaultStepSeconds, effectiveStepSeconds } from './step';

describe('result formatting', () => {
  it('formats series like PromQL', () => {
    expect(formatSeries({ __name__: 'up', job: 'a', instance: 'h:1' })).toBe('up{instance="h:1", job="a"}');
    expect(formatSeries({})).toBe('{}');
    expect(formatSeries({ a: 'x"y\\' })).toBe('{a="x\\"y\\\\"}');
  });

  it('formats timestamps in UTC', () => {
    expect(formatTimestamp(1700000000.5)).toBe('2023-11-14 22:13:20.500 UTC');
  });

  it('turns each result type into rows', () => {
    const vec = resultRows({ resultType: 'vector', result: [{ metric: { __name__: 'up' }, value: [1, '1'] }] });
    expect(vec).toEqual([{ series: 'up', value: '1', timestamp: formatTimestamp(1) }]);
    const mat = resultRows({ resultType: 'matrix', result: [{ metric: { a: 'b' }, values: [[1, '2'], [2, '3']] }] });
    expect(mat[0]).toEqual({ series: '{a="b"}', value: '2 @1\n3 @2', timestamp: '' });
    expect(resultRows({ resultType: 'scalar', result: [5, '42'] })[0].value).toBe('42');
    expect(resultRows({ resultType: 'string', result: [5, 'hi'] })[0].series).toBe('string');
  });

  it('counts samples', () => {
    expect(countSamples({ resultType: 'matrix', result: [{ values: [1, 2] }, { values: [3] }] })).toBe(3);
    expect(countSamples({ resultType: 'scalar', result: [1, '1'] })).toBe(1);
  });

  it('formats durations in seconds', () => {
    expect(formatSeconds(0.000026139)).toBe('26.1µs');
    expect(formatSeconds(0.0123)).toBe('12.3ms');
    expect(formatSeconds(1.2345)).toBe('1.234s');
  });

  it('formats relative times', () => {
    expect(formatAgo('0001-01-01T00:00:00Z', 1e12)).toBe('never');
    expect(formatAgo(new Date(10_000).toISOString(), 12_500)).toBe('2.5s ago');
  });
});

describe('durations and steps', () => {
  it('parses and formats durations', () => {
    expect(parseDuration('1h30m')).toBe(5400e3);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1x')).toBeNull();
    expect(formatDuration(5400e3)).toBe('1h30m');
    expect(formatDuration(7 * 86400e3)).toBe('1w');
  });

  it('computes steps', () => {
    expect(defaultStepSeconds(3600e3)).toBe(14);
    expect(defaultStepSeconds(60e3)).toBe(1);
    expect(effectiveStepSeconds(3600e3, 60)).toBe(60);
    expect(effectiveStepSeconds(3600e3, null)).toBe(14);
    // Never more than 11000 points.
    expect(effectiveStepSeconds(365 * 86400e3, 1)).toBe(Math.ceil((365 * 86400) / 11000));
  });
});
