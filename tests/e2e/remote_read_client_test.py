#!/usr/bin/env python3
"""Remote read client: promethium answering PromQL from a real Prometheus 2.42.

Pushes golden_test.py's ~30 minutes of 15 s samples to Debian's
`prometheus` (2.42, remote write receiver on, external label region="eu"),
then starts two promethium
servers with the same external label and a `remote_read` entry pointing at
Prometheus's /api/v1/read, and no local data for those series:

  - "chunks": the default request, which accepts STREAMED_XOR_CHUNKS first
    (Prometheus 2.42 honours it, so the streamed XOR chunk path runs);
  - "samples": PROMETHIUM_TEST_REMOTE_READ_RESPONSE_TYPE=samples, which
    makes the client accept SAMPLES only.

Both must answer instant queries, range queries, /api/v1/series and label
values exactly as Prometheus answers them itself (floats within 1e-9
relative; results sorted where Prometheus defines no order). External labels
are added to the remote query as matchers and stripped from the answer
(filter_external_labels), so the answers carry no region label, as
Prometheus's own do. Then, on "chunks":
  - a series pushed locally is merged with the remote ones;
  - the self-metrics name the response type each server received;
  - a reload without remote_read stops reading the remote, and one with it
    resumes;
  - with Prometheus stopped, queries still succeed with the local data and a
    "remote_read: ..." warning (Prometheus treats remote storage as a
    secondary: its failures are warnings).

Samples sit at 3 s past the 15 s grid and evaluation times at 7 s past the
minute, so range boundaries never fall on a sample (2.42's closed ranges and
3.x's left-open ones agree). Standard library only; every request has a
timeout; every wait is bounded.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from e2e_common import Procs, TestFailure, check, free_port, http_get, json_diff, self_metrics, wait_ready
from golden_test import POINTS, STEP_S, build_samples  # the same 30 minutes of samples

HTTP_TIMEOUT = 10
STARTUP_DEADLINE = 60
REL_TOLERANCE = 1e-9

INSTANT_QUERIES = [
    "memory_bytes",
    'http_requests_total{job="api",method=~"g.*"}',
    'http_requests_total{instance!="b"}',
    '{__name__=~"memory.*|build.*"}',
    "http_requests_total[2m]",
    "rate(http_requests_total[5m])",
    "sum by (job) (rate(http_requests_total[5m]))",
    "count by (method) (http_requests_total)",
    "avg without (instance) (memory_bytes)",
    "topk(2, memory_bytes)",
    "max_over_time(memory_bytes[10m])",
    "histogram_quantile(0.9, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
    "memory_bytes * on (instance) group_left (version) build_info",
    "memory_bytes offset 10m",
    'absent(nonexistent{job="x"})',
]
RANGE_QUERIES = [
    "memory_bytes",
    "rate(http_requests_total[5m])",
    "sum by (job) (memory_bytes)",
    'http_requests_total{method=~"p.*|g.*",instance=~"a|c"}',
]


def request(base, path, params=None):
    return http_get(base + path + ("?" + urllib.parse.urlencode(params) if params else ""), HTTP_TIMEOUT)


def post(base, path):
    req = urllib.request.Request(base + path, data=b"", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def get_json(base, path, params):
    status, body = request(base, path, params)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {"raw": body}


def push(tool, base, path):
    res = subprocess.run([tool, base + "/api/v1/write", path], capture_output=True, text=True, timeout=60)
    check(res.returncode == 0, f"push to {base} succeeds (got {res.returncode}: {res.stdout.strip()} "
          f"{res.stderr.strip()})")


def normalize(doc):
    """status, data (result lists sorted by series) and warnings."""
    out = {"status": doc.get("status"), "warnings": doc.get("warnings", [])}
    data = doc.get("data")
    if isinstance(data, dict) and isinstance(data.get("result"), list):
        data = dict(data, result=sorted(data["result"], key=lambda r: json.dumps(r.get("metric", r), sort_keys=True)))
    elif isinstance(data, list):
        data = sorted(data, key=lambda r: json.dumps(r, sort_keys=True))
    out["data"] = data
    return out


def compare(label, prom_base, ours_base, path, params):
    """Differences between Prometheus's and our answer to the same request."""
    want_status, want = get_json(prom_base, path, params)
    got_status, got = get_json(ours_base, path, params)
    diffs = []
    if want_status != got_status:
        diffs.append(f"HTTP status {got_status}, want {want_status}")
    json_diff("", normalize(want), normalize(got), REL_TOLERANCE, diffs)
    nonempty = bool(want.get("data", {}).get("result") if isinstance(want.get("data"), dict) else want.get("data"))
    return [f"{label}: {d}" for d in diffs], nonempty


