// /targets: active targets grouped by scrape pool, filterable by health and
// text; dropped targets on request.
import { useState } from 'preact/hooks';
import { Labels } from '../components/Labels';
import { formatAgo, formatSeconds, formatSeries } from '../lib/format';
import { LoadStatus, useApi } from './useApi';
import { useToggleSet } from './useToggleSet';

export interface Target {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
}

interface TargetsData {
  activeTargets: Target[];
  droppedTargets: { discoveredLabels: Record<string, string>; scrapePool?: string }[];
}

// Targets matching the health filter (empty set: all) and the text filter
// (substring of endpoint or any label).
export function filterTargets(targets: Target[], health: Set<string>, text: string): Target[] {
  const needle = text.trim().toLowerCase();
  return targets.filter((t) => {
    if (health.size > 0 && !health.has(t.health)) return false;
    if (needle === '') return true;
    const hay = [t.scrapeUrl, ...Object.entries(t.labels).map(([k, v]) => `${k}="${v}"`)].join(' ').toLowerCase();
    return hay.includes(needle);
  });
}

function TargetRow({ t, now }: { t: Target; now: number }) {
  const [open, setOpen] = useState(false);
  return (
    <tr class={`target health-${t.health}`}>
      <td class="endpoint">
        <a href={t.scrapeUrl}>{t.scrapeUrl}</a>
      </td>
      <td>
        <span class={`health badge-${t.health}`}>{t.health.toUpperCase()}</span>
      </td>
      <td>
        <Labels labels={t.labels} />
        <button class="link" onClick={() => setOpen(!open)}>
          {open ? 'hide' : 'show'} discovered labels
        </button>
        {open && <Labels labels={t.discoveredLabels} />}
      </td>
      <td class="last-scrape">{formatAgo(t.lastScrape, now)}</td>
      <td class="duration">{formatSeconds(t.lastScrapeDuration)}</td>
      <td class="last-error">{t.lastError}</td>
    </tr>
  );
}

export function TargetsPage() {
  const [reload, setReload] = useState(0);
  const [showDropped, setShowDropped] = useState(false);
  const targets = useApi<TargetsData>('targets', showDropped ? { state: 'any' } : { state: 'active' }, reload);
  const [health, toggle] = useToggleSet();
  const [text, setText] = useState('');
  const now = Date.now();
  const active = filterTargets(targets.data?.activeTargets ?? [], health, text);
  const pools = [...new Set((targets.data?.activeTargets ?? []).map((t) => t.scrapePool))].sort();
  return (
    <div class="targets-page">
      <h1>Targets</h1>
      <div class="filters">
        {['up', 'down', 'unknown'].map((h) => (
          <label>
            <input type="checkbox" class={`filter-${h}`} checked={health.has(h)} onChange={() => toggle(h)} /> {h}
          </label>
        ))}
        <input class="text-filter" placeholder="Filter by endpoint or labels" value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        <label>
          <input type="checkbox" class="show-dropped" checked={showDropped} onChange={() => setShowDropped(!showDropped)} />{' '}
          show dropped targets
        </label>
        <button onClick={() => setReload(reload + 1)}>Refresh</button>
      </div>
      <LoadStatus what="targets" loaded={targets} />
      {pools.map((pool) => {
        const ts = active.filter((t) => t.scrapePool === pool);
        const all = (targets.data?.activeTargets ?? []).filter((t) => t.scrapePool === pool);
        const up = all.filter((t) => t.health === 'up').length;
        if (ts.length === 0) return null;
        return (
          <section class="pool" data-pool={pool}>
            <h2>
              {pool} <span class="pool-count">({up}/{all.length} up)</span>
            </h2>
            <table class="targets-table">
              <thead>
                <tr><th>Endpoint</th><th>State</th><th>Labels</th><th>Last scrape</th><th>Duration</th><th>Error</th></tr>
              </thead>
              <tbody>
                {ts.map((t) => <TargetRow t={t} now={now} />)}
              </tbody>
            </table>
          </section>
        );
      })}
      {showDropped && (
        <section class="dropped">
          <h2>Dropped targets ({targets.data?.droppedTargets?.length ?? 0})</h2>
          <table class="targets-table">
            <tbody>
              {(targets.data?.droppedTargets ?? []).map((d) => (
                <tr><td>{d.scrapePool ?? ''}</td><td>{formatSeries(d.discoveredLabels)}</td></tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
