#!/usr/bin/env python3
"""End-to-end test of the newer HTTP API endpoints (standard library only).

Starts promethium with --web.enable-remote-write-receiver and
--web.enable-lifecycle (no scrape targets), pushes samples with the
remote_write_push test tool (web/remote/remote_write_push.cc: Python has no
snappy in its standard library), then checks that they come back through
/api/v1/query, `promtool query series` and `promtool query labels`; that a
malformed push is refused with 400 and changes nothing; /api/v1/status/tsdb,
format_query and parse_query; /-/reload; and that /-/quit stops the server
with exit code 0.

Another run scrapes an OpenMetrics target whose counter carries an
exemplar and reads the exemplar back through /api/v1/query_exemplars, then
restarts without the target and reads it again (replayed from the WAL).

A second run starts promethium with --web.external-url=.../prom/ and a
--web.cors.origin regex, and checks that every endpoint (API, remote write,
/metrics, /-/ready, promtool against the prefixed URL) is served under
/prom only, that / redirects to /prom, and that CORS headers follow the
regex; a third start with a bad CORS regex must fail.

Every child process is killed on exit, whatever happens. All waits are
bounded.
"""

import argparse
import http.client
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from e2e_common import TestFailure, check, free_port, wait_ready, wait_until, print_log_tail

HTTP_TIMEOUT = 5
STARTUP_DEADLINE = 30
SHUTDOWN_DEADLINE = 15


def request(url, method="GET", data=None):
    """Returns (status, body) without raising on HTTP error statuses."""
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def api_data(base, path, **params):
    status, body = request(base + path + ("?" + urllib.parse.urlencode(params) if params else ""))
    doc = json.loads(body)
    if status != 200 or doc.get("status") != "success":
        raise TestFailure(f"{path} {params}: HTTP {status}: {body[:300]}")
    return doc["data"]


def push(tool, base, text, tmpdir):
    path = os.path.join(tmpdir, "samples.txt")
    with open(path, "w") as f:
        f.write(text)
    return subprocess.run([tool, base + "/api/v1/write", path], capture_output=True, text=True, timeout=30)


def check_remote_write(args, base, tmpdir):
    now_ms = int(time.time() * 1000)
    t0, t1 = now_ms - 60_000, now_ms - 30_000
    samples = (
        f'rw_e2e_metric{{job="push",instance="a"}} 1.5 {t0}\n'
        f'rw_e2e_metric{{job="push",instance="a"}} 2.5 {t1}\n'
        f'rw_e2e_metric{{job="push",instance="b"}} 7 {t1}\n'
    )
    res = push(args.push_tool, base, samples, tmpdir)
    check(res.returncode == 0 and res.stdout.startswith("204"),
          f"remote write push answers 204 (got {res.returncode}: {res.stdout.strip()} {res.stderr.strip()})")

    result = api_data(base, "/api/v1/query", query="rw_e2e_metric", time=f"{now_ms / 1000:.3f}")["result"]
    values = {r["metric"]["instance"]: r["value"][1] for r in result}
    check(values == {"a": "2.5", "b": "7"}, f"/api/v1/query returns the pushed values (got {values})")
    result = api_data(base, "/api/v1/query", query="count_over_time(rw_e2e_metric[5m])",
                      time=f"{now_ms / 1000:.3f}")["result"]
    counts = {r["metric"]["instance"]: r["value"][1] for r in result}
    check(counts == {"a": "2", "b": "1"}, f"both samples of instance a are stored (got {counts})")

    # Out of order: rejected with 400, and the valid series in the same
    # request is not applied either.
    bad = f'rw_e2e_other{{job="push"}} 1 {t1}\nrw_e2e_metric{{job="push",instance="a"}} 9 {t0 - 1000}\n'
    res = push(args.push_tool, base, bad, tmpdir)
    check(res.returncode == 1 and res.stdout.startswith("400"),
          f"out-of-order push answers 400 (got {res.returncode}: {res.stdout.strip()})")
    other = api_data(base, "/api/v1/query", query="rw_e2e_other", time=f"{now_ms / 1000:.3f}")["result"]
    check(other == [], f"a refused push applies nothing (got {other})")
    status, body = request(base + "/api/v1/write", method="POST", data=b"not snappy at all")
    check(status == 400, f"garbage body answers 400 (got {status}: {body.strip()})")
    return t0, t1


