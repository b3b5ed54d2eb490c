// Entry point: a tiny router over the page routes the server hands us
// (see web/ui/ui_handler.cc), and the navigation bar.
import { render } from 'preact';
import { routePrefix } from './lib/api';
import { QueryPage } from './pages/QueryPage';
import { TargetsPage } from './pages/TargetsPage';
import { AlertsPage } from './pages/AlertsPage';
import { RulesPage } from './pages/RulesPage';
import { ConfigPage, ServiceDiscoveryPage, StatusPage, TsdbStatusPage } from './pages/StatusPages';
import './style.css';

const PAGES: Record<string, { title: string; render: () => preact.JSX.Element }> = {
  '/query': { title: 'Query', render: () => <QueryPage /> },
  '/alerts': { title: 'Alerts', render: () => <AlertsPage /> },
  '/targets': { title: 'Targets', render: () => <TargetsPage /> },
  '/service-discovery': { title: 'Service discovery', render: () => <ServiceDiscoveryPage /> },
  '/rules': { title: 'Rules', render: () => <RulesPage /> },
  '/status': { title: 'Status', render: () => <StatusPage /> },
  '/tsdb-status': { title: 'TSDB status', render: () => <TsdbStatusPage /> },
  '/config': { title: 'Configuration', render: () => <ConfigPage /> },
};

function App() {
  const prefix = routePrefix();
  const path = window.location.pathname.slice(prefix.length).replace(/\/+$/, '') || '/query';
  const page = PAGES[path];
  document.title = `${page?.title ?? 'Not found'} - Promethium`;
  return (
    <>
      <nav class="navbar">
        <a class="brand" href={`${prefix}/query`}>Promethium</a>
        {Object.entries(PAGES).map(([p, { title }]) => (
          <a class={p === path ? 'active' : ''} href={`${prefix}${p}`}>{title}</a>
        ))}
      </nav>
      <main>{page ? page.render() : <div class="alert error">No such page: {path}</div>}</main>
    </>
  );
}

render(<App />, document.getElementById('root')!);
