// The expression browser: a list of panels whose state is the URL's query
// string (history.replaceState on every change, so a link reproduces it).
import { useEffect, useState } from 'preact/hooks';
import { Panel } from '../components/Panel';
import { decodePanels, encodePanels, newPanel, PanelState } from '../lib/urlState';

interface Keyed {
  key: number;
  state: PanelState;
}

let nextKey = 0;
const keyed = (state: PanelState): Keyed => ({ key: nextKey++, state });

export function QueryPage() {
  const [panels, setPanels] = useState<Keyed[]>(() => {
    const decoded = decodePanels(window.location.search);
    return (decoded.length > 0 ? decoded : [newPanel()]).map(keyed);
  });

  useEffect(() => {
    const qs = encodePanels(panels.map((p) => p.state));
    window.history.replaceState(null, '', `${window.location.pathname}?${qs}`);
  }, [panels]);

  const update = (key: number, state: PanelState) =>
    setPanels((ps) => ps.map((p) => (p.key === key ? { key, state } : p)));
  return (
    <div class="query-page">
      {panels.map((p) => (
        <Panel
          key={p.key}
          state={p.state}
          onChange={(s) => update(p.key, s)}
          onRemove={() => setPanels((ps) => (ps.length > 1 ? ps.filter((x) => x.key !== p.key) : [keyed(newPanel())]))}
        />
      ))}
      <button class="add-panel" onClick={() => setPanels((ps) => [...ps, keyed(newPanel())])}>
        Add query
      </button>
    </div>
  );
}
