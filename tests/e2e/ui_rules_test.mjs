#!/usr/bin/env node
// Browser test of the web UI's /alerts and /rules pages (Node +
// playwright-core + Debian's chromium, helpers in ui_common.mjs).
//
// Starts promethium scraping itself every second with two rule files:
//   alerts.yml  one alerting rule that fires at once (no `for`, with
//               keep_firing_for and a templated annotation), one that stays
//               pending (`for: 1h`), one that never matches (inactive);
//   records.yml a recording rule that works and one whose result has the
//               same label set twice after its rule labels, an evaluation
//               error ("vector contains metrics with the same labelset").
// After /api/v1/rules reports those states and healths, it checks in
// headless chromium:
//   - /alerts: the count per state, each rule under its state with its
//     group and file, expression, `for`, keep_firing_for, labels and the
//     active alerts with labels, state, activeAt, value and the expanded
//     annotation; the state toggles and the text filter (rule name, label
//     values) hide and show the right rules;
//   - /rules: each group with its file, interval and last evaluation, each
//     rule's type, expression and health as the API has them, the error
//     text of the failing rule;
//   - the navigation links between both pages, and no JavaScript errors.
// Screenshots (rules-alerts.png, rules-rules.png) go to --screenshots.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  check, freePort, getJson, launchBrowser, parseArgs, printLogTail, spawnPromethium, waitUntil, WAIT_MS,
} from './ui_common.mjs';

// Generous: the first evaluations of both groups on a loaded machine.
const RULES_WAIT_MS = 60000;

const ALERT_RULES = `groups:
  - name: ui-alerts
    interval: 1s
    rules:
      - alert: SelfUpFiring
        expr: up{job="promethium"} == 1
        keep_firing_for: 5m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.job }} answers on {{ $labels.instance }}"
      - alert: SelfUpPending
        expr: up{job="promethium"} == 1
        for: 1h
        labels:
          severity: ticket
      - alert: NeverFires
        expr: up{job="promethium"} == 42
        labels:
          severity: none
`;

const RECORDING_RULES = `groups:
  - name: ui-records
    interval: 2s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - record: ui:duplicate
        expr: vector(1) or label_replace(vector(2), "side", "b", "", "")
        labels:
          side: same
`;

async function startServer(args, tmp) {
  const port = await freePort();
  fs.writeFileSync(path.join(tmp, 'alerts.yml'), ALERT_RULES);
  fs.writeFileSync(path.join(tmp, 'records.yml'), RECORDING_RULES);
  const config =
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n` +
    `rule_files: [alerts.yml, records.yml]\n` +
    `scrape_configs:\n  - job_name: promethium\n    static_configs:\n      - targets: ["127.0.0.1:${port}"]\n`;
  return { ...(await spawnPromethium(args.promethium, tmp, config, port)), port };
}

function findRule(groups, name) {
  for (const g of groups) {
    const r = g.rules.find((x) => x.name === name);
    if (r) return r;
  }
  return undefined;
}

// Waits until the API shows every rule in the state this test is about.
async function waitForRuleStates(base) {
  const want = { SelfUpFiring: 'firing', SelfUpPending: 'pending', NeverFires: 'inactive' };
  return waitUntil('rule states and health in /api/v1/rules', async () => {
    const { groups } = await getJson(`${base}/api/v1/rules`);
    for (const [name, state] of Object.entries(want)) {
      const r = findRule(groups, name);
      if (!r || r.state !== state || r.health !== 'ok') return false;
    }
    const dup = findRule(groups, 'ui:duplicate');
    const sum = findRule(groups, 'job:up:sum');
    if (dup?.health !== 'err' || sum?.health !== 'ok') return false;
    check(/same labelset/.test(dup.lastError ?? ''), `ui:duplicate fails to evaluate: "${dup.lastError}"`);
    return groups;
  }, RULES_WAIT_MS);
}

// Names of the rules the /alerts page shows in a state's section.
async function shownRules(page, state) {
  return page.locator(`section[data-state="${state}"] details.alert-rule`).evaluateAll((ds) =>
    ds.map((d) => d.getAttribute('data-rule')),
  );
}

async function allShown(page) {
  const out = [];
  for (const s of ['firing', 'pending', 'inactive']) out.push(...(await shownRules(page, s)));
  return out.sort().join(',');
}

// Polls until the page shows exactly `names` (sorted, comma-joined).
async function expectShown(page, names, what) {
  const want = [...names].sort().join(',');
  let last = '';
  try {
    await waitUntil(what, async () => (last = await allShown(page)) === want, WAIT_MS);
  } catch {
    throw new Error(`check failed: ${what}: want ${want}, shown ${last}`);
  }
  check(true, `${what}: ${want}`);
}

async function checkFiringRule(page, port) {
  const rule = page.locator('details.alert-rule[data-rule="SelfUpFiring"]');
  const summary = (await rule.locator('summary').innerText()).trim();
  check(summary.includes('FIRING') && summary.includes('alerts.yml > ui-alerts'),
    `the firing rule shows its state, file and group ("${summary}")`);
  check((await rule.locator('.rule-expr').innerText()).trim() === 'up{job="promethium"} == 1',
    'the firing rule shows its expression');
  check((await rule.locator('.rule-keep-firing-for').innerText()).trim() === '5m', 'keep_firing_for is shown');
  check((await rule.locator('.rule-labels').innerText()).includes('severity="page"'), 'rule labels are shown');
  const template = (await rule.locator('.rule-annotations').innerText()).trim();
  check(template.includes('{{ $labels.job }} answers on'), `the rule's annotation template is shown ("${template}")`);
  const alert = rule.locator('tr.active-alert');
  check((await alert.count()) === 1, 'the firing rule has one active alert');
  const alertLabels = await alert.locator('.label-badge').allInnerTexts();
  for (const l of ['alertname="SelfUpFiring"', 'job="promethium"', `instance="127.0.0.1:${port}"`, 'severity="page"']) {
    check(alertLabels.includes(l), `the active alert has the label ${l}`);
  }
  check((await alert.locator('.alert-state').innerText()).trim() === 'FIRING', 'the active alert is FIRING');
  check((await alert.locator('.alert-value').innerText()).trim() === '1e+00', 'the active alert shows its value');
  check(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(await alert.locator('.active-at').innerText()),
    'the active alert shows when it became active');
  const expanded = await alert.locator('.annotations').innerText();
  check(expanded.includes(`promethium answers on 127.0.0.1:${port}`),
    `the alert's annotation has the template expanded ("${expanded.trim()}")`);
}

