#!/usr/bin/env python3
"""Differential check of the engine against Prometheus 2.42: records what a
real Prometheus answers for a bounded set of random queries over a small
fixed dataset, as a PromQL test script (the format of tests/promqltest), so
CI checks the engine against those answers without running Prometheus.

  python3 tests/promqltest/record_differential.py \
      > tests/promqltest/differential_prometheus_2_42.test

needs `prometheus` and `promtool` (2.42) on PATH; it writes the dataset as
OpenMetrics, builds blocks with `promtool tsdb create-blocks-from
openmetrics`, starts Prometheus on them on a loopback port in a temporary
directory, asks each query once and stops it.

The queries come from a seeded generator (same seed, same queries): vector
selectors, offsets, range functions over selectors and subqueries,
aggregations, binary operators with and without matching, and instant
functions, nested at most MAX_DEPTH deep. Prometheus 2.42 predates two
3.x changes the engine follows (range windows and the lookback are
left-open), so every range, offset and evaluation time is chosen off the
sample grid: windows never start on a sample and the differential checks
semantics, not that changed boundary. Queries in KNOWN_DIFFERENCES are
written commented out, with the reason (docs/PROMQL.md lists them).
"""
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SEED = 42
QUERIES = 500
MAX_DEPTH = 3
MINUTES = 60  # samples at 0, 1m, ..., 60m

# Queries whose answer differs from Prometheus 2.42 on purpose, with why.
ATAN2_NAME = ("Prometheus 2.42 keeps __name__ through atan2; 3.x drops it like the other arithmetic "
              "operators, and the engine follows 3.x")
FILTERED_MATCH = ("Prometheus 2.42 skips pairs a comparison filters out before checking one-to-one matching; "
                  "3.x (operators.test) fails on the duplicate match anyway, and the engine follows 3.x")
KNOWN_DIFFERENCES = {
    'label_replace((dm_temp{job=~"a|b"}) atan2 0.5, "x", "$1-y", "job", "(.*)")': ATAN2_NAME,
    '(dm_requests_total{instance="1"}) atan2 scalar(dm_limit{job="a"})': ATAN2_NAME,
    'clamp(0.5 / ((dm_requests_total{job="a"}) < ignoring (instance) (dm_limit{job!="b"})), 10, 20)': FILTERED_MATCH,
    'bottomk(2, min_over_time((0.5 > bool (dm_requests_total{job=~"a|b"} offset 5m30s))[10m30s:1m]))':
        "four series tie at 0: which two bottomk keeps is unspecified (Prometheus: heap order)",
}


def dataset():
    """{(name, ((label, value), ...)): [61 values]}; values have two decimals
    at most, so their text is the same in every format."""
    rng = random.Random(SEED)
    data = {}
    for job, inst in [("a", "1"), ("a", "2"), ("b", "1"), ("b", "2")]:
        v, vals = rng.randint(0, 50), []
        for i in range(MINUTES + 1):
            v += rng.randint(0, 20)
            if job == "b" and inst == "2" and i == 30:
                v = rng.randint(0, 5)  # a counter reset
            vals.append(v)
        data[("dm_requests_total", (("instance", inst), ("job", job)))] = vals
        data[("dm_temp", (("instance", inst), ("job", job)))] = [
            round(rng.uniform(-20, 40), 2) for _ in range(MINUTES + 1)]
    for job in ["a", "b"]:
        data[("dm_limit", (("job", job),))] = [float(rng.choice([10, 20, 30])) for _ in range(MINUTES + 1)]
    return data


