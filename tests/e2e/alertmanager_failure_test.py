#!/usr/bin/env python3
"""End to end: an Alertmanager that is down, slow or failing never holds up
rule evaluation, and the notifier's queue stays bounded.

All on 127.0.0.1: a Python HTTP server serves SERIES series `e2e_load{shard}`
= 1 on /metrics, which Promethium scrapes every second; an alerting rule
(`for: 0s`, evaluated every second) fires SERIES alerts, re-sent at every
evaluation (--rules.alert.resend-delay=100ms), into a notification queue of
capacity QUEUE_CAPACITY, so the queue overflows at every evaluation. The
Alertmanager (`timeout: TIMEOUT_S`) is, per --case:
- down: a loopback port nothing listens on;
- slow: the same Python server, which answers POST /api/v2/alerts only
  after SLOW_S seconds (longer than the timeout), so the sender is busy
  while evaluations keep queueing and the queue fills to its capacity;
- error500: the same Python server, answering 500.

Over a window of at least WINDOW_EVALS evaluations the test checks that the
rule group keeps evaluating (prometheus_rule_evaluations_total grows by
WINDOW_EVALS, prometheus_rule_group_iterations_missed_total stays 0, no
evaluation failure, all SERIES alerts firing in ALERTS), that
prometheus_notifications_errors_total for the Alertmanager and
prometheus_notifications_dropped_total grow, that
prometheus_notifications_queue_length never exceeds the capacity in any
reading of /metrics (read at every poll; the slow case waits for a
reading at capacity), that the slow and failing
Alertmanager got well-formed batches of at most QUEUE_CAPACITY alerts, and
that Promethium still stops cleanly (the shutdown drain gives up after one
failed batch).
"""
import argparse
import http.server
import json
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import (Api, TestFailure, check, free_port, loopback_http_server, print_log_tail,  # noqa: E402
                        self_metrics, start_server, stop_process, wait_ready, wait_until)

SERIES = 60
QUEUE_CAPACITY = 10
TIMEOUT_S = 2  # the Alertmanager's `timeout`
SLOW_S = 4  # > TIMEOUT_S
WINDOW_EVALS = 10
ALERT = "E2ELoad"
RULES = f"""groups:
  - name: load
    interval: 1s
    rules:
      - alert: {ALERT}
        expr: e2e_load == 1
        labels:
          severity: page
"""


class FakeAlertmanager(http.server.BaseHTTPRequestHandler):
    """GET /metrics: the scraped series. POST /api/v2/alerts: records the
    batch, then answers as `mode` says ("slow" or "error500")."""
    mode = "error500"
    batches = []  # sizes of the well-formed batches received
    bad = []  # descriptions of malformed ones
    lock = threading.Lock()

    def do_GET(self):
        body = "# TYPE e2e_load gauge\n" + "".join(f'e2e_load{{shard="{i}"}} 1\n' for i in range(SERIES))
        self._answer(200, body.encode(), "text/plain; version=0.0.4")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            alerts = json.loads(raw)
            ok = isinstance(alerts, list) and all(a["labels"]["alertname"] == ALERT for a in alerts)
        except (ValueError, KeyError, TypeError):
            ok = False
        with FakeAlertmanager.lock:
            if ok and self.path == "/api/v2/alerts":
                FakeAlertmanager.batches.append(len(alerts))
            else:
                FakeAlertmanager.bad.append(f"{self.path}: {raw[:200]!r}")
        if FakeAlertmanager.mode == "slow":
            time.sleep(SLOW_S)  # the client gives up first
            self._answer(200, b"", "text/plain")
        else:
            self._answer(500, b"boom\n", "text/plain")

    def _answer(self, code, body, ctype):
        try:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client hung up (the slow case)

    def log_message(self, *args):
        pass


class Readings:
    """Polls promethium's /metrics, keeping the largest queue length seen."""

    def __init__(self, base, am_url):
        self.base, self.am_url = base, am_url
        self.max_queue = 0
        self.queue_readings = 0

    def read(self):
        m = self_metrics(self.base)

        def one(name, want=None):
            return sum(v for labels, v in m.get(name, []) if want is None or labels == want)
        group = [labels for labels, _ in m.get("prometheus_rule_evaluations_total", [])]
        if len(group) != 1:
            raise TestFailure(f"want one rule group in prometheus_rule_evaluations_total, got {group}")
        r = {
            "evaluations": one("prometheus_rule_evaluations_total"),
            "failures": one("prometheus_rule_evaluation_failures_total"),
            "missed": one("prometheus_rule_group_iterations_missed_total"),
            "errors": one("prometheus_notifications_errors_total", {"alertmanager": self.am_url}),
            "dropped": one("prometheus_notifications_dropped_total"),
            "queue": one("prometheus_notifications_queue_length"),
            "capacity": one("prometheus_notifications_queue_capacity"),
        }
        self.max_queue = max(self.max_queue, r["queue"])
        self.queue_readings += 1
        return r


