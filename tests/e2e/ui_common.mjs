// Helpers shared by the browser tests of the web UI (ui_test.mjs,
// ui_rules_test.mjs): arguments, checks, bounded waits, free loopback ports,
// starting promethium and launching Debian's chromium through
// playwright-core (from web/ui's packages). Every wait is bounded.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';

export const CHROMIUM = '/usr/bin/chromium';
export const WAIT_MS = 20000;

// --name=value arguments; throws when one of `required` is missing.
export function parseArgs(required, defaults = {}) {
  const args = { ...defaults };
  for (const a of process.argv.slice(2)) {
    const m = /^--([^=]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`bad argument ${a}`);
    args[m[1]] = m[2];
  }
  for (const k of required) {
    if (!args[k]) throw new Error(`missing --${k}=...`);
  }
  return args;
}

export function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok: ${what}`);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns a truthy value (returned) or the deadline passes.
export async function waitUntil(what, fn, deadlineMs = WAIT_MS) {
  const end = Date.now() + deadlineMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what} (last error: ${last?.message ?? 'none'})`);
}

export async function getJson(url) {
  const resp = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = await resp.json();
  if (body.status !== 'success') throw new Error(`${url}: ${JSON.stringify(body)}`);
  return body.data;
}

// Writes `config` to tmp/prometheus.yml, starts promethium on `port` with
// its data and log (tmp/promethium.log) in tmp, and waits until it is ready.
export async function spawnPromethium(binary, tmp, config, port, extraFlags = [], prefix = '') {
  const configFile = path.join(tmp, 'prometheus.yml');
  fs.writeFileSync(configFile, config);
  const log = fs.openSync(path.join(tmp, 'promethium.log'), 'w');
  const flags = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(tmp, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    ...extraFlags,
  ];
  const proc = spawn(binary, flags, { stdio: ['ignore', log, log] });
  const base = `http://127.0.0.1:${port}${prefix}`;
  await waitUntil('promethium ready', async () => {
    if (proc.exitCode !== null) throw new Error(`promethium exited with ${proc.exitCode}`);
    return (await fetch(`${base}/-/ready`, { signal: AbortSignal.timeout(2000) })).status === 200;
  });
  return { proc, base };
}

// The end of promethium's log in tmp, for failure messages.
export function printLogTail(tmp) {
  const log = path.join(tmp, 'promethium.log');
  if (fs.existsSync(log)) console.error(`----- promethium output -----\n${fs.readFileSync(log, 'utf8').slice(-4000)}`);
}

export async function launchBrowser(uiDir) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (scripts/setup.sh does)`);
  }
  const require = createRequire(path.resolve(uiDir, 'package.json'));
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core not found in ${uiDir}/node_modules (build the web UI first): ${e.message}`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync'],
  });
}
