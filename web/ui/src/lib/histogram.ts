// Native histogram samples as /api/v1/query and /api/v1/query_range return
// them ("histogram" / "histograms" instead of "value" / "values"), and the
// helpers the table and the graph use to show them. The shapes and the
// bucket range notation follow Prometheus's API and its web UI.

// [boundary_rule, lower, upper, count]. boundary_rule: 0 = (lower, upper],
// 1 = [lower, upper), 2 = (lower, upper), 3 = [lower, upper].
export type HistogramBucket = [number, string, string, string];

export interface HistogramSample {
  count: string;
  sum: string;
  buckets?: HistogramBucket[];
}

// [timestamp in seconds, sample], as in "histogram" and "histograms".
export type HistogramPoint = [number, HistogramSample];

const leftDelim = (rule: number) => (rule === 1 || rule === 3 ? '[' : '(');
const rightDelim = (rule: number) => (rule === 0 || rule === 3 ? ']' : ')');

// "[lower -> upper)" with the delimiters of the boundary rule, as
// Prometheus's UI writes a bucket's range.
export function bucketRangeString([rule, lower, upper]: HistogramBucket): string {
  return `${leftDelim(rule)}${lower} -> ${upper}${rightDelim(rule)}`;
}

// The bucket list as text, one "range: count" per line.
export function bucketListText(h: HistogramSample): string {
  return (h.buckets ?? []).map((b) => `${bucketRangeString(b)}: ${b[3]}`).join('\n');
}

export type BucketScale = 'linear' | 'exponential';

// One bar of the bucket chart; positions and sizes are percentages of the
// chart's width and height.
export interface BucketBar {
  range: string;
  count: number;
  leftPct: number;
  widthPct: number;
  heightPct: number;
}

interface Span {
  left: number;
  width: number;
}

const bounds = (b: HistogramBucket) => [parseFloat(b[1]), parseFloat(b[2])];

// Linear x axis: a bar spans its bucket's bounds; its height is the count
// per unit of width (frequency density), so its area is the count. A bucket
// of zero width gets no height. Null when a bound is infinite.
function linearLayout(buckets: HistogramBucket[]): { spans: Span[]; heights: number[] } | null {
  const lo = bounds(buckets[0])[0];
  const hi = bounds(buckets[buckets.length - 1])[1];
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) return null;
  const spans = buckets.map((b) => {
    const [l, r] = bounds(b);
    return { left: l - lo, width: r - l };
  });
  const heights = buckets.map((b) => {
    const [l, r] = bounds(b);
    return r > l ? parseFloat(b[3]) / (r - l) : 0;
  });
  return { spans: spans.map((s) => ({ left: s.left / (hi - lo), width: s.width / (hi - lo) })), heights };
}

// Exponential x axis: positive buckets at log(bound), negative ones mirrored
// at -log(|bound|) left of them, and the zero bucket (the one containing 0)
// in between, as wide as one regular bucket. Gaps between populated buckets
// stay visible. Heights are counts. Null when a bound is infinite or no
// bucket has a log width to copy.
function exponentialLayout(buckets: HistogramBucket[]): { spans: Span[]; heights: number[] } | null {
  const bs = buckets.map(bounds);
  if (bs.some(([l, r]) => !Number.isFinite(l) || !Number.isFinite(r))) return null;
  const isZero = ([l, r]: number[]) => l <= 0 && r >= 0;
  const neg = bs.filter((b) => !isZero(b) && b[1] < 0);
  const pos = bs.filter((b) => !isZero(b) && b[0] > 0);
  const logWidths = [...neg, ...pos].map(([l, r]) => Math.abs(Math.log(Math.abs(r)) - Math.log(Math.abs(l))));
  const zeroWidth = Math.max(0, ...logWidths);
  if (zeroWidth === 0) return null;
  const negStart = neg.length ? -Math.log(-neg[0][0]) : 0;
  const negWidth = neg.length ? -Math.log(-neg[neg.length - 1][1]) - negStart : 0;
  const hasZero = bs.some(isZero) || (neg.length > 0 && pos.length > 0);
  const posOrigin = negWidth + (hasZero ? zeroWidth : 0);
  const posStart = pos.length ? Math.log(pos[0][0]) : 0;
  const total = posOrigin + (pos.length ? Math.log(pos[pos.length - 1][1]) - posStart : 0);
  const spans = bs.map(([l, r]) => {
    if (isZero([l, r])) return { left: negWidth / total, width: zeroWidth / total };
    if (r < 0) return { left: (-Math.log(-l) - negStart) / total, width: (Math.log(-l) - Math.log(-r)) / total };
    return { left: (posOrigin + Math.log(l) - posStart) / total, width: (Math.log(r) - Math.log(l)) / total };
  });
  return { spans, heights: buckets.map((b) => parseFloat(b[3])) };
}

// Bars for a histogram's buckets (in the API's order, lowest first), laid
// out like Prometheus's table view (HistogramChart) on the chosen axis.
// Heights are relative to the tallest bar. Where the axis cannot place the
// buckets (an infinite bound, e.g. a custom-bucket histogram's +Inf bucket),
// every bucket gets the same width and a height by count.
export function bucketBars(buckets: HistogramBucket[], scale: BucketScale): BucketBar[] {
  if (buckets.length === 0) return [];
  const layout = (scale === 'linear' ? linearLayout : exponentialLayout)(buckets) ?? {
    spans: buckets.map((_, i) => ({ left: i / buckets.length, width: 1 / buckets.length })),
    heights: buckets.map((b) => parseFloat(b[3])),
  };
  const max = Math.max(0, ...layout.heights.filter((h) => Number.isFinite(h)));
  return buckets.map((b, i) => ({
    range: bucketRangeString(b),
    count: parseFloat(b[3]),
    leftPct: layout.spans[i].left * 100,
    widthPct: layout.spans[i].width * 100,
    heightPct: max > 0 && Number.isFinite(layout.heights[i]) ? (layout.heights[i] / max) * 100 : 0,
  }));
}

// The value the graph plots for a histogram sample: its count. (Prometheus
// 3.x draws a heatmap of the buckets; this UI does not, and says so.)
export function histogramGraphValue(h: HistogramSample): number {
  return parseFloat(h.count);
}
