#!/usr/bin/env python3
"""PromQL range queries side by side: Promethium vs Prometheus on identical data.

Starts Prometheus (Debian's 2.42 `prometheus` on PATH by default) and
promethium on 127.0.0.1, each with an empty scrape config and its own temp
storage, pushes the same samples to both over remote write with
build/web/remote_write_push, then runs the range-query set of
bench/promql_bench.cc against /api/v1/query_range of both, alternating
servers, and reports the median latency per server and the ratio
ours/Prometheus, the peak RSS per query, and whether both returned the same
result.

Dataset (as bench/promql_bench.cc, at one size N chosen by --size): for
l = "0".."N-1" the series a{l}, b{l} and h_bucket{l, le} (9 bounds and +Inf),
one sample every 10 s for one day (8641 samples per series, 12*N series).
Sample i of a is i*(l+1), of b i*(l+1) + i%7, of bucket k i*(k+1). The last
timestamp is now rounded down to 10 s (minus 10 s), so both heads accept the
data; samples are pushed in time order (all series at one timestamp, then the
next), --batch timestamps per request.

Queries end --offset-ms (default 3003 ms) after the last sample: Prometheus
2.x range selectors are closed on the left, 3.x (and Promethium) left-open,
so no range boundary may fall on a sample for the results to be comparable.
With steps of 10 s (<= 1000 steps) or 8.64 s (10000 steps, a multiple of
80 ms) an odd offset keeps every boundary off the 10 s sample grid.

Timing: the wall time of one HTTP request, up to the last byte of the
response (so JSON rendering is included on both sides; parsing in Python is
not). Each case runs --reps times per server, servers alternating (the first
server alternates too); the median per server is reported. Peak RSS per case
is VmHWM from /proc/<pid>/status after the case, reset before it by writing
5 to /proc/<pid>/clear_refs (falls back to the process-lifetime peak if the
reset is refused, reported as such); the growth is that peak minus VmRSS at
the start of the case (memory kept from earlier cases counts in the peak,
not in the growth).

Result identity (first repetition of each case): both succeed (or both fail
with the same errorType), the same set of series (label sets), and for each
the same timestamps and values within 1e-9 relative, NaN == NaN. Series are
compared as sets; a different series order is printed as a note only.

Standard library only; every request has a timeout and every loop is
bounded in count and in time (--deadline). Exit status: 0 when every case
returned the same result on both, 1 otherwise (or on any failure).

  python3 bench/promql_side_by_side.py --promethium build/server/promethium \\
      --push-tool build/web/remote_write_push --size 100 --reps 7 \\
      --json-out /tmp/sbs.json
"""

import argparse
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INTERVAL_MS = 10_000
DAY_MS = 86_400_000
POINTS = DAY_MS // INTERVAL_MS + 1  # t = 0 .. day inclusive, as promql_bench.cc
BUCKET_BOUNDS = ["0.1", "0.2", "0.5", "1", "2", "5", "10", "20", "50", "+Inf"]
HEAD_COMPACTED_SPAN_MS = 3 * 3_600_000  # 1.5 x the default 2h block range
MAX_SAMPLES = 1_000_000_000  # both servers: the benchmark measures speed, not this limit

# (name, query): the set of bench/promql_bench.cc, in its order.
QUERIES = [
    ("rate", "rate(a[1m])"),
    ("sum_by", "sum by (l) (a)"),
    ("a_minus_b", "a - b"),
    ("topk", "topk(5, a)"),
    ("histogram_quantile", "histogram_quantile(0.9, rate(h_bucket[5m]))"),
    ("label_replace", 'label_replace(a, "l2", "$1", "l", "(.*)")'),
    ("count_all", 'count({__name__!=""})'),
    ("and", "a and b"),
    ("or", "a or b"),
    ("unless", "a unless b"),
    ("group_left", "h_bucket * on (l) group_left () a"),
]


