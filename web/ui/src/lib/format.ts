// Formatting of query results for the table and the legend.
import type { HistogramPoint, HistogramSample } from './histogram';

export type Metric = Record<string, string>;

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

// `name{a="1", b="2"}` as PromQL writes a series; `{}` for no labels.
export function formatSeries(metric: Metric): string {
  const name = metric.__name__ ?? '';
  const labels = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}="${escapeLabelValue(metric[k])}"`);
  if (labels.length === 0) return name === '' ? '{}' : name;
  return `${name}{${labels.join(', ')}}`;
}

// A sample timestamp (seconds, float) as "2024-01-02 03:04:05.678 UTC".
export function formatTimestamp(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

// Seconds (a duration) as "45.6µs", "12.3ms", "1.234s".
export function formatSeconds(s: number): string {
  if (s < 0.001) return `${(s * 1e6).toFixed(1)}µs`;
  if (s < 1) return `${(s * 1000).toFixed(1)}ms`;
  return `${s.toFixed(3)}s`;
}

// A time relative to now: "3.2s ago", "never" for zero/negative dates.
export function formatAgo(iso: string, nowMs: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t) || t <= 0) return 'never';
  const d = Math.max(0, (nowMs - t) / 1000);
  if (d < 60) return `${d.toFixed(1)}s ago`;
  if (d < 3600) return `${Math.floor(d / 60)}m ${Math.floor(d % 60)}s ago`;
  return `${Math.floor(d / 3600)}h ${Math.floor((d % 3600) / 60)}m ago`;
}

export interface TableRow {
  series: string;
  value: string; // for matrices: "v @t" lines joined with newlines
  timestamp: string;
  histogram?: HistogramSample; // a vector element's native histogram
  histograms?: HistogramPoint[]; // a matrix series' native histograms
}

// A native histogram's count and sum as the table's text.
export function histogramSummary(h: HistogramSample): string {
  return `count: ${h.count}, sum: ${h.sum}`;
}

interface ApiData {
  resultType: string;
  result: unknown;
}

// One row per series (vector, matrix) or a single row (scalar, string).
export function resultRows(data: ApiData): TableRow[] {
  switch (data.resultType) {
    case 'vector':
      return (data.result as { metric: Metric; value?: [number, string]; histogram?: HistogramPoint }[]).map((s) => {
        const series = formatSeries(s.metric);
        if (s.value) return { series, value: String(s.value[1]), timestamp: formatTimestamp(s.value[0]) };
        if (s.histogram) {
          const [t, h] = s.histogram;
          return { series, value: histogramSummary(h), timestamp: formatTimestamp(t), histogram: h };
        }
        return { series, value: 'unsupported: element has neither "value" nor "histogram"', timestamp: '' };
      });
    case 'matrix':
      return (data.result as { metric: Metric; values?: [number, string][]; histograms?: HistogramPoint[] }[]).map(
        (s) => ({
          series: formatSeries(s.metric),
          value: (s.values ?? []).map(([t, v]) => `${v} @${t}`).join('\n'),
          timestamp: '',
          histograms: s.histograms?.length ? s.histograms : undefined,
        }),
      );
    case 'scalar':
    case 'string': {
      const [t, v] = data.result as [number, string];
      return [{ series: data.resultType, value: String(v), timestamp: formatTimestamp(t) }];
    }
    default:
      return [];
  }
}

// Number of samples in a result, for the statistics line.
export function countSamples(data: ApiData): number {
  if (data.resultType === 'vector') return (data.result as unknown[]).length;
  if (data.resultType === 'matrix') {
    return (data.result as { values?: unknown[]; histograms?: unknown[] }[]).reduce(
      (n, s) => n + (s.values?.length ?? 0) + (s.histograms?.length ?? 0),
      0,
    );
  }
  return 1;
}
