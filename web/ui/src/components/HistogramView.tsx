// A native histogram sample in the result table: count and sum, a bar per
// bucket (linear or exponential x axis, as Prometheus's table view), and the
// bucket list as text. Each view keeps its own scale choice.
import { useState } from 'preact/hooks';
import { BucketScale, bucketBars, bucketListText, HistogramSample } from '../lib/histogram';

export function HistogramView({ h, compact = false }: { h: HistogramSample; compact?: boolean }) {
  const [scale, setScale] = useState<BucketScale>('exponential');
  const buckets = h.buckets ?? [];
  const bars = bucketBars(buckets, scale);
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  return (
    <div class={`histogram ${compact ? 'compact' : ''}`}>
      <div class="histogram-summary">
        <span class="histogram-count">Total count: {h.count}</span>
        <span class="histogram-sum">Sum: {h.sum}</span>
        {buckets.length > 0 && (
          <span class="histogram-scale">
            x axis:
            {(['exponential', 'linear'] as BucketScale[]).map((s) => (
              <label>
                <input type="radio" class={`scale-${s}`} checked={scale === s} onChange={() => setScale(s)} /> {s}
              </label>
            ))}
          </span>
        )}
      </div>
      {buckets.length === 0 ? (
        <div class="empty">No buckets</div>
      ) : (
        <>
          <div class="histogram-chart">
            {bars.map((b) => (
              <div
                class="histogram-bar"
                title={`${b.range}: ${b.count}`}
                style={{ left: `${b.leftPct}%`, width: `${b.widthPct}%`, height: `${b.heightPct}%` }}
              />
            ))}
          </div>
          <div class="histogram-axis">
            <span>{first[1]}</span>
            <span>{last[2]}</span>
          </div>
          <details class="histogram-buckets" open={!compact}>
            <summary>{buckets.length} buckets</summary>
            <pre>{bucketListText(h)}</pre>
          </details>
        </>
      )}
    </div>
  );
}
