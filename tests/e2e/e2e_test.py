#!/usr/bin/env python3
"""End-to-end test of the promethium binary (standard library only).

Case "server": starts prometheus-node-exporter, a garbage-serving HTTP
target and promethium (scraping node, itself and the garbage target every
second) on free loopback ports; waits for a few scrapes; then checks the
HTTP API, promtool against it, the probes, /metrics and a clean SIGTERM
shutdown.

Case "bad-config": the binary must refuse bad configs with a non-zero exit
naming the offending key and its line.

Every child process is killed on exit, whatever happens. All waits are
bounded.
"""

import argparse
import http.server
import json
import os
import re
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

STARTUP_DEADLINE = 30
SCRAPE_DEADLINE = 60
SHUTDOWN_DEADLINE = 10


class Children:
    """Owns child processes; kills every one of them on close."""

    def __init__(self):
        self.procs = []

    def start(self, name, argv, log_path):
        log = open(log_path, "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        proc.name, proc.log_path = name, log_path
        self.procs.append(proc)
        return proc

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def dump_logs(self):
        for p in self.procs:
            try:
                with open(p.log_path, "rb") as f:
                    tail = f.read()[-4000:].decode("utf-8", "replace")
                print(f"----- last output of {p.name} (exit {p.poll()}) -----\n{tail}", file=sys.stderr)
            except OSError:
                pass


class GarbageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"this is not { valid\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Api:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path, **params):
        url = self.base + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        return http_get(url)

    def query(self, expr):
        """Instant query; returns the result list or raises."""
        status, body = self.get("/api/v1/query", query=expr)
        doc = json.loads(body)
        if status != 200 or doc.get("status") != "success":
            raise ValueError(f"query {expr!r}: HTTP {status}: {body[:300]}")
        return doc["data"]["result"]

    def up_by_job(self):
        return {r["metric"].get("job"): float(r["value"][1]) for r in self.query("up")}


def write_config(path, node_port, self_port, garbage_port):
    with open(path, "w") as f:
        f.write(
            "global:\n"
            "  scrape_interval: 1s\n"
            "scrape_configs:\n"
            f"  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:{node_port}']\n"
            f"  - job_name: promethium\n    static_configs:\n      - targets: ['127.0.0.1:{self_port}']\n"
            f"  - job_name: garbage\n    static_configs:\n      - targets: ['127.0.0.1:{garbage_port}']\n"
        )


def wait_for_scrapes(api, jobs, n):
    """Waits until every job has at least n samples of `up`."""

    def enough():
        counts = {r["metric"].get("job"): float(r["value"][1]) for r in api.query("count_over_time(up[1m])")}
        return all(counts.get(j, 0) >= n for j in jobs)

    wait_until(SCRAPE_DEADLINE, f"{n} scrapes of {jobs}", enough, interval=0.5)


def check_up_and_targets(api):
    up = api.up_by_job()
    check(up.get("node") == 1, f"up{{job=node}} is 1 (got {up.get('node')})")
    check(up.get("promethium") == 1, f"up{{job=promethium}} is 1 (got {up.get('promethium')})")
    check(up.get("garbage") == 0, f"up{{job=garbage}} is 0 (got {up.get('garbage')})")
    status, body = api.get("/api/v1/targets")
    check(status == 200, f"/api/v1/targets answers 200 (got {status})")
    active = json.loads(body)["data"]["activeTargets"]
    garbage = [t for t in active if t.get("scrapePool") == "garbage"]
    check(len(garbage) == 1, "/api/v1/targets lists the garbage target")
    check(garbage[0].get("health") == "down", "garbage target health is down")
    check(garbage[0].get("lastError", "") != "", f"garbage target has a lastError ({garbage[0].get('lastError')!r})")


def check_rate(api):
    cpu = api.query("node_cpu_seconds_total")
    check(len(cpu) > 0, f"node_cpu_seconds_total has series ({len(cpu)})")
    rates = api.query("rate(node_cpu_seconds_total[1m])")
    check(len(rates) == len(cpu), f"rate() returns one series per CPU series ({len(rates)} == {len(cpu)})")
    check(all("__name__" not in r["metric"] for r in rates), "rate() drops the metric name")
    check(all(float(r["value"][1]) >= 0 for r in rates), "CPU rates are non-negative")


def check_promtool(promtool, port, node_port):
    url = f"http://127.0.0.1:{port}"
    res = subprocess.run([promtool, "query", "instant", url, "up"], capture_output=True, text=True, timeout=30)
    check(res.returncode == 0, f"promtool query instant exits 0 (got {res.returncode}: {res.stderr.strip()})")
    node_line = re.search(r'^up\{.*job="node".*\} => 1 @\[', res.stdout, re.M)
    check(node_line is not None, f"promtool instant output has the node series with value 1:\n{res.stdout}")
    check(f'instance="127.0.0.1:{node_port}"' in res.stdout, "promtool instant output has the node instance")
    check(re.search(r'job="garbage".*\} => 0 @\[', res.stdout) is not None, "promtool shows garbage up=0")
    end = int(time.time())
    res = subprocess.run(
        [promtool, "query", "range", f"--start={end - 10}", f"--end={end}", "--step=1s", url, "up"],
        capture_output=True, text=True, timeout=30)
    check(res.returncode == 0, f"promtool query range exits 0 (got {res.returncode}: {res.stderr.strip()})")
    for job in ("node", "promethium", "garbage"):
        check(re.search(rf'^up\{{.*job="{job}".*\}} =>', res.stdout, re.M) is not None,
              f"promtool range output has job={job}")
    check(re.search(r"^1 @\[\d+\]?", res.stdout, re.M) is not None, "promtool range output has samples")


def check_http_surface(api):
    status, body = api.get("/api/v1/query", query="sum(")
    check(status == 400, f"malformed query answers HTTP 400 (got {status})")
    doc = json.loads(body)
    check(doc.get("status") == "error" and doc.get("errorType") == "bad_data",
          f"malformed query has errorType bad_data ({body[:200]})")
    for probe in ("/-/healthy", "/-/ready"):
        status, _ = api.get(probe)
        check(status == 200, f"{probe} answers 200 (got {status})")
    status, body = api.get("/metrics")
    check(status == 200 and "prometheus_tsdb_head_series" in body, "/metrics has prometheus_tsdb_head_series")
    check("prometheus_build_info{" in body, "/metrics has prometheus_build_info")


def reload_metric(api):
    status, body = api.get("/metrics")
    m = re.search(r"^prometheus_config_last_reload_successful (\S+)$", body, re.M)
    return float(m.group(1)) if status == 200 and m else None


def check_reload(server, api, cfg):
    """SIGHUP with a broken file keeps serving and reports the failure."""
    check(reload_metric(api) == 1, "prometheus_config_last_reload_successful is 1 after startup")
    with open(cfg) as f:
        good = f.read()
    with open(cfg, "w") as f:
        f.write(good + "bogus_key: 1\n")
    server.send_signal(signal.SIGHUP)
    wait_until(10, "failed reload to be reported", lambda: reload_metric(api) == 0)
    check(api.get("/-/ready")[0] == 200, "still ready after a failed reload")
    with open(cfg, "w") as f:
        f.write(good)
    server.send_signal(signal.SIGHUP)
    wait_until(10, "good reload to be reported", lambda: reload_metric(api) == 1)
    print("ok: SIGHUP reload failure and recovery are reported", flush=True)


def run_server_case(args):
    children = Children()
    garbage = http.server.ThreadingHTTPServer(("127.0.0.1", 0), GarbageHandler)
    threading.Thread(target=garbage.serve_forever, daemon=True).start()
    tmp = tempfile.TemporaryDirectory(prefix="promethium-e2e-")
    ok = False
    try:
        node_port, port = free_port(), free_port()
        children.start("node_exporter", [
            args.node_exporter, f"--web.listen-address=127.0.0.1:{node_port}",
            "--collector.disable-defaults", "--collector.cpu", "--collector.loadavg"],
            os.path.join(tmp.name, "node_exporter.log"))
        cfg = os.path.join(tmp.name, "prometheus.yml")
        write_config(cfg, node_port, port, garbage.server_address[1])
        server = children.start("promethium", [
            args.promethium, f"--config.file={cfg}", f"--storage.tsdb.path={tmp.name}/data",
            f"--web.listen-address=127.0.0.1:{port}"], os.path.join(tmp.name, "promethium.log"))
        api = Api(port)
        wait_until(STARTUP_DEADLINE, "node_exporter",
                   lambda: http_get(f"http://127.0.0.1:{node_port}/metrics")[0] == 200)
        def server_ready():
            if server.poll() is not None:
                raise TestFailure(f"promethium exited early with {server.returncode}")
            return api.get("/-/ready")[0] == 200

        wait_until(STARTUP_DEADLINE, "promethium /-/ready", server_ready)
        wait_until(SCRAPE_DEADLINE, "up series for all jobs",
                   lambda: {"node", "promethium", "garbage"} <= set(api.up_by_job()))
        wait_for_scrapes(api, ["node", "promethium", "garbage"], 3)
        check_up_and_targets(api)
        check_rate(api)
        check_promtool(args.promtool, port, node_port)
        check_http_surface(api)
        check_reload(server, api, cfg)
        server.send_signal(signal.SIGTERM)
        try:
            rc = server.wait(timeout=SHUTDOWN_DEADLINE)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"promethium did not exit within {SHUTDOWN_DEADLINE}s of SIGTERM")
        check(rc == 0, f"promethium exits 0 on SIGTERM (got {rc})")
        ok = True
    finally:
        if not ok:
            children.dump_logs()
        children.close()
        garbage.shutdown()
        tmp.cleanup()


