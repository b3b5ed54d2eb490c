#!/usr/bin/env node
// Browser test of the web UI (Node + playwright-core + Debian's chromium;
// helpers in ui_common.mjs).
//
// Starts promethium with two targets, itself (up) and a closed port (down),
// then in headless chromium:
//   - /query: types a metric-name prefix, accepts the autocompletion, runs
//     the query with Enter and checks the table rows against the same
//     /api/v1/query request replayed; switches to the graph and checks the
//     uPlot canvas is drawn with one legend entry per series;
//   - a Prometheus 2.x /graph?g0.expr=... link opens the graph of
//     rate(prometheus_http_requests_total[1m]);
//   - /targets: each target's health, the down one with its error text.
// --case=query or --case=prefix runs one case (default: both). The prefix
// case runs promethium with --web.route-prefix=/prom and checks the
// query page and its API calls work under the prefix.
//
// Screenshots go to --screenshots (a build-tree folder); with --docs-image
// the query page's screenshot is also copied there (docs/img/ui-query.png).
// Missing chromium fails the test with a message (scripts/setup.sh installs
// it). Every wait is bounded; the server is killed on exit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  check, freePort, getJson, launchBrowser, parseArgs, printLogTail, sleep, spawnPromethium, waitUntil, WAIT_MS,
} from './ui_common.mjs';

// The series as the UI's table prints it (web/ui/src/lib/format.ts).
function formatSeries(metric) {
  const name = metric.__name__ ?? '';
  const labels = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}="${metric[k].replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  if (labels.length === 0) return name === '' ? '{}' : name;
  return `${name}{${labels.join(', ')}}`;
}

async function startServer(args, tmp, prefix) {
  const port = await freePort();
  const downPort = await freePort(); // closed again: scrapes get "connection refused"
  const config =
    `global:\n  scrape_interval: 1s\nscrape_configs:\n` +
    `  - job_name: promethium\n    metrics_path: ${prefix}/metrics\n` +
    `    static_configs:\n      - targets: ["127.0.0.1:${port}"]\n` +
    `  - job_name: down\n    static_configs:\n      - targets: ["127.0.0.1:${downPort}"]\n`;
  const flags = prefix ? [`--web.route-prefix=${prefix}`] : [];
  const { proc, base } = await spawnPromethium(args.promethium, tmp, config, port, flags, prefix);
  // Both targets scraped, and enough samples for rate(...[1m]).
  await waitUntil('both targets scraped', async () => {
    const t = await getJson(`${base}/api/v1/targets`);
    return t.activeTargets.length === 2 && t.activeTargets.every((x) => x.health !== 'unknown');
  });
  await waitUntil('three scrapes of promethium', async () => {
    const r = await getJson(`${base}/api/v1/query?query=count_over_time(up{job="promethium"}[1m])`);
    return r.result.length === 1 && Number(r.result[0].value[1]) >= 3;
  });
  return { proc, base, port, downPort };
}

// Types a prefix into the panel's editor, waits for the completion and
// accepts it with Enter.
// With keepCursor the editor is already focused and the cursor in place.
async function typeWithCompletion(page, panel, prefix, completion, expected = completion, keepCursor = false) {
  if (!keepCursor) await panel.locator('.cm-content').click();
  await page.keyboard.type(prefix, { delay: 30 });
  const option = page.locator('.cm-tooltip-autocomplete li', { hasText: completion }).first();
  await option.waitFor({ timeout: WAIT_MS });
  // Move the selection to our option, then accept it.
  const labels = await page.locator('.cm-tooltip-autocomplete li').allInnerTexts();
  const index = labels.findIndex((l) => l.split('\n')[0].trim() === completion);
  check(index >= 0, `autocompletion offers ${completion} for "${prefix}" (offered: ${labels.slice(0, 5).join(', ')})`);
  for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
  // CodeMirror ignores Enter for 75 ms after the list changes
  // (interactionDelay); it would then run the query instead.
  await sleep(400);
  await page.keyboard.press('Enter');
  const text = await panel.locator('.cm-content').innerText();
  check(text.trim() === expected, `accepting the completion writes "${expected}" (editor: "${text.trim()}")`);
}

// Non-background pixels of the uPlot canvas.
async function drawnPixels(panel) {
  return panel.locator('.u-wrap canvas').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
    return n;
  });
}

