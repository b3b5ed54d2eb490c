#!/usr/bin/env python3
"""Rule-evaluation CPU side by side: Promethium vs Prometheus on identical data and rules.

Starts Prometheus (Debian's 2.42 `prometheus` on PATH by default) and
promethium on 127.0.0.1, each with its own temp storage, no scrape jobs and
the same rule file, pushes the same samples to both over remote write with
build/web/remote_write_push (as bench/promql_side_by_side.py does), lets both
evaluate for a fixed wall time and reports, per server, the CPU seconds of
the process over that window (utime + stime from /proc/<pid>/stat), the rule
evaluations it did in the window (delta of sum(prometheus_rule_evaluations_total)
from its own /metrics), CPU microseconds per rule evaluation, the ratio
Promethium/Prometheus, missed iterations
(prometheus_rule_group_iterations_missed_total), evaluation failures
(prometheus_rule_evaluation_failures_total) and the rules whose health in
/api/v1/rules is not "ok".

Data: --instances instances i0.. (default 50); for each, the counters
bench_requests_total{instance, job="bench", code} for code 200, 404 and 500
and the gauge bench_gauge{instance, job="bench"} (4 series per instance, 200
in all). One sample every 15 s on a 15 s grid covering the last --history
seconds (default 1800) up to now, pushed to both before the rules start to
matter; then, during warm-up and measurement, one new sample per series
every 15 s is pushed to both so that rate()s keep seeing fresh data (200
samples per push, the same on both sides).

Rules: --groups groups (default 50) of --rules-per-group rules (default 20),
all with interval 15s; 70 % recording rules (sum/avg/quantile/topk/
max_over_time/increase/ratio of rates), 30 % alerting rules with `for` and
labels and annotations using templates ({{ $labels.instance }},
{{ $value | humanize }}). Each rule has its own record/alert name. The file
is checked with `promtool check rules` (when promtool is on PATH).

Measurement: after the servers are up and the history is pushed, wait until
every group of both servers has evaluated at least once, then --warmup
seconds more; snapshot CPU and metrics of both, sleep --window seconds
(default 120), snapshot again. CPU includes everything the process does in
the window (rule evaluation, appending the recorded series and ALERTS, the
TSDB head, GC for Prometheus, the /metrics and remote-write requests of this
script), as nothing else runs against it.

Standard library only; every request has a timeout and every loop is
bounded. Exit status: 0 when the run completed and Promethium missed no
iteration, 1 otherwise.

  python3 bench/rules_side_by_side.py --window 120
"""

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEP_MS = 15_000
CODES = ["200", "404", "500"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


# The process, readiness and HTTP helpers are the PromQL side-by-side's.
from promql_side_by_side import Failure, Server as BaseServer, free_port, http_get, log  # noqa: E402


class Server(BaseServer):
    """A child server plus the CPU, memory and rule readings this bench needs."""

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def metric_sums(self, names):
        """Sum over all label sets of each metric in names, from /metrics."""
        status, body = http_get(self.base + "/metrics", 10)
        if status != 200:
            raise Failure(f"{self.name} /metrics answered {status}")
        out = {n: 0.0 for n in names}
        groups = {n: 0 for n in names}
        for line in body.decode("utf-8", "replace").splitlines():
            if not line or line[0] == "#":
                continue
            name = line.split("{", 1)[0].split(" ", 1)[0]
            if name in out:
                value = line.rsplit("}", 1)[-1].split()[0] if "}" in line else line.split()[1]
                out[name] += float(value)
                groups[name] += 1
        return out, groups

    def snapshot(self):
        cpu0 = self.cpu_seconds()
        sums, groups = self.metric_sums(METRICS)
        cpu1 = self.cpu_seconds()
        return {"cpu_s": (cpu0 + cpu1) / 2, "t": time.monotonic(), **sums,
                "groups_with_evaluations": groups["prometheus_rule_evaluations_total"]}

    def rules_health(self):
        status, body = http_get(self.base + "/api/v1/rules", 60)
        if status != 200:
            raise Failure(f"{self.name} /api/v1/rules answered {status}")
        doc = json.loads(body)
        counts, errors, n = {}, [], 0
        for g in doc["data"]["groups"]:
            for r in g["rules"]:
                n += 1
                h = r.get("health", "?")
                counts[h] = counts.get(h, 0) + 1
                if h != "ok" and len(errors) < 5:
                    errors.append(f"{g['name']}/{r.get('name')}: {h}: {r.get('lastError', '')}")
        return {"rules": n, "health": counts, "examples": errors}

    def instant(self, query):
        url = self.base + "/api/v1/query?" + urllib.parse.urlencode({"query": query})
        status, body = http_get(url, 60)
        doc = json.loads(body)
        if status != 200 or doc.get("status") != "success":
            return f"error {status}: {body[:200]!r}"
        res = doc["data"]["result"]
        return float(res[0]["value"][1]) if res else 0.0

    def alert_states(self):
        """Count of active alerts per state from /api/v1/alerts."""
        status, body = http_get(self.base + "/api/v1/alerts", 60)
        if status != 200:
            return f"error {status}"
        counts = {}
        for a in json.loads(body)["data"]["alerts"]:
            counts[a.get("state", "?")] = counts.get(a.get("state", "?"), 0) + 1
        return counts

METRICS = ["prometheus_rule_evaluations_total", "prometheus_rule_group_iterations_missed_total",
           "prometheus_rule_evaluation_failures_total", "prometheus_rule_group_iterations_total"]


# ---------------------------------------------------------------- data and rules


def counter_rate(n, code):
    base = (n % 10) + 1
    return {"200": base, "404": base * 0.1, "500": 0.01 * (n % 5)}[code]


def gauge_value(n, k):
    return round(50 + 40 * math.sin(k / 10.0 + n), 6)


def samples(instances, k0, k1):
    """Lines for grid steps k0 <= k < k1 (timestamp k * 15 s), time order."""
    lines = []
    for k in range(k0, k1):
        ts = k * STEP_MS
        for n in range(instances):
            for code in CODES:
                lines.append(f'bench_requests_total{{instance="i{n}",job="bench",code="{code}"}} '
                             f'{round(k * 15 * counter_rate(n, code), 6)} {ts}\n')
            lines.append(f'bench_gauge{{instance="i{n}",job="bench"}} {gauge_value(n, k)} {ts}\n')
    return lines


RECORDING = [
    "sum by (instance) (rate(bench_requests_total[5m]))",
    "sum by (code) (rate(bench_requests_total[5m]))",
    'sum by (instance) (rate(bench_requests_total{code="500"}[5m])) / sum by (instance) (rate(bench_requests_total[5m]))',
    "avg by (job) (bench_gauge)",
    "max_over_time(bench_gauge[5m])",
    "sum without (code) (increase(bench_requests_total[1m]))",
    "quantile(0.9, bench_gauge)",
    "topk(3, bench_gauge)",
    'sum by (instance, code) (rate(bench_requests_total{code=~"4..|5.."}[2m]))',
    "avg_over_time(bench_gauge[10m]) - bench_gauge",
]


def rule_file(groups, per_group):
    out = ["groups:\n"]
    for g in range(groups):
        out.append(f"  - name: bench_g{g}\n    interval: 15s\n    rules:\n")
        for r in range(per_group):
            i = g * per_group + r
            if r % 10 < 7:  # recording
                expr = RECORDING[(g + r) % len(RECORDING)]
                out.append(f"      - record: bench:rec_g{g}_r{r}\n        expr: '{expr}'\n")
                if r % 3 == 0:
                    out.append(f"        labels:\n          group: g{g}\n")
            elif r % 10 < 9:
                out.append(f"      - alert: BenchErrors_g{g}_r{r}\n"
                           f"        expr: 'sum by (instance) (rate(bench_requests_total{{code=\"500\"}}[5m])) > {0.01 * (i % 4)}'\n"
                           f"        for: 1m\n"
                           f"        labels:\n          severity: warning\n"
                           f"        annotations:\n"
                           f"          summary: 'Instance {{{{ $labels.instance }}}} has {{{{ $value | humanize }}}} errors/s'\n")
            else:
                out.append(f"      - alert: BenchGaugeHigh_g{g}_r{r}\n"
                           f"        expr: 'bench_gauge > {70 + i % 10}'\n"
                           f"        for: 30s\n"
                           f"        labels:\n          severity: critical\n"
                           f"        annotations:\n"
                           f"          description: '{{{{ $labels.instance }}}} of {{{{ $labels.job }}}} is at {{{{ $value | printf \"%.2f\" }}}}'\n")
    return "".join(out)


# ---------------------------------------------------------------- run


def push(args, servers, lines, path):
    with open(path, "w") as f:
        f.writelines(lines)
    procs = [(s, subprocess.Popen([args.push_tool, s.base + "/api/v1/write", path], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)) for s in servers]
    for s, p in procs:
        out, _ = p.communicate(timeout=120)
        if p.returncode != 0:
            raise Failure(f"push to {s.name} failed ({p.returncode}): {out.decode(errors='replace')[:500]}")


class LivePusher:
    """Pushes one new sample per series every 15 s grid step (call tick() often)."""

    def __init__(self, args, servers, next_k, path):
        self.args, self.servers, self.next_k, self.path = args, servers, next_k, path

    def tick(self):
        now_k = int(time.time() * 1000) // STEP_MS
        if now_k >= self.next_k:
            push(self.args, self.servers, samples(self.args.instances, self.next_k, now_k + 1), self.path)
            self.next_k = now_k + 1

    def sleep(self, seconds):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            self.tick()
            time.sleep(min(1.0, left))


def run(args, tmpdir):
    rules_path = os.path.join(tmpdir, "bench_rules.yml")
    with open(rules_path, "w") as f:
        f.write(rule_file(args.groups, args.rules_per_group))
    n_rules = args.groups * args.rules_per_group
    promtool = shutil.which(args.promtool)
    if promtool:
        r = subprocess.run([promtool, "check", "rules", rules_path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=120)
        log(f"promtool check rules: exit {r.returncode}: {r.stdout.strip().splitlines()[-1] if r.stdout else ''}")
        if r.returncode != 0:
            raise Failure(f"promtool check rules failed:\n{r.stdout[-2000:]}")
    else:
        log("promtool not found; rule file not checked")
    if args.keep_rules:
        shutil.copy(rules_path, args.keep_rules)

    cfg = os.path.join(tmpdir, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n"
                f"rule_files:\n  - {rules_path}\n")
    servers = []
    try:
        for name, binary in (("prometheus", args.prometheus), ("promethium", args.promethium)):
            port = free_port()
            argv = [binary, f"--config.file={cfg}", f"--web.listen-address=127.0.0.1:{port}",
                    f"--storage.tsdb.path={os.path.join(tmpdir, name + '_data')}",
                    "--web.enable-remote-write-receiver", "--log.level=warn"]
            servers.append(Server(name, argv, f"http://127.0.0.1:{port}", os.path.join(tmpdir, name + ".log")))
        for s in servers:
            s.wait_ready(60)
        log("both servers ready")

        now_k = int(time.time() * 1000) // STEP_MS
        first_k = now_k - args.history * 1000 // STEP_MS
        batch = os.path.join(tmpdir, "batch.txt")
        for k0 in range(first_k, now_k + 1, 40):
            push(args, servers, samples(args.instances, k0, min(k0 + 40, now_k + 1)), batch)
        log(f"pushed {(now_k + 1 - first_k) * args.instances * 4} samples "
            f"({args.instances * 4} series x {now_k + 1 - first_k} steps) to each")
        live = LivePusher(args, servers, now_k + 1, batch)

        # Wait until every group of both servers has evaluated at least once.
        end = time.monotonic() + 120
        while True:
            live.tick()
            done = []
            for s in servers:
                snap = s.snapshot()
                done.append(snap["prometheus_rule_evaluations_total"] >= n_rules
                            and snap["groups_with_evaluations"] >= args.groups)
            if all(done):
                break
            if time.monotonic() > end:
                raise Failure(f"groups did not all evaluate within 120 s: {done}")
            time.sleep(1)
        log(f"all groups evaluated on both; warm-up {args.warmup} s")
        live.sleep(args.warmup)

        before = {s.name: s.snapshot() for s in servers}
        la_before = os.getloadavg()
        log(f"measuring for {args.window} s")
        live.sleep(args.window)
        after = {s.name: s.snapshot() for s in servers}
        la_after = os.getloadavg()

        results = {}
        for s in servers:
            b, a = before[s.name], after[s.name]
            cpu = a["cpu_s"] - b["cpu_s"]
            evals = a["prometheus_rule_evaluations_total"] - b["prometheus_rule_evaluations_total"]
            results[s.name] = {
                "wall_s": a["t"] - b["t"],
                "cpu_s": cpu,
                "evaluations": evals,
                "group_iterations": a["prometheus_rule_group_iterations_total"]
                - b["prometheus_rule_group_iterations_total"],
                "us_per_evaluation": cpu * 1e6 / evals if evals else float("nan"),
                "missed_iterations_total": a["prometheus_rule_group_iterations_missed_total"],
                "missed_iterations_window": a["prometheus_rule_group_iterations_missed_total"]
                - b["prometheus_rule_group_iterations_missed_total"],
                "evaluation_failures_total": a["prometheus_rule_evaluation_failures_total"],
                "rss_kib_end": s.rss_kib(),
                "rules_api": s.rules_health(),
                "recorded_series": s.instant('count({__name__=~"bench:.+"})'),
                "alerts_firing": s.instant('count(ALERTS{alertstate="firing"})'),
                "alerts_pending": s.instant('count(ALERTS{alertstate="pending"})'),
                "api_alerts": s.alert_states(),
            }
        return results, {"load_average_before": la_before, "load_average_after": la_after, "rules": n_rules,
                         "series": args.instances * 4}
    finally:
        for s in servers:
            s.stop()


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--promethium", default=os.path.join(REPO, "build/server/promethium"))
    ap.add_argument("--prometheus", default="prometheus")
    ap.add_argument("--promtool", default="promtool")
    ap.add_argument("--push-tool", default=os.path.join(REPO, "build/web/remote_write_push"))
    ap.add_argument("--instances", type=int, default=50, help="4 series per instance")
    ap.add_argument("--history", type=int, default=1800, help="seconds of history pushed before the run")
    ap.add_argument("--groups", type=int, default=50)
    ap.add_argument("--rules-per-group", type=int, default=20)
    ap.add_argument("--warmup", type=float, default=30)
    ap.add_argument("--window", type=float, default=120)
    ap.add_argument("--keep-rules", default="", help="copy the generated rule file here")
    ap.add_argument("--json-out", default="")
    args = ap.parse_args()
    if not (1 <= args.window <= 3600 and 0 <= args.warmup <= 600 and args.history <= 86400):
        ap.error("window must be 1..3600 s, warmup 0..600 s, history <= 1 day")
    return args


def on_sigterm(signum, frame):
    raise Failure(f"terminated by signal {signum}")


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    for what, path in (("promethium", args.promethium), ("remote_write_push", args.push_tool)):
        if not os.path.exists(path):
            print(f"FAIL: {what} not found: {path}", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="rules_sbs_") as tmpdir:
        try:
            results, info = run(args, tmpdir)
        except (Failure, OSError, ValueError, subprocess.TimeoutExpired) as e:
            print(f"FAIL: {e}", file=sys.stderr)
            for name in ("prometheus", "promethium"):
                p = os.path.join(tmpdir, name + ".log")
                if os.path.exists(p):
                    with open(p, "rb") as f:
                        print(f"--- {name} log tail ---\n{f.read()[-2000:].decode(errors='replace')}", file=sys.stderr)
            return 1
    version = subprocess.run([args.prometheus, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=10).stdout.split("\n")[0]
    p, o = results["prometheus"], results["promethium"]
    ratio = o["us_per_evaluation"] / p["us_per_evaluation"]
    print(f"{info['rules']} rules in {args.groups} groups (interval 15s), {info['series']} series, "
          f"window {args.window:.0f} s after {args.warmup:.0f} s warm-up; {version}")
    print("| server | CPU s in window | rule evaluations | µs CPU / evaluation | group iterations | "
          "missed iterations (window / total) | evaluation failures | RSS at end (MiB) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ("prometheus", "promethium"):
        r = results[name]
        print(f"| {name} | {r['cpu_s']:.2f} | {r['evaluations']:.0f} | {r['us_per_evaluation']:.1f} | "
              f"{r['group_iterations']:.0f} | {r['missed_iterations_window']:.0f} / {r['missed_iterations_total']:.0f} | "
              f"{r['evaluation_failures_total']:.0f} | {r['rss_kib_end'] / 1024:.0f} |")
    print(f"\nratio Promethium/Prometheus (µs CPU per evaluation): {ratio:.3f}")
    for name in ("prometheus", "promethium"):
        r = results[name]
        print(f"{name}: /api/v1/rules {r['rules_api']['rules']} rules, health {r['rules_api']['health']}"
              + (f", e.g. {r['rules_api']['examples']}" if r['rules_api']['examples'] else "")
              + f"; recorded bench:* series {r['recorded_series']}, ALERTS firing {r['alerts_firing']}, "
              f"pending {r['alerts_pending']}; /api/v1/alerts {r['api_alerts']}")
    print(f"load average (1, 5, 15 min) before the window {info['load_average_before']}, "
          f"after {info['load_average_after']}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"info": info, "results": results, "ratio": ratio, "prometheus_version": version,
                       "args": vars(args)}, f, indent=1)
    return 0 if o["missed_iterations_total"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
