// Puts a range query's series on one time grid for uPlot.
import type { Metric } from './format';

export interface MatrixSeries {
  metric: Metric;
  values?: [number, string][];
}

// Aligns the series on the step grid [start, end]; missing points are null.
// Stacked mode adds each series onto the sum of the ones before it.
export function alignSeries(
  series: MatrixSeries[],
  startS: number,
  endS: number,
  stepS: number,
  stacked: boolean,
): (number | null)[][] {
  const n = Math.floor((endS - startS) / stepS) + 1;
  const xs = Array.from({ length: n }, (_, i) => startS + i * stepS);
  const rows: (number | null)[][] = [xs];
  const sums = new Array<number>(n).fill(0);
  for (const s of series) {
    const ys = new Array<number | null>(n).fill(null);
    for (const [t, v] of s.values ?? []) {
      const i = Math.round((t - startS) / stepS);
      if (i >= 0 && i < n) ys[i] = parseFloat(v);
    }
    if (stacked) {
      for (let i = 0; i < n; i++) {
        if (ys[i] !== null && Number.isFinite(ys[i])) {
          sums[i] += ys[i] as number;
          ys[i] = sums[i];
        }
      }
    }
    rows.push(ys);
  }
  return rows;
}
