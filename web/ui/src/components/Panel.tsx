// One query panel: editor, Table/Graph tabs, graph controls, results,
// errors/warnings/infos and statistics. Its state lives in the URL (owned by
// QueryPage); results are local.
import { useEffect, useRef, useState } from 'preact/hooks';
import { EditorView } from '@codemirror/view';
import { apiGet, routePrefix } from '../lib/api';
import { countSamples, resultRows } from '../lib/format';
import { formatDuration, parseDuration } from '../lib/duration';
import { effectiveStepSeconds, RANGE_STEPS } from '../lib/step';
import { formatEndInput, parseEndInput, PanelState } from '../lib/urlState';
import { createEditor } from './editor';
import { Graph, MatrixSeries } from './Graph';
import { HistogramView } from './HistogramView';

interface QueryData {
  resultType: string;
  result: unknown;
}

interface Outcome {
  error?: string;
  warnings: string[];
  infos: string[];
  data?: QueryData;
  stats?: string;
  graph?: { startS: number; endS: number; stepS: number };
}

interface PanelProps {
  state: PanelState;
  onChange: (s: PanelState) => void;
  onRemove: () => void;
}

async function runQuery(p: PanelState): Promise<Outcome> {
  const started = performance.now();
  const endMs = p.endMs ?? Date.now();
  let graph: Outcome['graph'];
  const params: Record<string, string> = { query: p.expr };
  if (p.tab === 'graph') {
    const stepS = effectiveStepSeconds(p.rangeMs, p.stepSeconds);
    // Not aligned to the step (as Prometheus's UI): aligning the end down
    // could drop the newest samples.
    const endS = endMs / 1000;
    graph = { startS: endS - p.rangeMs / 1000, endS, stepS };
    Object.assign(params, { start: String(graph.startS), end: String(graph.endS), step: String(stepS) });
  } else {
    params.time = String(endMs / 1000);
  }
  try {
    const r = await apiGet<QueryData>(p.tab === 'graph' ? 'query_range' : 'query', params);
    const data = r.data!;
    const ms = performance.now() - started;
    const series = Array.isArray(data.result) && data.resultType !== 'scalar' && data.resultType !== 'string';
    const n = series ? (data.result as unknown[]).length : 1;
    const stats = `Load time: ${ms.toFixed(0)}ms · Result series: ${n} · Samples: ${countSamples(data)}`;
    return { data, warnings: r.warnings ?? [], infos: r.infos ?? [], stats, graph };
  } catch (e) {
    return { error: (e as Error).message, warnings: [], infos: [] };
  }
}

function GraphControls({ state, onChange }: { state: PanelState; onChange: (s: PanelState) => void }) {
  const shift = (dir: number) => {
    const i = RANGE_STEPS.findIndex((r) => (parseDuration(r) ?? 0) >= state.rangeMs);
    const next = RANGE_STEPS[Math.min(Math.max((i < 0 ? RANGE_STEPS.length - 1 : i) + dir, 0), RANGE_STEPS.length - 1)];
    onChange({ ...state, rangeMs: parseDuration(next)! });
  };
  return (
    <div class="graph-controls">
      <button onClick={() => shift(-1)} title="Shrink range">−</button>
      <input
        class="range-input"
        value={formatDuration(state.rangeMs)}
        onChange={(e) => {
          const v = parseDuration((e.target as HTMLInputElement).value);
          if (v !== null && v > 0) onChange({ ...state, rangeMs: v });
        }}
      />
      <button onClick={() => shift(1)} title="Grow range">+</button>
      <input
        class="end-input"
        placeholder="End time (now)"
        value={state.endMs === null ? '' : formatEndInput(state.endMs)}
        onChange={(e) => onChange({ ...state, endMs: parseEndInput((e.target as HTMLInputElement).value) })}
      />
      <input
        class="step-input"
        placeholder={`Res. (${effectiveStepSeconds(state.rangeMs, null)}s)`}
        value={state.stepSeconds === null ? '' : String(state.stepSeconds)}
        onChange={(e) => {
          const v = parseFloat((e.target as HTMLInputElement).value);
          onChange({ ...state, stepSeconds: Number.isFinite(v) && v > 0 ? v : null });
        }}
      />
      <label>
        <input
          type="checkbox"
          class="stacked-input"
          checked={state.displayMode === 'stacked'}
          onChange={(e) =>
            onChange({ ...state, displayMode: (e.target as HTMLInputElement).checked ? 'stacked' : 'lines' })
          }
        />{' '}
        stacked
      </label>
    </div>
  );
}

