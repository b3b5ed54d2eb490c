#!/usr/bin/env python3
"""Native histograms end to end (issue 17), against Prometheus 2.42.

--case=scrape: a loopback target serves the protobuf exposition
  (native_histogram_proto.py) with a native histogram (schema 1, zero
  bucket, positive and negative buckets), a histogram with native and
  classic buckets (schema 3) and a counter. Every generation (1 s) adds
  observations; each sample carries the generation's timestamp, so
  Prometheus 2.42 (--enable-feature=native-histograms) and promethium
  (scrape_protocols PrometheusProto, scrape_native_histograms) store the
  same samples at the same timestamps, and instant queries at those
  timestamps must agree: raw histograms bucket by bucket, histogram_count
  and _sum, rate() of histograms and counter. histogram_quantile and
  histogram_fraction changed after 2.42: they are checked against
  Prometheus 3.x's algorithm applied to the histograms 2.42 returns.
--case=remote-write: integer and float native histograms (new buckets, a
  schema change, a counter reset) pushed as remote write 1.0 to both; the
  `histogram` JSON at every sample timestamp and rate() must be identical.
--case=bad-input: a malformed protobuf body and a histogram whose spans do
  not match its buckets fail their scrapes (up 0, lastError set) while a
  good target in the same server keeps being scraped.
"""
import argparse
import http.server
import json
import math
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import (TestFailure, check, floats_close, free_port, http_get, json_diff,  # noqa: E402
                        loopback_http_server, run_test_with_tools, wait_ready, wait_until)
import native_histogram_proto as nhp  # noqa: E402

GEN_MS = 1000     # a new generation of observations every second
LAST_GEN = 14     # the target freezes at this generation
DEADLINE = 60     # seconds, for every wait


# ---------------------------------------------------------------- target

def observation(k):
    """The k-th observation: deterministic, zeros, negatives and a spread
    of positive magnitudes (new buckets keep appearing)."""
    r = ((k * 2654435761) % 1000) / 1000.0
    if k % 7 == 0:
        return 0.0
    if k % 5 == 0:
        return -(0.1 + r * 20)
    return 0.05 + r * r * (10 + k)


def histograms_at(gen):
    """(native-only histogram, native+classic histogram, counter value)
    after generation gen: 5 more observations per generation."""
    native = nhp.NativeHistogram(schema=1, zero_threshold=0.001)
    mixed = nhp.NativeHistogram(schema=3, zero_threshold=0.01, classic_bounds=(0.25, 1, 2.5, 10, 50))
    for k in range(5 * (gen + 1)):
        native.observe(observation(k))
        mixed.observe(abs(observation(k + 1000)) / 3)
    return native, mixed, 3.0 * gen + 1.5


def exposition(gen, ts_ms):
    native, mixed, counter = histograms_at(gen)
    lbl = [("path", "/api")]
    return (nhp.metric_family("nh_latency_seconds", nhp.HISTOGRAM, [(lbl, 7, native.client_proto(), ts_ms)],
                              "native only") +
            nhp.metric_family("nh_mixed_seconds", nhp.HISTOGRAM, [(lbl, 7, mixed.client_proto(), ts_ms)],
                              "native and classic buckets") +
            nhp.metric_family("nh_requests_total", nhp.COUNTER, [(lbl, 3, nhp.counter_payload(counter), ts_ms)],
                              "a counter"))


