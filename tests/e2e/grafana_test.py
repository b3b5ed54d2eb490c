#!/usr/bin/env python3
"""Replays the requests Grafana's Prometheus datasource sends (stdlib only).

The sequence follows Grafana's pkg/promlib (backend: health check, query
client, resource calls) and packages/grafana-prometheus (metric browser):

- health check: POST /api/v1/query with the form `query=1+1&time=4` (the
  backend evaluates "1+1" over the fixed range 1 s..4 s), then GET
  /api/v1/status/buildinfo for its heuristics (no "features" = Prometheus);
- metric browser (with limit=40000): /api/v1/labels with start/end (POST form, as the backend
  forwards resource calls with the datasource's POST method), GET
  /api/v1/label/__name__/values with match[] and start/end (label values,
  metadata, rules and status/* are GET-only in Grafana's client), GET
  /api/v1/metadata, /api/v1/series with match[] and start/end;
- dashboard panels: POST /api/v1/query_range with form bodies, start/end
  aligned down to the step, `step` in float seconds, the optional timeout,
  and rate over a $__rate_interval-style range (max(4 * scrape interval,
  step + scrape interval));
- exemplars: POST /api/v1/query_exemplars; alerting view: GET /api/v1/rules.

Every answer must be 200 with the JSON shape Grafana's converter parses.
Requests carry the headers Grafana's Go client sends (User-Agent, form
Content-Type, Accept-Encoding: gzip, X-Grafana-Org-Id, X-Dashboard-Uid,
X-Panel-Id). Every request has a timeout; whole test well under 60 s.
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from e2e_common import TestFailure, check, free_port, wait_ready, print_log_tail

HTTP_TIMEOUT = 5
STARTUP_DEADLINE = 30
SCRAPE_INTERVAL_S = 15
GRAFANA_HEADERS = {
    "User-Agent": "Grafana/11.3.0",
    "Accept-Encoding": "gzip",
    "X-Grafana-Org-Id": "1",
    "X-Dashboard-Uid": "promethium-e2e",
    "X-Panel-Id": "2",
}


class Grafana:
    """Sends requests as Grafana's datasource client does."""

    def __init__(self, base):
        self.base = base

    def send(self, method, path, params):
        encoded = urllib.parse.urlencode(params, doseq=True)
        if method == "POST":
            req = urllib.request.Request(self.base + path, data=encoded.encode(), method="POST")
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        else:
            req = urllib.request.Request(self.base + path + ("?" + encoded if encoded else ""), method="GET")
        for key, value in GRAFANA_HEADERS.items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
                status, body, headers = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            status, body, headers = e.code, e.read(), e.headers
        if headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return status, headers, body.decode("utf-8", "replace")

    def api(self, method, path, params):
        """Returns `data` of a 200 success answer; fails on anything else."""
        status, headers, body = self.send(method, path, params)
        what = f"{method} {path}"
        check(status == 200, f"{what} answers 200 (got {status}: {body[:200]})")
        check(headers.get("Content-Type", "").startswith("application/json"),
              f"{what} is JSON (Content-Type {headers.get('Content-Type')})")
        doc = json.loads(body)
        check(doc.get("status") == "success", f"{what} status is success")
        for key in ("warnings", "infos"):
            check(key not in doc or isinstance(doc[key], list), f"{what} {key}, if present, is a list")
        return doc["data"]


def is_number_string(s):
    try:
        float(s)
        return isinstance(s, str)
    except (TypeError, ValueError):
        return False


def check_sample_pair(pair, what):
    check(isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (int, float))
          and is_number_string(pair[1]), f"{what} is [unix seconds, \"value\"] (got {pair})")


def check_matrix(data, what, want_series):
    check(data.get("resultType") == "matrix", f"{what}: resultType matrix")
    result = data["result"]
    check(len(result) == want_series, f"{what}: {want_series} series (got {len(result)})")
    for series in result:
        check(isinstance(series["metric"], dict) and all(isinstance(v, str) for v in series["metric"].values()),
              f"{what}: metric is a string map {series['metric']}")
        check(series["values"], f"{what}: series has values")
        stamps = [pair[0] for pair in series["values"]]
        check(stamps == sorted(stamps), f"{what}: values in time order")
        for pair in series["values"]:
            check_sample_pair(pair, f"{what}: value")
    return result