async function checkAlertsPage(page, base, port, shots) {
  await page.goto(`${base}/alerts`);
  await page.locator('details.alert-rule').first().waitFor({ timeout: WAIT_MS });
  for (const [state, n] of [['firing', 1], ['pending', 1], ['inactive', 1]]) {
    const count = (await page.locator(`.toggle-${state} .state-count`).innerText()).trim();
    check(count === String(n), `the ${state} toggle counts ${n} rule (${count})`);
  }
  check((await shownRules(page, 'firing')).join() === 'SelfUpFiring', 'SelfUpFiring is listed as firing');
  check((await shownRules(page, 'pending')).join() === 'SelfUpPending', 'SelfUpPending is listed as pending');
  check((await shownRules(page, 'inactive')).join() === 'NeverFires', 'NeverFires is listed as inactive');
  await checkFiringRule(page, port);

  const pending = page.locator('details.alert-rule[data-rule="SelfUpPending"]');
  check((await pending.locator('.rule-for').innerText()).trim() === '1h', 'the pending rule shows for: 1h');
  check((await pending.locator('tr.active-alert .alert-state').innerText()).trim() === 'PENDING',
    'the pending rule has a PENDING alert');
  // Inactive rules start closed; opening one shows its definition.
  const inactive = page.locator('details.alert-rule[data-rule="NeverFires"]');
  check((await inactive.getAttribute('open')) === null, 'the inactive rule starts closed');
  await inactive.locator('summary').click();
  await inactive.locator('.rule-expr').waitFor({ state: 'visible', timeout: WAIT_MS });
  check((await inactive.locator('.rule-expr').innerText()).trim() === 'up{job="promethium"} == 42',
    'opening the inactive rule shows its expression');
  await page.screenshot({ path: path.join(shots, 'rules-alerts.png'), fullPage: true });

  const all = ['SelfUpFiring', 'SelfUpPending', 'NeverFires'];
  await page.locator('.show-inactive').uncheck();
  await expectShown(page, ['SelfUpFiring', 'SelfUpPending'], 'hiding inactive rules');
  await page.locator('.show-firing').uncheck();
  await expectShown(page, ['SelfUpPending'], 'hiding firing rules too');
  await page.locator('.show-inactive').check();
  await page.locator('.show-firing').check();
  await expectShown(page, all, 'showing every state again');

  const filter = page.locator('.alerts-page .text-filter');
  await filter.fill('pending');
  await expectShown(page, ['SelfUpPending'], 'the text filter matches a rule name');
  await filter.fill('TICKET');
  await expectShown(page, ['SelfUpPending'], 'the text filter matches a rule label value, ignoring case');
  await filter.fill('page');
  await expectShown(page, ['SelfUpFiring'], 'the text filter "page" matches only the severity="page" rule');
  await filter.fill(`127.0.0.1:${port}`);
  await expectShown(page, ['SelfUpFiring', 'SelfUpPending'], 'the text filter matches active alerts\' label values');
  await filter.fill('');
  await expectShown(page, all, 'clearing the filter shows every rule');
}

