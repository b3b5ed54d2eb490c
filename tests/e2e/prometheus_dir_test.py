#!/usr/bin/env python3
"""Promethium on a Prometheus data directory, against the real Prometheus 2.42.

One script, four cases (--case):

  switch             Prometheus 2.42 (1h blocks) receives ~5 h of remote-write
                     samples in time order and cuts blocks as it goes, then
                     out-of-order samples (kept in its wbl/); a fixed
                     query set is answered by it, it is stopped, and promethium
                     is started on the SAME directory: the answers must be the
                     same, Prometheus's blocks untouched (bytes), its WAL taken
                     over (log) and its wbl/, chunks_head files gone. Then
                     promethium cuts blocks of its own, is restarted, and the
                     answers must still be the same.
  backfill           blocks made by `promtool tsdb create-blocks-from
                     openmetrics` are copied into a running promethium's data
                     directory (one via a temporary name and a rename, one by
                     a plain copy): the next reload serves them (the series
                     shared with remote-written samples shows the union), then
                     compaction merges the overlapping blocks and the answers
                     stay the same.
  prometheus-format  --storage.tsdb.block-format=prometheus: every block
                     passes `promtool tsdb analyze --extended`, `promtool tsdb
                     dump` of the blocks equals our query API (and the pushed
                     samples); an admin snapshot is imported by vmctl into a
                     VictoriaMetrics started here (same series and samples;
                     VictoriaMetrics drops non-stale NaNs; vmctl 1.79's bugs
                     are worked around in run_vmctl) and served by
                     Prometheus 2.42 (same answers).
  damage             Prometheus 2.42 scrapes itself with 10s blocks; promethium
                     starts on the directory, serves Prometheus's samples and
                     changes no byte of its blocks, quarantines nothing. A copy
                     with one block index damaged and a segment of random bytes
                     after the last WAL segment is refused (non-zero exit, the
                     file named) and left byte-identical. A copy with only the
                     damaged index: refused (then every file byte-identical,
                     the WAL too) or served (no crash); either way its blocks
                     stay byte-identical and nothing is quarantined.

Comparison rules (why answers are normalised, see compare_answers):
  - Only `status` and `data` are compared.
  - Vector and matrix results, and /api/v1/series lists, are sorted by their
    label sets: Prometheus does not define the order of instant vector and
    series results (label names/values lists are sorted by both and are
    compared as they come).
  - Raw data (selectors, range vectors, series, labels) must be equal
    exactly. Computed values (rate, sum, ...) of promethium are compared
    with Prometheus 2.42's within 1e-9 relative, as in golden_test.py: we
    follow Prometheus 3.x, whose arithmetic differs from 2.42's in places
    (e.g. compensated summation in sum/avg) in the last bits. Promethium's
    answers before and after a restart are compared exactly.
  - Prometheus 2.42 range selectors and the lookback are closed at the
    left, 3.x's (ours) left-open: samples sit at 3 s past the 30 s grid and
    evaluation times at 7 s past it, so no boundary ever falls on a sample.
  - Counters start (and reset) far from zero: rate()'s "extrapolate no
    further than the counter's zero" limit is applied before the
    extrapolation threshold in 2.42 and after it since Prometheus 2.53/3.x
    (which we follow), so a window whose first sample is small compared to
    the increase legitimately differs. Far from zero, both give the same.
  - Series and label requests ask for all time or the whole data range:
    with a narrower range Prometheus answers at block/chunk granularity, so
    the answer would depend on how blocks are cut, which differs by design.

Standard library only; every network call goes to 127.0.0.1 with a timeout,
every wait is bounded, and every process started is stopped in `finally`.
"""

import argparse
import json
import math
import os
import pty
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from e2e_common import (Procs, TestFailure, block_dirs, check, digest_changes, file_digests, floats_close, free_port,
                        json_diff, wait_ready, wait_until)

STEP_S = 30            # push step; samples at 3 s past the 30 s grid
EVAL_OFFSET_S = 4      # evaluation times at sample + 4 s = 7 s past the grid
HTTP_TIMEOUT = 30      # big range answers take a moment
REL_TOLERANCE = 1e-9
PROMETHEUS_HEAD_CHUNK_MAGIC = bytes.fromhex("0130BC91")
VMCTL_CONCURRENCY = 2


# ---------------------------------------------------------------- processes