def health_check(g):
    # pkg/promlib/healthcheck.go: instant "1+1" with range 1 s..4 s -> time=4.
    data = g.api("POST", "/api/v1/query", {"query": "1+1", "time": "4"})
    check(data == {"resultType": "scalar", "result": [4, "2"]}, f"health check 1+1 gives scalar [4, \"2\"] ({data})")
    # The same with httpMethod GET configured on the datasource.
    data = g.api("GET", "/api/v1/query", {"query": "1+1", "time": "4"})
    check(data == {"resultType": "scalar", "result": [4, "2"]}, f"health check as GET ({data})")
    build = g.api("GET", "/api/v1/status/buildinfo", {})
    for key in ("version", "revision", "branch", "buildUser", "buildDate", "goVersion"):
        check(isinstance(build.get(key), str), f"buildinfo.{key} is a string")
    check(not build.get("features"), "buildinfo has no features: Grafana's heuristics say Prometheus, not Mimir")
    major = int(build["version"].split(".")[0])
    check(major >= 2, f"buildinfo version {build['version']} is semver >= 2 (Grafana enables match[] by version)")


def metric_browser(g, start, end):
    # packages/grafana-prometheus sends limit=DEFAULT_SERIES_LIMIT (40000)
    # with labels, label values and series.
    window = {"start": str(start), "end": str(end), "limit": "40000"}
    labels = g.api("POST", "/api/v1/labels", window)
    check(isinstance(labels, list) and {"__name__", "instance", "job", "le"} <= set(labels),
          f"labels with start/end lists the pushed names ({labels})")
    labels = g.api("POST", "/api/v1/labels", dict(window, **{"match[]": 'gf_requests_total{job="api"}'}))
    check(set(labels) == {"__name__", "instance", "job", "method"}, f"labels with match[] ({labels})")
    names = g.api("GET", "/api/v1/label/__name__/values", dict(window, **{"match[]": '{job="api"}'}))
    check(names == ["gf_latency_seconds_bucket", "gf_latency_seconds_count", "gf_latency_seconds_sum",
                    "gf_requests_total"], f"metric names for job=api, sorted ({names})")
    values = g.api("GET", "/api/v1/label/instance/values",
                   dict(window, **{"match[]": "gf_requests_total"}))
    check(values == ["a", "b"], f"instance values of gf_requests_total ({values})")
    metadata = g.api("GET", "/api/v1/metadata", {})
    check(isinstance(metadata, dict), "metadata is an object of metric -> [{type, help, unit}]")
    for name, entries in metadata.items():
        check(all({"type", "help", "unit"} <= set(e) for e in entries), f"metadata entry {name} has type/help/unit")
    metadata = g.api("GET", "/api/v1/metadata", {"metric": "gf_requests_total", "limit": "1"})
    check(isinstance(metadata, dict), "metadata with metric and limit is an object")
    series = g.api("POST", "/api/v1/series", dict(window, **{"match[]": "gf_requests_total"}))
    check(isinstance(series, list) and len(series) == 3 and
          all(s.get("__name__") == "gf_requests_total" for s in series), f"series lists 3 label sets ({series})")
    status, _, body = g.send("GET", "/api/v1/label/__name__/values", dict(window, limit="2"))
    doc = json.loads(body)
    check(status == 200 and len(doc["data"]) == 2 and doc.get("warnings"),
          f"a limit below the result size truncates and warns ({body[:200]})")


def rate_interval(step_s):
    # Grafana's $__rate_interval: max(4 * scrape interval, step + scrape interval).
    return max(4 * SCRAPE_INTERVAL_S, step_s + SCRAPE_INTERVAL_S)


