#!/usr/bin/env python3
"""Golden API test: promethium against the real Prometheus 2.42, side by side.

Starts Debian's `prometheus` (2.42, no scrape targets, remote write receiver
on) and promethium, pushes the same ~30 minutes of 15 s samples to both with
the remote_write_push tool (counters with a reset, gauges, a classic
histogram, several label sets), then sends both the same /api/v1/query,
query_range, series, labels and label values requests and compares status
code, Content-Type, `data` and `warnings` (errorType for errors) field by
field; also metadata, rules, alerts, targets and query_exemplars. Finite
floats match within 1e-9 relative; NaN and infinities must be spelled alike;
results whose order Prometheus does not define are sorted first.

Prometheus 2.42 and 3.x differ in range selector boundaries (closed in 2.x,
left-open in 3.x; we follow 3.x). So samples sit at 3 s past the 15 s grid,
evaluation times at 7 s past the minute: no boundary ever falls on a sample
and both rules give the same answer. Differences that remain by design are
listed in ALLOWED_DIFFERENCES with the reason; any other one fails the test.

Standard library only; every request has a timeout; whole test < 90 s.
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

from e2e_common import TestFailure, check, free_port, json_diff, wait_ready

HTTP_TIMEOUT = 5
STARTUP_DEADLINE = 30
REL_TOLERANCE = 1e-9
STEP_S = 15
POINTS = 121  # 30 minutes of 15 s samples

# Request label prefix -> why promethium may answer differently from
# Prometheus 2.42. Keys prefix the labels printed for each comparison
# ("query <expr>", ...). Error texts are never compared (only status and
# errorType): the Go parser's wording differs from ours in places.
ALLOWED_DIFFERENCES = {
    "query on a sample (boundary)": (
        "Prometheus 3.x range selectors are left-open (t-range, t], 2.42's closed [t-range, t]; we follow "
        "3.x, so a sample exactly at t-1m is counted by 2.42 only (all other requests avoid boundaries)",
        ".data.result"),
    "query quantile(2, ": (
        "Prometheus 3.x (annotations, since 2.46) warns 'quantile value should be between 0 and 1'; "
        "2.42 has no such warning. Only the warnings may differ", ".warnings"),
    "query quantile(-1, ": (
        "as above: the 3.x out-of-range quantile warning. Only the warnings may differ", ".warnings"),
    "endpoint /api/v1/targets ": (
        "droppedTargetCounts is newer than 2.42 (3.x sends it: a map, null when state=active)",
        ".data.droppedTargetCounts"),
    "query at Go's max time": (
        "Prometheus overflows converting its maxTime to nanoseconds and reports a garbage timestamp "
        "(-6795364579.679); we report the time asked for. Only the timestamp may differ", ".data.result[0]"),
    "query holt_winters(":
        "Prometheus 3.x renamed holt_winters to double_exponential_smoothing (experimental, behind a "
        "feature flag); 3.x answers 'unknown function with name \"holt_winters\"' as we do",
    "label values 0bad ":
        "Prometheus 3.x validates label names as UTF-8 (any non-empty valid UTF-8 name), 2.42 with the "
        "legacy [a-zA-Z_][a-zA-Z0-9_]* rule; we follow 3.x. Invalid UTF-8 (%FF) is refused by both",
}


# Allowed differences that must show up: they prove we follow 3.x there.
EXPECTED_DIFFERENCES = ["query on a sample (boundary)", "query holt_winters(", "label values 0bad "]


def allowed_reason(label, differences):
    """The reason the differences of `label` are allowed, or None. An entry
    given as (reason, field) allows only differences in that field (and
    below it)."""
    for prefix, entry in ALLOWED_DIFFERENCES.items():
        if not label.startswith(prefix):
            continue
        if isinstance(entry, tuple):
            reason, field = entry
            inside = all(d.startswith(field) and d[len(field)] in ":.[" for d in differences)
            return reason if inside else None
        return entry
    return None

# Instant queries compared at the evaluation time T.
INSTANT_QUERIES = [
    "http_requests_total",
    'http_requests_total{job="api",method=~"g.*"}',
    'http_requests_total{instance!="b"}',
    "http_requests_total[2m]",
    "rate(http_requests_total[5m])",
    "irate(http_requests_total[5m])",
    "increase(http_requests_total[10m])",
    "resets(http_requests_total[30m])",
    "sum by (job) (rate(http_requests_total[5m]))",
    "avg without (instance) (memory_bytes)",
    "min by (job) (memory_bytes)",
    "max(memory_bytes)",
    "count by (method) (http_requests_total)",
    "topk(2, memory_bytes)",
    "bottomk(1, http_requests_total)",
    "quantile(0.9, memory_bytes)",
    "histogram_quantile(0.9, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
    "histogram_quantile(0.5, rate(request_duration_seconds_bucket[10m]))",
    "rate(request_duration_seconds_sum[5m]) / rate(request_duration_seconds_count[5m])",
    "memory_bytes * on (instance) group_left (version) build_info",
    "http_requests_total / ignoring (method) group_left memory_bytes",
    "memory_bytes > bool 1500",
    "memory_bytes > 1500",
    "memory_bytes offset 10m",
    "memory_bytes @ end()",
    "memory_bytes @ start()",
    "max_over_time(rate(http_requests_total[1m])[10m:1m])",
    "avg_over_time(memory_bytes[10m:30s] offset 2m)",
    'label_replace(memory_bytes, "host", "h-$1", "instance", "(.*)")',
    'label_join(memory_bytes, "id", "/", "job", "instance")',
    'absent(nonexistent_metric{job="x"})',
    "absent(memory_bytes)",
    "time()",
    "minute()",
    "hour(timestamp(memory_bytes))",
    "day_of_week()",
    "timestamp(memory_bytes)",
    "scalar(sum(memory_bytes)) * 2",
    "1 + 1",
    "sort_desc(sum by (instance) (http_requests_total))",
    "count_values(\"v\", build_info)",
    "stddev(memory_bytes)",
    "deriv(memory_bytes[10m])",
    "predict_linear(memory_bytes[10m], 600)",
    "changes(memory_bytes[10m])",
    "clamp_max(memory_bytes, 1500)",
    "vector(1) and on () memory_bytes",
    "memory_bytes unless memory_bytes{instance=\"a\"}",
    "sum(",  # malformed
    "rate(memory_bytes)",  # type error
    "sum(memory_bytes[5m])",  # type error
    'http_requests_total{job=~"("}',  # bad regex
    "special_values", "rate(special_values[5m])", "sum(special_values)", "special_values > 1",
    "max_over_time(special_values[5m])", "sort(special_values)", "avg(special_values)",
    "sum by (kind) (special_values) * 2", "stddev(special_values)",
    "1 / 0", "-1 / 0", "0 / 0", "1e21", "0.1 + 0.2", "123456789.123456789", "1e-7", '"a string"',
    "quantile(2, memory_bytes)", "quantile(-1, memory_bytes)", "topk(0, memory_bytes)",
    'count_values("le", memory_bytes)', 'label_replace(memory_bytes, "__name__", "renamed", "", "")',
    "absent(sum(nonexistent))", "sqrt(-memory_bytes)", "ceil(memory_bytes / 7)", "exp(memory_bytes)",
    "scalar(memory_bytes)", "timestamp(vector(1))", "memory_bytes == bool memory_bytes",
    "memory_bytes != 1000", "1 > bool 2", "1 > 2", "-1 ^ 0.5", "memory_bytes and ignoring (instance) build_info",
    "max_over_time(rate(http_requests_total[5m:1m])[5m:])", "increase(http_requests_total[15m])",
    "stdvar(memory_bytes)", "group by (job) (memory_bytes)", "last_over_time(memory_bytes[1m])",
    "stddev_over_time(memory_bytes[10m])", "delta(memory_bytes[10m])", "idelta(memory_bytes[10m])",
    '{__name__=~"memory.*"}', 'rate({__name__=~"http.*"}[5m])', '{__name__=~"memory.*|build.*"} + 1',
    "memory_bytes / ignoring (instance) memory_bytes", "sum without (instance, job, method) (http_requests_total)",
    'sort_by_label(memory_bytes, "instance")', "mad_over_time(memory_bytes[5m])",
    "days_in_month(vector(1709164800))", "month(vector(1709164800))", "year()", "day_of_year()",
    "day_of_month(timestamp(memory_bytes))", "clamp(memory_bytes, 1200, 1600)", "clamp_min(memory_bytes, 1500)",
    "sgn(memory_bytes - 1500)", "deg(pi())", "rad(180)", "sinh(1)", "acos(2)", "cos(memory_bytes)",
    "log2(memory_bytes)", "log10(memory_bytes)", "abs(-memory_bytes)", "floor(memory_bytes / 3)",
    "histogram_count(memory_bytes)", "bottomk(1, memory_bytes) by (job)", "topk by (job) (1, http_requests_total)",
    "count_over_time(memory_bytes[10m])", "avg_over_time(memory_bytes[10m])", "min_over_time(memory_bytes[10m])",
    "sum_over_time(http_requests_total[2m])", "stdvar_over_time(memory_bytes[10m])",
    "quantile_over_time(0.5, http_requests_total[10m])", "vector(1) or memory_bytes",
    "memory_bytes or on (instance) build_info", "build_info unless on (instance) memory_bytes",
    "memory_bytes + on (instance) group_right (version) build_info",
    "http_requests_total + ignoring (method) group_left memory_bytes",
    "sum by (__name__) ({__name__=~\"memory_bytes|build_info\"})", "-(-1)", "2 ^ 3 ^ 2", "(1 + 2) * 3 % 4",
    "memory_bytes offset -5m", "rate(http_requests_total[5m] @ 1700000000)", "time() @ 1700000000",
    "max_over_time(memory_bytes[1h])", "http_requests_total - http_requests_total offset 5m",
    "changes(http_requests_total[30m])", "irate(http_requests_total[30s])", "rate(http_requests_total[30s])",
    "-memory_bytes", "memory_bytes % 7", "memory_bytes ^ 2", "atan2(memory_bytes, 100)",
    "round(memory_bytes / 3, 0.5)", "ln(memory_bytes)", "sort(memory_bytes)",
    "quantile_over_time(0.25, memory_bytes[10m])", "absent_over_time(memory_bytes[1m])",
    "present_over_time(memory_bytes[1m])", "sum_over_time(memory_bytes[1m:15s])",
    "rate(http_requests_total[5m] offset -1m)", "timestamp(memory_bytes offset 3m)",
    'label_replace(memory_bytes, "instance", "x", "", "")',  # duplicate label set
    "memory_bytes * on (job) memory_bytes",  # many-to-many
    'label_replace(memory_bytes, "x", "$1", "instance", "(")',  # bad regex
    "holt_winters(memory_bytes[10m], 0.5, 0.5)",
    "http_requests_total > on (job) group_left http_requests_total",
    "count(count by (le) (request_duration_seconds_bucket))",
    "vector(time()) - on () group_right timestamp(memory_bytes)",
]

# Queries whose result order Prometheus defines (do not sort these).
ORDERED_QUERIES = {"sort_desc(sum by (instance) (http_requests_total))"}

RANGE_QUERIES = [
    "memory_bytes @ start()",
    "rate(http_requests_total[5m] @ end())",
    "bottomk(1, http_requests_total) by (job)",
    "count_values(\"v\", build_info)",
    "absent(nonexistent)",
    "increase(http_requests_total[3m])",
    "gappy",
    "sparse",
    "rate(gappy[2m])",
    "absent_over_time(gappy[1m])",
    "sparse + on (instance) group_left gappy",
    "count_over_time(sparse[3m])",
    "rate(http_requests_total[5m])",
    "sum by (job) (rate(http_requests_total[5m]))",
    "memory_bytes",
    "histogram_quantile(0.9, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
    "memory_bytes > bool 1500",
    "max_over_time(memory_bytes[3m:30s])",
    "topk(1, memory_bytes)",
    "time()",
    "memory_bytes offset 5m",
    "sum(",
    "special_values",
    "rate(memory_bytes)",
    "1 / 0",
]


def request(url, data=None):
    """Returns (status, parsed JSON body or raw text); the Content-Type is
    folded into the body as "_contentType" so that it is compared too."""
    req = urllib.request.Request(url, data=data)
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
            status, body, headers = resp.status, resp.read().decode("utf-8", "replace"), resp.headers
    except urllib.error.HTTPError as e:
        status, body, headers = e.code, e.read().decode("utf-8", "replace"), e.headers
    try:
        doc = json.loads(body)
    except ValueError:
        return status, body
    if isinstance(doc, dict):
        doc["_contentType"] = headers.get("Content-Type")
    return status, doc


def build_samples(first_s):
    """The pushed samples as remote_write_push input lines, oldest first."""
    lines = []
    for i in range(POINTS):
        ts_ms = (first_s + i * STEP_S) * 1000
        get_a = i * 3 if i < 60 else (i - 60) * 2  # counter reset at i=60
        series = [
            ('http_requests_total{job="api",instance="a",method="get"}', get_a),
            ('http_requests_total{job="api",instance="a",method="post"}', i * 0.5),
            ('http_requests_total{job="api",instance="b",method="get"}', i * 7 + (i % 4)),
            ('http_requests_total{job="web",instance="c",method="get"}', i * 1.25),
            ('memory_bytes{job="api",instance="a"}', 1000 + 10 * i),
            ('memory_bytes{job="api",instance="b"}', 2000 - 7 * i + (i % 5) * 3),
            ('memory_bytes{job="web",instance="c"}', 1500.5 + (i % 7)),
            ('build_info{instance="a",version="1.0"}', 1),
            ('build_info{instance="b",version="1.1"}', 1),
            ('special_values{kind="nan"}', "nan"),
            ('special_values{kind="inf"}', "inf"),
            ('special_values{kind="neg_inf"}', "-inf"),
            ('special_values{kind="tiny"}', 1e-300 * (i + 1)),
            ('special_values{kind="huge"}', 1.7976931348623157e308),
            ('special_values{kind="fraction"}', 1 / 3 + i),
        ]
        if i < 40 or i > 100:  # a gap of 15 minutes: longer than the 5m lookback
            series.append(('gappy{instance="x"}', i))
        if i % 8 == 0:  # one sample every 2 minutes
            series.append(('sparse{instance="y"}', i * 1.5))
        counts = {"0.1": i * 2, "0.5": i * 5, "1": i * 8, "+Inf": i * 9}
        for le, count in counts.items():
            series.append((f'request_duration_seconds_bucket{{job="api",le="{le}"}}', count))
        series.append(('request_duration_seconds_sum{job="api"}', i * 4.5))
        series.append(('request_duration_seconds_count{job="api"}', i * 9))
        for sel, value in series:
            lines.append(f"{sel} {value} {ts_ms}")
    return "\n".join(lines) + "\n"


def push(tool, base, path):
    res = subprocess.run([tool, base + "/api/v1/write", path], capture_output=True, text=True, timeout=30)
    check(res.returncode == 0, f"push to {base} succeeds (got {res.returncode}: {res.stdout.strip()} "
          f"{res.stderr.strip()})")


def sort_key_metric(item):
    return json.dumps(item.get("metric", item), sort_keys=True) if isinstance(item, dict) else json.dumps(item)


def normalize(doc, keep_order):
    """What is compared: status, errorType or data; unordered lists sorted."""
    if not isinstance(doc, dict):
        return {"raw": doc}
    if doc.get("status") != "success":
        return {"status": doc.get("status"), "errorType": doc.get("errorType"),
                "contentType": doc.get("_contentType")}
    data = doc.get("data")
    if isinstance(data, dict) and data.get("resultType") in ("vector", "matrix") and not keep_order:
        data = dict(data, result=sorted(data["result"], key=sort_key_metric))
    elif isinstance(data, list) and not keep_order:
        data = sorted(data, key=lambda x: json.dumps(x, sort_keys=True))
    # "infos" is new in 3.x (2.42 has no info annotations): not compared.
    return {"status": "success", "data": data, "warnings": doc.get("warnings"),
            "contentType": doc.get("_contentType")}


def has_data(doc):
    """Whether a Prometheus answer carries a non-empty result."""
    if not isinstance(doc, dict) or doc.get("status") != "success":
        return False
    data = doc.get("data")
    if isinstance(data, dict):
        result = data.get("result")
        return bool(result) if isinstance(result, list) else result is not None
    return bool(data)


class Comparer:
    def __init__(self, prom_base, ours_base):
        self.prom_base, self.ours_base = prom_base, ours_base
        self.failures, self.allowed, self.compared, self.nonempty = [], [], 0, 0

    def compare(self, label, path, params, keep_order=False, post=False, raw_query=None):
        encoded = raw_query if raw_query is not None else urllib.parse.urlencode(params, doseq=True)
        results = []
        for base in (self.prom_base, self.ours_base):
            if post:
                results.append(request(base + path, data=encoded.encode()))
            else:
                results.append(request(base + path + ("?" + encoded if encoded else "")))
        (want_status, want_doc), (got_status, got_doc) = results
        out = []
        if want_status != got_status:
            out.append(f"HTTP status {got_status}, want {want_status}")
        json_diff("", normalize(want_doc, keep_order), normalize(got_doc, keep_order), REL_TOLERANCE, out)
        self.compared += 1
        if has_data(want_doc):
            self.nonempty += 1
        if not out:
            print(f"same: {label}", flush=True)
            return
        reason = allowed_reason(label, out)
        for line in out:
            print(f"{'ALLOWED' if reason else 'DIFF'}: {label}: {line}", flush=True)
        if reason:
            print(f"  allowed because: {reason}", flush=True)
            self.allowed.append(label)
        else:
            if isinstance(want_doc, dict) and want_doc.get("error"):
                print(f"  prometheus error: {want_doc.get('error')}", flush=True)
            if isinstance(got_doc, dict) and got_doc.get("error"):
                print(f"  promethium error: {got_doc.get('error')}", flush=True)
            self.failures.append(label)


def run_comparisons(cmp, first_s, eval_s):
    start, end = str(first_s - 1), str(eval_s)
    for expr in INSTANT_QUERIES:
        cmp.compare(f"query {expr}", "/api/v1/query", {"query": expr, "time": str(eval_s)},
                    keep_order=expr in ORDERED_QUERIES)
    # One instant query as a POST form, as clients such as Grafana send it.
    cmp.compare("query long after the data (lookback)", "/api/v1/query",
                {"query": "memory_bytes", "time": str(eval_s + 600)})
    cmp.compare("query on a sample (boundary)", "/api/v1/query",
                {"query": "count_over_time(memory_bytes[1m])", "time": str(first_s + 600)})
    cmp.compare("query @ explicit time", "/api/v1/query",
                {"query": f"memory_bytes @ {first_s + 100}", "time": str(eval_s)})
    cmp.compare("query time as RFC 3339", "/api/v1/query",
                {"query": "memory_bytes", "time": time.strftime("%Y-%m-%dT%H:%M:%S.5Z", time.gmtime(eval_s))})
    cmp.compare("query fractional time", "/api/v1/query", {"query": "memory_bytes", "time": f"{eval_s}.25"})
    cmp.compare("query bad time", "/api/v1/query", {"query": "memory_bytes", "time": "yesterday"})
    cmp.compare("query no query", "/api/v1/query", {"time": str(eval_s)})
    for label, params in (("step 0", {"step": "0"}), ("end before start", {"start": str(eval_s + 60)}),
                          ("too many points", {"step": "0.01"}), ("step 1m", {"step": "1m"}),
                          ("negative step", {"step": "-15"}), ("no step", {"step": ""}),
                          ("string", {"query": '"a"'}), ("range vector", {"query": "memory_bytes[5m]"}),
                          ("unaligned", {"start": str(eval_s - 601.5),
                                                                                "step": "37"})):
        full = {"query": "memory_bytes", "start": str(eval_s - 600), "end": str(eval_s), "step": "15"}
        full.update(params)
        cmp.compare(f"query_range {label}", "/api/v1/query_range", full)
    # Raw query strings: odd encodings and time formats clients send.
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(eval_s + 7200))
    for label, raw in (
            ("bad percent escape", "query=memory_bytes%zz"),
            ("time with offset", f"query=memory_bytes&time={iso}%2B02:00"),
            ("time with exponent", f"query=memory_bytes&time={eval_s / 1e9!r}e9"),
            ("repeated query", "query=memory_bytes&query=build_info&time=" + str(eval_s)),
            ("empty query", "query=&time=" + str(eval_s)),
            ("plus as space", f"query=sum+by+(job)+(memory_bytes)&time={eval_s}")):
        cmp.compare(f"query raw {label}", "/api/v1/query", {}, raw_query=raw)
    for label, raw in (("min and max time", "match[]=memory_bytes&start=-292273086-05-16T16:47:06Z"
                                            "&end=292277025-08-18T07:12:54.999999999Z"),
                       ("huge numbers", "match[]=memory_bytes&start=-9999999999&end=9999999999"),
                       ("start only", f"match[]=memory_bytes&start={eval_s + 600}")):
        cmp.compare(f"series raw {label}", "/api/v1/series", {}, raw_query=raw)
        cmp.compare(f"labels raw {label}", "/api/v1/labels", {}, raw_query=raw)
    cmp.compare("query at Go's max time", "/api/v1/query", {},
                raw_query="query=1%2B1&time=292277025-08-18T07:12:54.999999999Z")
    for delay in (290, 305):
        cmp.compare(f"query {delay}s after the last sample", "/api/v1/query",
                    {"query": "memory_bytes", "time": str(eval_s - 4 + delay)})
    # Endpoints whose answers are fixed without scrape targets or rules.
    for path, params in (("/api/v1/metadata", {}), ("/api/v1/metadata", {"metric": "memory_bytes"}),
                         ("/api/v1/rules", {}), ("/api/v1/alerts", {}), ("/api/v1/targets", {}),
                         ("/api/v1/targets", {"state": "active"}),
                         ("/api/v1/query_exemplars", {"query": "memory_bytes", "start": start, "end": end}),
                         ("/api/v1/query_exemplars", {"query": "sum(", "start": start, "end": end}),
                         ("/api/v1/query_exemplars", {"query": "memory_bytes"})):
        cmp.compare(f"endpoint {path} {params}", path, params)
    cmp.compare("query (POST) rate", "/api/v1/query",
                {"query": "rate(http_requests_total[5m])", "time": str(eval_s)}, post=True)
    for expr in RANGE_QUERIES:
        for step in ("15s", "60"):
            params = {"query": expr, "start": str(eval_s - 1740), "end": str(eval_s), "step": step}
            cmp.compare(f"query_range {expr} step={step}", "/api/v1/query_range", params)
    start, end = str(first_s - 1), str(eval_s)
    series_cases = [
        {"match[]": "http_requests_total"},
        {"match[]": ['memory_bytes{instance="a"}', "build_info"]},
        {"match[]": '{job="api"}', "start": start, "end": end},
        {"match[]": '{__name__=~"request_.*",le!="+Inf"}', "start": start, "end": end},
        {"match[]": "memory_bytes", "start": str(first_s - 7200), "end": str(first_s - 3600)},
        {},  # no match[]: an error in both
        {"match[]": "{}"},
        {"match[]": '{job=~".*"}'},
        {"match[]": "memory_bytes{"},
        {"match[]": "memory_bytes", "start": "abc"},
        {"match[]": "memory_bytes", "start": end, "end": start},
        {"match[]": "memory_bytes", "start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(first_s))},
    ]
    for params in series_cases:
        cmp.compare(f"series {params}", "/api/v1/series", params)
    cmp.compare("series (POST)", "/api/v1/series", {"match[]": "memory_bytes"}, post=True)
    label_cases = [
        {},
        {"start": start, "end": end},
        {"match[]": "memory_bytes"},
        {"match[]": "build_info", "start": start, "end": end},
        {"match[]": ["build_info", "memory_bytes"]},
        {"match[]": "nonexistent"},
        {"match[]": "{}"},
        {"start": "abc"},
    ]
    for params in label_cases:
        cmp.compare(f"labels {params}", "/api/v1/labels", params)
    for name in ("__name__", "instance", "le", "nonexistent", "0bad", "%FF"):
        for params in ({}, {"match[]": 'http_requests_total{job="api"}'}, {"start": start, "end": end}):
            cmp.compare(f"label values {name} {params}", f"/api/v1/label/{name}/values", params)


def start_servers(args, tmpdir, logs):
    prom_port, ours_port = free_port(), free_port()
    config = os.path.join(tmpdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 15s\n")
    procs = []
    commands = [
        ("prometheus", [args.prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmpdir}/prom",
                        f"--web.listen-address=127.0.0.1:{prom_port}", "--web.enable-remote-write-receiver"]),
        ("promethium", [args.promethium, f"--config.file={config}", f"--storage.tsdb.path={tmpdir}/ours",
                        f"--web.listen-address=127.0.0.1:{ours_port}", "--web.enable-remote-write-receiver"]),
    ]
    for name, cmd in commands:
        log = open(os.path.join(tmpdir, f"{name}.log"), "wb")
        logs.append((name, log))
        procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
    return procs, f"http://127.0.0.1:{prom_port}", f"http://127.0.0.1:{ours_port}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--prometheus", required=True)
    parser.add_argument("--push-tool", required=True)
    args = parser.parse_args()
    for name, path in (("prometheus", args.prometheus), ("remote_write_push", args.push_tool),
                       ("promethium", args.promethium)):
        if not path or not os.path.exists(path):
            print(f"FAIL: {name} not found ({path!r})", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="promethium_golden_") as tmpdir:
        logs, procs = [], []
        try:
            procs, prom_base, ours_base = start_servers(args, tmpdir, logs)
            wait_ready("prometheus", prom_base, procs[0], STARTUP_DEADLINE)
            wait_ready("promethium", ours_base, procs[1], STARTUP_DEADLINE)
            # Samples at 3 s past the 15 s grid, evaluation at 7 s past the
            # minute: no range boundary coincides with a sample.
            minute = int(time.time()) // 60 * 60 - 60
            first_s = minute - (POINTS - 1) * STEP_S + 3
            eval_s = minute + 7
            samples = os.path.join(tmpdir, "samples.txt")
            with open(samples, "w") as f:
                f.write(build_samples(first_s))
            push(args.push_tool, prom_base, samples)
            push(args.push_tool, ours_base, samples)
            cmp = Comparer(prom_base, ours_base)
            run_comparisons(cmp, first_s, eval_s)
            print(f"compared {cmp.compared} requests: {len(cmp.failures)} differences, "
                  f"{len(cmp.allowed)} allowed", flush=True)
            # Guards the comparison itself: equal empty answers prove nothing.
            check(cmp.nonempty >= cmp.compared * 2 // 3,
                  f"most requests return data from Prometheus ({cmp.nonempty} of {cmp.compared})")
            for prefix in EXPECTED_DIFFERENCES:
                check(any(label.startswith(prefix) for label in cmp.allowed),
                      f"the 3.x behaviour of '{prefix.strip()}' differs from 2.42 as documented")
            check(not cmp.failures, "no unexplained differences from Prometheus 2.42:\n  " +
                  "\n  ".join(cmp.failures))
            print("PASS")
            return 0
        except (TestFailure, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
            print(f"FAIL: {e}", file=sys.stderr)
            for name, log in logs:
                log.flush()
                with open(log.name, "rb") as f:
                    tail = f.read()[-3000:].decode("utf-8", "replace")
                print(f"----- {name} output -----\n{tail}", file=sys.stderr)
            return 1
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=5)
            for _, log in logs:
                log.close()


if __name__ == "__main__":
    sys.exit(main())