// Runs the query page checks; returns the screenshot path.
async function checkQueryPage(page, base, shots) {
  const apiCalls = [];
  page.on('request', (r) => {
    if (/\/api\/v1\/query(_range)?\?/.test(r.url())) apiCalls.push(r.url());
  });
  await page.goto(`${base}/query`);
  const panel = page.locator('.panel').first();
  await typeWithCompletion(page, panel, 'scrape_duration_sec', 'scrape_duration_seconds');
  await page.keyboard.press('Enter'); // execute
  await panel.locator('.result-table tr').first().waitFor({ timeout: WAIT_MS });
  const uiRows = await panel.locator('.result-table tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)),
  );
  const queryUrl = apiCalls.find((u) => u.includes('/api/v1/query?'));
  check(queryUrl !== undefined, 'the table is filled by /api/v1/query');
  const api = await getJson(queryUrl);
  const apiRows = api.result.map((s) => [formatSeries(s.metric), s.value[1]]);
  const sortRows = (rows) => rows.map((r) => r.join(' ')).sort();
  check(api.result.length === 2, `the API returns 2 series (${api.result.length})`);
  check(
    JSON.stringify(sortRows(uiRows)) === JSON.stringify(sortRows(apiRows)),
    `table rows match the API: ${JSON.stringify(sortRows(uiRows))}`,
  );
  check((await panel.locator('.stats').innerText()).includes('Result series: 2'), 'query statistics are shown');

  await panel.locator('.tab-graph').click();
  await panel.locator('.u-wrap canvas').waitFor({ timeout: WAIT_MS });
  await waitUntil('graph drawn', async () => (await drawnPixels(panel)) > 100);
  const legend = await waitUntil('graph legend', async () => (await panel.locator('.u-legend tr.u-series').count()) - 1);
  check(legend === 2, `graph legend has one entry per series (${legend})`);
  check(page.url().includes('g0.tab=graph') && page.url().includes('g0.expr=scrape_duration_seconds'),
    `panel state is in the URL (${page.url()})`);
  await panel.locator('.stacked-input').check();
  await waitUntil('stacked mode in the URL', async () => page.url().includes('g0.display_mode=stacked'));
  await waitUntil('stacked graph drawn', async () => (await drawnPixels(panel)) > 100);
  check((await panel.locator('.u-legend tr.u-series').count()) - 1 === 2, 'the stacked graph keeps both series');

  // A Prometheus 2.x link: /graph?g0.expr=...&g0.tab=0 opens the graph.
  apiCalls.length = 0;
  const expr = 'rate(prometheus_http_requests_total[1m])';
  await page.goto(`${base}/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=0&g0.range_input=1m`);
  check(new URL(page.url()).pathname.endsWith('/query'), `/graph redirects to /query (${page.url()})`);
  const graphPanel = page.locator('.panel').first();
  await graphPanel.locator('.u-wrap canvas').waitFor({ timeout: WAIT_MS });
  await waitUntil('rate graph drawn', async () => (await drawnPixels(graphPanel)) > 100);
  const rangeUrl = await waitUntil('query_range call', async () => apiCalls.find((u) => u.includes('query_range')));
  const range = await getJson(rangeUrl);
  const rateLegend = (await graphPanel.locator('.u-legend tr.u-series').count()) - 1;
  check(range.result.length > 0 && rateLegend === range.result.length,
    `rate graph legend (${rateLegend}) matches the query_range series (${range.result.length})`);
  // Hover values: the cursor near the newest samples fills the legend.
  const over = await graphPanel.locator('.u-over').boundingBox();
  await page.mouse.move(over.x + over.width * 0.97, over.y + over.height / 2);
  const hovered = await waitUntil('hover values in the legend', async () => {
    const values = await graphPanel.locator('.u-legend tr.u-series .u-value').allInnerTexts();
    return values.slice(1).some((v) => /^-?[0-9.]+(e[-+]?[0-9]+)?$/i.test(v.trim())) && values;
  });
  check(true, `hovering the graph shows values in the legend (${hovered.slice(1, 3).join(', ')})`);
  const shot = path.join(shots, 'query.png');
  await page.screenshot({ path: shot, fullPage: true });
  return shot;
}

async function checkTargetsPage(page, base, shots, downPort) {
  await page.goto(`${base}/targets`);
  await page.locator('tr.target').nth(1).waitFor({ timeout: WAIT_MS });
  const api = await getJson(`${base}/api/v1/targets`);
  for (const t of api.activeTargets) {
    const row = page.locator('tr.target', { hasText: t.scrapeUrl });
    const health = (await row.locator('.health').innerText()).trim();
    check(health === t.health.toUpperCase(), `${t.scrapeUrl} shows ${health} (API: ${t.health})`);
  }
  const down = page.locator('tr.target', { hasText: `127.0.0.1:${downPort}` });
  check((await down.locator('.health').innerText()).trim() === 'DOWN', 'the closed port is DOWN');
  const error = (await down.locator('.last-error').innerText()).trim();
  check(/refused/i.test(error), `the down target shows its error ("${error}")`);
  await page.locator('.filter-down').check();
  check((await page.locator('tr.target').count()) === 1, 'the health filter leaves only the down target');
  await page.locator('.filter-down').uncheck();
  await page.screenshot({ path: path.join(shots, 'targets.png'), fullPage: true });
}