def run_comparisons(prom_base, ours_base, first_s, eval_s):
    failures, nonempty, compared = [], 0, 0
    requests = [(f"query {q}", "/api/v1/query", {"query": q, "time": eval_s}) for q in INSTANT_QUERIES]
    for q in RANGE_QUERIES:
        requests.append((f"query_range {q}", "/api/v1/query_range",
                         {"query": q, "start": eval_s - 25 * 60, "end": eval_s, "step": 60}))
    for match in ("http_requests_total", '{__name__=~"memory_bytes|build_info",instance="a"}'):
        requests.append((f"series {match}", "/api/v1/series",
                         {"match[]": match, "start": first_s, "end": eval_s}))
    requests.append(("label values job", "/api/v1/label/job/values",
                     {"match[]": "memory_bytes", "start": first_s, "end": eval_s}))
    for label, path, params in requests:
        diffs, has_data = compare(label, prom_base, ours_base, path, params)
        failures += diffs
        nonempty += has_data
        compared += 1
    return failures, nonempty, compared


def write_config(path, prom_port, with_remote):
    with open(path, "w") as f:
        f.write("global:\n  scrape_interval: 15s\n  external_labels:\n    region: eu\n")
        if with_remote:
            f.write(f"remote_read:\n  - url: http://127.0.0.1:{prom_port}/api/v1/read\n    name: prom\n"
                    "    remote_timeout: 30s\n")


def read_queries(base, response_type):
    total = 0.0
    for labels, value in self_metrics(base).get("prometheus_remote_read_client_queries_total", []):
        if labels.get("response_type") == response_type and labels.get("remote_name") == "prom":
            total += value
    return total


def series_names(base, match, first_s, eval_s):
    status, doc = get_json(base, "/api/v1/series", {"match[]": match, "start": first_s, "end": eval_s})
    check(status == 200 and doc.get("status") == "success", f"series {match} succeeds (got {status} {doc})")
    return sorted(json.dumps(s, sort_keys=True) for s in doc["data"]), doc.get("warnings", [])


def check_merge_reload_and_failure(args, prom, ours_base, ours_cfg, prom_port, first_s, eval_s):
    # A local series next to the remote ones.
    local = os.path.join(os.path.dirname(ours_cfg), "local.txt")
    with open(local, "w") as f:
        f.write(f'local_only{{job="local"}} 7 {(eval_s - 30) * 1000}\n')
    push(args.push_tool, ours_base, local)
    names, warnings = series_names(ours_base, '{__name__=~"memory_bytes|local_only"}', first_s, eval_s)
    check(len(names) == 4 and any('"local_only"' in n for n in names) and not warnings,
          f"local and remote series are merged: {names} {warnings}")
    # Reload without remote_read: the remote is no longer asked.
    write_config(ours_cfg, prom_port, with_remote=False)
    status, body = post(ours_base, "/-/reload")
    check(status == 200, f"reload without remote_read succeeds (got {status} {body})")
    names, _ = series_names(ours_base, '{__name__=~"memory_bytes|local_only"}', first_s, eval_s)
    check(len(names) == 1, f"after the reload only the local series is left: {names}")
    write_config(ours_cfg, prom_port, with_remote=True)
    status, body = post(ours_base, "/-/reload")
    check(status == 200, f"reload with remote_read succeeds (got {status} {body})")
    names, _ = series_names(ours_base, '{__name__=~"memory_bytes|local_only"}', first_s, eval_s)
    check(len(names) == 4, f"after the second reload the remote series are back: {names}")
    # The remote goes away: local data and a warning.
    prom.terminate()
    prom.wait(timeout=30)
    status, doc = get_json(ours_base, "/api/v1/query", {"query": '{__name__=~"memory_bytes|local_only"}',
                                                        "time": eval_s})
    result = doc.get("data", {}).get("result", [])
    warnings = doc.get("warnings", [])
    check(status == 200 and len(result) == 1 and result[0]["metric"].get("__name__") == "local_only",
          f"with the remote down the query answers the local series (got {status} {doc})")
    check(len(warnings) == 1 and warnings[0].startswith("remote_read: error sending request: Post \"http://"),
          f"and warns about the remote: {warnings}")
    status, doc = get_json(ours_base, "/api/v1/query", {"query": "count(local_only) + count(memory_bytes)",
                                                        "time": eval_s})
    check(status == 200 and len(doc.get("warnings", [])) == 1,
          f"two failed selects make one warning, as Prometheus's set of annotations (got {status} {doc})")


