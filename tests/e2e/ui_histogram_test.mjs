#!/usr/bin/env node
// Browser test of native histograms on the web UI's query page (Node +
// playwright-core + Debian's chromium, helpers in ui_common.mjs).
//
// Starts promethium only to serve the UI; the browser's /api/v1/query and
// /api/v1/query_range calls are answered by playwright's route API with a
// histogram sample in Prometheus's own JSON encoding (the float histogram
// of Prometheus's web/api/v1/json_codec_test.go: count 10, sum 20, two
// negative buckets, a zero bucket [-0.001, 0.001] of 12 and five positive
// buckets of schema 2), so the test does not depend on promethium storing
// histograms. Checks:
//   - table: count and sum, one bar per bucket on the exponential axis
//     (equal widths, the zero bucket tallest), the linear axis (widths
//     proportional to the bucket bounds), and the bucket list in
//     Prometheus's range notation;
//   - graph: a range result of histograms only draws a line labelled
//     "(histogram count)" whose hover value is the histogram's count; an
//     empty range result says "Empty query result";
//   - no JavaScript errors.
// Screenshots (histogram-table.png, histogram-graph.png) go to --screenshots.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  check, freePort, launchBrowser, parseArgs, printLogTail, spawnPromethium, waitUntil, WAIT_MS,
} from './ui_common.mjs';

// Verbatim from Prometheus's json_codec_test.go (a matrix element's sample).
const PROMETHEUS_HISTOGRAM = JSON.parse(
  '{"count":"10","sum":"20","buckets":[[1,"-1.6817928305074288","-1.414213562373095","1"],' +
    '[1,"-1.414213562373095","-1.189207115002721","2"],[3,"-0.001","0.001","12"],' +
    '[0,"1.414213562373095","1.6817928305074288","1"],[0,"1.6817928305074288","2","2"],' +
    '[0,"2.378414230005442","2.82842712474619","2"],[0,"2.82842712474619","3.3635856610148576","1"],' +
    '[0,"3.3635856610148576","4","1"]]}',
);

// The bucket list as Prometheus's UI writes it: "[" for boundary rules 1
// and 3, "]" for 0 and 3 (web/ui bucketRangeString), then the count.
const EXPECTED_BUCKET_LINES = [
  '[-1.6817928305074288 -> -1.414213562373095): 1',
  '[-1.414213562373095 -> -1.189207115002721): 2',
  '[-0.001 -> 0.001]: 12',
  '(1.414213562373095 -> 1.6817928305074288]: 1',
  '(1.6817928305074288 -> 2]: 2',
  '(2.378414230005442 -> 2.82842712474619]: 2',
  '(2.82842712474619 -> 3.3635856610148576]: 1',
  '(3.3635856610148576 -> 4]: 1',
];

function apiAnswer(data) {
  return { status: 200, contentType: 'application/json', body: JSON.stringify({ status: 'success', data }) };
}

// Answers the UI's queries: an instant vector with one histogram element,
// and a range matrix with the histogram at every step of the request.
async function stubQueries(page) {
  await page.route(/\/api\/v1\/query\?/, (route) => {
    const time = parseFloat(new URL(route.request().url()).searchParams.get('time'));
    route.fulfill(apiAnswer({
      resultType: 'vector',
      result: [{ metric: { __name__: 'foo', job: 'h' }, histogram: [time, PROMETHEUS_HISTOGRAM] }],
    }));
  });
  await page.route(/\/api\/v1\/query_range\?/, (route) => {
    const q = new URL(route.request().url()).searchParams;
    const [start, end, step] = ['start', 'end', 'step'].map((k) => parseFloat(q.get(k)));
    const histograms = [];
    for (let t = start; t <= end; t += step) histograms.push([t, PROMETHEUS_HISTOGRAM]);
    // The query "absent_series" selects nothing: an empty matrix.
    const result = q.get('query') === 'absent_series' ? [] : [{ metric: { __name__: 'foo', job: 'h' }, histograms }];
    route.fulfill(apiAnswer({ resultType: 'matrix', result }));
  });
}

// Style percentages as the browser serializes them (about 6 significant
// digits), hence the 1e-3 tolerances below.
const barBoxes = (panel) =>
  panel.locator('.histogram-bar').evaluateAll((bars) =>
    bars.map((b) => ({
      left: parseFloat(b.style.left),
      width: parseFloat(b.style.width),
      height: parseFloat(b.style.height),
    })),
  );