// The status pages render their data (or an error box), with no JS errors.
async function checkStatusPages(page, base, shots) {
  const pages = [
    ['/status', '.kv-table th', 'version'],
    ['/config', '.config-yaml', 'scrape_configs'],
    ['/tsdb-status', '.kv-table th', 'numSeries'],
    ['/service-discovery', 'h2', 'promethium'],
    // Without rule_files; ui_rules_test.mjs checks both pages with rules.
    ['/rules', '.rules-page p', 'No rule groups'],
    ['/alerts', '.alerts-page p', 'No alerting rules'],
  ];
  for (const [route, selector, text] of pages) {
    await page.goto(`${base}${route}`);
    const el = page.locator(selector, { hasText: text }).first();
    await el.waitFor({ timeout: WAIT_MS });
    check(true, `${route} shows "${text}"`);
    await page.screenshot({ path: path.join(shots, `${route.slice(1)}.png`), fullPage: true });
  }
}

async function checkPrefixedQuery(page, base, shots) {
  await page.goto(`${base}/graph?g0.expr=up&g0.tab=1`);
  check(new URL(page.url()).pathname === '/prom/query', `prefixed /graph redirects to /prom/query (${page.url()})`);
  await page.locator('.result-table tr').nth(1).waitFor({ timeout: WAIT_MS });
  check((await page.locator('.result-table tr').count()) === 2, 'up under the prefix has 2 rows');
  // Label name and value completion through the prefixed API.
  const panel = page.locator('.panel').first();
  await page.locator('.add-panel').click();
  const second = page.locator('.panel').nth(1);
  await typeWithCompletion(page, second, 'up{jo', 'job', 'up{job}');
  await typeWithCompletion(page, second, '="prom', 'promethium', 'up{job="promethium"}', true);
  await page.keyboard.press('Enter');
  await second.locator('.result-table tr').first().waitFor({ timeout: WAIT_MS });
  check((await second.locator('.result-table tr').count()) === 1, 'up{job="promethium"} has 1 row');
  check((await panel.locator('.result-table tr').count()) === 2, 'the first panel keeps its result');
  check(page.url().includes('g1.expr='), `both panels are in the URL (${page.url()})`);
  await page.locator('a', { hasText: 'Targets' }).first().click();
  await page.locator('tr.target').nth(1).waitFor({ timeout: WAIT_MS });
  check(new URL(page.url()).pathname === '/prom/targets', 'navigation links keep the prefix');
  await page.screenshot({ path: path.join(shots, 'prefix-targets.png'), fullPage: true });
}

// One server and browser session per case; returns true when it passed.
async function runCase(args, name) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-ui-'));
  const prefix = name === 'prefix' ? '/prom' : '';
  let server;
  let browser;
  try {
    console.log(`--- case ${name}`);
    server = await startServer(args, tmp, prefix);
    browser = await launchBrowser(args['ui-dir']);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    if (name === 'prefix') {
      await checkPrefixedQuery(page, server.base, args.screenshots);
    } else {
      const shot = await checkQueryPage(page, server.base, args.screenshots);
      await checkTargetsPage(page, server.base, args.screenshots, server.downPort);
      await checkStatusPages(page, server.base, args.screenshots);
      if (args['docs-image']) {
        fs.mkdirSync(path.dirname(args['docs-image']), { recursive: true });
        fs.copyFileSync(shot, args['docs-image']);
      }
    }
    check(errors.length === 0, `no JavaScript errors (${errors.join('; ')})`);
    return true;
  } catch (e) {
    console.error(`FAIL (case ${name}): ${e.message}`);
    printLogTail(tmp);
    return false;
  } finally {
    await browser?.close().catch(() => {});
    server?.proc.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function main() {
  const args = parseArgs(['promethium', 'ui-dir', 'screenshots'], { case: 'all' });
  fs.mkdirSync(args.screenshots, { recursive: true });
  const cases = args.case === 'all' ? ['query', 'prefix'] : [args.case];
  let ok = true;
  for (const name of cases) ok = (await runCase(args, name)) && ok;
  console.log(ok ? `PASS (screenshots in ${args.screenshots})` : 'FAIL');
  process.exitCode = ok ? 0 : 1;
}

main();