def fmt_value(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def labels_text(name, labels):
    inner = ",".join(f'{k}="{v}"' for k, v in labels)
    return f"{name}{{{inner}}}"


def openmetrics(data):
    lines = []
    for name in sorted({n for n, _ in data}):
        lines.append(f"# TYPE {name} gauge")
        for (n, labels), vals in sorted(data.items()):
            if n != name:
                continue
            for i, v in enumerate(vals):
                lines.append(f"{labels_text(n, labels)} {fmt_value(v)} {i * 60}")
    return "\n".join(lines) + "\n# EOF\n"


def load_block(data):
    lines = ["load 1m"]
    for (n, labels), vals in sorted(data.items()):
        lines.append(f"  {labels_text(n, labels)} {' '.join(fmt_value(v) for v in vals)}")
    return "\n".join(lines)


class Gen:
    """Random PromQL over the dataset; ranges and offsets end in 30s or 15s
    so no window boundary falls on the 1m sample grid."""

    RANGE_FNS = ["rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes", "avg_over_time",
                 "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "stddev_over_time",
                 "last_over_time", "present_over_time"]
    INSTANT_FNS = ["abs", "ceil", "floor", "exp", "sqrt", "ln", "sgn", "timestamp"]
    AGGS = ["sum", "avg", "min", "max", "count", "stddev", "stdvar", "group"]
    OPS = ["+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=", "atan2"]
    RANGES = ["90s", "150s", "270s", "5m30s", "10m30s"]

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def selector(self):
        r = self.rng
        name = r.choice(["dm_requests_total", "dm_temp", "dm_limit"])
        matchers = r.choice(["", '{job="a"}', '{instance="1"}', '{job=~"a|b"}', '{job!="b"}'])
        if name == "dm_limit" and "instance" in matchers:
            matchers = ""
        sel = name + matchers
        if r.random() < 0.15:
            sel += " offset " + r.choice(["90s", "5m30s"])
        return sel

    def scalar(self):
        return self.rng.choice(["2", "0.5", "10", "-3", "0", "scalar(dm_limit{job=\"a\"})"])

    def vector(self, depth):
        r = self.rng
        if depth >= MAX_DEPTH:
            return self.selector()
        kind = r.choice(["sel", "range", "subquery", "agg", "agg", "binscalar", "binvec", "fn", "topk", "clamp",
                         "label_replace", "quantile"])
        d = depth + 1
        if kind == "sel":
            return self.selector()
        if kind == "range":
            return f"{r.choice(self.RANGE_FNS)}({self.selector()}[{r.choice(self.RANGES)}])"
        if kind == "subquery":
            fn = r.choice(["max_over_time", "min_over_time", "avg_over_time", "sum_over_time", "count_over_time"])
            return f"{fn}(({self.vector(d)})[{r.choice(['5m30s', '10m30s'])}:1m])"
        if kind == "agg":
            agg = r.choice(self.AGGS)
            grouping = r.choice(["", " by (job)", " by (instance)", " without (instance)", " by (job, instance)"])
            return f"{agg}{grouping} ({self.vector(d)})"
        if kind == "binscalar":
            op = r.choice(self.OPS)
            mod = " bool" if op in ("==", "!=", ">", "<", ">=", "<=") and r.random() < 0.5 else ""
            if r.random() < 0.5:
                return f"({self.vector(d)}) {op}{mod} {self.scalar()}"
            return f"{self.scalar()} {op}{mod} ({self.vector(d)})"
        if kind == "binvec":
            op = r.choice(self.OPS + ["and", "or", "unless"])
            matching = r.choice(["", " on (job, instance)", " ignoring (instance)", " on (job) group_left",
                                 " ignoring (instance) group_left"])
            if op in ("and", "or", "unless") and "group" in matching:
                matching = " on (job)"
            return f"({self.vector(d)}) {op}{matching} ({self.vector(d)})"
        if kind == "fn":
            return f"{r.choice(self.INSTANT_FNS)}({self.vector(d)})"
        if kind == "topk":
            return f"{r.choice(['topk', 'bottomk'])}({r.choice([1, 2, 3])}, {self.vector(d)})"
        if kind == "clamp":
            return f"clamp({self.vector(d)}, {r.choice(['-5', '0', '10'])}, {r.choice(['20', '100'])})"
        if kind == "label_replace":
            return f'label_replace({self.vector(d)}, "x", "$1-y", "job", "(.*)")'
        return f"quantile({r.choice(['0', '0.25', '0.5', '0.9', '1'])}, {self.vector(d)})"

    def query(self):
        return self.vector(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ask(base, query, t):
    params = urllib.parse.urlencode({"query": query, "time": t})
    try:
        with urllib.request.urlopen(f"{base}/api/v1/query?{params}", timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.loads(e.read())


def expected_lines(data):
    kind, result = data["resultType"], data["result"]
    if kind == "scalar":
        return [f"  {result[1]}"]
    lines = []
    for s in result:
        metric = dict(s["metric"])
        name = metric.pop("__name__", "")
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()))
        lines.append(f"  {name}{{{inner}}} {s['value'][1]}")
    return lines


def record(base, out):
    gen, seen, written = Gen(SEED), set(), 0
    times_rng = random.Random(SEED + 1)
    while written < QUERIES:
        q = gen.query()
        if q in seen:
            continue
        seen.add(q)
        t = times_rng.randrange(11, MINUTES + 5) * 60 + 15  # off the sample grid
        doc = ask(base, q, t)
        written += 1
        prefix = "# " if q in KNOWN_DIFFERENCES else ""
        if q in KNOWN_DIFFERENCES:
            out.append(f"# Differs on purpose: {KNOWN_DIFFERENCES[q]}")
        if doc["status"] != "success":
            out.append(f"{prefix}eval_fail instant at {t}s {q}")
        elif doc["data"]["resultType"] not in ("vector", "scalar"):
            continue
        else:
            out.append(f"{prefix}eval instant at {t}s {q}")
            out.extend(prefix + line for line in expected_lines(doc["data"]))
        out.append("")


def main():
    data = dataset()
    with tempfile.TemporaryDirectory(prefix="record-differential-") as tmp:
        om = os.path.join(tmp, "data.om")
        with open(om, "w") as f:
            f.write(openmetrics(data))
        blocks = os.path.join(tmp, "data")
        subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "-q", om, blocks], check=True)
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1m\n")
        port = free_port()
        with open(os.path.join(tmp, "log"), "wb") as log:
            proc = subprocess.Popen(["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={blocks}",
                                     f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=100y"],
                                    stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if ask(base, "count(dm_temp)", 600)["data"]["result"]:
                        break
                except OSError:
                    pass
                time.sleep(0.2)
            version = subprocess.run(["prometheus", "--version"], capture_output=True, text=True).stdout
            out = ["# Differential check against Prometheus: answers recorded from the real",
                   f"# {version.splitlines()[0]}",
                   "# by tests/promqltest/record_differential.py; do not edit by hand.",
                   "", load_block(data), ""]
            record(base, out)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
