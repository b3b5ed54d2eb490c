#!/usr/bin/env python3
"""Remote read end to end: Prometheus 2.42 reads from promethium.

Promethium (external label site="ours") receives ~30 minutes of 15 s samples
through remote write (the remote_write_push tool): counters with a reset,
gauges, a classic histogram, special values and 200 noisy series (so that
streamed answers span many frames and HTTP chunks). Prometheus 2.42 starts
with an empty TSDB and

    remote_read: [{url: http://127.0.0.1:<ours>/api/v1/read, read_recent: true}]

so every PromQL query it answers reads promethium's /api/v1/read (2.42's
client asks for SAMPLES). Instant and range queries (functions,
aggregations, equality/regex matchers, a matcher on the external label) must
give the same data from Prometheus as from promethium directly, except that
series read remotely carry site="ours" (checked, then removed before the
comparison). Samples sit 3 s past the 15 s grid and evaluations 7 s past the
minute, so 2.42's closed and 3.x's left-open range boundaries never differ.

STREAMED_XOR_CHUNKS is proven with a small client here (the standard library
has no protobuf or snappy: both are written by hand below, as is a decoder
of Prometheus's XOR chunks): the frames' CRC32C and layout are checked and
the decoded samples must equal what was pushed, bit for bit.

Standard library only; every request has a timeout; whole test < 120 s.
"""

import argparse
import json
import math
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from e2e_common import (TestFailure, check, free_port, json_diff, missing_tool, print_log_tail, start_server,
                        stop_process, wait_ready)

HTTP_TIMEOUT = 20
STARTUP_DEADLINE = 60
STEP_S = 15
POINTS = 121  # 30 minutes
NOISE_SERIES = 200
REL_TOLERANCE = 1e-9

INSTANT_QUERIES = [
    "http_requests_total",
    'http_requests_total{job="api",method=~"g.*"}',
    'http_requests_total{instance!="b"}',
    'http_requests_total{method!~"po.*"}',
    '{__name__=~"memory_.*|build_info"}',
    'memory_bytes{site="ours"}',
    "rate(http_requests_total[5m])",
    "increase(http_requests_total[10m])",
    "resets(http_requests_total[30m])",
    "sum by (job) (rate(http_requests_total[5m]))",
    "avg without (instance) (memory_bytes)",
    "max(memory_bytes)",
    "count by (method) (http_requests_total)",
    "topk(2, memory_bytes)",
    "quantile(0.9, memory_bytes)",
    "histogram_quantile(0.9, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
    "memory_bytes * on (instance) group_left (version) build_info",
    "memory_bytes offset 10m",
    "max_over_time(rate(http_requests_total[1m])[10m:1m])",
    "avg_over_time(memory_bytes[10m])",
    'label_replace(memory_bytes, "host", "h-$1", "instance", "(.*)")',
    "deriv(memory_bytes[10m])",
    "special_values",
    "sum(noise)",
    "count(noise)",
    'max_over_time(noise{n=~"1.*"}[30m])',
    "absent(nonexistent_metric)",
]

RANGE_QUERIES = [
    "memory_bytes",
    "rate(http_requests_total[5m])",
    "sum by (job) (rate(http_requests_total[5m]))",
    "gappy",
    'count_over_time(noise{n=~"[0-4]"}[3m])',
    "histogram_quantile(0.5, rate(request_duration_seconds_bucket[10m]))",
]


# --- the pushed data ---------------------------------------------------------

def build_series(first_s):
    """{selector: [(ts_ms, value)]} of everything pushed."""
    rnd = random.Random(42)
    series = {}

    def add(sel, ts_ms, value):
        series.setdefault(sel, []).append((ts_ms, value))

    for i in range(POINTS):
        ts = (first_s + i * STEP_S) * 1000
        add('http_requests_total{job="api",instance="a",method="get"}', ts, i * 3 if i < 60 else (i - 60) * 2)
        add('http_requests_total{job="api",instance="a",method="post"}', ts, i * 0.5)
        add('http_requests_total{job="api",instance="b",method="get"}', ts, i * 7 + (i % 4))
        add('http_requests_total{job="web",instance="c",method="get"}', ts, i * 1.25)
        add('memory_bytes{job="api",instance="a"}', ts, 1000 + 10 * i)
        add('memory_bytes{job="api",instance="b"}', ts, 2000 - 7 * i + (i % 5) * 3)
        add('memory_bytes{job="web",instance="c"}', ts, 1500.5 + (i % 7))
        add('build_info{instance="a",version="1.0"}', ts, 1)
        add('build_info{instance="b",version="1.1"}', ts, 1)
        add('special_values{kind="nan"}', ts, float("nan"))
        add('special_values{kind="inf"}', ts, float("inf"))
        add('special_values{kind="tiny"}', ts, 1e-300 * (i + 1))
        add('special_values{kind="neg_zero"}', ts, -0.0)
        if i < 40 or i > 100:
            add('gappy{instance="x"}', ts, i)
        for le, count in (("0.1", i * 2), ("0.5", i * 5), ("1", i * 8), ("+Inf", i * 9)):
            add(f'request_duration_seconds_bucket{{job="api",le="{le}"}}', ts, count)
        for n in range(NOISE_SERIES):
            add(f'noise{{n="{n}"}}', ts, rnd.uniform(-1e6, 1e6) if n % 3 else rnd.randint(0, 1 << 40))
    return series