def run(args, procs, tmpdir):
    prom_port, chunks_port, samples_port = free_port(), free_port(), free_port()
    prom_cfg = os.path.join(tmpdir, "prometheus.yml")
    write_config(prom_cfg, prom_port, with_remote=False)
    prom = procs.start("prometheus", [
        args.prometheus, f"--config.file={prom_cfg}", f"--storage.tsdb.path={tmpdir}/prom",
        f"--web.listen-address=127.0.0.1:{prom_port}", "--web.enable-remote-write-receiver"])
    prom_base = f"http://127.0.0.1:{prom_port}"
    wait_ready("prometheus", prom_base, prom, STARTUP_DEADLINE)
    minute = int(time.time()) // 60 * 60 - 60
    first_s = minute - (POINTS - 1) * STEP_S + 3
    eval_s = minute + 7
    samples = os.path.join(tmpdir, "samples.txt")
    with open(samples, "w") as f:
        f.write(build_samples(first_s))
    push(args.push_tool, prom_base, samples)

    bases = {}
    for name, port in (("chunks", chunks_port), ("samples", samples_port)):
        cfg = os.path.join(tmpdir, f"{name}.yml")
        write_config(cfg, prom_port, with_remote=True)
        env = dict(os.environ)
        env.pop("PROMETHIUM_TEST_REMOTE_READ_RESPONSE_TYPE", None)
        if name == "samples":
            env["PROMETHIUM_TEST_REMOTE_READ_RESPONSE_TYPE"] = "samples"
        proc = procs.start(name, [
            args.promethium, f"--config.file={cfg}", f"--storage.tsdb.path={tmpdir}/{name}",
            f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver",
            "--web.enable-lifecycle"], env)
        bases[name] = f"http://127.0.0.1:{port}"
        wait_ready(name, bases[name], proc, STARTUP_DEADLINE)

    for name, base in bases.items():
        failures, nonempty, compared = run_comparisons(prom_base, base, first_s, eval_s)
        check(nonempty >= compared - 1, f"{name}: Prometheus returns data for {nonempty} of {compared}")
        check(not failures, f"{name}: {compared} answers equal Prometheus's own" + "".join("\n  " + f for f in failures))
    # Series and label requests ask for SAMPLES (labels only) on both.
    check(read_queries(bases["chunks"], "chunked") > 0, "the default client received streamed XOR chunks")
    check(read_queries(bases["samples"], "sampled") > 0 and read_queries(bases["samples"], "chunked") == 0,
          "the samples-only client received SAMPLES answers")
    check_merge_reload_and_failure(args, prom, bases["chunks"], os.path.join(tmpdir, "chunks.yml"), prom_port,
                                   first_s, eval_s)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--prometheus", required=True)
    parser.add_argument("--push-tool", required=True)
    args = parser.parse_args()
    for name in ("prometheus", "push_tool", "promethium"):
        path = getattr(args, name)
        if not path or not os.path.exists(path):
            raise TestFailure(f"--{name.replace('_', '-')} {path!r} does not exist")
    with tempfile.TemporaryDirectory(prefix="promethium_remote_read_") as tmpdir:
        procs = Procs(tmpdir)
        try:
            run(args, procs, tmpdir)
        except BaseException:
            procs.print_tails()
            raise
        finally:
            procs.cleanup()
    print("PASS")


if __name__ == "__main__":
    try:
        main()
    except (TestFailure, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