class Target:
    """Answers 503 until start(); then generation (now - t0) / GEN_MS,
    frozen at LAST_GEN. Remembers which generations each User-Agent got."""

    def __init__(self):
        self.lock = threading.Lock()
        self.t0_ms = None
        self.seen = {}
        self.agents = set()  # User-Agent products that asked, before start() too

    def start(self):
        with self.lock:
            self.t0_ms = (int(time.time() * 1000) // 1000 + 1) * 1000  # whole second, just ahead

    def body(self, agent):
        with self.lock:
            self.agents.add(agent.split("/")[0])
            if self.t0_ms is None or time.time() * 1000 < self.t0_ms:
                return None
            gen = min(LAST_GEN, (int(time.time() * 1000) - self.t0_ms) // GEN_MS)
            self.seen.setdefault(agent.split("/")[0], set()).add(gen)
            return exposition(gen, self.t0_ms + gen * GEN_MS)

    def handler(self):
        target = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = target.body(self.headers.get("User-Agent", "?"))
                if body is None:
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", nhp.PROTO_CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        return H


def static_handler(body, content_type=nhp.PROTO_CONTENT_TYPE):
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    return H


# ---------------------------------------------------------------- servers

def scrape_config(jobs, promethium, interval="500ms"):
    """YAML for jobs [(name, [host:port])]; promethium's gets Prometheus
    3.x's native-histogram keys (2.42 refuses unknown keys)."""
    out = [f"global:\n  scrape_interval: {interval}\n  scrape_timeout: 400ms\nscrape_configs:\n"]
    for name, targets in jobs:
        out.append(f"  - job_name: {name}\n")
        if promethium:
            out.append("    scrape_protocols: [PrometheusProto, OpenMetricsText1.0.0, PrometheusText0.0.4]\n"
                       "    scrape_native_histograms: true\n")
        out.append(f"    static_configs:\n      - targets: [{', '.join(targets)}]\n")
    return "".join(out)


def start_pair(args, tmp, procs, jobs=(), extra=()):
    """Starts Prometheus 2.42 and promethium; returns their base URLs."""
    bases = []
    for name, binary, flags in (
            ("prometheus", args.prometheus, ["--enable-feature=native-histograms"]),
            ("promethium", args.promethium, [])):
        port = free_port()
        cfg = os.path.join(tmp, f"{name}.yml")
        with open(cfg, "w") as f:
            f.write(scrape_config(jobs, name == "promethium"))
        proc = procs.start(name, [binary, f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/{name}-data",
                                  f"--web.listen-address=127.0.0.1:{port}", *flags, *extra])
        base = f"http://127.0.0.1:{port}"
        wait_ready(name, base, proc, DEADLINE)
        bases.append(base)
    return bases


def api(base, path, **params):
    data = urllib.parse.urlencode(params).encode()
    try:
        with urllib.request.urlopen(base + path, data=data, timeout=10) as resp:
            doc = json.loads(resp.read())
    except urllib.error.HTTPError as e:
        doc = json.loads(e.read() or b"{}")
    if doc.get("status") != "success":
        raise TestFailure(f"{base}{path} {params}: {doc}")
    data = doc["data"]
    return data["result"] if isinstance(data, dict) and "resultType" in data else data


def by_metric(result):
    return {json.dumps(s["metric"], sort_keys=True): s for s in result}


# ---------------------------------------------------------------- scrape case

def raw_samples(base, selector, at_s):
    """{timestamp ms: histogram JSON} of the one series `selector`[5m] at at_s."""
    result = api(base, "/api/v1/query", query=f"{selector}[5m]", time=f"{at_s:.3f}")
    if len(result) != 1:
        raise TestFailure(f"{base}: {selector}[5m] gave {len(result)} series: {json.dumps(result)[:300]}")
    series = result[0]
    if series.get("values"):
        raise TestFailure(f"{base}: {selector} has float samples {series['values'][:3]}")
    return {round(t * 1000): h for t, h in series.get("histograms", [])}


def case_scrape(args, tmp, procs):
    target = Target()
    with loopback_http_server(target.handler()) as port:
        prom, ours = start_pair(args, tmp, procs, jobs=[("nh", [f"127.0.0.1:{port}"])])
        # Prometheus applies scrape configs up to 5 s after start: the
        # generations begin once both scrapers are polling the target.
        wait_until(DEADLINE, "both servers to scrape the target", lambda: len(target.agents) >= 2)
        target.start()
        last_ms = target.t0_ms + LAST_GEN * GEN_MS

        def caught_up(base):
            r = api(base, "/api/v1/query", query="timestamp(nh_requests_total)")
            return r and round(float(r[0]["value"][1]) * 1000) == last_ms
        for name, base in (("prometheus", prom), ("promethium", ours)):
            wait_until(DEADLINE, f"{name} to scrape generation {LAST_GEN}", lambda b=base: caught_up(b))
        print(f"generations fetched per scraper: { {k: sorted(v) for k, v in target.seen.items()} }", flush=True)
        at_s = last_ms / 1000 + 0.5
        failures = []
        compared_points = 0
        for selector in ('nh_latency_seconds{path="/api"}', 'nh_mixed_seconds{path="/api"}'):
            want, got = raw_samples(prom, selector, at_s), raw_samples(ours, selector, at_s)
            check(len(want) >= LAST_GEN - 2, f"Prometheus 2.42 stored {len(want)} histograms of {selector}")
            common = sorted(set(want) & set(got))
            check(len(common) >= LAST_GEN - 3,
                  f"both stored {selector} at {len(common)} common timestamps (promethium: {len(got)})")
            for t in common:
                json_diff(f"{selector}@{t}", want[t], got[t], 0, failures)
            compared_points += len(common)
            # Evaluation times where both hold the same samples up to t (a
            # scraper may have missed a generation).
        same_prefix = [t for t in range(target.t0_ms, last_ms + 1, GEN_MS)
                       if all_same_up_to(prom, ours, t, at_s)]
        check(len(same_prefix) >= LAST_GEN - 3, f"{len(same_prefix)} evaluation times with identical input")
        compared_points += compare_functions(prom, ours, same_prefix, failures)
        series = [api(b, "/api/v1/series", **{"match[]": '{__name__=~"nh_.*"}'}) for b in (prom, ours)]
        json_diff("series", sorted(series[0], key=json.dumps), sorted(series[1], key=json.dumps), 0, failures)
        check(not failures, f"promethium agrees with Prometheus 2.42 on {compared_points} points "
              f"({len(failures)} differences):\n  " +
              "\n  ".join(failures[:40]))


_PREFIX_CACHE = {}


def all_same_up_to(prom, ours, t_ms, at_s):
    """Whether both servers hold the same sample timestamps <= t_ms for
    every nh_ series."""
    if not _PREFIX_CACHE:
        for base in (prom, ours):
            stamps = set()
            for sel in ("nh_latency_seconds", "nh_mixed_seconds"):
                stamps |= {(sel, t) for t in raw_samples(base, sel, at_s)}
            r = api(base, "/api/v1/query", query="nh_requests_total[5m]", time=f"{at_s:.3f}")
            stamps |= {("c", round(v[0] * 1000)) for v in r[0]["values"]}
            _PREFIX_CACHE[base] = stamps
    return ({x for x in _PREFIX_CACHE[prom] if x[1] <= t_ms} == {x for x in _PREFIX_CACHE[ours] if x[1] <= t_ms})


# Compared with Prometheus 2.42's answers directly ({m}: a histogram series).
SAME_AS_2_42 = [
    "{m}", "rate({m}[1m])",
    "histogram_count({m})", "histogram_sum({m})", "histogram_count(rate({m}[1m]))", "histogram_sum(rate({m}[1m]))",
    # 0 lies in the zero bucket (linear in every version), 1 on a boundary.
    "histogram_fraction(0, 1, {m})",
]
# histogram_quantile and histogram_fraction changed after 2.42: Prometheus
# 3.x interpolates exponentially inside exponential buckets (linearly only in
# the zero bucket) and walks the buckets from the top for q >= 0.5. Their
# expected values are computed here with 3.x's algorithm (promql/quantile.go
# HistogramQuantile/HistogramFraction, model/histogram/generic.go
# Bucket.FractionBelow) from the histogram Prometheus 2.42 holds for the
# argument ({x}: the series or its rate), itself compared above.
QUANTILES = [0.5, 0.9]
FRACTIONS = [(-5, 0.5), (0.3, 7)]


def compare_functions(prom, ours, times_ms, failures):
    """Queries every expression at each of times_ms on both servers;
    returns the number of points compared."""
    points = differ_from_2_42 = 0
    hists = ("nh_latency_seconds", "nh_mixed_seconds")
    exact = [f.format(m=m) for m in hists for f in SAME_AS_2_42] + ["rate(nh_requests_total[1m])"]
    for expr in exact:
        for t in times_ms:
            want, got = query_both(prom, ours, expr, t, failures)
            if got is None:
                break
            json_diff(f"{expr} @{t}", want, got, 1e-9, failures)
            points += len(want)
    for x in [m for m in hists] + [f"rate({m}[1m])" for m in hists]:
        cases = [(f"histogram_quantile({q}, {x})", lambda h, q=q: ref_quantile(q, h)) for q in QUANTILES]
        cases += [(f"histogram_fraction({lo}, {hi}, {x})", lambda h, lo=lo, hi=hi: ref_fraction(lo, hi, h))
                  for lo, hi in FRACTIONS]
        for t in times_ms:
            arg = by_metric(api(prom, "/api/v1/query", query=x, time=f"{t / 1000:.3f}"))
            for expr, ref in cases:
                old, got = query_both(prom, ours, expr, t, failures)
                if got is None:
                    continue
                want = {}
                for key, sample in arg.items():
                    h = sample["histogram"][1]
                    metric = {k: v for k, v in sample["metric"].items() if k != "__name__"}
                    want[json.dumps(metric, sort_keys=True)] = {"metric": metric,
                                                               "value": [sample["histogram"][0], fmt(ref(h))]}
                json_diff(f"{expr} @{t} (3.x reference)", want, got, 1e-9, failures)
                points += len(want)
                differ_from_2_42 += sum(1 for k in want if k in old and not floats_close(
                    old[k]["value"][1], want[k]["value"][1], 1e-9))
    print(f"{differ_from_2_42} histogram_quantile/fraction points differ between 2.42 and the 3.x algorithm",
          flush=True)
    check(differ_from_2_42 > 0, "the 3.x interpolation is exercised (some points differ from 2.42's linear one)")
    return points


def query_both(prom, ours, expr, t, failures):
    want = by_metric(api(prom, "/api/v1/query", query=expr, time=f"{t / 1000:.3f}"))
    try:
        return want, by_metric(api(ours, "/api/v1/query", query=expr, time=f"{t / 1000:.3f}"))
    except TestFailure as e:
        failures.append(f"{expr} @{t}: {e}")
        return want, None


def fmt(v):
    """A float as the API's JSON spells it; finite values are compared as
    numbers by json_diff, so only NaN and the infinities must match."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def json_buckets(h):
    """(count, sum, [(lower, upper, count)]) of a histogram in the API's
    JSON, buckets in the order of Prometheus's AllBucketIterator (empty
    buckets are left out of the JSON; they change neither algorithm)."""
    return (float(h["count"]), float(h["sum"]),
            [(float(lo), float(hi), float(c)) for _, lo, hi, c in h.get("buckets", [])])


def zero_bucket_bounds(lo, hi, buckets):
    """The zero bucket's bounds as 3.x narrows them: to [0, hi] without
    negative buckets, to [lo, 0] without positive ones."""
    has_neg = any(b[1] < 0 for b in buckets)
    has_pos = any(b[0] > 0 for b in buckets)
    if not has_neg and has_pos:
        return 0.0, hi
    if not has_pos and has_neg:
        return lo, 0.0
    return lo, hi


def ref_quantile(q, h):
    count, total, buckets = json_buckets(h)
    if count == 0 or math.isnan(q):
        return math.nan
    forward = math.isnan(total) or q < 0.5
    order = buckets if forward else list(reversed(buckets))
    rank = q * count if forward else (1 - q) * count
    if not order:
        return math.nan
    seen, bucket = 0.0, order[-1]
    for bucket in order:
        if bucket[2] == 0:
            continue
        seen += bucket[2]
        if seen >= rank:
            break
    lo, hi, c = bucket
    if lo < 0 < hi:
        lo, hi = zero_bucket_bounds(lo, hi, buckets)
    seen = min(seen, count)
    if seen < rank:
        return hi
    rank = rank - (seen - c) if forward else seen - rank
    fraction = rank / c
    if lo <= 0 <= hi:
        return lo + (hi - lo) * fraction
    log_lo, log_hi = math.log2(abs(lo)), math.log2(abs(hi))
    if lo > 0:
        return 2.0 ** (log_lo + (log_hi - log_lo) * fraction)
    return -(2.0 ** (log_hi + (log_lo - log_hi) * (1 - fraction)))


def fraction_below(v, lo, hi, linear):
    if linear:
        return (v - lo) / (hi - lo)
    log_lo, log_hi, log_v = math.log2(abs(lo)), math.log2(abs(hi)), math.log2(abs(v))
    if v > 0:
        return (log_v - log_lo) / (log_hi - log_lo)
    return 1 - (log_v - log_hi) / (log_lo - log_hi)


def ref_fraction(lower, upper, h):
    count, _, buckets = json_buckets(h)
    if count == 0:
        return math.nan
    if lower >= upper:
        return 0.0
    rank = 0.0
    ranks = {}  # "lower"/"upper" -> rank once set
    for lo, hi, c in buckets:
        zero = lo <= 0 <= hi
        if zero:
            lo, hi = zero_bucket_bounds(lo, hi, buckets)
        for name, v in (("lower", lower), ("upper", upper)):
            if name not in ranks and lo >= v:
                ranks[name] = rank
        if len(ranks) == 2:
            break
        for name, v in (("lower", lower), ("upper", upper)):
            if name not in ranks and lo < v < hi:
                ranks[name] = rank + c * fraction_below(v, lo, hi, zero)
        if len(ranks) == 2:
            break
        rank += c
    lower_rank = min(ranks.get("lower", count), count)
    upper_rank = min(ranks.get("upper", count), count)
    return (upper_rank - lower_rank) / count


# ---------------------------------------------------------------- remote write case

def remote_series(now_ms):
    """[(labels, [(t, NativeHistogram, as_float, reset_hint)])]: an integer
    series growing new buckets then changing schema, an integer series with
    a counter reset, and a float series."""
    base_t = now_ms - 300_000
    out = []
    grow = []
    h = None
    for i in range(12):
        h = nhp.NativeHistogram(schema=2 if i < 8 else 1, zero_threshold=0.001)
        for k in range(6 * (i + 1)):
            h.observe(observation(k))
        grow.append((base_t + i * 15_000, h, False, 0))
    out.append(([("__name__", "rw_hist"), ("kind", "int_grow")], grow))
    reset = []
    for i in range(10):
        n = 8 * (i + 1) if i < 6 else 4 * (i - 5)  # drops at i = 6: a counter reset
        h = nhp.NativeHistogram(schema=0, zero_threshold=0.5)
        for k in range(n):
            h.observe(observation(k + 77) * 3)
        reset.append((base_t + 2000 + i * 15_000, h, False, 0))
    out.append(([("__name__", "rw_hist"), ("kind", "int_reset")], reset))
    flt = []
    for i in range(10):
        h = nhp.NativeHistogram(schema=3, zero_threshold=1e-9)
        for k in range(7 * (i + 1)):
            h.observe(observation(k + 500))
        flt.append((base_t + 4000 + i * 15_000, h, True, 0))
    out.append(([("__name__", "rw_hist"), ("kind", "float")], flt))
    return out


def push(base, series):
    req = nhp.write_request(nhp.time_series(labels, [h.remote_proto(t, as_float, hint) for t, h, as_float, hint in s])
                            for labels, s in series)
    request = urllib.request.Request(base + "/api/v1/write", data=nhp.snappy_literal(req), method="POST", headers={
        "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
        "X-Prometheus-Remote-Write-Version": "0.1.0"})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, ""
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def case_remote_write(args, tmp, procs):
    prom, ours = start_pair(args, tmp, procs, extra=["--web.enable-remote-write-receiver"])
    now_ms = int(time.time()) * 1000
    series = remote_series(now_ms)
    for name, base in (("prometheus", prom), ("promethium", ours)):
        status, text = push(base, series)
        check(status in (200, 204), f"{name} accepts the histograms (HTTP {status} {text.strip()[:300]})")
    failures = []
    points = rates = 0
    for labels, samples in series:
        sel = "rw_hist{kind=\"%s\"}" % dict(labels)["kind"]
        for t, _, _, _ in samples:
            want = api(prom, "/api/v1/query", query=sel, time=f"{t / 1000:.3f}")
            got = api(ours, "/api/v1/query", query=sel, time=f"{t / 1000:.3f}")
            if len(want) != 1 or "histogram" not in want[0]:
                raise TestFailure(f"Prometheus 2.42 has no histogram {sel} at {t}: {want}")
            json_diff(f"{sel}@{t}", want, got, 0, failures)
            points += 1
            # rate() across the new buckets, the schema change and the reset,
            # 7 s after the sample: no window boundary falls on a sample, where
            # 2.42's closed ranges and 3.x's left-open ones would differ.
            at = f"{(t + 7000) / 1000:.3f}"
            want = by_metric(api(prom, "/api/v1/query", query=f"rate({sel}[1m])", time=at))
            got = by_metric(api(ours, "/api/v1/query", query=f"rate({sel}[1m])", time=at))
            json_diff(f"rate({sel}[1m])@{at}", want, got, 1e-9, failures)
            rates += len(want)
        end_s = samples[-1][0] / 1000
        want = api(prom, "/api/v1/query", query=f"{sel}[10m]", time=f"{end_s:.3f}")
        got = api(ours, "/api/v1/query", query=f"{sel}[10m]", time=f"{end_s:.3f}")
        check(len(want) == 1 and len(want[0].get("histograms", [])) == len(samples),
              f"Prometheus 2.42 returns all {len(samples)} raw histograms of {sel}")
        json_diff(f"{sel}[10m]", want, got, 0, failures)
    check(rates >= points - 2 * len(series), f"rate() of the histograms compared at {rates} timestamps")
    check(not failures, f"promethium's histograms and their rates equal Prometheus 2.42's at {points} "
          f"timestamps ({len(failures)} differences):\n  " +
          "\n  ".join(failures[:40]))


# ---------------------------------------------------------------- bad input case

def bad_span_body():
    """A histogram whose spans announce 3 positive buckets but carry 2."""
    h = nhp.f_varint(1, 4) + nhp.f_double(2, 3.0) + nhp.f_sint(5, 0) + nhp.f_double(6, 0.001) + nhp.f_varint(7, 0)
    h += nhp.f_bytes(12, nhp.f_sint(1, 0) + nhp.f_varint(2, 3)) + nhp.packed_sint(13, [2, 0])
    return nhp.metric_family("bad_spans_seconds", nhp.HISTOGRAM, [([], 7, h, None)])


def case_bad_input(args, tmp, procs):
    native, _, _ = histograms_at(3)
    good_body = nhp.metric_family("nh_good_seconds", nhp.HISTOGRAM, [([], 7, native.client_proto(), None)])
    # A length prefix of 200 bytes followed by 5 bytes, then garbage fields.
    malformed = nhp.uvarint(200) + b"\x0a\x03abc" + b"\xff\xff\xff"
    with loopback_http_server(static_handler(malformed)) as p_bad, \
            loopback_http_server(static_handler(bad_span_body())) as p_span, \
            loopback_http_server(static_handler(good_body)) as p_good:
        bad_inst, span_inst, good_inst = (f"127.0.0.1:{p}" for p in (p_bad, p_span, p_good))
        port = free_port()
        cfg = os.path.join(tmp, "promethium.yml")
        with open(cfg, "w") as f:
            f.write(scrape_config([("bad", [bad_inst, span_inst]), ("good", [good_inst])], True))
        proc = procs.start("promethium", [args.promethium, f"--config.file={cfg}",
                                          f"--storage.tsdb.path={tmp}/data", f"--web.listen-address=127.0.0.1:{port}"])
        base = f"http://127.0.0.1:{port}"
        wait_ready("promethium", base, proc, DEADLINE)

        def targets_scraped():
            doc = json.loads(http_get(base + "/api/v1/targets")[1])["data"]["activeTargets"]
            done = {t["labels"]["instance"]: t for t in doc if t.get("lastScrape", "").startswith("2")
                    and not t["lastScrape"].startswith("0001")}
            return done if len(done) == 3 and all(t["health"] != "unknown" for t in done.values()) else None
        targets = wait_until(DEADLINE, "three targets scraped", targets_scraped)
        for inst, what in ((bad_inst, "malformed protobuf"), (span_inst, "spans not matching buckets")):
            t = targets[inst]
            check(t["health"] == "down" and t["lastError"],
                  f"the {what} target is down with an error: {t['health']} {t['lastError']!r}")
        check(targets[good_inst]["health"] == "up", f"the good target is up ({targets[good_inst]['lastError']!r})")
        up = {s["metric"]["instance"]: s["value"][1] for s in api(base, "/api/v1/query", query="up")}
        check(up.get(bad_inst) == "0" and up.get(span_inst) == "0" and up.get(good_inst) == "1", f"up: {up}")
        r = wait_until(DEADLINE, "the good histogram", lambda: api(base, "/api/v1/query", query="nh_good_seconds"))
        check("histogram" in r[0] and r[0]["histogram"][1]["count"] == str(native.count),
              f"the good target's native histogram is stored ({json.dumps(r)[:200]})")
        check(api(base, "/api/v1/query", query="bad_spans_seconds") == [],
              "nothing of the inconsistent histogram is stored")
        time.sleep(1.5)  # three more scrape rounds of the bad targets
        check(proc.poll() is None and http_get(base + "/-/healthy")[0] == 200, "promethium keeps running")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", required=True, choices=["scrape", "remote-write", "bad-input"])
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--prometheus", required=True)
    args = parser.parse_args()
    body = {"scrape": case_scrape, "remote-write": case_remote_write, "bad-input": case_bad_input}[args.case]
    return run_test_with_tools([("promethium", args.promethium), ("prometheus", args.prometheus)],
                               "promethium_nh_", lambda tmp, procs: body(args, tmp, procs))


if __name__ == "__main__":
    sys.exit(main())