def format_value(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(float(v))


def push(tool, base, series, path):
    with open(path, "w") as f:
        for sel, samples in series.items():
            for ts, v in samples:
                f.write(f"{sel} {format_value(v)} {ts}\n")
    res = subprocess.run([tool, base + "/api/v1/write", path], capture_output=True, text=True, timeout=60)
    check(res.returncode == 0, f"push to promethium succeeds (got {res.returncode}: {res.stdout.strip()} "
          f"{res.stderr.strip()})")


def selector_labels(sel):
    """'m{a="1",b="2"}' -> {"__name__": "m", "a": "1", "b": "2"} (test selectors only)."""
    name, _, rest = sel.partition("{")
    labels = {"__name__": name}
    for pair in filter(None, rest.rstrip("}").split(",")):
        k, _, v = pair.partition("=")
        labels[k] = v.strip('"')
    return labels


# --- protobuf, snappy, CRC32C and XOR chunks by hand --------------------------

def uvarint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_uvarint(buf, pos):
    shift = result = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise TestFailure("truncated or overlong varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def field_bytes(num, data):
    return uvarint(num << 3 | 2) + uvarint(len(data)) + data


def field_varint(num, value):
    return uvarint(num << 3) + uvarint(value)


def fields(buf):
    """Walks a protobuf message: yields (field number, wire type, value);
    value is an int (varint, fixed64 as raw int) or bytes (length-delimited)."""
    pos = 0
    while pos < len(buf):
        key, pos = read_uvarint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_uvarint(buf, pos)
        elif wire == 1:
            value, pos = struct.unpack_from("<Q", buf, pos)[0], pos + 8
        elif wire == 2:
            size, pos = read_uvarint(buf, pos)
            value, pos = bytes(buf[pos:pos + size]), pos + size
        elif wire == 5:
            value, pos = struct.unpack_from("<I", buf, pos)[0], pos + 4
        else:
            raise TestFailure(f"unexpected wire type {wire}")
        yield num, wire, value


def signed64(n):
    return n - (1 << 64) if n >= 1 << 63 else n


def read_request(queries, accepted):
    """A ReadRequest: queries are (start_ms, end_ms, [(type, name, value)])."""
    body = b""
    for start, end, matchers in queries:
        q = field_varint(1, start) + field_varint(2, end)
        for mtype, name, value in matchers:
            q += field_bytes(3, field_varint(1, mtype) + field_bytes(2, name.encode()) + field_bytes(3, value.encode()))
        body += field_bytes(1, q)
    for t in accepted:
        body += field_varint(2, t)
    return body


def snappy_literal(data):
    """Snappy block format using only literal elements (valid, uncompressed)."""
    out = bytearray(uvarint(len(data)))
    for i in range(0, len(data), 65536):
        piece = data[i:i + 65536]
        out += bytes([61 << 2]) + struct.pack("<H", len(piece) - 1) + piece
    return bytes(out)


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


class BitReader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def bits(self, n):
        v = 0
        for _ in range(n):
            byte = self.data[self.pos >> 3]
            v = v << 1 | (byte >> (7 - (self.pos & 7))) & 1
            self.pos += 1
        return v

    def uvarint(self):
        shift = result = 0
        while True:
            b = self.bits(8)
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7


def read_dod(r):
    """A timestamp delta-of-delta: '0' is 0; '10', '110', '1110' prefix 14,
    17 and 20 bits (two's complement); '1111' 64 bits."""
    if r.bits(1) == 0:
        return 0
    size = 64
    for candidate in (14, 17, 20):
        if r.bits(1) == 0:
            size = candidate
            break
    bits = r.bits(size)
    if size == 64:
        return signed64(bits)
    return bits - (1 << size) if bits > 1 << (size - 1) else bits


def xor_decode(chunk):
    """Prometheus's XOR chunk -> [(ts_ms, value bits)]."""
    n = struct.unpack_from(">H", chunk, 0)[0]
    r = BitReader(chunk[2:])
    out = []
    t = delta = v = leading = trailing = 0
    for i in range(n):
        if i == 0:
            zz = r.uvarint()
            t = (zz >> 1) ^ -(zz & 1)
            v = r.bits(64)
        else:
            delta = r.uvarint() if i == 1 else delta + read_dod(r)
            t += delta
            if r.bits(1) == 1:
                if r.bits(1) == 1:
                    leading = r.bits(5)
                    sig = r.bits(6) or 64
                    trailing = 64 - leading - sig
                v ^= r.bits(64 - leading - trailing) << trailing
        out.append((t, v))
    return out


# --- the streamed client ------------------------------------------------------

STREAMED_TYPE = "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"
EQ, NEQ, RE, NRE = 0, 1, 2, 3
SAMPLES, STREAMED_XOR_CHUNKS = 0, 1


def post_read(base, raw_request):
    req = urllib.request.Request(base + "/api/v1/read", data=snappy_literal(raw_request), method="POST")
    req.add_header("Content-Type", "application/x-protobuf")
    req.add_header("Content-Encoding", "snappy")
    req.add_header("X-Prometheus-Remote-Read-Version", "0.1.0")
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def parse_frames(body):
    """[(query_index, labels dict, [chunk dicts])] of a streamed body, checking
    each frame's uvarint length and big-endian CRC32C."""
    frames, pos = [], 0
    while pos < len(body):
        size, pos = read_uvarint(body, pos)
        if pos + 4 + size > len(body):
            raise TestFailure(f"truncated frame at byte {pos}")
        want_crc = struct.unpack_from(">I", body, pos)[0]
        msg = body[pos + 4:pos + 4 + size]
        pos += 4 + size
        if crc32c(msg) != want_crc:
            raise TestFailure(f"frame CRC32C mismatch at byte {pos}")
        query_index, series = 0, []
        for num, _, value in fields(msg):
            if num == 1:
                series.append(value)
            elif num == 2:
                query_index = signed64(value)
        if len(series) != 1:
            raise TestFailure(f"a frame holds {len(series)} series, want 1")
        labels, chunks = {}, []
        for num, _, value in fields(series[0]):
            if num == 1:
                pair = dict((n, v.decode()) for n, _, v in fields(value))
                labels[pair.get(1, "")] = pair.get(2, "")
            elif num == 2:
                chunk = {"min": 0, "max": 0, "type": 0, "data": b""}
                for n, _, v in fields(value):
                    chunk[{1: "min", 2: "max", 3: "type", 4: "data"}[n]] = v
                chunk["min"], chunk["max"] = signed64(chunk["min"]), signed64(chunk["max"])
                chunks.append(chunk)
        frames.append((query_index, labels, chunks))
    return frames


def value_bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def same_value(bits, v):
    if math.isnan(v):
        return math.isnan(struct.unpack("<d", struct.pack("<Q", bits))[0])
    return bits == value_bits(v)


def check_streamed(base, series, first_s):
    first_ms, last_ms = first_s * 1000, (first_s + (POINTS - 1) * STEP_S) * 1000
    mid_start, mid_end = first_ms + 300_000, first_ms + 900_000
    queries = [
        (first_ms - 1000, last_ms + 1000, [(RE, "__name__", ".+")]),
        (mid_start, mid_end, [(EQ, "__name__", "noise"), (RE, "n", "1.*"), (NRE, "n", "11.")]),
        (first_ms, last_ms, [(EQ, "__name__", "memory_bytes"), (EQ, "site", "ours"), (NEQ, "instance", "b")]),
        (first_ms, last_ms, [(EQ, "__name__", "memory_bytes"), (EQ, "site", "theirs")]),
    ]
    started = time.monotonic()
    status, headers, body = post_read(base, read_request(queries, [STREAMED_XOR_CHUNKS, SAMPLES]))
    elapsed = time.monotonic() - started
    got_what = "" if status == 200 else f" (got {status}: {body[:200]!r})"
    check(status == 200, "streamed remote read answers 200" + got_what)
    check(headers.get("Content-Type") == STREAMED_TYPE, f"streamed Content-Type (got {headers.get('Content-Type')})")
    check(headers.get("Transfer-Encoding", "").lower() == "chunked",
          f"streamed answer uses chunked transfer encoding (got {headers.get('Transfer-Encoding')!r})")
    frames = parse_frames(body)
    print(f"streamed answer: {len(body)} bytes, {len(frames)} frames in {elapsed:.3f}s", flush=True)
    check(len(body) > 2 * 65536, "the streamed answer spans several of the server's 64 KiB batches")

    got = {}
    order = {}
    for query_index, labels, chunks in frames:
        key = tuple(sorted(labels.items()))
        order.setdefault(query_index, [])
        if not order[query_index] or order[query_index][-1] != key:
            order[query_index].append(key)
        samples = got.setdefault((query_index, key), [])
        for chunk in chunks:
            if chunk["type"] != 1:
                raise TestFailure(f"chunk encoding {chunk['type']}, want XOR (1)")
            decoded = xor_decode(chunk["data"])
            if not 1 <= len(decoded) <= 120:
                raise TestFailure(f"chunk with {len(decoded)} samples")
            if decoded[0][0] != chunk["min"] or decoded[-1][0] != chunk["max"]:
                raise TestFailure(f"chunk bounds {chunk['min']}..{chunk['max']} but samples "
                                  f"{decoded[0][0]}..{decoded[-1][0]}")
            samples.extend(decoded)
    for query_index, keys in order.items():
        check(keys == sorted(keys) and len(keys) == len(set(keys)),
              f"query {query_index}: series arrive sorted, each in consecutive frames")

    def matches(labels, matchers):
        for mtype, name, value in matchers:
            have = labels.get(name, "")
            if name == "site":
                continue  # the external label: checked through the returned labels
            ok = {EQ: have == value, NEQ: have != value, RE: re.fullmatch(value, have) is not None,
                  NRE: re.fullmatch(value, have) is None}[mtype]
            if not ok:
                return False
        return True

    want = {}
    for query_index, (start, end, matchers) in enumerate(queries):
        if query_index == 3:
            continue  # site="theirs" contradicts the external label: nothing
        for sel, samples in series.items():
            labels = selector_labels(sel)
            if not matches(labels, matchers):
                continue
            in_range = [(t, v) for t, v in samples if start <= t <= end]
            if in_range:
                labels["site"] = "ours"
                want[(query_index, tuple(sorted(labels.items())))] = in_range
    check(set(got) == set(want), f"streamed answer has exactly the matching series "
          f"(got {len(got)}, want {len(want)}; missing {sorted(set(want) - set(got))[:3]}, "
          f"unexpected {sorted(set(got) - set(want))[:3]})")
    total = 0
    for key, samples in want.items():
        decoded = got[key]
        if len(decoded) != len(samples) or any(
                t != wt or not same_value(bits, wv) for (t, bits), (wt, wv) in zip(decoded, samples)):
            raise TestFailure(f"samples of {key} differ: got {decoded[:3]}..., want {samples[:3]}...")
        total += len(samples)
    check(total > 0, f"all {total} streamed samples decode to the pushed timestamps and value bits")

    # The frame budget (--storage.remote.read-max-bytes-in-frame) is covered
    # by the unit tests. A bad request answers 400.
    status, _, body = post_read(base, b"\xff\xff not protobuf")
    check(status == 400, f"a body that is not a ReadRequest answers 400 (got {status}: {body[:100]!r})")


# --- PromQL through Prometheus vs promethium --------------------------------------

def get_json(base, path, params):
    url = base + path + "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as resp:
            return resp.status, json.loads(resp.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode() or "null")


def strip_site(result, label):
    """Checks that every remotely read series carries site="ours", then drops it."""
    for item in result:
        metric = item.get("metric", {})
        if "site" in metric:
            if metric["site"] != "ours":
                raise TestFailure(f"{label}: site={metric['site']!r}")
            del metric["site"]
    return sorted(result, key=lambda x: json.dumps(x.get("metric"), sort_keys=True))


def compare_promql(prom_base, ours_base, eval_s):
    failures, nonempty, compared = [], 0, 0
    cases = []
    for expr in INSTANT_QUERIES:
        ours_expr = expr.replace('{site="ours"}', "")
        cases.append((f"query {expr}", "/api/v1/query", {"query": expr, "time": str(eval_s)},
                      {"query": ours_expr, "time": str(eval_s)}))
    for expr in RANGE_QUERIES:
        for step in ("15", "60"):
            params = {"query": expr, "start": str(eval_s - 1740), "end": str(eval_s), "step": step}
            cases.append((f"query_range {expr} step={step}", "/api/v1/query_range", params, params))
    for label, path, prom_params, ours_params in cases:
        prom_status, prom_doc = get_json(prom_base, path, prom_params)
        ours_status, ours_doc = get_json(ours_base, path, ours_params)
        compared += 1
        if prom_status != 200 or ours_status != 200:
            failures.append(f"{label}: HTTP {prom_status} from Prometheus, {ours_status} from promethium: "
                            f"{prom_doc} / {ours_doc}")
            continue
        prom_data, ours_data = prom_doc["data"], ours_doc["data"]
        if isinstance(prom_data.get("result"), list):
            prom_data["result"] = strip_site(prom_data["result"], label)
            ours_data["result"] = strip_site(ours_data["result"], label)
            nonempty += bool(prom_data["result"])
        diffs = []
        json_diff("", prom_data, ours_data, REL_TOLERANCE, diffs)
        if diffs:
            failures.append(f"{label}: " + "; ".join(diffs[:3]))
        else:
            print(f"same: {label}", flush=True)
    print(f"compared {compared} PromQL requests through Prometheus's remote read", flush=True)
    check(nonempty >= compared - 2, f"Prometheus answers with data read from promethium ({nonempty} of {compared})")
    check(not failures, "PromQL over remote read equals promethium's own answers:\n  " + "\n  ".join(failures))


def remote_read_requests(base):
    status, body = 0, ""
    with urllib.request.urlopen(base + "/metrics", timeout=HTTP_TIMEOUT) as resp:
        status, body = resp.status, resp.read().decode()
    total = 0
    for line in body.splitlines():
        if line.startswith("prometheus_http_requests_total{") and 'handler="/api/v1/read"' in line and \
                'code="200"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--prometheus", required=True)
    parser.add_argument("--push-tool", required=True)
    args = parser.parse_args()
    missing = missing_tool([("prometheus", args.prometheus), ("remote_write_push", args.push_tool),
                            ("promethium", args.promethium)])
    if missing:
        print(missing, file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="promethium_remote_read_") as tmpdir:
        procs, logs = [], []
        try:
            ours_port, prom_port = free_port(), free_port()
            ours_base, prom_base = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{prom_port}"
            ours_cfg = os.path.join(tmpdir, "promethium.yml")
            with open(ours_cfg, "w") as f:
                f.write("global:\n  scrape_interval: 15s\n  external_labels:\n    site: ours\n")
            prom_cfg = os.path.join(tmpdir, "prometheus.yml")
            with open(prom_cfg, "w") as f:
                f.write("global:\n  scrape_interval: 15s\nremote_read:\n"
                        f"  - url: {ours_base}/api/v1/read\n    read_recent: true\n")
            logs.append(("promethium", os.path.join(tmpdir, "promethium.log")))
            procs.append(("promethium", start_server(args.promethium, ours_cfg, os.path.join(tmpdir, "ours"),
                                                     ours_port, logs[-1][1],
                                                     ["--web.enable-remote-write-receiver"])))
            wait_ready("promethium", ours_base, procs[-1][1], STARTUP_DEADLINE)

            minute = int(time.time()) // 60 * 60 - 60
            first_s = minute - (POINTS - 1) * STEP_S + 3
            eval_s = minute + 7
            series = build_series(first_s)
            push(args.push_tool, ours_base, series, os.path.join(tmpdir, "samples.txt"))

            check_streamed(ours_base, series, first_s)

            logs.append(("prometheus", os.path.join(tmpdir, "prometheus.log")))
            procs.append(("prometheus", start_server(args.prometheus, prom_cfg, os.path.join(tmpdir, "prom"),
                                                     prom_port, logs[-1][1])))
            wait_ready("prometheus", prom_base, procs[-1][1], STARTUP_DEADLINE)
            before = remote_read_requests(ours_base)
            compare_promql(prom_base, ours_base, eval_s)
            after = remote_read_requests(ours_base)
            check(after - before >= len(INSTANT_QUERIES),
                  f"Prometheus read through /api/v1/read ({after - before:.0f} requests answered 200)")
            print("PASS")
            return 0
        except TestFailure as e:
            print(f"FAIL: {e}", file=sys.stderr)
            for name, path in logs:
                print_log_tail(path, f"{name} output")
            return 1
        finally:
            for name, proc in reversed(procs):
                try:
                    stop_process(proc, name)
                except TestFailure as e:
                    print(f"warning: {e}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
