#!/usr/bin/env python3
"""End to end: rule_files in prometheus.yml are loaded and evaluated.

Promethium scrapes itself every second with a recording rule and an
alerting rule evaluated every second. The test checks, through the HTTP API
only:
- the recorded series is queryable with the recorded value;
- the alert goes pending, then firing after its `for`, with its templated
  annotation, in /api/v1/alerts, /api/v1/rules and the ALERTS series;
- a reload with a broken rule file fails (HTTP 500 from /-/reload,
  prometheus_config_last_reload_successful 0) and the running rules go on;
- removing the group by a reload marks its recorded series stale at once
  and drops its rule_group self-metrics from /metrics;
- a broken rule file at start-up stops the server with the file named.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import (TestFailure, check, free_port, http_get, print_log_tail, stop_process,  # noqa: E402
                        wait_ready, wait_until)

RULES = """groups:
  - name: self
    interval: 1s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: SelfScrapeUp
        expr: up{job="self"} == 1
        for: 3s
        labels:
          severity: info
        annotations:
          summary: "{{ $labels.instance }} is up (value {{ $value }})"
"""

BROKEN = """groups:
  - name: self
    rules:
      - record: job:up:sum
        expr: sum by (job) (up
"""


def api(base, path, params=None):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    status, body = http_get(url)
    if status != 200:
        raise TestFailure(f"GET {url}: HTTP {status}: {body[:300]}")
    return json.loads(body)["data"]


def post(url):
    req = urllib.request.Request(url, data=b"", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def firing_alert(base):
    alerts = api(base, "/api/v1/alerts")["alerts"]
    return [a for a in alerts if a["labels"].get("alertname") == "SelfScrapeUp" and a["state"] == "firing"]


def check_group_removed(base, rules_dir):
    """A reload without the group: its recorded series goes stale at once
    (without a staleness marker it would stay visible for the 5m lookback)
    and its rule_group self-metrics stop being exported."""
    write(os.path.join(rules_dir, "self.yml"), "groups: []\n")
    check(post(base + "/-/reload") == 200, "/-/reload without the group succeeds")
    check(wait_until(10, "job:up:sum stale after its group was removed", lambda: api(
        base, "/api/v1/query", {"query": 'job:up:sum{job="self"}'})["result"] == []),
        "the removed group's recorded series is stale")
    check(wait_until(10, "the removed group's metrics gone from /metrics",
                     lambda: "rule_group=" not in http_get(base + "/metrics")[1]),
          "the removed group's rule_group metrics are no longer exported")


def run(args, work):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    rules_dir = os.path.join(work, "rules")
    os.makedirs(rules_dir)
    write(os.path.join(rules_dir, "self.yml"), RULES)
    cfg = os.path.join(work, "prometheus.yml")
    write(cfg, f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - rules/*.yml\n"
               f"scrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n")
    log = os.path.join(work, "promethium.log")
    with open(log, "wb") as out:
        proc = subprocess.Popen([args.promethium, f"--config.file={cfg}", f"--storage.tsdb.path={work}/data",
                                 f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle"],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_ready("promethium", base, proc)
        started = time.time()
        rec = wait_until(30, "job:up:sum recorded", lambda: api(base, "/api/v1/query",
                                                               {"query": 'job:up:sum{job="self"}'})["result"])
        check(rec[0]["value"][1] == "1", f"job:up:sum{{job=\"self\"}} is 1 (got {rec[0]['value'][1]})")
        pending = wait_until(30, "the alert pending or firing", lambda: api(base, "/api/v1/alerts")["alerts"])
        check(pending[0]["labels"]["severity"] == "info", "rule labels are on the alert")
        firing = wait_until(30, "the alert firing", lambda: firing_alert(base))
        check(time.time() - started >= 3, "firing no earlier than `for: 3s` after the first evaluation")
        summary = firing[0]["annotations"]["summary"]
        check(summary == f"127.0.0.1:{port} is up (value 1)", f"templated annotation (got {summary!r})")
        groups = api(base, "/api/v1/rules")["groups"]
        check(len(groups) == 1 and groups[0]["file"].endswith("rules/self.yml") and groups[0]["interval"] == 1,
              "/api/v1/rules lists the group with its file and interval")
        rules = {r["name"]: r for r in groups[0]["rules"]}
        check(rules["job:up:sum"]["health"] == "ok" and rules["job:up:sum"]["type"] == "recording",
              "the recording rule is healthy")
        check(rules["SelfScrapeUp"]["state"] == "firing" and rules["SelfScrapeUp"]["duration"] == 3,
              "the alerting rule is firing with duration 3")
        series = api(base, "/api/v1/query", {"query": 'ALERTS{alertname="SelfScrapeUp",alertstate="firing"}'})
        check(len(series["result"]) == 1, "the ALERTS series of the firing alert exists")

        write(os.path.join(rules_dir, "self.yml"), BROKEN)
        check(post(base + "/-/reload") == 500, "/-/reload fails on a broken rule file")
        # Read from the self-scrape, so it shows at the next scrape.
        wait_until(10, "prometheus_config_last_reload_successful 0", lambda: [
            r for r in api(base, "/api/v1/query", {"query": "prometheus_config_last_reload_successful"})["result"]
            if r["value"][1] == "0"])
        before = rules["job:up:sum"]["lastEvaluation"]
        wait_until(10, "the old rules still evaluating", lambda: [
            g for g in api(base, "/api/v1/rules")["groups"]
            if g["rules"][0]["lastEvaluation"] != before and len(g["rules"]) == 2])
        check_group_removed(base, rules_dir)
        check(stop_process(proc, "promethium") == 0, "promethium exits 0 on SIGTERM")
    except Exception:
        print_log_tail(log)
        raise
    finally:
        if proc.poll() is None:
            stop_process(proc, "promethium")

    # The broken file at start-up: exit non-zero, the file named.
    write(os.path.join(rules_dir, "self.yml"), BROKEN)
    result = subprocess.run([args.promethium, f"--config.file={cfg}", f"--storage.tsdb.path={work}/data2",
                             f"--web.listen-address=127.0.0.1:{free_port()}"],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    out = result.stdout + result.stderr
    check(result.returncode != 0, f"a broken rule file stops start-up (exit {result.returncode})")
    check("self.yml" in out and "could not parse expression" in out, "the error names the file and the problem")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--promethium", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="promethium_rules_") as work:
        try:
            run(args, work)
        except TestFailure as e:
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
    print("PASS (rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
