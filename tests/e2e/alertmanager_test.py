#!/usr/bin/env python3
"""End to end: alerts reach the real Alertmanager 0.25 (Debian package).

The test runs, all on 127.0.0.1:
- a Python HTTP server that serves a metric it controls (`e2e_flag`) on
  /metrics and records the webhook notifications Alertmanager POSTs to /hook;
- Alertmanager, clustering off, routing everything to that webhook with
  send_resolved and 1s group_wait/group_interval;
- Promethium scraping the flag every second, with an alerting rule on it
  (evaluated every second), global.external_labels and
  alerting.alertmanagers pointing at Alertmanager.

It checks that /api/v1/alertmanagers lists Alertmanager, that the webhook
receives the firing alert (our labels, the external label, the expanded
annotation, the generatorURL) and, after the flag turns 0, the resolved
notification; and that the notifier's self-metrics counted the sends.
"""
import argparse
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import (TestFailure, check, free_port, http_get, print_log_tail, stop_process,  # noqa: E402
                        wait_ready, wait_until)

RULES = """groups:
  - name: flag
    interval: 1s
    rules:
      - alert: E2EFlag
        expr: e2e_flag == 1
        for: 1s
        labels:
          severity: page
        annotations:
          summary: "flag on {{ $labels.instance }} is {{ $value }}"
"""

AM_CONFIG = """route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:{hook_port}/hook
        send_resolved: true
"""


class Hook(http.server.BaseHTTPRequestHandler):
    """GET /metrics: the flag; POST /hook: a webhook notification."""
    flag = 1
    notifications = []
    lock = threading.Lock()

    def do_GET(self):
        body = f"# TYPE e2e_flag gauge\ne2e_flag {Hook.flag}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        payload = json.loads(self.rfile.read(length))
        with Hook.lock:
            Hook.notifications.append(payload)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def notification(status):
    with Hook.lock:
        found = [n for n in Hook.notifications
                 if n.get("status") == status and n["alerts"][0]["labels"].get("alertname") == "E2EFlag"]
    return found[-1] if found else None


def api(base, path):
    status, body = http_get(base + path)
    if status != 200:
        raise TestFailure(f"GET {path}: HTTP {status}: {body[:300]}")
    return json.loads(body)["data"]


def metric_value(base, name_with_labels):
    status, body = http_get(base + "/metrics")
    for line in body.splitlines():
        if line.startswith(name_with_labels + " "):
            return float(line.split()[-1])
    return None


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def start_alertmanager(binary, work, am_port, hook_port):
    write(os.path.join(work, "am.yml"), AM_CONFIG.format(hook_port=hook_port))
    log = os.path.join(work, "alertmanager.log")
    with open(log, "wb") as out:
        proc = subprocess.Popen([binary, f"--config.file={work}/am.yml", f"--storage.path={work}/am-data",
                                 f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, log


def start_promethium(binary, work, port, am_port, hook_port):
    os.makedirs(os.path.join(work, "rules"))
    write(os.path.join(work, "rules", "flag.yml"), RULES)
    cfg = os.path.join(work, "prometheus.yml")
    write(cfg, f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels: {{cluster: e2e}}
rule_files: [rules/*.yml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:{am_port}']
      timeout: 5s
scrape_configs:
  - job_name: flag
    static_configs:
      - targets: ['127.0.0.1:{hook_port}']
""")
    log = os.path.join(work, "promethium.log")
    with open(log, "wb") as out:
        proc = subprocess.Popen([binary, f"--config.file={cfg}", f"--storage.tsdb.path={work}/data",
                                 f"--web.listen-address=127.0.0.1:{port}",
                                 f"--web.external-url=http://127.0.0.1:{port}/"],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, log


def check_firing(firing, port, hook_port):
    alert = firing["alerts"][0]
    labels = alert["labels"]
    check(labels.get("severity") == "page" and labels.get("job") == "flag" and
          labels.get("instance") == f"127.0.0.1:{hook_port}", f"the rule's and series' labels arrive (got {labels})")
    check(labels.get("cluster") == "e2e", "global.external_labels are added to the alert")
    summary = alert["annotations"].get("summary")
    check(summary == f"flag on 127.0.0.1:{hook_port} is 1", f"the expanded annotation arrives (got {summary!r})")
    want = f"http://127.0.0.1:{port}/graph?g0.expr=" + urllib.parse.quote_plus("e2e_flag == 1") + "&g0.tab=1"
    check(alert["generatorURL"] == want, f"generatorURL is Prometheus's table link (got {alert['generatorURL']})")
    check(alert["status"] == "firing" and not alert["startsAt"].startswith("0001"), "firing with a start time")


def run(args, work):
    hook_port, am_port, port = free_port(), free_port(), free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", hook_port), Hook)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    am, am_log = start_alertmanager(args.alertmanager, work, am_port, hook_port)
    prom, prom_log = None, None
    try:
        wait_ready("alertmanager", f"http://127.0.0.1:{am_port}", am)
        prom, prom_log = start_promethium(args.promethium, work, port, am_port, hook_port)
        base = f"http://127.0.0.1:{port}"
        wait_ready("promethium", base, prom)
        ams = api(base, "/api/v1/alertmanagers")
        check(ams == {"activeAlertmanagers": [{"url": f"http://127.0.0.1:{am_port}/api/v2/alerts"}],
                      "droppedAlertmanagers": []}, f"/api/v1/alertmanagers lists Alertmanager (got {ams})")

        firing = wait_until(40, "the firing notification at the webhook", lambda: notification("firing"))
        check_firing(firing, port, hook_port)

        Hook.flag = 0
        resolved = wait_until(40, "the resolved notification at the webhook", lambda: notification("resolved"))
        alert = resolved["alerts"][0]
        check(alert["status"] == "resolved" and not alert["endsAt"].startswith("0001"), "resolved with an end time")
        url = f"http://127.0.0.1:{am_port}/api/v2/alerts"
        sent = metric_value(base, f'prometheus_notifications_sent_total{{alertmanager="{url}"}}')
        check(sent is not None and sent >= 2, f"prometheus_notifications_sent_total counts the sends (got {sent})")
        errors = metric_value(base, f'prometheus_notifications_errors_total{{alertmanager="{url}"}}')
        check(errors == 0, f"prometheus_notifications_errors_total is 0 (got {errors})")
        check(metric_value(base, "prometheus_notifications_alertmanagers_discovered") == 1,
              "prometheus_notifications_alertmanagers_discovered is 1")
        check(stop_process(prom, "promethium") == 0, "promethium exits 0 on SIGTERM")
    except Exception:
        if prom_log:
            print_log_tail(prom_log)
        print_log_tail(am_log, "alertmanager output")
        raise
    finally:
        if prom is not None and prom.poll() is None:
            stop_process(prom, "promethium")
        stop_process(am, "alertmanager")
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--promethium", required=True)
    ap.add_argument("--alertmanager", required=True)
    args = ap.parse_args()
    if not args.alertmanager or not os.path.exists(args.alertmanager):
        print("FAIL: prometheus-alertmanager not found; run scripts/setup.sh", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="promethium_am_") as work:
        try:
            run(args, work)
        except TestFailure as e:
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
    print("PASS (alertmanager)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
