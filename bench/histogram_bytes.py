#!/usr/bin/env python3
"""Bytes per native-histogram sample in blocks: promethium vs Prometheus 2.42.

Both servers (remote write receiver, admin API; Prometheus with
--enable-feature=native-histograms) receive the same remote-written data:
--series series of evolving integer native histograms (schema 3, as
client_golang's default bucket factor 1.1 gives, a zero bucket, positive and
negative buckets; a few observations more every sample, new buckets
appearing over time), --samples samples each, --interval-s apart, ending
a minute ago. Then each takes a snapshot with its head
(POST /api/v1/admin/tsdb/snapshot), which writes every sample into blocks,
and the chunk files under the snapshot's blocks (<block>/chunks/*) are
summed and divided by the number of samples. Index and meta files are
reported apart: the issue's target (promethium <= 0.7x Prometheus) is about
the chunk bytes. Each snapshot is then opened by its own server (a snapshot
is a data directory) to check that it holds every sample of the first and
last series, so a snapshot that dropped histograms cannot look small.

Usage: histogram_bytes.py --promethium=build/server/promethium
         [--prometheus=/usr/bin/prometheus] [--series=100] [--samples=720]
Standard library only; the data is deterministic (seeded).
"""
import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import native_histogram_proto as nhp  # noqa: E402
from e2e_common import free_port, wait_ready  # noqa: E402

STEPS_PER_REQUEST = 20


def build_requests(n_series, n_samples, interval_ms, end_ms):
    """The remote write bodies (snappy-framed), in time order."""
    rng = random.Random(17)
    hists = [nhp.NativeHistogram(schema=3, zero_threshold=2.0 ** -128) for _ in range(n_series)]
    # Each series has its own typical latency and spread.
    shapes = [(math.log(0.01 + 0.5 * rng.random()), 0.3 + rng.random()) for _ in range(n_series)]
    start_ms = end_ms - (n_samples - 1) * interval_ms
    bodies = []
    for first in range(0, n_samples, STEPS_PER_REQUEST):
        per_series = [[] for _ in range(n_series)]
        for step in range(first, min(n_samples, first + STEPS_PER_REQUEST)):
            t = start_ms + step * interval_ms
            for i, h in enumerate(hists):
                mu, sigma = shapes[i]
                for _ in range(rng.randint(5, 40)):
                    v = rng.lognormvariate(mu, sigma)
                    r = rng.random()
                    h.observe(0.0 if r < 0.02 else (-v if r < 0.1 else v))
                per_series[i].append(h.remote_proto(t))
        series = [nhp.time_series([("__name__", "bench_latency_seconds"), ("series", f"{i:03d}")], hs)
                  for i, hs in enumerate(per_series)]
        bodies.append(nhp.snappy_literal(nhp.write_request(series)))
    return bodies


def post(url, data, headers):
    req = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def push_all(base, bodies):
    for body in bodies:
        status, text = post(base + "/api/v1/write", body, {
            "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
            "X-Prometheus-Remote-Write-Version": "0.1.0"})
        if status not in (200, 204):
            raise RuntimeError(f"{base}: remote write failed: HTTP {status} {text[:300]!r}")


def raw_count(base, end_ms, span_s, series):
    """Number of raw histograms of one series within the pushed range."""
    q = urllib.parse.urlencode({"query": f'bench_latency_seconds{{series="{series}"}}[{span_s}s]',
                                "time": f"{end_ms / 1000:.3f}"})
    with urllib.request.urlopen(f"{base}/api/v1/query?{q}", timeout=30) as resp:
        result = json.loads(resp.read())["data"]["result"]
    return len(result[0].get("histograms", [])) if result else 0


