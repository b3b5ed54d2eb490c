#!/usr/bin/env python3
"""CPU that remote write adds, per million samples sent: promethium against
Prometheus 2.42, both scraping the same ../shared/tools/fleet.py synthetic
fleet and sending to the same VictoriaMetrics 1.79.

Four servers run at once, each with its own data dir and port: promethium and
Prometheus, each once without remote_write and once with one remote_write to
VictoriaMetrics (the same explicit queue_config for both, metadata not sent).
After --warmup seconds, CPU (utime+stime from /proc/<pid>/stat) and
prometheus_remote_storage_samples_total are read, and again --duration
seconds later. Per server:

    added CPU s per 1M samples sent = (CPU with RW - CPU without RW) / (sent / 1e6)

and the ratio promethium / Prometheus. Samples appended to each head
(prometheus_tsdb_head_samples_appended_total) are printed to show both
members of a pair did the same scraping. Running all four at once shares the
noise between them; it is still one run on a shared machine.

--drain measures the whole sender's throughput on one core instead:
promethium pinned with `taskset -c <core>` scrapes the fleet (at
--interval) with a remote_write to a VictoriaMetrics that is not running for
--duration seconds, so the backlog stays in its WAL; then VictoriaMetrics
starts on that port and the rate of prometheus_remote_storage_samples_total
while the backlog drains (WAL read, encoding, compression, HTTP) is the
sender's limit on that core, scraping going on meanwhile.
Everything binds to 127.0.0.1 and stops by itself.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
QUEUE = ("    queue_config: {capacity: 10000, max_shards: 50, min_shards: 1, max_samples_per_send: 2000, "
         "batch_send_deadline: 5s}\n    metadata_config: {send: false}\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def metric_sum(port, name):
    """Sum over every series of `name` in the server's /metrics (0 when absent or unreachable)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            body = r.read().decode()
    except OSError:
        return 0.0
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", body, re.M))


