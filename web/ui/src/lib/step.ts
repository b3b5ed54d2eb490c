// Resolution (query_range step) for a graph.

// The step Prometheus's UI picks by default: about 250 points across the
// range, at least one second, in whole seconds.
export function defaultStepSeconds(rangeMs: number): number {
  return Math.max(Math.floor(rangeMs / 1000 / 250), 1);
}

// The step to use: the user's choice when set and positive, else the default.
// Also never more than 11000 points (Prometheus rejects more).
export function effectiveStepSeconds(rangeMs: number, userStepSeconds: number | null): number {
  const minForLimit = Math.ceil(rangeMs / 1000 / 11000);
  const step = userStepSeconds !== null && userStepSeconds > 0 ? userStepSeconds : defaultStepSeconds(rangeMs);
  return Math.max(step, minForLimit);
}

// Range presets offered by the graph's range picker.
export const RANGE_STEPS = ['5m', '15m', '30m', '1h', '2h', '6h', '12h', '1d', '2d', '1w', '2w', '4w', '8w', '1y'];
