// Puts a range query's series on one time grid for uPlot.
import { formatSeries, Metric } from './format';
import { HistogramPoint, histogramGraphValue } from './histogram';

export interface MatrixSeries {
  metric: Metric;
  values?: [number, string][];
  histograms?: HistogramPoint[];
}

// One line of the graph: its legend label and its points.
export interface PlotLine {
  label: string;
  points: [number, number][];
}

export const HISTOGRAM_COUNT_SUFFIX = ' (histogram count)';

// The lines to draw: a series' float samples as one line and its native
// histogram samples as another, which plots their count and is labelled
// "(histogram count)" so a histogram-only result never draws nothing.
export function plotLines(series: MatrixSeries[]): PlotLine[] {
  const lines: PlotLine[] = [];
  for (const s of series) {
    const name = formatSeries(s.metric);
    if (s.values?.length || !s.histograms?.length) {
      lines.push({ label: name, points: (s.values ?? []).map(([t, v]) => [t, parseFloat(v)]) });
    }
    if (s.histograms?.length) {
      lines.push({
        label: name + HISTOGRAM_COUNT_SUFFIX,
        points: s.histograms.map(([t, h]) => [t, histogramGraphValue(h)]),
      });
    }
  }
  return lines;
}

// Aligns the lines on the step grid [start, end]; missing points are null.
// Stacked mode adds each line onto the sum of the ones before it.
export function alignSeries(
  lines: PlotLine[],
  startS: number,
  endS: number,
  stepS: number,
  stacked: boolean,
): (number | null)[][] {
  const n = Math.floor((endS - startS) / stepS) + 1;
  const xs = Array.from({ length: n }, (_, i) => startS + i * stepS);
  const rows: (number | null)[][] = [xs];
  const sums = new Array<number>(n).fill(0);
  for (const line of lines) {
    const ys = new Array<number | null>(n).fill(null);
    for (const [t, v] of line.points) {
      const i = Math.round((t - startS) / stepS);
      if (i >= 0 && i < n) ys[i] = v;
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
