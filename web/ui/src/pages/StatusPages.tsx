// The read-only status pages: /status, /config, /tsdb-status,
// /service-discovery.
import { useApi, LoadError } from './useApi';
import { formatSeries } from '../lib/format';
import type { Target } from './TargetsPage';

function KeyValueTable({ title, data }: { title: string; data?: Record<string, unknown> }) {
  if (!data) return null;
  return (
    <section>
      <h2>{title}</h2>
      <table class="kv-table">
        <tbody>
          {Object.entries(data).map(([k, v]) => (
            <tr>
              <th>{k}</th>
              <td>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function StatusPage() {
  const build = useApi<Record<string, unknown>>('status/buildinfo');
  const runtime = useApi<Record<string, unknown>>('status/runtimeinfo');
  const flags = useApi<Record<string, unknown>>('status/flags');
  return (
    <div class="status-page">
      <h1>Status</h1>
      <LoadError what="build information" error={build.error} />
      <KeyValueTable title="Build information" data={build.data} />
      <LoadError what="runtime information" error={runtime.error} />
      <KeyValueTable title="Runtime information" data={runtime.data} />
      <LoadError what="command-line flags" error={flags.error} />
      <KeyValueTable title="Command-line flags" data={flags.data} />
    </div>
  );
}

export function ConfigPage() {
  const cfg = useApi<{ yaml: string }>('status/config');
  return (
    <div class="config-page">
      <h1>Configuration</h1>
      <LoadError what="the configuration" error={cfg.error} />
      {cfg.data && <pre class="config-yaml">{cfg.data.yaml}</pre>}
    </div>
  );
}

interface Stat {
  name: string;
  value: number;
}

interface TsdbStatus {
  headStats?: Record<string, number>;
  seriesCountByMetricName?: Stat[];
  labelValueCountByLabelName?: Stat[];
  memoryInBytesByLabelName?: Stat[];
  seriesCountByLabelValuePair?: Stat[];
}

function StatTable({ title, stats }: { title: string; stats?: Stat[] }) {
  if (!stats) return null;
  return (
    <section>
      <h2>{title}</h2>
      <table class="kv-table">
        <tbody>
          {stats.map((s) => (
            <tr>
              <th>{s.name}</th>
              <td>{s.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function TsdbStatusPage() {
  const st = useApi<TsdbStatus>('status/tsdb');
  const head = st.data?.headStats;
  const headView = head && {
    ...head,
    ...(head.minTime !== undefined && { minTime: `${head.minTime} (${new Date(head.minTime).toISOString()})` }),
    ...(head.maxTime !== undefined && { maxTime: `${head.maxTime} (${new Date(head.maxTime).toISOString()})` }),
  };
  return (
    <div class="tsdb-page">
      <h1>TSDB status</h1>
      <LoadError what="TSDB status" error={st.error} />
      <KeyValueTable title="Head statistics" data={headView} />
      <StatTable title="Top series count by metric name" stats={st.data?.seriesCountByMetricName} />
      <StatTable title="Top label value count by label name" stats={st.data?.labelValueCountByLabelName} />
      <StatTable title="Top memory usage by label name (bytes)" stats={st.data?.memoryInBytesByLabelName} />
      <StatTable title="Top series count by label value pair" stats={st.data?.seriesCountByLabelValuePair} />
    </div>
  );
}

interface TargetsAny {
  activeTargets: Target[];
  droppedTargets: { discoveredLabels: Record<string, string>; scrapePool?: string }[];
}

export function ServiceDiscoveryPage() {
  const t = useApi<TargetsAny>('targets', { state: 'any' });
  const active = t.data?.activeTargets ?? [];
  const dropped = t.data?.droppedTargets ?? [];
  const pools = [...new Set([...active.map((a) => a.scrapePool), ...dropped.map((d) => d.scrapePool ?? '')])].sort();
  return (
    <div class="sd-page">
      <h1>Service discovery</h1>
      <LoadError what="targets" error={t.error} />
      {pools.map((pool) => (
        <section>
          <h2>
            {pool} ({active.filter((a) => a.scrapePool === pool).length} active /{' '}
            {dropped.filter((d) => (d.scrapePool ?? '') === pool).length} dropped)
          </h2>
          <table class="targets-table">
            <thead>
              <tr><th>Discovered labels</th><th>Target labels</th></tr>
            </thead>
            <tbody>
              {active.filter((a) => a.scrapePool === pool).map((a) => (
                <tr><td>{formatSeries(a.discoveredLabels)}</td><td>{formatSeries(a.labels)}</td></tr>
              ))}
              {dropped.filter((d) => (d.scrapePool ?? '') === pool).map((d) => (
                <tr><td>{formatSeries(d.discoveredLabels)}</td><td class="dropped-label">Dropped</td></tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </div>
  );
}
