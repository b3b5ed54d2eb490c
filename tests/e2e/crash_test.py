#!/usr/bin/env python3
"""Crash test of the promethium WAL and blocks (standard library only).

Starts a small HTTP target serving a counter that grows by one on every
scrape, and promethium scraping it and itself every second. Three times, at
a random moment, it reads back every raw sample of the counter series
(/api/v1/query with a range selector, which returns raw samples, plus a
/api/v1/query_range over the same span), SIGKILLs promethium, restarts it on
the same data directory and checks that:

  - the server starts again (/-/ready);
  - every sample that was queryable before the kill is still there with the
    exact same value (no loss), and the query_range answer over the old span
    is unchanged;
  - no sample is duplicated (timestamps and counter values strictly
    increase).

With the default WAL sync policy (no fsync per commit, as Prometheus) a
committed sample is in the kernel's page cache once Commit returns, so it
survives the death of the process (SIGKILL), though not a power loss. That
is exactly what this test asserts.

With --blocks, the server runs with 2-second blocks
(--storage.tsdb.min-block-duration=2s, max 6s), so head compactions, block
merges and WAL checkpoints happen every few seconds, and it is killed KILLS_BLOCKS
times; a kill lands in the middle of a block write or a compaction now and
then (not every run: the moments are random). After each restart it also
checks the data directory: no leftover temporary directories, no two blocks
overlapping in time (no duplicated or partly visible block), and, by the
end, blocks exist.

Every wait is bounded; the whole test stays well under 90 s. Children are
killed on exit whatever happens.
"""

import argparse
import http.server
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from e2e_common import TestFailure, check, free_port, http_get, wait_until

STARTUP_DEADLINE = 15
TEST_DEADLINE = 80  # seconds for the whole test
KILLS = 3
KILLS_BLOCKS = 6
BLOCK_FLAGS = ["--storage.tsdb.min-block-duration=2s", "--storage.tsdb.max-block-duration=6s"]
METRIC = "crash_test_counter_total"


class CounterTarget:
    """Serves METRIC, incremented on every scrape, on a free loopback port."""

    def __init__(self):
        self.value = 0
        self.lock = threading.Lock()
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with target.lock:
                    target.value += 1
                    v = target.value
                body = f"# TYPE {METRIC} counter\n{METRIC} {v}\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Promethium:
    """One promethium process on a fixed data dir and port."""

    def __init__(self, binary, cfg, data, port, log_dir, extra_args=()):
        self.argv = [binary, f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                     f"--web.listen-address=127.0.0.1:{port}", *extra_args]
        self.data = data
        self.base = f"http://127.0.0.1:{port}"
        self.log_dir = log_dir
        self.proc = None
        self.runs = 0

    def start(self):
        self.runs += 1
        self.log_path = os.path.join(self.log_dir, f"promethium.{self.runs}.log")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()

        def ready():
            if self.proc.poll() is not None:
                raise TestFailure(f"promethium exited early with {self.proc.returncode}")
            return http_get(self.base + "/-/ready")[0] == 200

        wait_until(STARTUP_DEADLINE, "promethium /-/ready", ready)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def api(self, path, **params):
        status, body = http_get(self.base + path + "?" + urllib.parse.urlencode(params))
        doc = json.loads(body)
        if status != 200 or doc.get("status") != "success":
            raise ValueError(f"{path} {params}: HTTP {status}: {body[:300]}")
        return doc["data"]["result"]

    def raw_samples(self, at):
        """Every raw sample of the counter up to `at` (s): [(t_ms, value_str)]."""
        result = self.api("/api/v1/query", query=f"{METRIC}[10m]", time=f"{at:.3f}")
        if not result:
            return []
        if len(result) != 1:
            raise TestFailure(f"expected one counter series, got {len(result)}")
        return [(round(float(t) * 1000), v) for t, v in result[0]["values"]]

    def range_query(self, start, end):
        return self.api("/api/v1/query_range", query=METRIC, start=f"{start:.3f}", end=f"{end:.3f}", step="1")

    def dump_log(self):
        try:
            with open(self.log_path, "rb") as f:
                tail = f.read()[-3000:].decode("utf-8", "replace")
            print(f"----- last output of promethium run {self.runs} -----\n{tail}", file=sys.stderr)
        except (OSError, AttributeError):
            pass


def check_no_duplicates(samples, when):
    ts = [t for t, _ in samples]
    vals = [float(v) for _, v in samples]
    check(all(a < b for a, b in zip(ts, ts[1:])), f"{when}: timestamps strictly increase ({len(ts)} samples)")
    check(all(a < b for a, b in zip(vals, vals[1:])), f"{when}: counter values strictly increase (no duplicates)")