def log_text(proc):
    with open(proc.log_path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def empty_config(tmpdir, name="empty.yml"):
    return write_file(os.path.join(tmpdir, name), "global:\n  scrape_interval: 15s\n")


def self_scrape_config(tmpdir, name, job, port, interval="5s"):
    return write_file(os.path.join(tmpdir, name),
                      f"global:\n  scrape_interval: {interval}\n  evaluation_interval: {interval}\n"
                      f"scrape_configs:\n  - job_name: {job}\n    static_configs:\n"
                      f"      - targets: ['127.0.0.1:{port}']\n")


def start_promethium(args, procs, name, data_dir, port, config, *extra):
    proc = procs.start(name, [args.promethium, f"--config.file={config}", f"--storage.tsdb.path={data_dir}",
                              f"--web.listen-address=127.0.0.1:{port}", *extra])
    wait_ready(name, f"http://127.0.0.1:{port}", proc, deadline_s=60)
    return proc


def start_prometheus(args, procs, name, data_dir, port, config, *extra):
    proc = procs.start(name, [args.prometheus, f"--config.file={config}", f"--storage.tsdb.path={data_dir}",
                              f"--web.listen-address=127.0.0.1:{port}", *extra])
    wait_ready(name, f"http://127.0.0.1:{port}", proc, deadline_s=60)
    return proc


def run_tool(cmd, timeout=120):
    print(f"running: {' '.join(cmd)}", flush=True)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


# --------------------------------------------------------------------- HTTP

def request(url, data=None):
    """(HTTP status, parsed JSON or text) without raising on error statuses."""
    try:
        with urllib.request.urlopen(url, data=data, timeout=HTTP_TIMEOUT) as resp:
            code, body = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        code, body = e.code, e.read()
    text = body.decode("utf-8", "replace")
    try:
        return code, json.loads(text)
    except ValueError:
        return code, text


def get_json(base, path, params=None):
    url = base + path + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
    code, doc = request(url)
    if code != 200 or not isinstance(doc, dict) or doc.get("status") != "success":
        raise ValueError(f"GET {url}: HTTP {code}: {str(doc)[:300]}")
    return doc["data"]


def label_key(labels):
    return tuple(sorted(labels.items()))


def range_vector(base, selector, eval_ms, window_ms):
    """The raw samples of `selector` in (eval-window, eval] (ms): {labels key:
    [(ts ms, value text)]} from an instant query of a range selector."""
    data = get_json(base, "/api/v1/query", {"query": f"{selector}[{window_ms}ms]", "time": f"{eval_ms / 1000:.3f}"})
    if data["resultType"] != "matrix":
        raise ValueError(f"{selector}[...]: a {data['resultType']}, want a matrix")
    return {label_key(s["metric"]): [(round(float(t) * 1000), v) for t, v in s["values"]] for s in data["result"]}


# ------------------------------------------------------------- the samples

def fmt_value(v):
    return "NaN" if math.isnan(v) else repr(float(v))


def json_value(v):
    """How the HTTP API spells a float (Go's strconv 'f', -1)."""
    if math.isnan(v):
        return "NaN"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def build_dataset(prefix, first_s, last_s, with_nan=True):
    """{labels key: [(ts ms, float)]}: ~22 series of counters (one with a
    reset) and gauges (one NaN), one series that ends early, one that starts
    late. Samples every STEP_S seconds from first_s to last_s. Counters stay
    far from zero (see the module comment on rate())."""
    n = (last_s - first_s) // STEP_S + 1
    series = {}
    counters = {}

    def add(name, labels, i, v):
        key = label_key(dict(labels, __name__=prefix + name))
        series.setdefault(key, []).append(((first_s + i * STEP_S) * 1000, v))

    for i in range(n):
        for k, (inst, method) in enumerate((("a", "get"), ("a", "post"), ("b", "get"), ("b", "post"))):
            c = counters.get(("req", k), 1000.0 * (k + 1)) + (i * 7 + k) % 5 + 1
            if k == 3 and i == n // 2:
                c = 100.0  # a counter reset (not to zero: see the module comment)
            counters[("req", k)] = c
            add("requests_total", {"job": "api", "instance": inst, "method": method}, i, c)
        for k, inst in enumerate("ab"):
            c = counters.get(("err", k), 50.0) + (1 if (i + k) % 4 == 0 else 0)
            counters[("err", k)] = c
            add("errors_total", {"job": "api", "instance": inst}, i, c)
        for k, (job, inst) in enumerate((("api", "a"), ("api", "b"), ("api", "c"), ("db", "a"), ("db", "b"),
                                         ("db", "c"))):
            v = round(1000 + 200 * math.sin(i / 17 + k), 3)
            if with_nan and job == "db" and inst == "c" and i == n // 3:
                v = float("nan")
            add("memory_bytes", {"job": job, "instance": inst}, i, v)
        for k in range(4):
            add("temperature_celsius", {"room": f"r{k + 1}"}, i, round(20 + 5 * math.cos(i / 40 + k), 2))
            add("queue_length", {"queue": f"q{k + 1}"}, i, float((i * (k + 1)) % 13))
        if i < 60:
            add("old_metric", {"kind": "early"}, i, float(i))
        if i >= n - 40:
            add("new_metric", {"kind": "late"}, i, i * 0.5)
    return series


def selector_of(key):
    labels = dict(key)
    name = labels.pop("__name__")
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def push_lines(push_tool, base, lines, path):
    write_file(path, "\n".join(lines) + "\n")
    res = run_tool([push_tool, base + "/api/v1/write", path], timeout=60)
    if res.returncode != 0:
        raise TestFailure(f"remote_write_push to {base} failed ({res.returncode}): {res.stdout.strip()} "
                          f"{res.stderr.strip()}")


def push_dataset(push_tool, base, series, batch_s, tmpdir):
    """Pushes in time order, batch_s seconds of samples per request, so a
    server's head (appendable window: half a block range below its newest
    sample) accepts every batch and can cut blocks between batches."""
    by_time = {}
    for key, samples in series.items():
        sel = selector_of(key)
        for ts, v in samples:
            by_time.setdefault(ts, []).append(f"{sel} {fmt_value(v)} {ts}")
    times = sorted(by_time)
    batches, current, batch_start = [], [], None
    for ts in times:
        if batch_start is None or ts - batch_start >= batch_s * 1000:
            if current:
                batches.append(current)
            current, batch_start = [], ts
        current.extend(by_time[ts])
    if current:
        batches.append(current)
    path = os.path.join(tmpdir, "push.txt")
    for batch in batches:
        push_lines(push_tool, base, batch, path)
    total = sum(len(s) for s in series.values())
    print(f"pushed {total} samples of {len(series)} series in {len(batches)} requests to {base}", flush=True)


def expected_matrix(series, lo_ms, hi_ms):
    """The raw samples in [lo_ms, hi_ms] as range_vector() returns them."""
    out = {}
    for key, samples in series.items():
        pts = [(ts, json_value(v)) for ts, v in samples if lo_ms <= ts <= hi_ms]
        if pts:
            out[key] = pts
    return out


def matrix_diff(want, got, limit=8):
    lines = []
    for key in sorted(set(want) | set(got)):
        w, g = want.get(key), got.get(key)
        if w == g:
            continue
        if w is None:
            lines.append(f"unexpected series {dict(key)}: {g[:3]}...")
        elif g is None:
            lines.append(f"missing series {dict(key)} ({len(w)} samples)")
        else:
            ws, gs = set(w), set(g)
            lines.append(f"{dict(key)}: {len(g)} samples, want {len(w)}; missing {sorted(ws - gs)[:4]} "
                         f"unexpected {sorted(gs - ws)[:4]}")
        if len(lines) >= limit:
            lines.append("...")
            break
    return lines


# ---------------------------------------------------------- the query set

def query_set(prefix, first_s, last_s):
    """The fixed requests: [(label, path, params, exact)]. exact=False marks
    computed values (compared within REL_TOLERANCE against Prometheus)."""
    p = prefix
    all_sel = f'{{__name__=~"{p}.*"}}'
    start = first_s + EVAL_OFFSET_S
    end = last_s + EVAL_OFFSET_S + 270  # past the last sample, inside the lookback
    out = []
    # Every raw sample, as a range vector at the end.
    window = (end - first_s + 600) * 1000
    out.append(("all raw samples", "/api/v1/query", {"query": f"{all_sel}[{window}ms]", "time": str(end)}, True))
    # Each raw series over the whole range at the push step.
    for key in sorted(build_dataset(prefix, first_s, last_s).keys()):
        sel = selector_of(key)
        out.append((f"query_range {sel}", "/api/v1/query_range",
                    {"query": sel, "start": str(start), "end": str(end), "step": str(STEP_S)}, True))
    computed = [
        f"rate({p}requests_total[5m])",
        f"rate({p}errors_total[5m])",
        f"sum by (job) ({p}memory_bytes)",
        f"sum by (instance) (rate({p}requests_total[5m]))",
        f"count({all_sel})",
        f"max_over_time({p}temperature_celsius[10m])",
        f"avg({p}queue_length)",
        f"increase({p}errors_total[1h])",
    ]
    for expr in computed:
        out.append((f"query_range {expr}", "/api/v1/query_range",
                    {"query": expr, "start": str(start), "end": str(end), "step": str(STEP_S)}, False))
    out.append(("query_range all series step 5m", "/api/v1/query_range",
                {"query": all_sel, "start": str(start), "end": str(end), "step": "300"}, True))
    # Instant queries at several times: 10 minutes in, every hour boundary
    # (Prometheus's block boundaries) + 7 s, the middle, the end, after it.
    times = {start + 600, (start + end) // 2 // STEP_S * STEP_S + (start % STEP_S), last_s + EVAL_OFFSET_S, end}
    hour = (first_s // 3600 + 1) * 3600
    while hour < last_s:
        times.add(hour + 7)
        hour += 3600
    for t in sorted(times):
        assert (t - first_s) % STEP_S == EVAL_OFFSET_S, "evaluation times must avoid the samples"
        for expr, exact in ((all_sel, True), (f"{p}requests_total[10m]", True), (f"{p}memory_bytes[3m]", True)):
            out.append((f"query {expr} @{t}", "/api/v1/query", {"query": expr, "time": str(t)}, exact))
        for expr in computed:
            out.append((f"query {expr} @{t}", "/api/v1/query", {"query": expr, "time": str(t)}, False))
    full = {"start": str(first_s - 60), "end": str(end + 60)}
    out += [
        ("series all", "/api/v1/series", {"match[]": all_sel}, True),
        ("series whole range", "/api/v1/series", dict(full, **{"match[]": all_sel}), True),
        ("series db memory", "/api/v1/series", {"match[]": f'{p}memory_bytes{{job="db"}}'}, True),
        ("series two matchers", "/api/v1/series", {"match[]": [f"{p}old_metric", f"{p}new_metric"]}, True),
        ("labels", "/api/v1/labels", {"match[]": all_sel}, True),
        ("labels whole range", "/api/v1/labels", dict(full, **{"match[]": all_sel}), True),
        ("label values __name__", f"/api/v1/label/__name__/values", {"match[]": all_sel}, True),
        ("label values instance", "/api/v1/label/instance/values", {"match[]": all_sel}, True),
        ("label values job (memory)", "/api/v1/label/job/values", dict(full, **{"match[]": f"{p}memory_bytes"}),
         True),
    ]
    return out


def normalize(path, data):
    if isinstance(data, dict) and data.get("resultType") in ("vector", "matrix"):
        return dict(data, result=sorted(data["result"], key=lambda r: json.dumps(r.get("metric"), sort_keys=True)))
    if path == "/api/v1/series" and isinstance(data, list):
        return sorted(data, key=lambda m: json.dumps(m, sort_keys=True))
    return data


def collect(base, queries):
    """{label: (HTTP status, status, normalised data)} for the query set."""
    out = {}
    for label, path, params, _ in queries:
        code, doc = request(base + path + "?" + urllib.parse.urlencode(params, doseq=True))
        if isinstance(doc, dict):
            out[label] = (code, doc.get("status"), normalize(path, doc.get("data")), doc.get("error"))
        else:
            out[label] = (code, None, doc, None)
    return out


def compare_answers(what, queries, want, got, exact_everywhere=False):
    """Fails listing every differing request, with both answers truncated."""
    failures, nonempty = [], 0
    for label, path, params, exact in queries:
        w, g = want[label], got[label]
        if w[1] != "success":
            failures.append(label)
            print(f"DIFF {what}: {label}: the reference answer is not a success: {str(w)[:300]}", flush=True)
            continue
        data = w[2]
        if (isinstance(data, dict) and data.get("result")) or (isinstance(data, list) and data):
            nonempty += 1
        out = []
        if w[0] != g[0]:
            out.append(f"HTTP status {g[0]}, want {w[0]}")
        if w[1] != g[1]:
            out.append(f"status {g[1]} (error {g[3]!r}), want {w[1]}")
        else:
            json_diff("data", w[2], g[2], 0 if (exact or exact_everywhere) else REL_TOLERANCE, out)
        if out:
            failures.append(label)
            print(f"DIFF {what}: {label} {path}?{urllib.parse.urlencode(params, doseq=True)}", flush=True)
            for line in out[:6]:
                print(f"    {line}", flush=True)
            print(f"    want: {json.dumps(w[2])[:600]}", flush=True)
            print(f"    got:  {json.dumps(g[2])[:600]}", flush=True)
    print(f"{what}: compared {len(queries)} requests, {nonempty} with data, {len(failures)} differ", flush=True)
    check(nonempty >= len(queries) * 9 // 10, f"{what}: the reference answers carry data ({nonempty} of "
          f"{len(queries)})")
    check(not failures, f"{what}: every answer is the same" +
          ("" if not failures else ":\n  differing: " + "\n  differing: ".join(failures[:20])))


# ------------------------------------------------------------------ helpers

def prom_block_names(data_dir):
    return sorted(block_dirs(data_dir))


def digests_of_blocks(data_dir, names):
    out = {}
    for name in names:
        for rel, digest in file_digests(os.path.join(data_dir, name)).items():
            out[f"{name}/{rel}"] = digest
    return out


def check_no_quarantine(data_dir):
    q = os.path.join(data_dir, "quarantine")
    moved = os.listdir(q) if os.path.isdir(q) else []
    check(not moved, f"nothing was moved to {q} (found {moved})")


def wal_segments(wal_dir):
    return sorted(n for n in os.listdir(wal_dir) if n.isdigit())


def listing(data_dir):
    out = []
    for dirpath, _, filenames in os.walk(data_dir):
        for name in filenames:
            path = os.path.join(dirpath, name)
            out.append(f"{os.path.relpath(path, data_dir)} ({os.path.getsize(path)} B)")
    return sorted(out)


# -------------------------------------------------------------- case switch

def case_switch(args, procs, tmpdir):
    data = os.path.join(tmpdir, "data")
    prom_port, ours_port = free_port(), free_port()
    prom_base, ours_base = f"http://127.0.0.1:{prom_port}", f"http://127.0.0.1:{ours_port}"
    # Out-of-order ingestion on, so Prometheus keeps a wbl/ for the takeover
    # to convert (2.42 creates wbl/ only with a window).
    prom_cfg = write_file(os.path.join(tmpdir, "prometheus.yml"),
                          "global:\n  scrape_interval: 15s\nstorage:\n  tsdb:\n    out_of_order_time_window: 30m\n")
    prom = start_prometheus(args, procs, "prometheus", data, prom_port, prom_cfg,
                            "--web.enable-remote-write-receiver", "--storage.tsdb.min-block-duration=1h",
                            "--storage.tsdb.max-block-duration=1h")
    now = int(time.time())
    first_s = (now - 5 * 3600) // 60 * 60 + 3
    last_s = first_s + (now - 5 - first_s) // STEP_S * STEP_S
    series = build_dataset("sw_", first_s, last_s)
    push_dataset(args.push_tool, prom_base, series, 600, tmpdir)

    def prometheus_settled():
        head = get_json(prom_base, "/api/v1/status/tsdb")["headStats"]
        blocks = block_dirs(data)
        return len(blocks) >= 2 and head["maxTime"] == last_s * 1000 and \
            head["maxTime"] - head["minTime"] <= 90 * 60 * 1000 and (blocks, head)
    blocks, head = wait_until(90, "Prometheus to cut its 1h blocks (>= 2 blocks, head <= 1.5h)", prometheus_settled)
    print(f"Prometheus blocks: {[(n, m['minTime'], m['maxTime']) for n, m in blocks.items()]}; head "
          f"[{head['minTime']}, {head['maxTime']}]", flush=True)
    check(head["minTime"] > first_s * 1000, "Prometheus's head holds only the recent data (older data in blocks)")
    # Out-of-order samples, 15 s after 30 in-order ones (not the last) of two
    # series, pushed once the head is settled: they stay in Prometheus's
    # out-of-order head and wbl/ (it compacts them only with the head).
    ooo_lines = []
    for q in ("q1", "q2"):
        key = label_key({"__name__": "sw_queue_length", "queue": q})
        extra = [(ts + 15_000, v + 0.5) for ts, v in series[key][-31:-1]]
        ooo_lines += [f"{selector_of(key)} {fmt_value(v)} {ts}" for ts, v in extra]
        series[key] = sorted(series[key] + extra)
    push_lines(args.push_tool, prom_base, ooo_lines, os.path.join(tmpdir, "ooo.txt"))

    queries = query_set("sw_", first_s, last_s)
    want = collect(prom_base, queries)
    got_raw = want["all raw samples"][2]["result"]
    raw = {label_key(s["metric"]): [(round(float(t) * 1000), v) for t, v in s["values"]] for s in got_raw}
    expected = expected_matrix(series, 0, last_s * 1000)
    bad = matrix_diff(expected, raw)
    check(not bad, "Prometheus 2.42 holds exactly the pushed samples" + ("" if not bad else ": " + "; ".join(bad)))
    procs.stop(prom)

    prom_blocks = prom_block_names(data)
    block_digests = digests_of_blocks(data, prom_blocks)
    print(f"Prometheus's data directory after it stopped:\n  " + "\n  ".join(listing(data)), flush=True)
    check(bool(wal_segments(os.path.join(data, "wal"))), "Prometheus left its WAL segments in wal/")
    wbl = os.path.join(data, "wbl")
    check(os.path.isdir(wbl) and any(os.path.getsize(os.path.join(wbl, n)) > 0 for n in wal_segments(wbl)),
          "Prometheus left out-of-order samples in wbl/")

    # Promethium on the same directory.
    ours_cfg = self_scrape_config(tmpdir, "promethium.yml", "promethium", ours_port)
    flags = ["--storage.tsdb.min-block-duration=10m"]
    ours = start_promethium(args, procs, "promethium-1", data, ours_port, ours_cfg, *flags)
    # Right after the start (compaction runs only after 30 s): Open's work
    # on the directory is done, and it must not have touched the blocks.
    changes = digest_changes(block_digests, digests_of_blocks(data, prom_blocks))
    check(not changes, f"Prometheus's {len(prom_blocks)} blocks are byte-identical after promethium opened them "
          f"({len(block_digests)} files)" + ("" if not changes else ": " + "; ".join(changes[:10])))
    log = log_text(ours)
    check("took over Prometheus's head" in log, "promethium's log says it took over Prometheus's head (WAL)")
    check("removed" in log and "Prometheus's WAL" in log, "promethium's log says it removed Prometheus's WAL")
    check(f"out_of_order_samples={len(ooo_lines)} " in log and "holds the out-of-order samples of Prometheus's wbl/"
          in log, f"promethium's log says it converted the {len(ooo_lines)} samples of wbl/ into blocks")
    for gone in ("wbl", "wal.prometheus-migrated", "wal.promethium-migration.tmp"):
        check(not os.path.exists(os.path.join(data, gone)), f"{gone}/ is not in the data directory")
    check(os.path.isdir(os.path.join(data, "wal")), "wal/ (now promethium's) exists")
    chunks_head = os.path.join(data, "chunks_head")
    left = []
    if os.path.isdir(chunks_head):
        for name in os.listdir(chunks_head):
            with open(os.path.join(chunks_head, name), "rb") as f:
                if f.read(4) == PROMETHEUS_HEAD_CHUNK_MAGIC:
                    left.append(name)
    check(not left, f"no Prometheus head chunk file is left in chunks_head/ ({left})")
    check_no_quarantine(data)

    got1 = collect(ours_base, queries)
    compare_answers("promethium on Prometheus's directory vs Prometheus 2.42", queries, want, got1)

    def own_block():
        for name, meta in block_dirs(data).items():
            sources = meta.get("compaction", {}).get("sources", [])
            if name not in prom_blocks and any(s not in prom_blocks for s in sources):
                return name, meta
        return None
    name, meta = wait_until(90, "promethium to cut a block of its own from the head (10m blocks, 30 s cycle)",
                            own_block, interval=0.5)
    print(f"promethium's own block {name} [{meta['minTime']}, {meta['maxTime']}) level "
          f"{meta['compaction']['level']}", flush=True)
    procs.stop(ours)
    remaining = [n for n in prom_blocks if os.path.isdir(os.path.join(data, n))]
    print(f"Prometheus's blocks still in place after promethium's compactions: {remaining} "
          f"(the others were merged into promethium's blocks)", flush=True)
    print(f"data directory before the restart:\n  " + "\n  ".join(listing(data)), flush=True)

    ours2 = start_promethium(args, procs, "promethium-2", data, ours_port, ours_cfg, *flags)
    check("taking over Prometheus's head" not in log_text(ours2), "the restart does not convert anything again")
    got2 = collect(ours_base, queries)
    compare_answers("promethium after its own blocks and a restart vs Prometheus 2.42", queries, want, got2)
    compare_answers("promethium after a restart vs before it (exact)", queries, got1, got2, exact_everywhere=True)
    check_no_quarantine(data)
    procs.stop(ours2)


# ------------------------------------------------------------ case backfill

def openmetrics(families):
    """families: [(name, type, labels, [(ts ms, value)])] -> OpenMetrics text."""
    lines = []
    for name, typ, labels, samples in families:
        lines.append(f"# TYPE {name} {typ}")
        lab = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for ts, v in samples:
            lines.append(f"{name}{{{lab}}} {fmt_value(v)} {ts / 1000:.3f}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def promtool_blocks(args, text, tmpdir, name):
    path = write_file(os.path.join(tmpdir, f"{name}.om"), text)
    out = os.path.join(tmpdir, f"{name}-blocks")
    os.makedirs(out)
    res = run_tool([args.promtool, "tsdb", "create-blocks-from", "openmetrics", path, out])
    check(res.returncode == 0, f"promtool create-blocks-from openmetrics {name} succeeds ({res.returncode}: "
          f"{(res.stdout + res.stderr).strip()[-500:]})")
    blocks = block_dirs(out)
    check(len(blocks) >= 1, f"promtool made blocks for {name}: {sorted(blocks)}")
    return out, blocks


def case_backfill(args, procs, tmpdir):
    data = os.path.join(tmpdir, "data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # 2m blocks: the reload/compaction cycle is clamp(2m/20, 1s, 60s) = 6 s.
    ours = start_promethium(args, procs, "promethium", data, port, empty_config(tmpdir),
                            "--web.enable-remote-write-receiver", "--storage.tsdb.min-block-duration=2m")
    t_end = int(time.time()) // 60 * 60
    labels = {"job": "bf", "instance": "x"}
    key = label_key(dict(labels, __name__="bf_metric"))
    pushed = [((t_end - 20 * 60 + 60 * i + 3) * 1000, float(100 + i)) for i in range(20)]
    push_lines(args.push_tool, base, [f"{selector_of(key)} {fmt_value(v)} {ts}" for ts, v in pushed],
               os.path.join(tmpdir, "push.txt"))
    # The pushed samples become blocks of ours first, so the backfilled
    # block overlaps blocks (not only the head).
    wait_until(60, "promethium to cut its first blocks from the head", lambda: block_dirs(data), interval=0.5)

    # Backfilled samples of the same series: interleaved (30 s after each
    # pushed one), one duplicate of a pushed sample (same time and value),
    # and some before the pushed ones; plus a new series 1-2 hours back.
    backfilled = [((t_end - 25 * 60 + 3 + 60 * i) * 1000, float(500 + i)) for i in range(5)]
    backfilled += [(ts + 30_000, 1000.0 + ts % 100_000 / 1000) for ts, _ in pushed[:-1]]
    backfilled.append(pushed[5])
    backfilled.sort()
    new_key = label_key({"__name__": "bf_new", "job": "bf", "instance": "y"})
    new_samples = [((t_end - 2 * 3600 + 60 * i + 3) * 1000, float(i * 3)) for i in range(60)]
    plain_key = label_key({"__name__": "bf_plain", "job": "bf", "instance": "z"})
    plain_samples = [((t_end - 50 * 60 + 60 * i + 3) * 1000, i / 4) for i in range(10)]
    out1, blocks1 = promtool_blocks(args, openmetrics([("bf_metric", "gauge", labels, backfilled),
                                                       ("bf_new", "gauge", {"job": "bf", "instance": "y"},
                                                        new_samples)]), tmpdir, "overlap")
    out2, blocks2 = promtool_blocks(args, openmetrics([("bf_plain", "gauge", {"job": "bf", "instance": "z"},
                                                        plain_samples)]), tmpdir, "plain")

    ours_at_copy = block_dirs(data)
    overlapping = {u for u, m in list(blocks1.items()) + list(blocks2.items())
                   if any(m["minTime"] < o["maxTime"] and o["minTime"] < m["maxTime"] for o in ours_at_copy.values())}
    check(bool(overlapping), f"backfilled block(s) {sorted(overlapping)} overlap promethium's blocks "
          f"{sorted(ours_at_copy)}")
    for ulid in blocks1:  # as a careful user: copy under a temporary name, then rename
        tmp_name = os.path.join(data, f".backfill-{ulid}")
        shutil.copytree(os.path.join(out1, ulid), tmp_name)
        os.rename(tmp_name, os.path.join(data, ulid))
    for ulid in blocks2:  # a plain copy: the reload may see it half copied
        shutil.copytree(os.path.join(out2, ulid), os.path.join(data, ulid))
    backfill_ulids = set(blocks1) | set(blocks2)
    print(f"copied backfilled blocks {sorted(blocks1)} (renamed) and {sorted(blocks2)} (plain copy)", flush=True)

    union = {}
    for ts, v in pushed + backfilled:
        union[ts] = v
    want = {key: [(ts, json_value(v)) for ts, v in sorted(union.items())],
            new_key: [(ts, json_value(v)) for ts, v in new_samples],
            plain_key: [(ts, json_value(v)) for ts, v in plain_samples]}
    eval_ms = (t_end + 7) * 1000
    window_ms = 3 * 3600 * 1000
    last = {}

    def served():
        last["got"] = range_vector(base, '{__name__=~"bf_.*"}', eval_ms, window_ms)
        return last["got"] == want
    try:
        wait_until(60, "the backfilled samples to be served (union with the pushed ones)", served, interval=0.5)
    except TestFailure:
        print("\n".join(matrix_diff(want, last.get("got", {}))), flush=True)
        raise
    check(True, f"all {sum(len(v) for v in want.values())} samples are served: the pushed and backfilled "
          f"bf_metric as their union ({len(want[key])} samples), bf_new, bf_plain")

    state = {}

    def merged():
        metas = block_dirs(data)
        state["metas"] = metas
        if overlapping & set(metas):
            return False  # an overlapping backfilled block is still there
        spans = sorted((m["minTime"], m["maxTime"], n) for n, m in metas.items())
        if any(spans[i + 1][0] < spans[i][1] for i in range(len(spans) - 1)):
            return False
        for n, m in metas.items():
            sources = set(m.get("compaction", {}).get("sources", []))
            if sources & backfill_ulids and sources - backfill_ulids:
                return n, m
        return False
    try:
        name, meta = wait_until(90, "compaction to merge the backfilled block with promethium's overlapping blocks",
                                merged, interval=0.5)
    except TestFailure:
        metas = state.get("metas", {})
        print(f"blocks: {[(n, m['minTime'], m['maxTime'], m.get('compaction')) for n, m in metas.items()]}", flush=True)
        raise
    check(True, f"block {name} (level {meta['compaction']['level']}) merged backfilled and own blocks; "
          f"no blocks overlap; blocks at the copy {len(ours_at_copy) + len(backfill_ulids)}, now {len(state['metas'])}")
    got = range_vector(base, '{__name__=~"bf_.*"}', eval_ms, window_ms)
    bad = matrix_diff(want, got)
    check(not bad, "after compaction the answers are unchanged" + ("" if not bad else ": " + "; ".join(bad)))
    # The same through PromQL over a range, at the push step.
    rng = get_json(base, "/api/v1/query", {"query": 'count_over_time({__name__=~"bf_.*"}[3h])',
                                            "time": f"{eval_ms / 1000:.3f}"})
    counts = {s["metric"]["instance"]: s["value"][1] for s in rng["result"]}  # x: bf_metric, y: bf_new, z: bf_plain
    check(counts == {"x": str(len(want[key])), "y": "60", "z": "10"},
          f"count_over_time counts every sample once: {counts}")
    check_no_quarantine(data)
    procs.stop(ours)


# --------------------------------------------------- case prometheus-format

def consistent_block_copy(data_dir, dest, deadline_s=60):
    """Copies the block directories of a running server into dest so that
    the copy is one consistent set: retried until the set of blocks did not
    change while copying (blocks are immutable once named by their ULID)."""
    def attempt():
        if os.path.exists(dest):
            shutil.rmtree(dest)
        os.makedirs(dest)
        before = block_dirs(data_dir)
        try:
            for name in before:
                shutil.copytree(os.path.join(data_dir, name), os.path.join(dest, name))
        except (OSError, shutil.Error):
            return None  # a compaction removed one meanwhile
        after = block_dirs(data_dir)
        return before if before and set(before) == set(after) else None
    return wait_until(deadline_s, "a consistent copy of the block directories", attempt, interval=0.5)


def parse_dump(text):
    """promtool tsdb dump lines `{a="b", c="d"} value ts` -> matrix."""
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        lab, value, ts = line.rsplit(" ", 2)
        labels = {}
        body = lab.strip()[1:-1]
        for part in body.split(", "):
            k, v = part.split("=", 1)
            labels[k] = json.loads(v)
        v = float(value)
        out.setdefault(label_key(labels), []).append((int(ts), json_value(v)))
    return out


def case_prometheus_format(args, procs, tmpdir):
    data = os.path.join(tmpdir, "data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # 2m blocks: a block soon, and a 6 s compaction cycle.
    ours = start_promethium(args, procs, "promethium", data, port, empty_config(tmpdir),
                            "--web.enable-remote-write-receiver", "--web.enable-admin-api",
                            "--storage.tsdb.block-format=prometheus", "--storage.tsdb.min-block-duration=2m")
    now = int(time.time())
    first_s = (now - 2 * 3600) // 60 * 60 + 3
    last_s = first_s + (now - 5 - first_s) // STEP_S * STEP_S
    series = build_dataset("pf_", first_s, last_s)
    nan_samples = {k: sum(1 for _, v in s if math.isnan(v)) for k, s in series.items()}
    # Padding for vmctl 1.79's shutdown race (see run_vmctl): series named
    # to sort after every pf_ series, with samples in every block, so the
    # last series vmctl reads (those it may drop) are these. Never compared.
    any_series = next(iter(series.values()))
    padding = {label_key({"__name__": "zz_vmctl_padding", "n": f"{i:02d}"}): [(ts, 1.0) for ts, _ in any_series]
               for i in range(4 * VMCTL_CONCURRENCY * 2)}
    push_dataset(args.push_tool, base, {**series, **padding}, 600, tmpdir)
    wait_until(60, "promethium to write a block", lambda: block_dirs(data), interval=0.5)

    # promtool opens the WAL as well, and ours is not in Prometheus's
    # format: it reads a copy holding only the block directories.
    copy = os.path.join(tmpdir, "blocks-copy")
    blocks = consistent_block_copy(data, copy)
    print(f"blocks: {[(n, m['minTime'], m['maxTime'], m['compaction']['level']) for n, m in blocks.items()]}",
          flush=True)
    for ulid, meta in blocks.items():
        check(os.path.isdir(os.path.join(copy, ulid, "chunks")) and meta.get("version") == 1,
              f"block {ulid} is laid out as Prometheus's (chunks/, meta.json version 1)")
        res = run_tool([args.promtool, "tsdb", "analyze", "--extended", copy, ulid])
        check(res.returncode == 0 and f"Block ID: {ulid}" in res.stdout,
              f"promtool tsdb analyze --extended {ulid} exits 0 ({res.returncode}: {res.stderr.strip()[-400:]})")
    mint = min(m["minTime"] for m in blocks.values())
    maxt = max(m["maxTime"] for m in blocks.values())
    # --max-time below the blocks' end: promtool then does not read a WAL.
    res = run_tool([args.promtool, "tsdb", "dump", f"--min-time={mint}", f"--max-time={maxt - 1}",
                    '--match={__name__=~"pf_.*"}', copy])
    check(res.returncode == 0, f"promtool tsdb dump exits 0 ({res.returncode}: {res.stderr.strip()[-400:]})")
    dumped = parse_dump(res.stdout)
    ours_blocks = range_vector(base, '{__name__=~"pf_.*"}', maxt - 1, maxt - mint)
    pushed = expected_matrix(series, mint, maxt - 1)
    n = sum(len(v) for v in dumped.values())
    bad = matrix_diff(ours_blocks, dumped)
    check(not bad, f"promtool dump of [{mint}, {maxt}) ({n} samples, {len(dumped)} series) equals our query API"
          + ("" if not bad else ": " + "; ".join(bad)))
    bad = matrix_diff(pushed, dumped)
    check(n > 0 and not bad, "and equals the pushed samples" + ("" if not bad else ": " + "; ".join(bad)))

    # An admin snapshot, head included.
    code, doc = request(base + "/api/v1/admin/tsdb/snapshot", data=b"skip_head=false")
    check(code == 200 and isinstance(doc, dict) and doc.get("status") == "success",
          f"POST /api/v1/admin/tsdb/snapshot succeeds ({code}: {str(doc)[:300]})")
    snap = os.path.join(data, "snapshots", doc["data"]["name"])
    snap_blocks = block_dirs(snap)
    check(bool(snap_blocks), f"snapshot {snap} holds blocks: {sorted(snap_blocks)}")
    all_ours = range_vector(base, '{__name__=~"pf_.*"}', (now + 60) * 1000, 3 * 3600 * 1000)
    bad = matrix_diff(expected_matrix(series, 0, now * 1000), all_ours)
    check(not bad, "our API serves every pushed sample" + ("" if not bad else ": " + "; ".join(bad)))

    # vmctl imports it into VictoriaMetrics.
    vm_port = free_port()
    vm_base = f"http://127.0.0.1:{vm_port}"
    vm = procs.start("victoria-metrics", [args.victoria_metrics, f"-storageDataPath={tmpdir}/vm",
                                          f"-httpListenAddr=127.0.0.1:{vm_port}", "-search.latencyOffset=0s"])

    def vm_healthy():
        if vm.poll() is not None:
            raise TestFailure(f"victoria-metrics exited with {vm.returncode}")
        with urllib.request.urlopen(vm_base + "/health", timeout=5) as r:
            return r.status == 200
    wait_until(30, "victoria-metrics to answer /health", vm_healthy)
    res = run_vmctl([args.vmctl, "prometheus", f"--prom-snapshot={snap}", f"--vm-addr={vm_base}", "-s",
                     "--vm-disable-progress-bar", f"--vm-concurrency={VMCTL_CONCURRENCY}", "--prom-concurrency=1"])
    print(f"vmctl output (tail): {(res.stdout + res.stderr).strip()[-800:]}", flush=True)
    check(res.returncode == 0, f"vmctl prometheus imports the snapshot (exit {res.returncode})")
    # VictoriaMetrics drops NaN samples that are not staleness markers on
    # ingestion (lib/storage): the one NaN we pushed is not expected there.
    want_vm = {k: [p for p in v if p[1] != "NaN"] for k, v in all_ours.items()}
    dropped = sum(len(all_ours[k]) - len(want_vm[k]) for k in all_ours)
    check(dropped == sum(nan_samples.values()), f"our answer holds the {dropped} NaN sample(s) pushed")
    last = {}

    def vm_matches():
        code, text = http_text(vm_base + "/api/v1/export?" + urllib.parse.urlencode(
            {"match[]": '{__name__=~"pf_.*"}', "start": str(first_s - 60), "end": str(now + 60)}))
        if code != 200:
            raise ValueError(f"export: HTTP {code}: {text[:200]}")
        got = {}
        for line in text.splitlines():
            if line.strip():
                s = json.loads(line)
                got[label_key(s["metric"])] = [(t, json_value(float(v))) for t, v in zip(s["timestamps"],
                                                                                         s["values"])]
        last["got"] = got
        # VictoriaMetrics stores values as decimal mantissa and exponent:
        # converted back they may differ from ours in the last bits.
        return set(got) == set(want_vm) and all(
            len(got[k]) == len(want_vm[k]) and all(
                tg == tw and floats_close(vg, vw, 1e-12) for (tg, vg), (tw, vw) in zip(got[k], want_vm[k]))
            for k in want_vm)
    try:
        wait_until(30, "VictoriaMetrics to hold the imported series and samples", vm_matches, interval=1)
    except TestFailure:
        print("\n".join(matrix_diff(want_vm, last.get("got", {}))), flush=True)
        raise
    vm_series = get_json(vm_base, "/api/v1/series", {"match[]": '{__name__=~"pf_.*"}', "start": str(first_s - 60),
                                                      "end": str(now + 60)})
    our_series = get_json(base, "/api/v1/series", {"match[]": '{__name__=~"pf_.*"}'})
    check(len(vm_series) == len(our_series) == len(series),
          f"VictoriaMetrics's /api/v1/series count equals ours ({len(vm_series)}, {len(our_series)}, pushed "
          f"{len(series)})")
    check(True, f"VictoriaMetrics's exported samples equal ours ({sum(len(v) for v in want_vm.values())} samples; "
          f"same timestamps, values within 1e-12)")
    procs.stop(vm)

    # Prometheus 2.42 serves the snapshot.
    prom_port = free_port()
    prom = start_prometheus(args, procs, "prometheus-on-snapshot", snap, prom_port, empty_config(tmpdir, "p.yml"))
    queries = query_set("pf_", first_s, last_s)
    want = collect(f"http://127.0.0.1:{prom_port}", queries)
    got = collect(base, queries)
    compare_answers("promethium vs Prometheus 2.42 on promethium's snapshot", queries, want, got)
    procs.stop(prom)
    procs.stop(ours)


def run_vmctl(cmd):
    """Runs vmctl (Debian's 1.79), working around two of its bugs:
    - it starts its progress bar pool (cheggaaa/pb termutil) even with -s
      and --vm-disable-progress-bar, and that puts /dev/tty, or else stdin,
      into raw mode: without a terminal it fails ("inappropriate ioctl for
      device"). It gets a pseudo-terminal as stdin, in a session of its own
      (no /dev/tty), so it never touches the terminal the tests run in;
    - its importer's Close() signals the workers without draining their
      input channel (buffer: 4 x --vm-concurrency series), so up to that
      many of the last series it reads are silently not imported (later
      vmctl versions drain it). It reads the newest block last, series in
      label order: the caller pushes padding series sorting last."""
    print(f"running: {' '.join(cmd)}", flush=True)
    master, slave = pty.openpty()
    try:
        return subprocess.run(cmd, stdin=slave, capture_output=True, text=True, timeout=120, start_new_session=True)
    finally:
        os.close(slave)
        os.close(master)


def http_text(url):
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


# ------------------------------------------------------------- case damage

def case_damage(args, procs, tmpdir):
    data = os.path.join(tmpdir, "prom")
    prom_port = free_port()
    prom_base = f"http://127.0.0.1:{prom_port}"
    cfg = self_scrape_config(tmpdir, "prometheus.yml", "prometheus", prom_port, interval="1s")
    started = time.time()
    prom = start_prometheus(args, procs, "prometheus", data, prom_port, cfg,
                            "--storage.tsdb.min-block-duration=10s", "--storage.tsdb.max-block-duration=10s")

    def enough():
        res = get_json(prom_base, "/api/v1/query", {"query": 'count_over_time(up{job="prometheus"}[5m])'})["result"]
        return len(block_dirs(data)) >= 3 and res and int(res[0]["value"][1]) >= 40
    wait_until(100, "Prometheus to scrape itself >= 40 times and cut >= 3 blocks", enough, interval=1)
    procs.stop(prom)
    stopped = time.time()
    prom_blocks = prom_block_names(data)
    pristine = os.path.join(tmpdir, "pristine")
    shutil.copytree(data, pristine, symlinks=True)
    before = file_digests(data)
    block_before = digests_of_blocks(data, prom_blocks)
    print(f"Prometheus's directory ({len(before)} files):\n  " + "\n  ".join(listing(data)), flush=True)

    # 1. promethium starts on it and serves Prometheus's samples.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ours = start_promethium(args, procs, "promethium", data, port, empty_config(tmpdir))
    changes = digest_changes(block_before, digests_of_blocks(data, prom_blocks))
    check(not changes, f"Prometheus's {len(prom_blocks)} blocks are byte-identical while promethium serves them"
          + ("" if not changes else ": " + "; ".join(changes[:10])))
    check_no_quarantine(data)
    eval_ms = int(time.time() * 1000)
    got = range_vector(base, 'up{job="prometheus"}', eval_ms, 10 * 60 * 1000)
    check(len(got) == 1, f"up{{job=\"prometheus\"}} is served ({len(got)} series)")
    pts = next(iter(got.values()))
    ts = [t for t, _ in pts]
    gaps = [b - a for a, b in zip(ts, ts[1:])]
    check(len(pts) >= 40 and all(v == "1" for _, v in pts), f"up has {len(pts)} samples of 1 from Prometheus's run")
    check(started * 1000 - 2000 <= ts[0] and ts[-1] <= stopped * 1000 + 1000,
          "all of them from Prometheus's time (before promethium started)")
    check(max(gaps) <= 5000, f"no gap between the blocks and the WAL's samples (largest gap {max(gaps)} ms)")
    for name in prom_blocks:
        meta = block_dirs(data)[name]
        n = get_json(base, "/api/v1/query", {
            "query": f'count_over_time(up{{job="prometheus"}}[{meta["maxTime"] - meta["minTime"]}ms])',
            "time": f"{(meta['maxTime'] - 1) / 1000:.3f}"})["result"]
        check(bool(n), f"block {name}'s range [{meta['minTime']}, {meta['maxTime']}) has samples of up")
    procs.stop(ours)
    changes = digest_changes(block_before, digests_of_blocks(data, prom_blocks))
    check(not changes, "Prometheus's blocks are byte-identical after promethium stopped" +
          ("" if not changes else ": " + "; ".join(changes[:10])))
    check_no_quarantine(data)
    other = digest_changes(before, file_digests(data))
    print("other changes promethium made (its takeover of the head):\n  " + "\n  ".join(other), flush=True)

    # 2. a damaged copy: one block's index damaged, a segment of random
    # bytes after the last WAL segment. Promethium must refuse to start.
    damaged = os.path.join(tmpdir, "damaged")
    shutil.copytree(pristine, damaged, symlinks=True)
    index = os.path.join(damaged, prom_blocks[0], "index")
    with open(index, "r+b") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(size // 2)
        middle = f.read(16)
        f.seek(size // 2)
        f.write(bytes(b ^ 0xFF for b in middle))
    wal = os.path.join(damaged, "wal")
    segs = wal_segments(wal)
    fake = os.path.join(wal, f"{int(segs[-1]) + 1:08d}")
    with open(fake, "wb") as f:
        f.write(random.Random(42).randbytes(32 * 1024))
    print(f"damaged {index} (16 bytes flipped at {size // 2}) and wrote {fake} (32 KiB of random bytes)", flush=True)
    before = file_digests(damaged)
    port2 = free_port()
    bad = procs.start("promethium-damaged", [args.promethium, f"--config.file={empty_config(tmpdir)}",
                                              f"--storage.tsdb.path={damaged}",
                                              f"--web.listen-address=127.0.0.1:{port2}"])
    try:
        rc = bad.wait(timeout=60)
    except subprocess.TimeoutExpired:
        raise TestFailure("promethium did not refuse to start on the damaged directory (still running after 60 s)")
    log = log_text(bad)
    print(f"promethium on the damaged directory exited with {rc}; log tail:\n{log[-1500:]}", flush=True)
    check(rc != 0, f"promethium refuses to start on the damaged directory (exit {rc})")
    check(fake in log or f"wal/{os.path.basename(fake)}" in log, f"its log names {fake}")
    changes = digest_changes(before, file_digests(damaged))
    check(not changes, "every file of the damaged directory is byte-identical afterwards" +
          ("" if not changes else ": " + "; ".join(changes[:10])))

    # 3. only the damaged index. Whether the damage is found when the block
    # is opened (start-up refused) or only when it is read (served, the
    # query may fail), a block of Prometheus's is never moved, repaired or
    # quarantined, and promethium does not crash on it.
    only_index = os.path.join(tmpdir, "damaged-index")
    shutil.copytree(pristine, only_index, symlinks=True)
    shutil.copyfile(index, os.path.join(only_index, prom_blocks[0], "index"))
    blocks_before = digests_of_blocks(only_index, prom_blocks)
    all_before = file_digests(only_index)
    port3 = free_port()
    base3 = f"http://127.0.0.1:{port3}"
    proc = procs.start("promethium-damaged-index", [args.promethium, f"--config.file={empty_config(tmpdir)}",
                                                     f"--storage.tsdb.path={only_index}",
                                                     f"--web.listen-address=127.0.0.1:{port3}"])

    def exited_or_ready():
        if proc.poll() is not None:
            return "exited"
        return http_text(base3 + "/-/ready")[0] == 200 and "ready"
    outcome = wait_until(60, "promethium to refuse or to start on the damaged index", exited_or_ready)
    if outcome == "exited":
        log = log_text(proc)
        print(f"promethium refused the damaged index (exit {proc.returncode}): {log[-800:]}", flush=True)
        check(proc.returncode != 0 and prom_blocks[0] in log, "it exits non-zero naming the block")
        # A refused start changes nothing (as in 2., and as the message
        # says): Prometheus's WAL and head chunks are not taken over either,
        # so Prometheus can still be started on the directory.
        changes = digest_changes(all_before, file_digests(only_index))
        check(not changes, "a refused start leaves every file byte-identical (WAL and chunks_head included)" +
              ("" if not changes else ": " + "; ".join(changes[:10])))
    else:
        meta = block_dirs(only_index)[prom_blocks[0]]
        code, doc = request(base3 + "/api/v1/query?" + urllib.parse.urlencode({
            "query": f'count_over_time({{__name__=~".+"}}[{meta["maxTime"] - meta["minTime"]}ms])',
            "time": f"{(meta['maxTime'] - 1) / 1000:.3f}"}))
        print(f"promethium started on the damaged index; a query over the block answered {code}: "
              f"{str(doc)[:300]}", flush=True)
        check(proc.poll() is None, "promethium survives reading the damaged block")
        procs.stop(proc)
    changes = digest_changes(blocks_before, digests_of_blocks(only_index, prom_blocks))
    check(not changes, "Prometheus's blocks, the damaged one included, are byte-identical afterwards" +
          ("" if not changes else ": " + "; ".join(changes[:10])))
    check_no_quarantine(only_index)


# -------------------------------------------------------------------- main

CASES = {
    "switch": (case_switch, ("promethium", "prometheus", "push_tool")),
    "backfill": (case_backfill, ("promethium", "promtool", "push_tool")),
    "prometheus-format": (case_prometheus_format,
                          ("promethium", "prometheus", "promtool", "push_tool", "vmctl", "victoria_metrics")),
    "damage": (case_damage, ("promethium", "prometheus")),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--prometheus", default=shutil.which("prometheus"))
    parser.add_argument("--promtool", default=shutil.which("promtool"))
    parser.add_argument("--push-tool")
    parser.add_argument("--vmctl", default=shutil.which("vmctl"))
    parser.add_argument("--victoria-metrics", default=shutil.which("victoria-metrics"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (for debugging)")
    args = parser.parse_args()
    fn, tools = CASES[args.case]
    for tool in tools:
        path = getattr(args, tool)
        if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):
            print(f"FAIL: {tool.replace('_', '-')} not found ({path!r}); scripts/setup.sh installs it", file=sys.stderr)
            return 1
    tmpdir = tempfile.mkdtemp(prefix=f"promethium_promdir_{args.case}_")
    procs = Procs(tmpdir)
    started = time.monotonic()
    try:
        fn(args, procs, tmpdir)
        print(f"PASS ({args.case}, {time.monotonic() - started:.0f}s)", flush=True)
        return 0
    except (TestFailure, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
        print(f"FAIL ({args.case}, {time.monotonic() - started:.0f}s): {e}", file=sys.stderr, flush=True)
        procs.print_tails()
        return 1
    finally:
        procs.cleanup()
        if args.keep:
            print(f"kept {tmpdir}", flush=True)
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
