import { describe, expect, it } from 'vitest';
import { alignSeries, plotLines } from './align';
import { countSamples, resultRows } from './format';
import { bucketBars, bucketListText, bucketRangeString, HistogramBucket } from './histogram';

// Prometheus's own JSON for a float histogram (web/api/v1/json_codec_test.go:
// schema 0, zero threshold 0.001, zero count 12, count 10, sum 20).
const PROMETHEUS_MATRIX = JSON.parse(
  '{"resultType":"matrix","result":[{"metric":{"__name__":"foo"},"histograms":[[1,{"count":"10","sum":"20",' +
    '"buckets":[[1,"-1.6817928305074288","-1.414213562373095","1"],[1,"-1.414213562373095","-1.189207115002721","2"],' +
    '[3,"-0.001","0.001","12"],[0,"1.414213562373095","1.6817928305074288","1"],[0,"1.6817928305074288","2","2"],' +
    '[0,"2.378414230005442","2.82842712474619","2"],[0,"2.82842712474619","3.3635856610148576","1"],' +
    '[0,"3.3635856610148576","4","1"]]}]]}]}',
);
const H = PROMETHEUS_MATRIX.result[0].histograms[0][1];

describe('native histograms', () => {
  it('writes bucket ranges as Prometheus UI does', () => {
    // Prometheus's bucketRangeString: '[' for rules 1 and 3, ']' for 0 and 3.
    expect(bucketRangeString([0, '1', '2', '5'])).toBe('(1 -> 2]');
    expect(bucketRangeString([1, '-2', '-1', '5'])).toBe('[-2 -> -1)');
    expect(bucketRangeString([2, '1', '2', '5'])).toBe('(1 -> 2)');
    expect(bucketRangeString([3, '-0.001', '0.001', '12'])).toBe('[-0.001 -> 0.001]');
    const lines = bucketListText(H).split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[0]).toBe('[-1.6817928305074288 -> -1.414213562373095): 1');
    expect(lines[2]).toBe('[-0.001 -> 0.001]: 12');
    expect(lines[7]).toBe('(3.3635856610148576 -> 4]: 1');
  });

  it('lays buckets out on a log axis on the exponential scale', () => {
    // The buckets are schema 2 (each 2^(1/4) wide): on a log axis they are
    // equally wide, the zero bucket takes one slot between the two negative
    // and the positive buckets, and (2, 2.378] is missing: 9 slots in all.
    const bars = bucketBars(H.buckets, 'exponential');
    const slots = bars.map((b) => Math.round(b.leftPct / (100 / 9)));
    expect(slots).toEqual([0, 1, 2, 3, 4, 6, 7, 8]);
    for (const b of bars) {
      expect(b.leftPct).toBeCloseTo((slots[bars.indexOf(b)] * 100) / 9, 6);
      expect(b.widthPct).toBeCloseTo(100 / 9, 6);
    }
    // Heights are counts; the zero bucket (12) is the tallest.
    expect(bars[2].heightPct).toBe(100);
    expect(bars[1].heightPct).toBeCloseTo((2 / 12) * 100);
    expect(bars[2].range).toBe('[-0.001 -> 0.001]');
  });

  it('falls back to equal widths for an infinite bound', () => {
    const custom: HistogramBucket[] = [
      [0, '0', '1', '2'],
      [0, '1', '+Inf', '1'],
    ];
    for (const scale of ['linear', 'exponential'] as const) {
      const bars = bucketBars(custom, scale);
      expect(bars.map((b) => [b.leftPct, b.widthPct, b.heightPct])).toEqual([
        [0, 50, 100],
        [50, 50, 50],
      ]);
    }
  });

  it('spans bucket bounds and draws density on the linear axis', () => {
    const buckets: HistogramBucket[] = [
      [0, '0', '1', '4'],
      [0, '1', '3', '4'],
      [0, '4', '8', '2'],
    ];
    const bars = bucketBars(buckets, 'linear');
    expect(bars.map((b) => b.leftPct)).toEqual([0, 12.5, 50]);
    expect(bars.map((b) => b.widthPct)).toEqual([12.5, 25, 50]);
    // Densities 4/1, 4/2, 2/4: area (width * height) is proportional to count.
    expect(bars.map((b) => b.heightPct)).toEqual([100, 50, 12.5]);
    expect(bucketBars([], 'linear')).toEqual([]);
    // A zero-width zero bucket ([0, 0]) gets no height.
    expect(bucketBars([[3, '0', '0', '5'], ...buckets], 'linear')[0].heightPct).toBe(0);
  });

  it('puts histograms into table rows', () => {
    const vec = resultRows({
      resultType: 'vector',
      result: [{ metric: { __name__: 'foo' }, histogram: [1.5, H] }],
    });
    expect(vec[0].value).toBe('count: 10, sum: 20');
    expect(vec[0].histogram).toBe(H);
    const mat = resultRows(PROMETHEUS_MATRIX);
    expect(mat[0].value).toBe('');
    expect(mat[0].histograms).toHaveLength(1);
    expect(countSamples(PROMETHEUS_MATRIX)).toBe(1);
  });

  it('graphs a histogram-only range result as its count', () => {
    const series = [
      {
        metric: { __name__: 'foo' },
        histograms: [
          [10, { count: '3', sum: '1' }],
          [20, { count: '7.5', sum: '2' }],
        ] as [number, { count: string; sum: string }][],
      },
      { metric: { __name__: 'bar' }, values: [[10, '1']] as [number, string][] },
    ];
    const lines = plotLines(series);
    expect(lines.map((l) => l.label)).toEqual(['foo (histogram count)', 'bar']);
    expect(alignSeries(lines, 10, 20, 10, false)).toEqual([
      [10, 20],
      [3, 7.5],
      [1, null],
    ]);
  });

  it('draws floats and histograms of one series as two lines', () => {
    const histograms = PROMETHEUS_MATRIX.result[0].histograms;
    const mixed = [{ metric: { a: 'b' }, values: [[10, '1']] as [number, string][], histograms }];
    expect(plotLines(mixed).map((l) => l.label)).toEqual(['{a="b"}', '{a="b"} (histogram count)']);
  });
});