def config(hook_port, am_port):
    return f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:{am_port}']
      timeout: {TIMEOUT_S}s
scrape_configs:
  - job_name: load
    static_configs:
      - targets: ['127.0.0.1:{hook_port}']
"""


def run(args, work, proc_box):
    FakeAlertmanager.mode = args.case
    with loopback_http_server(FakeAlertmanager) as hook_port:
        am_port = free_port() if args.case == "down" else hook_port
        am_url = f"http://127.0.0.1:{am_port}/api/v2/alerts"
        with open(os.path.join(work, "prometheus.yml"), "w") as f:
            f.write(config(hook_port, am_port))
        with open(os.path.join(work, "rules.yml"), "w") as f:
            f.write(RULES)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc_box.append(start_server(
            args.promethium, os.path.join(work, "prometheus.yml"), os.path.join(work, "data"), port,
            os.path.join(work, "promethium.log"),
            [f"--alertmanager.notification-queue-capacity={QUEUE_CAPACITY}", "--rules.alert.resend-delay=100ms"]))
        proc = proc_box[0]
        wait_ready("promethium", base, proc)
        observe(args, Api(port), Readings(base, am_url), proc)


def observe(args, api, readings, proc):
    """The checks, with promethium ready and the Alertmanager in its mode."""
    wait_until(60, f"all {SERIES} alerts firing", lambda: [
        r for r in api.query(f'count(ALERTS{{alertname="{ALERT}",alertstate="firing"}})')
        if r["value"][1] == str(SERIES)])
    start = readings.read()
    check(start["capacity"] == QUEUE_CAPACITY, f"prometheus_notifications_queue_capacity is {QUEUE_CAPACITY}")
    # The window: the group keeps evaluating while sends fail.
    end = wait_until(90, f"{WINDOW_EVALS} more evaluations, notification errors and drops", lambda: (
        lambda r: r if (r["evaluations"] >= start["evaluations"] + WINDOW_EVALS and
                        r["errors"] >= start["errors"] + 2 * QUEUE_CAPACITY and
                        r["dropped"] > start["dropped"]) else None)(readings.read()), interval=0.3)
    if args.case == "slow":
        wait_until(60, "the queue full while the sender waits on the slow Alertmanager",
                   lambda: readings.read()["queue"] == QUEUE_CAPACITY, interval=0.2)
        end = readings.read()
    check(end["missed"] == 0, "prometheus_rule_group_iterations_missed_total stays 0")
    check(end["failures"] == 0, "no rule evaluation failure")
    check(end["errors"] > start["errors"],
          f"prometheus_notifications_errors_total grows ({start['errors']:.0f} -> {end['errors']:.0f})")
    check(end["dropped"] > start["dropped"],
          f"prometheus_notifications_dropped_total grows ({start['dropped']:.0f} -> {end['dropped']:.0f})")
    check(readings.max_queue <= QUEUE_CAPACITY,
          f"prometheus_notifications_queue_length <= {QUEUE_CAPACITY} in all {readings.queue_readings} "
          f"readings (max {readings.max_queue:.0f})")
    firing = api.query(f'count(ALERTS{{alertname="{ALERT}",alertstate="firing"}})')
    check(firing and firing[0]["value"][1] == str(SERIES), f"all {SERIES} alerts still firing in ALERTS")
    with FakeAlertmanager.lock:
        batches, bad = list(FakeAlertmanager.batches), list(FakeAlertmanager.bad)
    check(not bad, f"every POST was a well-formed batch of {ALERT} alerts to /api/v2/alerts (bad: {bad[:3]})")
    if args.case != "down":
        check(len(batches) >= 2 and max(batches) <= QUEUE_CAPACITY,
              f"the Alertmanager got batches of at most {QUEUE_CAPACITY} alerts ({len(batches)} batches)")
    check(stop_process(proc, "promethium") == 0, "promethium exits 0 on SIGTERM despite the Alertmanager")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--promethium", required=True)
    ap.add_argument("--case", required=True, choices=["down", "slow", "error500"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="promethium_am_failure_") as work:
        procs = []
        try:
            run(args, work, procs)
        except TestFailure as e:
            if os.path.exists(os.path.join(work, "promethium.log")):
                print_log_tail(os.path.join(work, "promethium.log"))
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
        finally:
            for proc in procs:
                if proc.poll() is None:
                    stop_process(proc, "promethium")
    print(f"PASS (alertmanager failure, {args.case})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