def dashboard_panels(g, first_s, last_s):
    for step in (15, 60):
        end = last_s // step * step
        start = (end - 1200) // step * step
        form = {"query": f"sum by (instance) (rate(gf_requests_total[{rate_interval(step)}s]))",
                "start": str(start), "end": str(end), "step": str(step), "timeout": "60s"}
        data = g.api("POST", "/api/v1/query_range", form)
        result = check_matrix(data, f"rate panel step={step}", 2)
        for series in result:
            stamps = [pair[0] for pair in series["values"]]
            check(all(t % step == 0 and start <= t <= end for t in stamps),
                  f"step={step}: points at multiples of the step within [start, end]")
            check(len(stamps) == (end - start) // step + 1, f"step={step}: a point at every step ({len(stamps)})")
            check(all(float(v) > 0 for _, v in series["values"]), f"step={step}: rates are positive")
    end = last_s // 30 * 30
    form = {"query": "histogram_quantile(0.9, sum by (le) (rate(gf_latency_seconds_bucket[1m])))",
            "start": str(end - 600), "end": str(end), "step": "30"}
    check_matrix(g.api("POST", "/api/v1/query_range", form), "heatmap/quantile panel", 1)
    # Fractional times as Grafana's formatTime prints them, plus a datasource
    # "custom query parameter", which Prometheus ignores.
    form = {"query": "gf_requests_total", "start": f"{end - 300}.5", "end": f"{end}.5", "step": "15",
            "dedup": "true"}
    check_matrix(g.api("POST", "/api/v1/query_range", form), "raw panel with fractional start/end", 3)
    # An instant "table" panel.
    data = g.api("POST", "/api/v1/query", {"query": "topk(2, gf_requests_total)", "time": str(last_s)})
    check(data["resultType"] == "vector" and len(data["result"]) == 2, f"instant table panel ({data})")
    for sample in data["result"]:
        check_sample_pair(sample["value"], "vector value")
    # A panel whose query fails: Grafana shows `error`, keyed by errorType.
    status, _, body = g.send("POST", "/api/v1/query_range",
                             {"query": "rate(gf_requests_total)", "start": str(end - 60), "end": str(end),
                              "step": "15"})
    doc = json.loads(body)
    check(status == 400 and doc.get("status") == "error" and doc.get("errorType") == "bad_data" and
          isinstance(doc.get("error"), str), f"failing panel answers 400 bad_data with an error text ({body[:200]})")


def exemplars_and_rules(g, first_s, last_s):
    data = g.api("POST", "/api/v1/query_exemplars",
                 {"query": "gf_requests_total", "start": str(first_s), "end": str(last_s)})
    check(isinstance(data, list), f"query_exemplars data is a list ({data})")
    for entry in data:
        check("seriesLabels" in entry and isinstance(entry.get("exemplars"), list), "exemplar entry shape")
    rules = g.api("GET", "/api/v1/rules", {})
    check(isinstance(rules.get("groups"), list), f"rules data has a groups list ({rules})")
    alerts = g.api("GET", "/api/v1/alerts", {})
    check(isinstance(alerts.get("alerts"), list), f"alerts data has an alerts list ({alerts})")


def build_samples(first_s, points):
    lines = []
    for i in range(points):
        ts_ms = (first_s + i * SCRAPE_INTERVAL_S) * 1000
        for sel, value in (
                ('gf_requests_total{job="api",instance="a",method="get"}', 10 * i),
                ('gf_requests_total{job="api",instance="a",method="post"}', 3 * i),
                ('gf_requests_total{job="api",instance="b",method="get"}', 7 * i),
                ('gf_latency_seconds_bucket{job="api",le="0.1"}', 2 * i),
                ('gf_latency_seconds_bucket{job="api",le="1"}', 6 * i),
                ('gf_latency_seconds_bucket{job="api",le="+Inf"}', 8 * i),
                ('gf_latency_seconds_sum{job="api"}', 1.5 * i),
                ('gf_latency_seconds_count{job="api"}', 8 * i),
                ('gf_other{job="web",instance="c"}', 1)):
            lines.append(f"{sel} {value} {ts_ms}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--push-tool", required=True)
    args = parser.parse_args()
    for name, path in (("promethium", args.promethium), ("remote_write_push", args.push_tool)):
        if not path or not os.path.exists(path):
            print(f"FAIL: {name} not found ({path!r})", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="promethium_grafana_") as tmpdir:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        config = os.path.join(tmpdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"global:\n  scrape_interval: {SCRAPE_INTERVAL_S}s\n")
        log_path = os.path.join(tmpdir, "promethium.log")
        log = open(log_path, "wb")
        proc = subprocess.Popen(
            [args.promethium, f"--config.file={config}", f"--storage.tsdb.path={tmpdir}/data",
             f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_ready("promethium", base, proc, STARTUP_DEADLINE)
            points = 121
            last_s = int(time.time()) - 5
            first_s = last_s - (points - 1) * SCRAPE_INTERVAL_S
            samples = os.path.join(tmpdir, "samples.txt")
            with open(samples, "w") as f:
                f.write(build_samples(first_s, points))
            res = subprocess.run([args.push_tool, base + "/api/v1/write", samples], capture_output=True, text=True,
                                 timeout=30)
            check(res.returncode == 0, f"remote write push succeeds ({res.stdout.strip()} {res.stderr.strip()})")
            g = Grafana(base)
            health_check(g)
            metric_browser(g, first_s - 60, last_s + 60)
            dashboard_panels(g, first_s, last_s)
            exemplars_and_rules(g, first_s, last_s)
            print("PASS")
            return 0
        except (TestFailure, OSError, ValueError, KeyError, TypeError, subprocess.TimeoutExpired) as e:
            print(f"FAIL: {e!r}", file=sys.stderr)
            print_log_tail(log_path)
            return 1
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
            log.close()


if __name__ == "__main__":
    sys.exit(main())
