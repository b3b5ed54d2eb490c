#!/usr/bin/env python3
"""The disk fills (issue 16, item 5), end to end (standard library only).

Mounts an 8 MiB tmpfs under the build directory (we run as root; a mount
that is refused fails the test), puts promethium's data directory on it and
lets it scrape a target of 2,000 series every second. Then it fills the
tmpfs with a filler file and checks that:

  - ingestion fails visibly: prometheus_tsdb_wal_writes_failed_total and
    promethium_tsdb_head_failed_commits_total grow, and the failure is logged
    at most once per 10 s (far fewer lines than failed commits);
  - the target stays up (/api/v1/targets: health "up", no error);
  - queries keep answering, with every sample ingested before the fill;
then it deletes the filler and checks that ingestion resumes by itself (new
samples, "ingestion resumed" in the log), and that after a restart every
sample that was queryable before it is still there, exactly once.

The server is stopped and the tmpfs unmounted on the way out, whatever
happens. Every wait is bounded.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.parse

from e2e_common import (TestFailure, check, exposition_handler, free_port, http_get, loopback_http_server,
                        run_test_with_tools, self_metrics, wait_until)

SERIES = 2000
METRIC = "disk_full_series"
TMPFS_SIZE = "8m"
READY_DEADLINE = 20
WAIT_DEADLINE = 30
FAIL_LOG = "commit failed, its"
RESUMED_LOG = "ingestion resumed"


class Target:
    """A scrape target whose 2,000 series all change on every scrape, each to
    a value of its own, so every commit is several KiB of WAL (the free part
    of a tmpfs page does not absorb it)."""

    def __init__(self):
        self.scrapes = 0

    def handler(self):
        target = self
        base = exposition_handler(b"")

        class Handler(base):
            def do_GET(self):
                target.scrapes += 1
                lines = [f"# TYPE {METRIC} counter"]
                lines += [f'{METRIC}{{i="{i}"}} {target.scrapes * 1000 + i * 0.37:.2f}' for i in range(SERIES)]
                body = ("\n".join(lines) + "\n").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        return Handler


def metric(base, name):
    samples = self_metrics(base).get(name, [])
    return sum(v for _, v in samples)


def raw_samples(base, series='{i="0"}'):
    """Every raw sample of one series in the last 10 minutes: [(t_ms, value)]."""
    query = urllib.parse.urlencode({"query": f"{METRIC}{series}[10m]", "time": f"{time.time():.3f}"})
    status, body = http_get(f"{base}/api/v1/query?{query}")
    doc = json.loads(body)
    if status != 200 or doc.get("status") != "success":
        raise TestFailure(f"query failed: HTTP {status}: {body[:300]}")
    result = doc["data"]["result"]
    return [] if not result else [(round(float(t) * 1000), v) for t, v in result[0]["values"]]


def target_health(base):
    status, body = http_get(f"{base}/api/v1/targets")
    check(status == 200, f"/api/v1/targets answers 200 (got {status})")
    targets = json.loads(body)["data"]["activeTargets"]
    check(len(targets) == 1, f"one active target ({len(targets)})")
    return targets[0]["health"], targets[0]["lastError"]


def log_count(path, text):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace").count(text)


def fill(path):
    """Writes `path` until the file system is full; returns the bytes written."""
    written = 0
    with open(path, "wb", buffering=0) as f:
        for size in (1 << 20, 64 << 10, 4096, 512, 1):
            block = b"\0" * size
            while True:
                try:
                    written += f.write(block)  # a short write is followed by ENOSPC
                except OSError:
                    break
    return written


def scenario(tmp, procs, args, mnt):
    data = os.path.join(mnt, "data")
    filler = os.path.join(mnt, "filler")
    target = Target()
    with loopback_http_server(target.handler()) as target_port:
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: disk_full\n"
                    f"    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        argv = [args.promethium, f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{port}"]
        server = procs.start("promethium", argv)
        wait_until(READY_DEADLINE, "promethium /-/ready", lambda: http_get(base + "/-/ready")[0] == 200)
        wait_until(WAIT_DEADLINE, "3 scrapes ingested", lambda: len(raw_samples(base)) >= 3)

        ingested = raw_samples(base)
        written = fill(filler)
        check(written > 0, f"filled the tmpfs with {written} bytes")
        failed_commits = lambda: metric(base, "promethium_tsdb_head_failed_commits_total")  # noqa: E731
        wait_until(WAIT_DEADLINE, "3 commits fail on the full disk", lambda: failed_commits() >= 3)
        check(metric(base, "prometheus_tsdb_wal_writes_failed_total") >= 3,
              "prometheus_tsdb_wal_writes_failed_total counts the failed WAL writes")
        before = raw_samples(base)
        check(before[:len(ingested)] == ingested, f"queries answer while the disk is full ({len(before)} samples)")
        first = failed_commits()
        wait_until(WAIT_DEADLINE, "2 more commits fail", lambda: failed_commits() >= first + 2)
        check(raw_samples(base) == before, "nothing is ingested while the disk is full, and nothing lost")
        health, last_error = target_health(base)
        check(health == "up" and last_error == "", f"the target stays up with no error ({health!r}, {last_error!r})")
        failed = failed_commits()
        lines = log_count(server.log_path, FAIL_LOG)
        check(1 <= lines <= 3 and lines < failed,
              f"the failure is logged once per interval: {lines} log lines for {failed:.0f} failed commits")

        os.remove(filler)
        freed_ms = int(time.time() * 1000)
        wait_until(WAIT_DEADLINE, "new samples after space returned",
                   lambda: any(t > freed_ms for t, _ in raw_samples(base)))
        wait_until(WAIT_DEADLINE, "the log says ingestion resumed",
                   lambda: log_count(server.log_path, RESUMED_LOG) >= 1)
        acked = raw_samples(base)
        check(acked[:len(before)] == before, "the samples from before the fill are still there")
        procs.stop(server)

        server = procs.start("promethium-restarted", argv)
        wait_until(READY_DEADLINE, "promethium /-/ready after restart", lambda: http_get(base + "/-/ready")[0] == 200)
        after = raw_samples(base)
        check(after[:len(acked)] == acked,
              f"after a restart all {len(acked)} samples queryable before it are there, exactly")
        ts = [t for t, _ in after]
        check(all(a < b for a, b in zip(ts, ts[1:])), "no sample is duplicated")
        procs.stop(server)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--work-dir", required=True, help="where the tmpfs is mounted (under the build dir)")
    args = parser.parse_args()
    mnt = os.path.join(os.path.abspath(args.work_dir), "disk_full_tmpfs")

    def body(tmp, procs):
        os.makedirs(mnt, exist_ok=True)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", mnt],
                                 capture_output=True, text=True)
        check(mounted.returncode == 0, f"mount a {TMPFS_SIZE} tmpfs at {mnt} ({mounted.stderr.strip()})")
        try:
            scenario(tmp, procs, args, mnt)
        finally:
            procs.cleanup()  # the server must be gone before the unmount
            if subprocess.run(["umount", mnt]).returncode != 0:
                subprocess.run(["umount", "-l", mnt])
            os.rmdir(mnt)

    return run_test_with_tools([("promethium", args.promethium)], "promethium-disk-full-", body)


if __name__ == "__main__":
    sys.exit(main())
