#!/usr/bin/env python3
"""RSS per active series of promethium --agent against a full-mode promethium
(and, with --prometheus, Prometheus's own agent mode), all scraping the same
../shared/tools/fleet.py synthetic fleet on loopback for --duration seconds.

Each server gets its own data dir and port; RSS (VmRSS of the process) is
sampled once a second; the idle RSS is taken 10 s after start, before the
fleet (and so its file_sd file) exists. Active series come from each server's self-metrics:
prometheus_agent_active_series for agents, prometheus_tsdb_head_series for
the full server. Prints one line per server: series, idle, final and peak RSS,
final RSS per series and (final - idle) per series. Everything stops by itself; loopback only.
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def gauge(port, name):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            body = r.read().decode()
    except OSError:
        return 0
    m = re.search(rf"^{name} (\S+)$", body, re.M)
    return float(m.group(1)) if m else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--promethium", required=True)
    p.add_argument("--prometheus", help="also run Prometheus in agent mode (--enable-feature=agent, 2.x)")
    p.add_argument("--fleet", default=os.path.join(os.path.dirname(__file__), "../../shared/tools/fleet.py"))
    p.add_argument("--targets", type=int, default=50)
    p.add_argument("--series", type=int, default=600)
    p.add_argument("--duration", type=int, default=180)
    p.add_argument("--interval", type=int, default=5)
    args = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="agent_rss_")
    procs = []
    try:
        sd = os.path.join(tmp, "sd.json")
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(f"global: {{scrape_interval: {args.interval}s, scrape_timeout: {args.interval}s}}\n"
                    f"scrape_configs:\n  - job_name: fleet\n    file_sd_configs: [{{files: ['{sd}'], refresh_interval: 2s}}]\n")
        servers = []
        specs = [("promethium --agent", [args.promethium, "--agent", "--storage.agent.path={data}"],
                  "prometheus_agent_active_series"),
                 ("promethium (full)", [args.promethium, "--storage.tsdb.path={data}"], "prometheus_tsdb_head_series")]
        if args.prometheus:
            specs.append(("prometheus --enable-feature=agent",
                          [args.prometheus, "--enable-feature=agent", "--storage.agent.path={data}"],
                          "prometheus_agent_active_series"))
        for i, (name, cmd, series_metric) in enumerate(specs):
            port, data = free_port(), os.path.join(tmp, f"data{i}")
            cmd = [c.replace("{data}", data) for c in cmd] + [f"--config.file={cfg}",
                                                                f"--web.listen-address=127.0.0.1:{port}"]
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(proc)
            servers.append({"name": name, "proc": proc, "port": port, "metric": series_metric, "peak": 0})
        # Idle RSS first: the file_sd file does not exist until the fleet starts.
        time.sleep(10)
        for s in servers:
            s["idle"] = rss_bytes(s["proc"].pid)
        procs.append(subprocess.Popen([sys.executable, args.fleet, "synthetic", "--targets", str(args.targets),
                                       "--series", str(args.series), "--port", str(free_port()), "--duration",
                                       str(args.duration + 120), "--sd-file", sd, "--quiet"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(300):
            if os.path.exists(sd):
                break
            time.sleep(0.1)
        end = time.monotonic() + args.duration
        while time.monotonic() < end:
            for s in servers:
                s["peak"] = max(s["peak"], rss_bytes(s["proc"].pid))
            time.sleep(1)
        print(f"{args.targets} targets x {args.series} series, {args.interval}s interval, {args.duration}s")
        print(f"{'server':36} {'series':>8} {'RSS idle':>10} {'RSS final':>11} {'RSS peak':>10} {'B/series':>9} "
              f"{'(final-idle)/series':>20}")
        for s in servers:
            series = gauge(s["port"], s["metric"])
            final = rss_bytes(s["proc"].pid)
            per = final / series if series else float("nan")
            marginal = (final - s["idle"]) / series if series else float("nan")
            print(f"{s['name']:36} {series:8.0f} {s['idle'] / 2**20:8.1f}Mi {final / 2**20:9.1f}Mi "
                  f"{s['peak'] / 2**20:8.1f}Mi {per:9.0f} {marginal:20.0f}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