def wait_until(what, fn, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return
        time.sleep(0.5)
    raise RuntimeError(f"timed out waiting for {what}")


def drain(args, tmp, start, base_cfg, vm_cmd, vm_port):
    cfg = os.path.join(tmp, "drain.yml")
    with open(cfg, "w") as f:
        f.write(base_cfg + f"remote_write:\n  - url: http://127.0.0.1:{vm_port}/api/v1/write\n    name: drain\n" +
                QUEUE.replace("batch_send_deadline: 5s}", "batch_send_deadline: 5s, max_backoff: 1s}"))
    port = free_port()
    proc = start("promethium", ["taskset", "-c", str(args.core), args.promethium, f"--config.file={cfg}",
                                f"--storage.tsdb.path={tmp}/drain", f"--web.listen-address=127.0.0.1:{port}"])
    wait_until("promethium to scrape", lambda: metric_sum(port, "prometheus_tsdb_head_samples_appended_total") > 0,
               120)
    time.sleep(args.duration)
    backlog = metric_sum(port, "prometheus_tsdb_head_samples_appended_total")
    start("vm", vm_cmd)
    t0, rates, last = time.time(), [], (time.time(), 0.0)
    while time.time() - t0 < 300:
        time.sleep(0.5)
        now, sent = time.time(), metric_sum(port, "prometheus_remote_storage_samples_total")
        rates.append((sent - last[1]) / (now - last[0]))
        last = (now, sent)
        if sent >= backlog:
            break
    cpu = cpu_seconds(proc.pid)
    print(f"backlog {backlog / 1e6:.2f}M samples ({args.targets} targets x {args.series} series every "
          f"{args.interval}s for {args.duration}s, receiver down); promethium on core {args.core}")
    print(f"drained {last[1] / 1e6:.2f}M in {last[0] - t0:.1f}s after the receiver started: "
          f"{last[1] / (last[0] - t0) / 1e6:.2f}M samples/s on average, peak 0.5s rate {max(rates) / 1e6:.2f}M/s; "
          f"promethium CPU so far {cpu:.1f}s")
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--promethium", required=True)
    p.add_argument("--prometheus", default="prometheus")
    p.add_argument("--victoria-metrics", default="victoria-metrics")
    p.add_argument("--fleet", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "../../shared/tools/fleet.py"))
    p.add_argument("--targets", type=int, default=50)
    p.add_argument("--series", type=int, default=1000)
    p.add_argument("--interval", type=int, default=5)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--duration", type=int, default=120)
    p.add_argument("--drain", action="store_true", help="one-core drain throughput of promethium instead")
    p.add_argument("--core", type=int, default=0)
    args = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="rw_cpu_")
    procs = []

    def start(name, cmd):
        log = open(os.path.join(tmp, name + ".log"), "wb")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        procs.append(proc)
        return proc

    try:
        sd = os.path.join(tmp, "sd.json")
        start("fleet", [sys.executable, args.fleet, "synthetic", "--targets", str(args.targets), "--series",
                        str(args.series), "--duration", str(args.warmup + args.duration + 120), "--sd-file", sd,
                        "--quiet"])
        vm_port = free_port()
        vm_cmd = [args.victoria_metrics, f"-storageDataPath={tmp}/vm", f"-httpListenAddr=127.0.0.1:{vm_port}",
                  "-search.latencyOffset=0s"]
        base_cfg = (f"global: {{scrape_interval: {args.interval}s, scrape_timeout: {args.interval}s}}\n"
                    f"scrape_configs:\n  - job_name: fleet\n    file_sd_configs: [{{files: ['{sd}']}}]\n")
        if args.drain:
            return drain(args, tmp, start, base_cfg, vm_cmd, vm_port)
        start("vm", vm_cmd)
        servers = []
        for kind, binary in (("promethium", args.promethium), ("prometheus", args.prometheus)):
            for rw in (False, True):
                name = f"{kind}{'-rw' if rw else ''}"
                cfg = os.path.join(tmp, name + ".yml")
                with open(cfg, "w") as f:
                    f.write(base_cfg)
                    if rw:
                        f.write(f"remote_write:\n  - url: http://127.0.0.1:{vm_port}/api/v1/write\n"
                                f"    name: {name}\n" + QUEUE)
                port = free_port()
                proc = start(name, [binary, f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/{name}",
                                    f"--web.listen-address=127.0.0.1:{port}"])
                servers.append({"name": name, "kind": kind, "rw": rw, "port": port, "proc": proc})
        for s in servers:
            wait_until(f"{s['name']} to scrape", lambda: metric_sum(
                s["port"], "prometheus_tsdb_head_samples_appended_total") > 0, 120)
        time.sleep(args.warmup)

        def snapshot():
            return {s["name"]: (cpu_seconds(s["proc"].pid),
                                metric_sum(s["port"], "prometheus_remote_storage_samples_total"),
                                metric_sum(s["port"], "prometheus_tsdb_head_samples_appended_total"))
                    for s in servers}
        before = snapshot()
        time.sleep(args.duration)
        after = snapshot()
        for s in servers:
            if s["proc"].poll() is not None:
                raise RuntimeError(f"{s['name']} exited early (see {tmp})")
        delta = {n: tuple(a - b for a, b in zip(after[n], before[n])) for n in after}
        print(f"{args.targets} targets x {args.series} series every {args.interval}s, {args.duration}s measured "
              f"after {args.warmup}s warm-up")
        print(f"{'server':<16}{'CPU s':>9}{'appended':>12}{'sent':>12}")
        for n, (cpu, sent, appended) in delta.items():
            print(f"{n:<16}{cpu:>9.2f}{appended:>12.0f}{sent:>12.0f}")
        added = {}
        for kind in ("promethium", "prometheus"):
            cpu_rw, sent, _ = delta[kind + "-rw"]
            cpu_plain = delta[kind][0]
            added[kind] = (cpu_rw - cpu_plain) / (sent / 1e6) if sent else float("nan")
            print(f"{kind}: remote write adds {cpu_rw - cpu_plain:.2f} CPU s for {sent / 1e6:.3f}M samples sent "
                  f"= {added[kind]:.2f} CPU s per 1M samples")
        print(f"ratio promethium / prometheus: {added['promethium'] / added['prometheus']:.2f}")
        return 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