async function checkTable(page, base, shots) {
  await page.goto(`${base}/query?g0.expr=foo&g0.tab=table`);
  const panel = page.locator('.panel').first();
  const cell = panel.locator('.result-table .histogram').first();
  await cell.waitFor({ timeout: WAIT_MS });
  check((await panel.locator('.result-table td.series').innerText()) === 'foo{job="h"}', 'the series is shown');
  check((await cell.locator('.histogram-count').innerText()).trim() === 'Total count: 10', 'the count is shown');
  check((await cell.locator('.histogram-sum').innerText()).trim() === 'Sum: 20', 'the sum is shown');
  const lines = (await cell.locator('.histogram-buckets pre').innerText()).trim().split('\n');
  check(JSON.stringify(lines) === JSON.stringify(EXPECTED_BUCKET_LINES),
    `bucket list in Prometheus notation: ${lines.join(' | ')}`);

  // Exponential (default): schema 2 buckets are equally wide on a log axis.
  const expo = await barBoxes(cell);
  check(expo.length === 8, `one bar per bucket (${expo.length})`);
  check(expo.every((b) => Math.abs(b.width - expo[0].width) < 1e-3), 'exponential axis: equal bucket widths');
  // (2, 2.378] has no count: its slot stays empty between bars 4 and 5.
  check(Math.abs(expo[5].left - expo[4].left - 2 * expo[0].width) < 1e-3 &&
    Math.abs(expo[4].left - expo[3].left - expo[0].width) < 1e-3, 'exponential axis: the empty bucket leaves a gap');
  check(expo[2].height === 100 && Math.abs(expo[1].height - (200 / 12)) < 1e-3,
    `exponential axis: heights by count, zero bucket tallest (${expo.map((b) => b.height.toFixed(1)).join(', ')})`);
  await page.screenshot({ path: path.join(shots, 'histogram-table.png'), fullPage: true });

  // Linear: a bar spans its bounds on [-1.68.., 4].
  await cell.locator('.scale-linear').check();
  const lin = await waitUntil('linear bars', async () => {
    const b = await barBoxes(cell);
    return b.length === 8 && b[0].width !== expo[0].width && b;
  });
  const lo = parseFloat(PROMETHEUS_HISTOGRAM.buckets[0][1]);
  const span = 4 - lo;
  PROMETHEUS_HISTOGRAM.buckets.forEach(([, l, r], i) => {
    const want = { left: ((parseFloat(l) - lo) / span) * 100, width: ((parseFloat(r) - parseFloat(l)) / span) * 100 };
    check(Math.abs(lin[i].left - want.left) < 1e-3 && Math.abs(lin[i].width - want.width) < 1e-3,
      `linear axis: bucket ${i} at ${lin[i].left.toFixed(2)}% wide ${lin[i].width.toFixed(3)}%`);
  });
  // Density: the zero bucket (12 in a width of 0.002) is the tallest.
  check(lin[2].height === 100 && lin.every((b, i) => i === 2 || b.height < 1), 'linear axis: heights by density');
}

async function checkGraph(page, base, shots) {
  await page.goto(`${base}/query?g0.expr=foo&g0.tab=graph&g0.range_input=5m`);
  const panel = page.locator('.panel').first();
  await panel.locator('.u-wrap canvas').waitFor({ timeout: WAIT_MS });
  const drawn = await waitUntil('histogram graph drawn', async () => {
    const n = await panel.locator('.u-wrap canvas').evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let k = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) k++;
      return k;
    });
    return n > 100 && n;
  });
  check(true, `a histogram-only range result draws a line (${drawn} pixels)`);
  const labels = await panel.locator('.u-legend tr.u-series .u-label').allInnerTexts();
  check(labels.slice(1).join() === 'foo{job="h"} (histogram count)',
    `legend says what is plotted (${labels.slice(1)})`);
  const over = await panel.locator('.u-over').boundingBox();
  await page.mouse.move(over.x + over.width * 0.5, over.y + over.height / 2);
  const value = await waitUntil('hover value', async () => {
    const v = (await panel.locator('.u-legend tr.u-series .u-value').allInnerTexts())[1]?.trim();
    return v && v !== '--' && v;
  });
  check(value === '10', `the line's value is the histogram count (${value})`);
  await page.screenshot({ path: path.join(shots, 'histogram-graph.png'), fullPage: true });

  // An empty range result says so instead of drawing empty axes.
  await page.goto(`${base}/query?g0.expr=absent_series&g0.tab=graph&g0.range_input=5m`);
  const empty = page.locator('.panel').first().locator('.empty', { hasText: 'Empty query result' });
  await empty.waitFor({ timeout: WAIT_MS });
  check((await page.locator('.panel .u-wrap').count()) === 0, 'an empty range result shows "Empty query result"');
}

async function main() {
  const args = parseArgs(['promethium', 'ui-dir', 'screenshots']);
  fs.mkdirSync(args.screenshots, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-ui-hist-'));
  let server;
  let browser;
  let ok = false;
  try {
    const port = await freePort();
    server = await spawnPromethium(args.promethium, tmp, 'global:\n  scrape_interval: 1m\n', port);
    browser = await launchBrowser(args['ui-dir']);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await stubQueries(page);
    await checkTable(page, server.base, args.screenshots);
    await checkGraph(page, server.base, args.screenshots);
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
