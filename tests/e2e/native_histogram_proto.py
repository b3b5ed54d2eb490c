"""Hand-written protobuf encoding of native histograms (Python 3 stdlib only),
for tests/e2e/native_histograms_test.py and bench/histogram_bytes.py.

Two messages are written: io.prometheus.client.MetricFamily (the scrape
exposition, field numbers of prompb/io/prometheus/client/metrics.proto in
prometheus/prometheus) and prometheus.WriteRequest (remote write 1.0, field
numbers of prompb/types.proto and prompb/remote.proto), the latter snappy
"compressed" as literals, which every snappy decoder accepts.

A histogram is built from observations (`NativeHistogram.observe`), so its
count, sum, zero bucket and bucket counts are consistent by construction.
"""
import math
import struct

PROTO_CONTENT_TYPE = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"

# MetricFamily.type values.
COUNTER, GAUGE, SUMMARY, UNTYPED, HISTOGRAM, GAUGE_HISTOGRAM = range(6)


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zigzag(v):
    """sint32/sint64 wire value of v."""
    return (v << 1) if v >= 0 else ((-v) << 1) - 1


def _key(num, wire):
    return uvarint((num << 3) | wire)


def f_varint(num, v):
    return _key(num, 0) + uvarint(v)


def f_sint(num, v):
    return _key(num, 0) + uvarint(zigzag(v))


def f_double(num, v):
    return _key(num, 1) + struct.pack("<d", v)


def f_bytes(num, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return _key(num, 2) + uvarint(len(payload)) + payload


def packed_sint(num, values):
    return f_bytes(num, b"".join(uvarint(zigzag(v)) for v in values)) if values else b""


def packed_double(num, values):
    return f_bytes(num, b"".join(struct.pack("<d", v) for v in values)) if values else b""


def bucket_index(value, schema):
    """The index of the exponential bucket (upper bound inclusive) holding
    the absolute value `value` > 0 under `schema`, as Prometheus defines
    it: bucket i covers (2^((i-1)/2^schema), 2^(i/2^schema)]."""
    frac, exp = math.frexp(value)  # value = frac * 2^exp, frac in [0.5, 1)
    if schema <= 0:
        # Exact for powers of two: 2^k lies in bucket k of schema 0.
        idx = exp - 1 if frac == 0.5 else exp
        return (idx + (1 << -schema) - 1) >> -schema
    idx = math.ceil(math.log2(value) * (1 << schema))
    # Guard the floating-point log against landing one bucket off.
    while 2.0 ** ((idx - 1) / (1 << schema)) >= value:
        idx -= 1
    while 2.0 ** (idx / (1 << schema)) < value:
        idx += 1
    return idx


def spans_and_counts(counts):
    """(spans [(offset, length)], dense counts) of a {index: count} map;
    gaps of up to two empty buckets are filled with zeros inside a span,
    as client_golang does."""
    spans, dense = [], []
    prev = None
    for idx in sorted(counts):
        if prev is not None and idx - prev <= 3:
            dense.extend([0] * (idx - prev - 1))
            off, length = spans[-1]
            spans[-1] = (off, length + idx - prev)
        else:
            spans.append((idx if prev is None else idx - prev - 1, 1))
        dense.append(counts[idx])
        prev = idx
    return spans, dense


def deltas(dense):
    out, last = [], 0
    for c in dense:
        out.append(c - last)
        last = c
    return out


class NativeHistogram:
    """A native histogram accumulating observations, with optional classic
    buckets (cumulative, upper bounds `classic_bounds`, +Inf implied)."""

    def __init__(self, schema, zero_threshold, classic_bounds=()):
        self.schema = schema
        self.zero_threshold = zero_threshold
        self.count = 0
        self.sum = 0.0
        self.zero_count = 0
        self.positive = {}
        self.negative = {}
        self.classic_bounds = list(classic_bounds)
        self.classic = [0] * len(self.classic_bounds)

    def observe(self, v):
        self.count += 1
        self.sum += v
        if abs(v) <= self.zero_threshold:
            self.zero_count += 1
        else:
            side = self.positive if v > 0 else self.negative
            idx = bucket_index(abs(v), self.schema)
            side[idx] = side.get(idx, 0) + 1
        for i, bound in enumerate(self.classic_bounds):
            if v <= bound:
                self.classic[i] += 1

    def client_proto(self):
        """io.prometheus.client.Histogram (integer counts)."""
        m = f_varint(1, self.count) + f_double(2, self.sum)
        for bound, cum in zip(self.classic_bounds, self.classic):
            m += f_bytes(3, f_varint(1, cum) + f_double(2, bound))
        m += f_sint(5, self.schema) + f_double(6, self.zero_threshold) + f_varint(7, self.zero_count)
        for side, span_field, delta_field in ((self.negative, 9, 10), (self.positive, 12, 13)):
            spans, dense = spans_and_counts(side)
            for off, length in spans:
                m += f_bytes(span_field, f_sint(1, off) + f_varint(2, length))
            m += packed_sint(delta_field, deltas(dense))
        return m

    def remote_proto(self, t_ms, as_float=False, reset_hint=0):
        """prometheus.Histogram of remote write 1.0 at t_ms, integer counts
        (delta-encoded) or float counts (absolute)."""
        m = f_double(2, float(self.count)) if as_float else f_varint(1, self.count)
        m += f_double(3, self.sum) + f_sint(4, self.schema) + f_double(5, self.zero_threshold)
        m += f_double(7, float(self.zero_count)) if as_float else f_varint(6, self.zero_count)
        for side, span_field, int_field, float_field in ((self.negative, 8, 9, 10), (self.positive, 11, 12, 13)):
            spans, dense = spans_and_counts(side)
            for off, length in spans:
                m += f_bytes(span_field, f_sint(1, off) + f_varint(2, length))
            if as_float:
                m += packed_double(float_field, [float(c) for c in dense])
            else:
                m += packed_sint(int_field, deltas(dense))
        if reset_hint:
            m += f_varint(14, reset_hint)
        return m + f_varint(15, t_ms)


def label_pairs(num, labels):
    return b"".join(f_bytes(num, f_bytes(1, k) + f_bytes(2, v)) for k, v in labels)


def metric_family(name, mtype, metrics, help_text=""):
    """One MetricFamily, varint-length-delimited. metrics: list of
    (labels [(name, value)], payload field number, payload bytes,
    timestamp_ms or None)."""
    body = f_bytes(1, name) + (f_bytes(2, help_text) if help_text else b"") + f_varint(3, mtype)
    for labels, field_num, payload, ts in metrics:
        m = label_pairs(1, labels) + f_bytes(field_num, payload)
        if ts is not None:
            m += f_varint(6, ts)
        body += f_bytes(4, m)
    return uvarint(len(body)) + body


def counter_payload(value):
    return f_double(1, value)


def time_series(labels, histograms):
    """prometheus.TimeSeries with labels [(name, value)] (sorted by the
    caller) and encoded prometheus.Histogram messages."""
    return label_pairs(1, labels) + b"".join(f_bytes(4, h) for h in histograms)


def write_request(series):
    """prometheus.WriteRequest of encoded TimeSeries messages."""
    return b"".join(f_bytes(1, ts) for ts in series)


def snappy_literal(data):
    """Snappy block format holding `data` as uncompressed literals."""
    out = bytearray(uvarint(len(data)))
    for i in range(0, len(data), 65536):
        chunk = data[i:i + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2]) + struct.pack("<H", n)
        out += chunk
    return bytes(out)