BAD_CONFIGS = [
    # (config text, substrings the error output must contain)
    ("global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: x\n    foo: 1\n",
     ["field foo not found in type config.ScrapeConfig", "line 5"]),
    ("scrape_configs:\n  - job_name: x\n    consul_sd_configs:\n      - server: a:8500\n",
     ["unsupported: consul_sd_configs (line 3)"]),
    ("scrape_configs:\n  - job_name: x\n  - job_name: x\n", ['found multiple scrape configs with job name \\"x\\"']),
]


def run_bad_config_case(args):
    with tempfile.TemporaryDirectory(prefix="promethium-e2e-") as tmp:
        for text, wants in BAD_CONFIGS:
            cfg = os.path.join(tmp, "bad.yml")
            with open(cfg, "w") as f:
                f.write(text)
            res = subprocess.run([
                args.promethium, f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/data",
                f"--web.listen-address=127.0.0.1:{free_port()}"], capture_output=True, text=True, timeout=30)
            out = res.stdout + res.stderr
            check(res.returncode != 0, f"bad config exits non-zero (got {res.returncode})")
            for want in wants:
                check(want in out, f"error output mentions {want!r}:\n{out.strip()}")
        res = subprocess.run([args.promethium, "--no-such-flag"], capture_output=True, text=True, timeout=30)
        check(res.returncode == 1, f"unknown flag exits 1 (got {res.returncode})")
        check("unknown long flag '--no-such-flag'" in res.stderr, f"unknown flag message: {res.stderr.strip()}")
        res = subprocess.run([args.promethium, "--version"], capture_output=True, text=True, timeout=30)
        check(res.returncode == 0 and res.stdout.startswith("promethium, version "), "--version works")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", choices=["server", "bad-config"], required=True)
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--promtool", required=True)
    parser.add_argument("--node-exporter", required=True)
    args = parser.parse_args()
    for name in ("promethium", "promtool", "node_exporter"):
        path = getattr(args, name)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            print(f"FAIL: {name} not found or not executable at {path!r} (run scripts/setup.sh)", file=sys.stderr)
            return 1
    try:
        run_server_case(args) if args.case == "server" else run_bad_config_case(args)
    except TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