function ResultTable({ data }: { data: QueryData }) {
  const rows = resultRows(data);
  if (rows.length === 0) return <div class="empty">Empty query result</div>;
  return (
    <table class="result-table">
      <tbody>
        {rows.map((r) => (
          <tr>
            <td class="series">{r.series}</td>
            <td class="value">
              {r.histogram ? <HistogramView h={r.histogram} /> : r.value}
              {r.histograms?.map(([t, h]) => (
                <div class="histogram-point">
                  <HistogramView h={h} compact /> @{t}
                </div>
              ))}
            </td>
            <td class="timestamp">{r.timestamp}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Panel({ state, onChange, onRemove }: PanelProps) {
  const editorHost = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(state);
  latest.current = state;
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [running, setRunning] = useState(false);
  const [runCount, setRunCount] = useState(0);

  const execute = () => setRunCount((n) => n + 1);

  useEffect(() => {
    view.current = createEditor({
      parent: editorHost.current!,
      doc: state.expr,
      prefix: routePrefix(),
      onChange: (expr) => onChange({ ...latest.current, expr }),
      onExecute: execute,
    });
    if (state.expr !== '') execute();
    return () => view.current?.destroy();
  }, []);

  // Re-run when asked, or when the tab or graph settings change.
  const s = state;
  useEffect(() => {
    if (runCount === 0 || latest.current.expr.trim() === '') return;
    let live = true;
    setRunning(true);
    runQuery(latest.current).then((o) => {
      if (!live) return;
      setOutcome(o);
      setRunning(false);
    });
    return () => {
      live = false;
    };
  }, [runCount, s.tab, s.rangeMs, s.endMs, s.stepSeconds]);

  const tabButton = (tab: PanelState['tab'], label: string) => (
    <button class={`tab tab-${tab} ${state.tab === tab ? 'active' : ''}`} onClick={() => onChange({ ...state, tab })}>
      {label}
    </button>
  );
  const matrix = outcome?.data?.resultType === 'matrix' && state.tab === 'graph' && outcome.graph;
  return (
    <section class="panel">
      <div class="editor-row">
        <div class="editor" ref={editorHost} />
        <button class="execute" onClick={execute} disabled={running}>
          {running ? 'Running…' : 'Execute'}
        </button>
        <button class="remove" onClick={onRemove} title="Remove panel">✕</button>
      </div>
      <div class="tabs">
        {tabButton('table', 'Table')}
        {tabButton('graph', 'Graph')}
        {outcome?.stats && <span class="stats">{outcome.stats}</span>}
      </div>
      {outcome?.error && <div class="alert error">Error: {outcome.error}</div>}
      {outcome?.warnings.map((w) => <div class="alert warning">Warning: {w}</div>)}
      {outcome?.infos.map((w) => <div class="alert info">Info: {w}</div>)}
      {state.tab === 'graph' && <GraphControls state={state} onChange={onChange} />}
      {outcome?.data && state.tab === 'table' && <ResultTable data={outcome.data} />}
      {matrix && (outcome.data!.result as unknown[]).length === 0 && <div class="empty">Empty query result</div>}
      {matrix && outcome.graph && (outcome.data!.result as unknown[]).length > 0 && (
        <Graph
          series={outcome.data!.result as MatrixSeries[]}
          startS={outcome.graph.startS}
          endS={outcome.graph.endS}
          stepS={outcome.graph.stepS}
          stacked={state.displayMode === 'stacked'}
        />
      )}
      {outcome?.data && state.tab === 'graph' && !matrix && outcome.data.resultType !== 'matrix' && (
        <div class="empty">Switch to the table or run the query to graph it.</div>
      )}
    </section>
  );
}
