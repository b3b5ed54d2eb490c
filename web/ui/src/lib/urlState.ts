// Query panels <-> URL query string, compatible with Prometheus's links:
// g<N>.expr, g<N>.tab, g<N>.range_input, g<N>.end_input, g<N>.step_input,
// g<N>.display_mode (3.x) and the 2.x spellings (tab=0 graph / tab=1 table,
// stacked=1, moment_input).
import { formatDuration, parseDuration } from './duration';

export type Tab = 'table' | 'graph';
export type DisplayMode = 'lines' | 'stacked';

export interface PanelState {
  expr: string;
  tab: Tab;
  rangeMs: number;
  endMs: number | null; // null: now
  stepSeconds: number | null; // null: automatic
  displayMode: DisplayMode;
}

export const DEFAULT_RANGE_MS = 3600 * 1000;

export function newPanel(expr = ''): PanelState {
  return { expr, tab: 'table', rangeMs: DEFAULT_RANGE_MS, endMs: null, stepSeconds: null, displayMode: 'lines' };
}

function parseTab(v: string | null): Tab {
  // Prometheus 2.x: 0 = graph, 1 = table; 3.x: names.
  if (v === '0' || v === 'graph') return 'graph';
  return 'table';
}

// "2024-01-02 03:04:05" (2.x, UTC) or an ISO / RFC 3339 time; null if bad.
export function parseEndInput(v: string): number | null {
  const s = v.trim();
  if (s === '') return null;
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(s) ? s.replace(' ', 'T') + 'Z' : s;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

export function formatEndInput(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

export function decodePanels(search: string): PanelState[] {
  const params = new URLSearchParams(search);
  const panels: PanelState[] = [];
  for (let i = 0; params.has(`g${i}.expr`) || params.has(`g${i}.tab`); i++) {
    const get = (k: string) => params.get(`g${i}.${k}`);
    const p = newPanel(get('expr') ?? '');
    p.tab = parseTab(get('tab'));
    const range = parseDuration(get('range_input') ?? '');
    if (range !== null && range > 0) p.rangeMs = range;
    const end = get('end_input') ?? get('moment_input');
    if (end) p.endMs = parseEndInput(end);
    const step = parseFloat(get('step_input') ?? '');
    if (Number.isFinite(step) && step > 0) p.stepSeconds = step;
    if (get('display_mode') === 'stacked' || get('stacked') === '1') p.displayMode = 'stacked';
    panels.push(p);
  }
  return panels;
}

export function encodePanels(panels: PanelState[]): string {
  const params = new URLSearchParams();
  panels.forEach((p, i) => {
    params.set(`g${i}.expr`, p.expr);
    params.set(`g${i}.tab`, p.tab);
    params.set(`g${i}.display_mode`, p.displayMode);
    params.set(`g${i}.range_input`, formatDuration(p.rangeMs));
    if (p.endMs !== null) params.set(`g${i}.end_input`, formatEndInput(p.endMs));
    if (p.stepSeconds !== null) params.set(`g${i}.step_input`, String(p.stepSeconds));
  });
  return params.toString();
}

// Maps an old-style /graph link (path after the route prefix plus query
// string) to the /query page with the same panels; other paths unchanged.
export function translateGraphLink(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf('?');
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const search = q < 0 ? '' : pathAndQuery.slice(q);
  if (path !== '/graph' && path !== '/graph/') return pathAndQuery;
  const panels = decodePanels(search);
  return panels.length > 0 ? `/query?${encodePanels(panels)}` : '/query';
}