async function checkRulesPage(page, base, shots) {
  await page.goto(`${base}/rules`);
  await page.locator('section.rule-group-section').nth(1).waitFor({ timeout: WAIT_MS });
  const { groups } = await getJson(`${base}/api/v1/rules`);
  for (const g of groups) {
    const section = page.locator(`section.rule-group-section[data-group="${g.name}"]`);
    const info = await section.locator('.group-info').innerText();
    check(info.includes(`file: ${g.file}`), `group ${g.name} shows its file (${g.file})`);
    const interval = g.name === 'ui-alerts' ? '1s' : '2s';
    check(info.includes(`interval: ${interval}`), `group ${g.name} shows interval ${interval}`);
    check(/last evaluation: [\d.]+s ago/.test(info), `group ${g.name} shows its last evaluation ("${info}")`);
    check(/evaluation time: [\d.]+(µs|ms|s)/.test(info), `group ${g.name} shows its evaluation time`);
    for (const r of g.rules) {
      const row = section.locator(`tr.rule[data-rule="${r.name}"]`);
      const health = (await row.locator('.health').innerText()).trim();
      check(health === r.health.toUpperCase(), `${r.name} shows health ${health} (API: ${r.health})`);
      check((await row.locator('.rule-type').innerText()).trim() === r.type, `${r.name} shows its type ${r.type}`);
      check((await row.locator('.rule-expr').innerText()).trim() === r.query, `${r.name} shows its expression`);
      check(/ago$/.test((await row.locator('.last-evaluation').innerText()).trim()),
        `${r.name} shows its last evaluation`);
    }
  }
  const failing = page.locator('tr.rule[data-rule="ui:duplicate"]');
  const error = failing.locator('.last-error');
  check(await error.isVisible(), 'the failing rule\'s error cell is visible');
  const text = (await error.innerText()).trim();
  check(/same labelset/.test(text), `the failing rule shows its error ("${text}")`);
  check((await failing.locator('.rule-labels').innerText()).includes('side="same"'), 'recording rule labels are shown');
  check((await page.locator('tr.rule[data-rule="job:up:sum"] .last-error').innerText()).trim() === '',
    'a healthy rule shows no error');
  await page.screenshot({ path: path.join(shots, 'rules-rules.png'), fullPage: true });
}

async function checkNavigation(page, base) {
  await page.locator('nav a', { hasText: 'Alerts' }).click();
  await page.locator('details.alert-rule').first().waitFor({ timeout: WAIT_MS });
  check(new URL(page.url()).pathname === '/alerts', 'the navigation bar links to /alerts');
  await page.locator('nav a', { hasText: 'Rules' }).click();
  await page.locator('section.rule-group-section').first().waitFor({ timeout: WAIT_MS });
  check(page.url() === `${base}/rules`, 'the navigation bar links to /rules');
}

async function main() {
  const args = parseArgs(['promethium', 'ui-dir', 'screenshots']);
  fs.mkdirSync(args.screenshots, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-ui-rules-'));
  let server;
  let browser;
  let ok = false;
  try {
    server = await startServer(args, tmp);
    await waitForRuleStates(server.base);
    browser = await launchBrowser(args['ui-dir']);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await checkAlertsPage(page, server.base, server.port, args.screenshots);
    await checkRulesPage(page, server.base, args.screenshots);
    await checkNavigation(page, server.base);
    check(errors.length === 0, `no JavaScript errors (${errors.join('; ')})`);
    ok = true;
  } catch (e) {
    console.error(`FAIL: ${e.message}`);
    printLogTail(tmp);
  } finally {
    await browser?.close().catch(() => {});
    server?.proc.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(ok ? `PASS (screenshots in ${args.screenshots})` : 'FAIL');
  process.exitCode = ok ? 0 : 1;
}

main();