def snapshot_sizes(base, data_dir):
    """(chunk bytes, other block bytes, block count) of a fresh snapshot."""
    status, text = post(base + "/api/v1/admin/tsdb/snapshot", b"", {})
    if status != 200:
        raise RuntimeError(f"{base}: snapshot failed: HTTP {status} {text[:300]!r}")
    snap = os.path.join(data_dir, "snapshots", json.loads(text)["data"]["name"])
    chunk_bytes = other = blocks = 0
    for block in os.listdir(snap):
        bdir = os.path.join(snap, block)
        if not os.path.isdir(bdir):
            continue
        blocks += 1
        for dirpath, _, files in os.walk(bdir):
            for f in files:
                size = os.path.getsize(os.path.join(dirpath, f))
                if os.path.basename(dirpath) == "chunks":
                    chunk_bytes += size
                else:
                    other += size
    return chunk_bytes, other, blocks, snap


def start(name, binary, flags, data, tmp, procs):
    """Starts binary on data (remote write receiver, admin API); returns
    (Popen, base URL) once ready."""
    port = free_port()
    cfg = os.path.join(tmp, "empty.yml")
    with open(cfg, "w") as f:
        f.write("global: {}\n")
    log = open(os.path.join(tmp, f"{name}.log"), "wb")
    proc = subprocess.Popen([binary, f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                             f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver",
                             "--web.enable-admin-api", *flags],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    procs.append((proc, log))
    base = f"http://127.0.0.1:{port}"
    wait_ready(name, base, proc, 60)
    return proc, base


def stop(proc):
    proc.terminate()
    proc.wait(timeout=60)


def check_count(name, base, end_ms, args):
    """Series 000 and the last series hold every pushed sample."""
    for series in ("000", f"{args.series - 1:03d}"):
        stored = raw_count(base, end_ms, args.samples * args.interval_s + 60, series)
        if stored != args.samples:
            raise RuntimeError(f"{name}: series {series} holds {stored} histograms, want {args.samples}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--prometheus", default=shutil.which("prometheus") or "/usr/bin/prometheus")
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--samples", type=int, default=720)
    parser.add_argument("--interval-s", type=int, default=15)
    args = parser.parse_args()
    end_ms = (int(time.time()) - 60) * 1000
    bodies = build_requests(args.series, args.samples, args.interval_s * 1000, end_ms)
    total = args.series * args.samples
    print(f"{args.series} series x {args.samples} samples = {total} histograms, "
          f"{sum(map(len, bodies))} bytes of remote write in {len(bodies)} requests", flush=True)
    tmp = tempfile.mkdtemp(prefix="histogram_bytes_")
    procs, results = [], {}
    try:
        for name, binary, flags in (
                ("prometheus", args.prometheus, ["--enable-feature=native-histograms"]),
                ("promethium", args.promethium, [])):
            data = os.path.join(tmp, f"{name}-data")
            proc, base = start(name, binary, flags, data, tmp, procs)
            t = time.monotonic()
            push_all(base, bodies)
            push_s = time.monotonic() - t
            check_count(name, base, end_ms, args)
            chunks, other, blocks, snap = snapshot_sizes(base, data)
            results[name] = chunks
            stop(proc)
            # The snapshot is a data directory: every sample must be in it.
            proc, base = start(name + "-snapshot", binary, flags, snap, tmp, procs)
            check_count(name + " snapshot", base, end_ms, args)
            stop(proc)
            print(f"{name:11s} push {push_s:6.1f} s  blocks {blocks}  chunk bytes {chunks:10d}  "
                  f"({chunks / total:7.2f} B/sample)  index+meta {other:9d} B", flush=True)
        ratio = results["promethium"] / results["prometheus"]
        print(f"promethium / prometheus chunk bytes: {ratio:.3f} (target <= 0.7): "
              f"{'MET' if ratio <= 0.7 else 'NOT MET'}")
        return 0
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        for name in ("prometheus", "prometheus-snapshot", "promethium", "promethium-snapshot"):
            path = os.path.join(tmp, f"{name}.log")
            if os.path.exists(path):
                with open(path, "rb") as f:
                    print(f"----- {name} log -----\n{f.read()[-2000:].decode('utf-8', 'replace')}", file=sys.stderr)
        return 1
    finally:
        for proc, log in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            log.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