class Failure(Exception):
    pass


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout):
    """Returns (status, body bytes) without raising on HTTP error statuses."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# ---------------------------------------------------------------- servers


class Server:
    """One child process (Prometheus or promethium) on 127.0.0.1."""

    def __init__(self, name, argv, base, log_path):
        self.name, self.base = name, base
        self.log_file = open(log_path, "wb")
        self.log_path = log_path
        self.proc = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.STDOUT)

    def wait_ready(self, deadline_s):
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise Failure(f"{self.name} exited early with {self.proc.returncode}; see {self.log_path}")
            try:
                if http_get(self.base + "/-/ready", 2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise Failure(f"{self.name} did not become ready in {deadline_s}s")

    def status_kb(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise Failure(f"no {field} for {self.name}")

    def reset_peak_rss(self):
        """Resets VmHWM to the current RSS; False if the kernel refuses."""
        try:
            with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def metrics(self, names):
        """The values of the given unlabelled metrics from /metrics."""
        status, body = http_get(self.base + "/metrics", 10)
        if status != 200:
            raise Failure(f"{self.name} /metrics answered {status}")
        out = {}
        for line in body.decode("utf-8", "replace").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] in names:
                out[parts[0]] = float(parts[1])
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log_file.close()


def start_servers(args, tmpdir):
    cfg = os.path.join(tmpdir, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 15s\n")  # no scrape jobs: only pushed data
    common = [f"--config.file={cfg}", "--web.enable-remote-write-receiver",
              f"--query.max-samples={MAX_SAMPLES}", "--log.level=warn"]
    servers = []
    for name, binary in (("prometheus", args.prometheus), ("promethium", args.promethium)):
        port = free_port()
        argv = [binary, f"--web.listen-address=127.0.0.1:{port}",
                f"--storage.tsdb.path={os.path.join(tmpdir, name + '_data')}"] + common
        servers.append(Server(name, argv, f"http://127.0.0.1:{port}", os.path.join(tmpdir, name + ".log")))
    for s in servers:
        s.wait_ready(60)
    return servers  # [prometheus, promethium]


# ---------------------------------------------------------------- data


def series_list(n):
    """(selector, kind, l, bucket) for the 12*n series of promql_bench.cc."""
    out = []
    for l in range(n):
        out.append((f'a{{l="{l}"}}', "a", l, -1))
        out.append((f'b{{l="{l}"}}', "b", l, -1))
        for k, le in enumerate(BUCKET_BOUNDS):
            out.append((f'h_bucket{{l="{l}",le="{le}"}}', "h", l, k))
    return out


def value_at(kind, l, bucket, i):
    if kind == "h":
        return i * (bucket + 1)
    return i * (l + 1) + (i % 7 if kind == "b" else 0)


def push_all(args, servers, first_ms, tmpdir):
    """Pushes every sample to both servers, oldest timestamps first."""
    series = series_list(args.size)
    path = os.path.join(tmpdir, "batch.txt")
    end = time.monotonic() + args.push_deadline
    batches = 0
    for i0 in range(0, POINTS, args.batch):
        if time.monotonic() > end:
            raise Failure(f"pushing took longer than {args.push_deadline}s")
        lines = []
        for i in range(i0, min(i0 + args.batch, POINTS)):
            ts = first_ms + i * INTERVAL_MS
            lines.extend(f"{sel} {value_at(kind, l, b, i)} {ts}\n" for sel, kind, l, b in series)
        with open(path, "w") as f:
            f.writelines(lines)
        procs = [(s, subprocess.Popen([args.push_tool, s.base + "/api/v1/write", path], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT)) for s in servers]
        for s, p in procs:
            out, _ = p.communicate(timeout=120)
            if p.returncode != 0:
                raise Failure(f"push to {s.name} failed ({p.returncode}): {out.decode(errors='replace')[:500]}")
        batches += 1
        if batches % 50 == 0:
            log(f"pushed {min(i0 + args.batch, POINTS)}/{POINTS} timestamps")
    return len(series) * POINTS


def instant_value(server, query, t_s, timeout=120):
    url = server.base + "/api/v1/query?" + urllib.parse.urlencode({"query": query, "time": f"{t_s:.3f}"})
    status, body = http_get(url, timeout)
    doc = json.loads(body)
    if status != 200 or doc.get("status") != "success":
        raise Failure(f"{server.name}: {query}: {status} {body[:300]!r}")
    res = doc["data"]["result"]
    return float(res[0]["value"][1]) if res else 0.0


def wait_loaded(servers, expected, last_ms, deadline_s):
    """Waits until both hold `expected` samples, have compacted their heads
    into blocks (ours checks every 60 s) and their TSDB metrics are steady."""
    # Per metric: count_over_time drops the name, so one selector over all
    # three would collide (a{l} and b{l}).
    q = " + ".join(f"sum(count_over_time({m}[1d1m]))" for m in ("a", "b", "h_bucket"))
    names = {"prometheus_tsdb_head_min_time", "prometheus_tsdb_head_max_time", "prometheus_tsdb_blocks_loaded",
             "prometheus_tsdb_compactions_total", "prometheus_tsdb_head_samples_appended_total"}
    end = time.monotonic() + deadline_s
    counts, prev, stable = {}, None, 0
    while time.monotonic() < end:
        counts = {s.name: instant_value(s, q, last_ms / 1000 + 1) for s in servers}
        snap = {s.name: s.metrics(names) for s in servers}
        stable = stable + 1 if snap == prev else 0
        prev = snap
        # Both heads compacted down (no more than 1.5 block ranges left, as
        # Prometheus's compactable rule): no compaction runs during queries.
        compacted = all(m.get("prometheus_tsdb_head_max_time", 0) - m.get("prometheus_tsdb_head_min_time", 0)
                        <= HEAD_COMPACTED_SPAN_MS for m in snap.values())
        if all(c == expected for c in counts.values()) and compacted and stable >= 3:
            log(f"loaded: {counts}; tsdb quiet: {snap}")
            return counts, snap
        time.sleep(2)
    raise Failure(f"servers did not settle with {expected} samples in {deadline_s}s: {counts}")


# ---------------------------------------------------------------- queries


def range_url(server, query, start_ms, end_ms, step_ms):
    params = {"query": query, "start": f"{start_ms / 1000:.3f}", "end": f"{end_ms / 1000:.3f}",
              "step": f"{step_ms / 1000:.3f}"}
    return server.base + "/api/v1/query_range?" + urllib.parse.urlencode(params)


def timed_query(server, url, timeout):
    t0 = time.perf_counter()
    status, body = http_get(url, timeout)
    return time.perf_counter() - t0, status, body


def parse_float(s):
    return float(s)  # Python accepts "NaN", "+Inf", "-Inf"


def same_value(x, y):
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if x == y:
        return True
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y))


def compare(prom_status, prom_body, ours_status, ours_body, max_diffs=5):
    """Returns (differences, notes) between the two answers."""
    p, o = json.loads(prom_body), json.loads(ours_body)
    if p.get("status") != "success" or o.get("status") != "success":
        if p.get("status") == o.get("status") and p.get("errorType") == o.get("errorType"):
            return [], [f"both failed: {p.get('errorType')}: prometheus {p.get('error')!r}, ours {o.get('error')!r}"]
        return [f"status: prometheus {prom_status} {p.get('errorType')} {p.get('error')!r}; "
                f"ours {ours_status} {o.get('errorType')} {o.get('error')!r}"], []
    pd, od = p["data"], o["data"]
    if pd["resultType"] != od["resultType"]:
        return [f"resultType: prometheus {pd['resultType']}, ours {od['resultType']}"], []

    def key(series):
        return tuple(sorted(series["metric"].items()))

    pm = {key(s): s for s in pd["result"]}
    om = {key(s): s for s in od["result"]}
    diffs, notes = [], []
    if len(pm) != len(pd["result"]) or len(om) != len(od["result"]):
        diffs.append(f"duplicate label sets: prometheus {len(pd['result'])}/{len(pm)}, "
                     f"ours {len(od['result'])}/{len(om)}")
    for k in sorted(set(pm) - set(om))[:max_diffs]:
        diffs.append(f"series only in prometheus: {dict(k)}")
    for k in sorted(set(om) - set(pm))[:max_diffs]:
        diffs.append(f"series only in ours: {dict(k)}")
    for k in sorted(set(pm) & set(om)):
        if len(diffs) >= max_diffs:
            diffs.append("... (more differences not shown)")
            break
        pv, ov = pm[k].get("values", []), om[k].get("values", [])
        pt = {float(t): v for t, v in pv}
        ot = {float(t): v for t, v in ov}
        if set(pt) != set(ot):
            only_p, only_o = sorted(set(pt) - set(ot)), sorted(set(ot) - set(pt))
            diffs.append(f"{dict(k)}: timestamps differ ({len(pv)} vs {len(ov)} points; only prometheus "
                         f"{only_p[:3]}, only ours {only_o[:3]})")
            continue
        for t in sorted(pt):
            if not same_value(parse_float(pt[t]), parse_float(ot[t])):
                diffs.append(f"{dict(k)} @{t}: prometheus {pt[t]}, ours {ot[t]}")
                break
    if not diffs and [key(s) for s in pd["result"]] != [key(s) for s in od["result"]]:
        notes.append("same series, different order")
    if not pm:
        notes.append("empty result on both")
    return diffs, notes


def run_case(args, servers, name, query, steps, last_ms):
    step = min(INTERVAL_MS, DAY_MS // steps)
    end = last_ms + args.offset_ms
    start = end - (steps - 1) * step
    urls = {s.name: range_url(s, query, start, end, step) for s in servers}
    reset = {s.name: s.reset_peak_rss() for s in servers}
    rss_start = {s.name: s.status_kb("VmRSS") for s in servers}
    times = {s.name: [] for s in servers}
    first = {}
    for rep in range(args.reps):
        order = servers if rep % 2 == 0 else list(reversed(servers))
        for s in order:
            secs, status, body = timed_query(s, urls[s.name], args.query_timeout)
            times[s.name].append(secs)
            if rep == 0:
                first[s.name] = (status, body)
            elif status != first[s.name][0]:
                raise Failure(f"{s.name}: {query} at {steps} steps: status {status} after {first[s.name][0]}")
    hwm = {s.name: s.status_kb("VmHWM") for s in servers}
    diffs, notes = compare(*first["prometheus"], *first["promethium"])
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    return {
        "name": name, "query": query, "steps": steps, "step_ms": step, "start_ms": start, "end_ms": end,
        "ours_ms": med["promethium"], "prometheus_ms": med["prometheus"],
        "ratio": med["promethium"] / med["prometheus"] if med["prometheus"] > 0 else float("inf"),
        "ours_times_ms": [t * 1000 for t in times["promethium"]],
        "prometheus_times_ms": [t * 1000 for t in times["prometheus"]],
        "ours_peak_rss_kb": hwm["promethium"], "prometheus_peak_rss_kb": hwm["prometheus"],
        "ours_rss_start_kb": rss_start["promethium"], "prometheus_rss_start_kb": rss_start["prometheus"],
        "peak_rss_reset": reset, "same": not diffs, "differences": diffs, "notes": notes,
        "response_bytes": {k: len(v[1]) for k, v in first.items()},
    }


# ---------------------------------------------------------------- report


def mib(r, who):
    """Peak RSS of one case in MiB, with its growth over the RSS at the start of the case."""
    peak, start = r[f"{who}_peak_rss_kb"], r[f"{who}_rss_start_kb"]
    return f"{peak / 1024:.0f} (+{max(0, peak - start) / 1024:.0f})"


def markdown(results, summary):
    out = ["| query | steps | ours ms | Prometheus ms | ratio | ours peak RSS MiB (growth) "
           "| Prometheus peak RSS MiB (growth) | same result? |",
           "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        same = "yes" if r["same"] else "**no**"
        out.append(f"| `{r['query']}` | {r['steps']} | {r['ours_ms']:.2f} | {r['prometheus_ms']:.2f} | "
                   f"{r['ratio']:.2f} | {mib(r, 'ours')} | {mib(r, 'prometheus')} | {same} |")
    out.append("")
    out.append(f"Median ratio (ours/Prometheus) over {summary['cases']} cases: **{summary['median_ratio']:.3f}** "
               f"(geometric mean {summary['geomean_ratio']:.3f}); by steps: "
               + ", ".join(f"{k}: {v:.3f}" for k, v in summary["median_ratio_by_steps"].items()) + ".")
    out.append(f"Cases with a different result: {summary['different']} of {summary['cases']}.")
    return "\n".join(out)


def summarize(results):
    ratios = [r["ratio"] for r in results]
    by_steps = {}
    for r in results:
        by_steps.setdefault(str(r["steps"]), []).append(r["ratio"])
    return {
        "cases": len(results),
        "median_ratio": statistics.median(ratios) if ratios else float("nan"),
        "geomean_ratio": math.exp(statistics.fmean(math.log(x) for x in ratios)) if ratios else float("nan"),
        "median_ratio_by_steps": {k: statistics.median(v) for k, v in by_steps.items()},
        "different": sum(1 for r in results if not r["same"]),
    }


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--promethium", default=os.path.join(REPO, "build/server/promethium"))
    ap.add_argument("--prometheus", default="prometheus")
    ap.add_argument("--push-tool", default=os.path.join(REPO, "build/web/remote_write_push"))
    ap.add_argument("--size", type=int, default=100, choices=[1, 10, 100, 1000],
                    help="label values per metric (12*size series)")
    ap.add_argument("--reps", type=int, default=7, help="repetitions per server and case")
    ap.add_argument("--full", action="store_true", help="also 10000 steps")
    ap.add_argument("--queries", default="", help="comma-separated query names (default: all)")
    ap.add_argument("--batch", type=int, default=30, help="timestamps per remote write request")
    ap.add_argument("--offset-ms", type=int, default=3003, help="query end after the last sample (keep odd)")
    ap.add_argument("--query-timeout", type=float, default=300)
    ap.add_argument("--push-deadline", type=float, default=1800)
    ap.add_argument("--deadline", type=float, default=3600, help="seconds for the whole query set")
    ap.add_argument("--json-out", default="")
    ap.add_argument("--markdown-out", default="")
    args = ap.parse_args()
    if args.reps < 1 or args.reps > 100 or args.batch < 1:
        ap.error("--reps must be 1..100 and --batch >= 1")
    return args


def run(args, tmpdir):
    servers = start_servers(args, tmpdir)
    try:
        last_ms = (int(time.time()) // 10 * 10 - 10) * 1000
        first_ms = last_ms - DAY_MS
        t0 = time.monotonic()
        expected = push_all(args, servers, first_ms, tmpdir)
        log(f"pushed {expected} samples to each server in {time.monotonic() - t0:.0f}s")
        _, tsdb = wait_loaded(servers, expected, last_ms, 600)
        idle_rss = {s.name: s.status_kb("VmRSS") for s in servers}
        peak_before = {s.name: s.status_kb("VmHWM") for s in servers}
        load_before = os.getloadavg()
        names = [n.strip() for n in args.queries.split(",") if n.strip()]
        steps_set = [1, 100, 1000] + ([10000] if args.full else [])
        results, end = [], time.monotonic() + args.deadline
        for name, query in QUERIES:
            if names and name not in names:
                continue
            for steps in steps_set:
                if time.monotonic() > end:
                    raise Failure(f"query set took longer than --deadline {args.deadline}s")
                r = run_case(args, servers, name, query, steps, last_ms)
                log(f"{name} {steps}: ours {r['ours_ms']:.2f} ms, prometheus {r['prometheus_ms']:.2f} ms, "
                    f"ratio {r['ratio']:.2f}, same={r['same']} {r['notes']}")
                for d in r["differences"]:
                    print(f"DIFF {name} steps={steps} `{query}`: {d}", flush=True)
                results.append(r)
        after_rss = {s.name: s.status_kb("VmRSS") for s in servers}
        return results, {"load_average_before_queries": load_before, "load_average_after_queries": os.getloadavg(),
                         "tsdb_after_load": tsdb, "last_sample_ms": last_ms, "samples_per_server": expected,
                         "rss_kb_after_load": idle_rss,
                         "peak_rss_kb_after_load": peak_before, "rss_kb_after_queries": after_rss}
    finally:
        for s in servers:
            s.stop()


def on_sigterm(signum, frame):
    raise Failure(f"terminated by signal {signum}")  # unwinds: servers stopped, temp dir removed


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    for what, path in (("promethium", args.promethium), ("remote_write_push", args.push_tool)):
        if not os.path.exists(path):
            print(f"FAIL: {what} not found: {path}", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="promql_sbs_") as tmpdir:
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
    summary = summarize(results)
    md = markdown(results, summary)
    print(md)
    print(f"\nload average (1, 5, 15 min) before the queries {info['load_average_before_queries']}, after "
          f"{info['load_average_after_queries']}")
    print(f"memory (KiB): {json.dumps({k: v for k, v in info.items() if 'rss' in k})}")
    version = subprocess.run([args.prometheus, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=10).stdout.split("\n")[0]
    meta = {"size": args.size, "series": 12 * args.size, "reps": args.reps, "offset_ms": args.offset_ms,
            "load_average_at_end": os.getloadavg(), "prometheus_version": version}
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"meta": meta, "info": info, "summary": summary, "results": results}, f, indent=1)
    if args.markdown_out:
        with open(args.markdown_out, "w") as f:
            f.write(md + "\n")
    return 0 if summary["different"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