def check_promtool(args, base, t0, t1):
    start, end = str(t0 // 1000 - 1), str(t1 // 1000 + 1)
    res = subprocess.run([args.promtool, "query", "series", "--match=rw_e2e_metric", f"--start={start}",
                          f"--end={end}", base], capture_output=True, text=True, timeout=30)
    check(res.returncode == 0, f"promtool query series exits 0 (got {res.returncode}: {res.stderr.strip()})")
    check('instance="a"' in res.stdout and 'instance="b"' in res.stdout,
          f"promtool query series lists both pushed series:\n{res.stdout}")
    res = subprocess.run([args.promtool, "query", "labels", f"--start={start}", f"--end={end}", base, "instance"],
                         capture_output=True, text=True, timeout=30)
    check(res.returncode == 0, f"promtool query labels exits 0 (got {res.returncode}: {res.stderr.strip()})")
    check(res.stdout.split() == ["a", "b"], f"promtool query labels instance gives a, b (got {res.stdout.split()})")


def check_status_and_format(base):
    tsdb = api_data(base, "/api/v1/status/tsdb")
    head = tsdb["headStats"]
    check(head["numSeries"] >= 2, f"status/tsdb counts the pushed series (numSeries={head['numSeries']})")
    by_name = {s["name"]: s["value"] for s in tsdb["seriesCountByMetricName"]}
    check(by_name.get("rw_e2e_metric") == 2, f"seriesCountByMetricName has rw_e2e_metric=2 (got {by_name})")
    formatted = api_data(base, "/api/v1/format_query", query="sum by(job)(rate(rw_e2e_metric[5m]))")
    check(formatted == "sum by (job) (rate(rw_e2e_metric[5m]))", f"format_query (got {formatted!r})")
    ast = api_data(base, "/api/v1/parse_query", query="rw_e2e_metric > 1")
    check(ast["type"] == "binaryExpr" and ast["lhs"]["name"] == "rw_e2e_metric", f"parse_query (got {ast})")


def check_lifecycle(base, proc):
    status, body = request(base + "/-/reload", method="POST", data=b"")
    check(status == 200, f"POST /-/reload answers 200 (got {status}: {body.strip()})")
    status, _ = request(base + "/-/reload")
    check(status == 405, f"GET /-/reload answers 405 (got {status})")
    status, body = request(base + "/-/quit", method="POST", data=b"")
    check(status == 200 and "Goodbye" in body, f"POST /-/quit answers 200 (got {status}: {body.strip()})")
    try:
        code = proc.wait(timeout=SHUTDOWN_DEADLINE)
    except subprocess.TimeoutExpired:
        raise TestFailure("promethium did not exit after /-/quit")
    check(code == 0, f"promethium exits 0 after /-/quit (got {code})")


def raw_request(port, path, method="GET", headers=None):
    """(status, headers dict with lower-case names, body) without following redirects."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def start_promethium(args, tmpdir, port, name, extra_flags):
    config = os.path.join(tmpdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 15s\n")
    log_path = os.path.join(tmpdir, f"{name}.log")
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [args.promethium, f"--config.file={config}", f"--storage.tsdb.path={tmpdir}/{name}-data",
         f"--web.listen-address=127.0.0.1:{port}"] + extra_flags,
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, log, log_path


def check_route_prefix_and_cors(args, port, tmpdir):
    base = f"http://127.0.0.1:{port}/prom"
    for path in ("/prom/api/v1/status/buildinfo", "/prom/metrics", "/prom/-/healthy"):
        status, _, _ = raw_request(port, path)
        check(status == 200, f"GET {path} under the route prefix answers 200 (got {status})")
    for path in ("/api/v1/status/buildinfo", "/metrics", "/-/ready", "/promx/metrics"):
        status, _, _ = raw_request(port, path)
        check(status == 404, f"GET {path} outside the route prefix answers 404 (got {status})")
    status, headers, _ = raw_request(port, "/")
    check(status == 302 and headers.get("location") == "/prom",
          f"GET / redirects to /prom (got {status} {headers.get('location')})")

    flags = api_data(base, "/api/v1/status/flags")
    check(flags.get("web.route-prefix") == "/prom", f"status/flags shows the computed route prefix (got {flags})")

    now_ms = int(time.time() * 1000)
    res = push(args.push_tool, base, f'rw_prefix_metric{{job="p"}} 3 {now_ms - 1000}\n', tmpdir)
    check(res.returncode == 0 and res.stdout.startswith("204"),
          f"remote write under the prefix answers 204 (got {res.stdout.strip()} {res.stderr.strip()})")
    result = api_data(base, "/api/v1/query", query="rw_prefix_metric")["result"]
    check(len(result) == 1 and result[0]["value"][1] == "3", f"query under the prefix sees the push (got {result})")
    res = subprocess.run([args.promtool, "query", "instant", base, "rw_prefix_metric"],
                         capture_output=True, text=True, timeout=30)
    check(res.returncode == 0 and "rw_prefix_metric" in res.stdout,
          f"promtool query instant against {base} works (got {res.returncode}: {res.stdout} {res.stderr})")

    path = "/prom/api/v1/query?query=1"
    _, headers, _ = raw_request(port, path, headers={"Origin": "https://grafana.example"})
    check(headers.get("access-control-allow-origin") == "https://grafana.example",
          f"a matching Origin is allowed (got {headers.get('access-control-allow-origin')})")
    _, headers, _ = raw_request(port, path, headers={"Origin": "https://grafana.example.evil"})
    check("access-control-allow-origin" not in headers and headers.get("vary") == "Origin",
          f"a non-matching Origin is not allowed; the regex is anchored (got {headers})")
    _, headers, _ = raw_request(port, path)
    check("access-control-allow-methods" not in headers, f"no Origin, no CORS headers (got {headers})")


def check_bad_cors_regex_fails(args, tmpdir):
    proc, log, log_path = start_promethium(args, tmpdir, free_port(), "badcors", ["--web.cors.origin=("])
    try:
        code = proc.wait(timeout=STARTUP_DEADLINE)
    except subprocess.TimeoutExpired:
        raise TestFailure("promethium with --web.cors.origin=( did not exit")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        log.close()
    with open(log_path, "rb") as f:
        output = f.read().decode("utf-8", "replace")
    check(code != 0 and "could not compile CORS regex string" in output,
          f"a bad --web.cors.origin stops startup (exit {code}): {output[-300:]}")


def run_prefixed(args, tmpdir):
    port = free_port()
    proc, log, log_path = start_promethium(
        args, tmpdir, port, "prefixed",
        [f"--web.external-url=http://127.0.0.1:{port}/prom/", "--web.enable-remote-write-receiver",
         r"--web.cors.origin=https://grafana\.example"])
    try:
        wait_ready("promethium (prefixed)", f"http://127.0.0.1:{port}/prom", proc, STARTUP_DEADLINE)
        check_route_prefix_and_cors(args, port, tmpdir)
    except (TestFailure, OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        print_log_tail(log_path)
        raise
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


OPENMETRICS_BODY = (
    "# TYPE req counter\n"
    "req_total{path=\"/a\"} 7 # {trace_id=\"abc123\"} 0.25 1600000000.5\n"
    "# EOF\n").encode()


class OpenMetricsHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
        self.send_header("Content-Length", str(len(OPENMETRICS_BODY)))
        self.end_headers()
        self.wfile.write(OPENMETRICS_BODY)

    def log_message(self, *args):
        pass


def start_exemplars_server(args, tmpdir, config, log):
    port = free_port()
    proc = subprocess.Popen(
        [args.promethium, f"--config.file={config}", f"--storage.tsdb.path={tmpdir}/exemplars-data",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


def check_exemplars(args, tmpdir):
    """Scrapes an OpenMetrics target with an exemplar; query_exemplars returns it, also after a restart
    with the target gone (the exemplar comes back from the WAL)."""
    target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OpenMetricsHandler)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    config = os.path.join(tmpdir, "exemplars.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\nstorage:\n  exemplars:\n    max_exemplars: 10\n"
                "scrape_configs:\n  - job_name: om\n    static_configs:\n"
                f"      - targets: ['127.0.0.1:{target.server_address[1]}']\n")
    log_path = os.path.join(tmpdir, "exemplars.log")
    log = open(log_path, "wb")
    proc, base = start_exemplars_server(args, tmpdir, config, log)
    try:
        wait_ready("promethium (exemplars)", base, proc, STARTUP_DEADLINE)
        data = wait_until(20, "an exemplar from the OpenMetrics scrape", lambda: api_data(
            base, "/api/v1/query_exemplars", query='rate(req_total{job="om"}[1m])',
            start="1599999999", end="1600000001"))
        want = [{"seriesLabels": {"__name__": "req_total", "instance": f"127.0.0.1:{target.server_address[1]}",
                                  "job": "om", "path": "/a"},
                 "exemplars": [{"labels": {"trace_id": "abc123"}, "value": "0.25", "timestamp": 1600000000.5}]}]
        check(data == want, f"query_exemplars: {data}")
        # The same exemplar scraped again is a duplicate, and outside the range nothing is returned.
        check(api_data(base, "/api/v1/query_exemplars", query="req_total", start="1600000001", end="1600000002") == [],
              "exemplars outside [start, end]")
        metrics = request(base + "/metrics")[1]
        check("prometheus_tsdb_exemplar_exemplars_in_storage 1\n" in metrics, "exemplars_in_storage is 1")
        check("prometheus_tsdb_exemplar_max_exemplars 10\n" in metrics, "max_exemplars is 10")
        # Restart without the target: the exemplar is replayed from the WAL.
        target.shutdown()
        proc.terminate()
        check(proc.wait(timeout=20) == 0, "promethium (exemplars) exits 0 on SIGTERM")
        proc, base = start_exemplars_server(args, tmpdir, config, log)
        wait_ready("promethium (exemplars, restarted)", base, proc, STARTUP_DEADLINE)
        data = api_data(base, "/api/v1/query_exemplars", query='rate(req_total{job="om"}[1m])',
                        start="1599999999", end="1600000001")
        check(data == want, f"query_exemplars after a restart: {data}")
    except TestFailure:
        print_log_tail(log_path, "promethium (exemplars) output")
        raise
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        log.close()
        target.shutdown()  # a no-op when already shut down


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--promtool", required=True)
    parser.add_argument("--push-tool", required=True)
    args = parser.parse_args()
    for name, path in (("promtool", args.promtool), ("remote_write_push", args.push_tool)):
        if not path or not os.path.exists(path):
            print(f"FAIL: {name} not found ({path!r})", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="promethium_api_e2e_") as tmpdir:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        config = os.path.join(tmpdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 15s\n")
        log_path = os.path.join(tmpdir, "promethium.log")
        log = open(log_path, "wb")
        proc = subprocess.Popen(
            [args.promethium, f"--config.file={config}", f"--storage.tsdb.path={tmpdir}/data",
             f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver",
             "--web.enable-lifecycle"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_ready("promethium", base, proc, STARTUP_DEADLINE)
            t0, t1 = check_remote_write(args, base, tmpdir)
            check_promtool(args, base, t0, t1)
            check_status_and_format(base)
            check_exemplars(args, tmpdir)
            check_lifecycle(base, proc)
            run_prefixed(args, tmpdir)
            check_bad_cors_regex_fails(args, tmpdir)
            print("PASS")
            return 0
        except (TestFailure, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
            print(f"FAIL: {e}", file=sys.stderr)
            print_log_tail(log_path)
            return 1
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
            log.close()


if __name__ == "__main__":
    sys.exit(main())