def block_metas(data):
    """(name, meta) of every block directory in the data dir."""
    metas = []
    for name in sorted(os.listdir(data)):
        path = os.path.join(data, name, "meta.json")
        if len(name) == 26 and os.path.isfile(path):
            with open(path) as f:
                metas.append((name, json.load(f)))
    return metas


def check_data_dir(data, when):
    leftovers = [n for n in os.listdir(data) if ".tmp" in n]
    check(not leftovers, f"{when}: no leftover temporary directories ({leftovers})")
    quarantined = os.listdir(os.path.join(data, "quarantine")) if os.path.isdir(os.path.join(data, "quarantine")) else []
    check(not quarantined, f"{when}: no block was quarantined ({quarantined})")
    metas = sorted(block_metas(data), key=lambda m: m[1]["minTime"])
    overlaps = [(a[0], b[0]) for a, b in zip(metas, metas[1:]) if b[1]["minTime"] < a[1]["maxTime"]]
    check(not overlaps, f"{when}: {len(metas)} blocks, none overlapping another ({overlaps})")
    return metas


def run(args):
    rng = random.Random(args.seed)
    print(f"seed {args.seed}", flush=True)
    deadline = time.monotonic() + TEST_DEADLINE
    tmp = tempfile.TemporaryDirectory(prefix="promethium-crash-")
    target = CounterTarget()
    port = free_port()
    cfg = os.path.join(tmp.name, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n"
                f"  - job_name: counter\n    static_configs:\n      - targets: ['127.0.0.1:{target.port}']\n"
                f"  - job_name: promethium\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n")
    kills = KILLS_BLOCKS if args.blocks else KILLS
    server = Promethium(args.promethium, cfg, os.path.join(tmp.name, "data"), port, tmp.name,
                        BLOCK_FLAGS if args.blocks else ())
    test_start = time.time()
    survived = []  # every sample seen before any kill
    try:
        server.start()
        for kill in range(1, kills + 1):
            # Let a couple more samples in, then kill at a random moment.
            need = len(survived) + 3
            wait_until(max(1, deadline - time.monotonic() - 10), f"{need} counter samples",
                       lambda: len(server.raw_samples(time.time() + 1)) >= need)
            time.sleep(rng.uniform(0.0, 2.0))
            seen_at = time.time()
            before = server.raw_samples(seen_at)
            # Points of the range query depend only on samples up to its end;
            # stay 3 s behind "now" so no scrape is still being committed.
            range_end = max(test_start, seen_at - 3)
            range_before = server.range_query(test_start, range_end)
            server.kill()
            check(server.proc.returncode == -signal.SIGKILL, f"kill {kill}: promethium died of SIGKILL")
            check(all(s in before for s in survived), f"kill {kill}: earlier survivors still present before it")
            survived = before

            server.start()
            check(True, f"kill {kill}: promethium restarted on the same data dir")
            if args.blocks:
                check_data_dir(server.data, f"kill {kill}: after restart")
            after = server.raw_samples(seen_at)
            missing = [s for s in before if s not in after]
            check(not missing, f"kill {kill}: all {len(before)} samples queryable before the kill survive "
                               f"with exact values (missing: {missing[:5]})")
            # Scrapes committed between that query and the kill may add later
            # samples, never earlier or changed ones.
            check(after[:len(before)] == before, f"kill {kill}: the pre-kill samples are a prefix of what is there now")
            check_no_duplicates(server.raw_samples(time.time() + 1), f"kill {kill}")
            check(server.range_query(test_start, range_end) == range_before,
                  f"kill {kill}: query_range over the pre-kill span is unchanged")
            if time.monotonic() > deadline:
                raise TestFailure("test exceeded its time budget")
        # A final look: everything from every round is there exactly once.
        final = server.raw_samples(time.time() + 1)
        check(all(s in final for s in survived), "final: every pre-kill sample present")
        check_no_duplicates(final, "final")
        if args.blocks:
            metas = check_data_dir(server.data, "final")
            check(len(metas) > 0, f"final: the head was cut into blocks ({len(metas)})")
            covered = [m for _, m in metas if m["minTime"] <= final[0][0] < m["maxTime"]]
            check(covered, "final: the oldest sample lives in a block")
        server.proc.send_signal(signal.SIGTERM)
        rc = server.proc.wait(timeout=10)
        check(rc == 0, f"promethium exits 0 on SIGTERM (got {rc})")
    except BaseException:
        server.dump_log()
        raise
    finally:
        server.stop()
        target.close()
        tmp.cleanup()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--blocks", action="store_true", help="2 s blocks: kill during block writes too")
    args = parser.parse_args()
    if not os.access(args.promethium, os.X_OK):
        print(f"FAIL: promethium binary not executable: {args.promethium}", file=sys.stderr)
        return 1
    try:
        run(args)
    except (TestFailure, ValueError, OSError, subprocess.TimeoutExpired) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
