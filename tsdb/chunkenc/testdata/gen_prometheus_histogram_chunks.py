#!/usr/bin/env python3
"""Regenerates prometheus_2_42_histogram_chunks.txt: histogram chunk bytes
written by a real Prometheus (2.42, the version installed here).

It starts `prometheus` with native histograms and the remote-write receiver,
pushes the samples of SERIES below with one remote write 1.0 request
(protobuf and snappy encoded by hand: the script needs only the standard
library), takes a TSDB snapshot through the admin API, and reads the chunk
bytes of each series from the snapshot block (its index and chunks/000001).

Output: first the pushed samples, one per line,
    sample <case> <int|float> <t> <hint> <schema> <zero threshold>
           <zero count> <count> <sum> <positive spans> <positive buckets>
           <negative spans> <negative buckets>
(spans as offset:length,...; buckets as v,... (deltas for int, absolute
counts for float); "-" for none; floats in Python's round-trip repr), then
the chunks Prometheus wrote, one per line, in series and time order:
    chunk <case> <encoding> <hex bytes>
tsdb/chunkenc/prometheus_compat_test.cc checks that our iterators decode
these bytes to these samples and that our appenders, given the same
samples, write the same bytes.

Usage: gen_prometheus_histogram_chunks.py [prometheus binary]
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

T0 = 1700000000000  # ms; each series starts at T0 + its index * 1000

# Integer histograms: (t offset, reset hint, schema, zero threshold, zero
# count, count, sum, positive spans, positive deltas, negative spans,
# negative deltas). Hints: 0 unknown, 3 gauge.
EXAMPLE_SPANS = [(0, 2), (2, 1), (3, 2), (3, 1), (1, 1)]
SERIES = [
    ("same_buckets", [
        (0, 0, 1, 1e-100, 2, 15, 18.4, [(0, 2), (1, 2)], [1, 1, -1, 0], [(1, 1), (2, 3)], [2, 1, -1, -1]),
        (16, 0, 1, 1e-100, 3, 32, 24.4, [(0, 2), (1, 2)], [5, -2, 1, -2], [(1, 1), (2, 3)], [4, -1, 1, -1]),
        (30, 0, 1, 1e-100, 5, 54, 24.4, [(0, 2), (1, 2)], [6, 1, -3, 6], [(1, 1), (2, 3)], [5, 1, -2, 3]),
    ]),
    ("recode_reset_schema", [
        (0, 0, 1, 1e-125, 2, 27, 18.4, EXAMPLE_SPANS, [6, -3, 0, -1, 2, 1, -4], [(1, 1)], [1]),
        (16, 0, 1, 1e-125, 3, 36, 30, [(0, 3), (1, 1), (1, 4), (3, 3)], [7, -2, -4, 2, -2, -1, 2, 3, 0, -5, 1],
         [(0, 2)], [2, -1]),
        # the first bucket decreased: a counter reset
        (31, 0, 1, 1e-125, 3, 35, 31, [(0, 3), (1, 1), (1, 4), (3, 3)], [6, -1, -4, 2, -2, -1, 2, 3, 0, -5, 1],
         [(0, 2)], [2, -1]),
        # a schema change
        (47, 0, 2, 1e-125, 3, 40, 35.5, [(-2, 3)], [10, 5, -3], [], []),
        (62, 0, 2, 1e-125, 4, 45, 41.25, [(-2, 3)], [11, 5, -2], [], []),
    ]),
    ("wide", [
        (0, 0, 3, 2.0 ** -128, 100, 100000, 1234.5,
         [(-5, 4), (10, 2)], [1000, 2000, -500, 7, 30000, -29000], [(3, 3)], [5000, 1, -4000]),
        (15000, 0, 3, 2.0 ** -128, 150, 160000, 2345.75,
         [(-5, 4), (10, 2)], [1500, 3000, -700, 17, 40000, -39000], [(3, 3)], [9000, 3, -8000]),
        (30000, 0, 3, 2.0 ** -128, 150, 260000, 2345.75,
         [(-5, 4), (10, 2)], [2500, 5000, -900, 27, 60000, -59000], [(3, 3)], [19000, 3, -18000]),
        (45123, 0, 3, 2.0 ** -128, 210, 460000, 99999.125,
         [(-5, 4), (10, 2)], [4500, 9000, -1500, 47, 100000, -99000], [(3, 3)], [39000, 30, -38000]),
        (60000, 0, 3, 2.0 ** -128, 10000, 20100000, -3.0,
         [(-5, 4), (10, 2)], [4500, 9000, -1500, 47, 10000000, -99000], [(3, 3)], [39000, 30, -38000]),
    ]),
]

# Gauge histograms cannot go through a snapshot: Prometheus 2.42 re-encodes
# each head chunk sample by sample with counter-reset checks and fails on a
# gauge that decreases ("detected unexpected counter reset in histogram").
# They are pushed to a second Prometheus instead, which is then stopped, and
# the chunks it memory-mapped to chunks_head/ are read: every chunk but the
# open last one of each series ("headchunk" lines). The last sample of each
# changes the schema to cut the chunk before it.
HEAD_SERIES = [
    ("gauge", [
        (0, 3, 1, 1e-125, 2, 26, 18.4, EXAMPLE_SPANS, [6, -3, 0, -1, 2, 1, -4], [], []),
        # buckets missing: the sample is widened
        (10, 3, 1, 1e-125, 2, 22, 17.4, [(0, 2), (2, 1), (3, 1), (4, 1), (1, 1)], [6, -3, 0, -1, 3, -4], [], []),
        # a bucket missing and new ones: both widened, the chunk recoded
        (20, 3, 1, 1e-125, 2, 23, 21, [(0, 2), (5, 2), (3, 1), (1, 1)], [6, -3, -1, 2, 1, -4], [], []),
        # decreases are no resets for gauges
        (30, 3, 1, 1e-125, 1, 7, 2.5, [(0, 2), (5, 2), (3, 1), (1, 1)], [1, 0, 0, 0, 0, 0], [], []),
        (40, 3, 2, 1e-125, 1, 4, 2.0, [(0, 1)], [3], [], []),
        (50, 3, 2, 1e-125, 1, 5, 2.5, [(0, 1)], [4], [], []),
    ]),
]
HEAD_FLOAT_SERIES = [
    ("float_gauge", [
        (0, 3, 0, 0.001, 1.0, 10.0, 5.0, [(0, 2), (1, 2)], [1.0, 2.0, 3.0, 2.0], [(0, 1)], [1.0]),
        (15000, 3, 0, 0.001, 0.5, 3.5, 1.5, [(0, 2), (2, 1)], [0.5, 1.0, 1.0], [(0, 1)], [0.5]),
        (30000, 3, 0, 0.001, 1.0, 7.0, 3.25, [(0, 5)], [1.0, 1.0, 1.0, 1.0, 1.0], [(0, 1)], [1.0]),
        (45000, 3, 1, 0.001, 0.0, 2.0, 1.0, [(0, 1)], [2.0], [], []),
        (60000, 3, 1, 0.001, 0.0, 3.0, 1.5, [(0, 1)], [3.0], [], []),
    ]),
]

# Float histograms: (t offset, reset hint, schema, zero threshold, zero
# count, count, sum, positive spans, positive counts, negative spans,
# negative counts).
FLOAT_SERIES = [
    ("float", [
        (0, 0, 0, 0.001, 1.5, 10.5, 7.25, [(0, 2), (1, 2)], [1.5, 2.5, 3.0, 1.0], [(0, 1)], [1.0]),
        (15000, 0, 0, 0.001, 2.0, 14.0, 9.5, [(0, 2), (1, 2)], [2.5, 2.5, 4.0, 1.5], [(0, 1)], [1.5]),
        (30000, 0, 0, 0.001, 2.25, 17.75, 11.0, [(0, 2), (1, 2)], [3.0, 3.25, 4.5, 2.5], [(0, 1)], [2.25]),
        # a new bucket at index 2: the chunk is recoded
        (45000, 0, 0, 0.001, 2.25, 19.75, 12.0, [(0, 5)], [3.0, 3.25, 2.0, 4.5, 2.5], [(0, 1)], [2.25]),
    ]),
]


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
    return (v << 1) ^ (v >> 63)


def field(num, wire, payload):
    return uvarint((num << 3) | wire) + payload


def f_varint(num, v):
    return field(num, 0, uvarint(v))


def f_double(num, v):
    return field(num, 1, struct.pack("<d", v))


def f_bytes(num, b):
    return field(num, 2, uvarint(len(b)) + b)


def spans_proto(num, spans):
    return b"".join(f_bytes(num, f_varint(1, zigzag(o) & 0xFFFFFFFF) + f_varint(2, n)) for o, n in spans)


def histogram_proto(t, sample, is_float):
    off, hint, schema, zt, zc, count, s, pspans, pb, nspans, nb = sample
    m = f_double(2, count) if is_float else f_varint(1, count)
    m += f_double(3, s) + f_varint(4, zigzag(schema) & 0xFFFFFFFF) + f_double(5, zt)
    m += f_double(7, zc) if is_float else f_varint(6, zc)
    m += spans_proto(8, nspans)
    if nb:
        packed = b"".join(struct.pack("<d", v) for v in nb) if is_float else b"".join(
            uvarint(zigzag(v) & 0xFFFFFFFFFFFFFFFF) for v in nb)
        m += f_bytes(10 if is_float else 9, packed)
    m += spans_proto(11, pspans)
    if pb:
        packed = b"".join(struct.pack("<d", v) for v in pb) if is_float else b"".join(
            uvarint(zigzag(v) & 0xFFFFFFFFFFFFFFFF) for v in pb)
        m += f_bytes(13 if is_float else 12, packed)
    if hint:
        m += f_varint(14, hint)
    m += f_varint(15, t)
    return m


def check_counts(sample, is_float):
    """Prometheus rejects a histogram whose count is below its buckets' sum."""
    _, _, _, _, zc, count, _, _, pb, _, nb = sample
    total = zc
    for buckets in (pb, nb):
        if is_float:
            total += sum(buckets)
        else:
            v = 0
            for d in buckets:
                v += d
                total += v
    assert count >= total, (sample, total)


def all_series():
    """(name, samples, is_float, first timestamp) of every series, both runs."""
    out = [(n, s, False) for n, s in SERIES] + [(n, s, True) for n, s in FLOAT_SERIES]
    out += [(n, s, False) for n, s in HEAD_SERIES] + [(n, s, True) for n, s in HEAD_FLOAT_SERIES]
    return [(n, s, f, T0 + i * 1000) for i, (n, s, f) in enumerate(out)]


def write_request(names):
    req = b""
    for name, samples, is_float, start in all_series():
        if name not in names:
            continue
        labels = f_bytes(1, f_bytes(1, b"__name__") + f_bytes(2, b"compat_histogram"))
        labels += f_bytes(1, f_bytes(1, b"case") + f_bytes(2, name.encode()))
        for sample in samples:
            check_counts(sample, is_float)
        ts = labels + b"".join(f_bytes(4, histogram_proto(start + s[0], s, is_float)) for s in samples)
        req += f_bytes(1, ts)
    return req


def sample_lines():
    def spans(sp):
        return ",".join("%d:%d" % x for x in sp) or "-"

    def buckets(b):
        return ",".join(repr(v) for v in b) or "-"

    out = []
    for name, samples, is_float, start in all_series():
        for off, hint, schema, zt, zc, count, sm, ps, pb, ns, nb in samples:
            out.append("sample %s %s %d %d %d %r %r %r %r %s %s %s %s" % (
                name, "float" if is_float else "int", start + off, hint, schema, zt, zc, count, sm, spans(ps),
                buckets(pb),
                spans(ns), buckets(nb)))
    return out


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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base, proc):
    for _ in range(100):
        if proc.poll() is not None:
            raise RuntimeError("prometheus exited")
        try:
            urllib.request.urlopen(base + "/-/ready", timeout=1)
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError("prometheus not ready")


def read_uvarint(b, pos):
    shift = v = 0
    while True:
        c = b[pos]
        pos += 1
        v |= (c & 0x7F) << shift
        if c < 0x80:
            return v, pos
        shift += 7


def read_varint(b, pos):
    u, pos = read_uvarint(b, pos)
    return (u >> 1) ^ -(u & 1), pos


def index_series(index):
    """(labels dict, [chunk refs]) per series of a v2 index file."""
    toc = struct.unpack(">6Q", index[-52:-4])
    symbols_off, series_off, label_indices_off = toc[0], toc[1], toc[2]
    count = struct.unpack(">I", index[symbols_off + 4:symbols_off + 8])[0]
    pos, symbols = symbols_off + 8, []
    for _ in range(count):
        n, pos = read_uvarint(index, pos)
        symbols.append(index[pos:pos + n].decode())
        pos += n
    out, pos = [], series_off
    while pos < label_indices_off:
        pos = (pos + 15) // 16 * 16
        if pos >= label_indices_off:
            break
        length, p = read_uvarint(index, pos)
        if length == 0:
            break
        end = p + length
        nlabels, p = read_uvarint(index, p)
        labels = {}
        for _ in range(nlabels):
            k, p = read_uvarint(index, p)
            v, p = read_uvarint(index, p)
            labels[symbols[k]] = symbols[v]
        nchunks, p = read_uvarint(index, p)
        refs, ref = [], 0
        for i in range(nchunks):
            _, p = (read_varint(index, p) if i == 0 else read_uvarint(index, p))
            _, p = read_uvarint(index, p)
            if i == 0:
                ref, p = read_uvarint(index, p)
            else:
                d, p = read_varint(index, p)
                ref += d
            refs.append(ref)
        out.append((labels, refs))
        pos = end + 4  # crc32
    return out


def start_prometheus(binary, work):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        f.write("global: {}\n")
    proc = subprocess.Popen([
        binary, "--config.file=" + os.path.join(work, "prometheus.yml"),
        "--storage.tsdb.path=" + os.path.join(work, "data"), "--web.listen-address=127.0.0.1:%d" % port,
        "--enable-feature=native-histograms", "--web.enable-remote-write-receiver", "--web.enable-admin-api"
    ], stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "prometheus.log"), "w"))
    try:
        wait_ready(base, proc)
    except Exception:
        proc.terminate()
        raise
    return proc, base


def push(base, names):
    body = snappy_literal(write_request(names))
    req = urllib.request.Request(base + "/api/v1/write", data=body, method="POST", headers={
        "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
        "X-Prometheus-Remote-Write-Version": "0.1.0"})
    try:
        urllib.request.urlopen(req, timeout=10)
    except urllib.error.HTTPError as e:
        raise RuntimeError("remote write failed: %s" % e.read().decode()) from e


def snapshot_chunks(binary):
    """Chunk lines of the snapshot block of SERIES and FLOAT_SERIES."""
    work = tempfile.mkdtemp(prefix="prom-hist-")
    proc, base = start_prometheus(binary, work)
    try:
        push(base, {n for n, _ in SERIES + FLOAT_SERIES})
        try:
            resp = urllib.request.urlopen(urllib.request.Request(base + "/api/v1/admin/tsdb/snapshot", method="POST"))
        except urllib.error.HTTPError as e:
            raise RuntimeError("snapshot failed: %s" % e.read().decode()) from e
        name = json.load(resp)["data"]["name"]
        snap = os.path.join(work, "data", "snapshots", name)
        (block,) = [d for d in os.listdir(snap) if os.path.isdir(os.path.join(snap, d))]
        index = open(os.path.join(snap, block, "index"), "rb").read()
        segment = open(os.path.join(snap, block, "chunks", "000001"), "rb").read()
        lines = []
        for labels, refs in index_series(index):
            for ref in refs:
                assert ref >> 32 == 0, "one segment expected"
                off = ref & 0xFFFFFFFF
                n, p = read_uvarint(segment, off)
                lines.append("chunk %s %d %s" % (labels["case"], segment[p], segment[p + 1:p + 1 + n].hex()))
        return lines
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def head_chunks(binary):
    """Chunk lines of the chunks Prometheus memory-mapped for HEAD_SERIES and
    HEAD_FLOAT_SERIES: one integer and one float series, told apart by the
    encoding byte."""
    assert len(HEAD_SERIES) == 1 and len(HEAD_FLOAT_SERIES) == 1
    case_of = {2: HEAD_SERIES[0][0], 3: HEAD_FLOAT_SERIES[0][0]}
    work = tempfile.mkdtemp(prefix="prom-hist-")
    proc, base = start_prometheus(binary, work)
    try:
        push(base, set(case_of.values()))
    finally:
        proc.terminate()  # a clean shutdown flushes the chunk write queue
        proc.wait(timeout=30)
    try:
        lines = []
        head_dir = os.path.join(work, "data", "chunks_head")
        for f in sorted(os.listdir(head_dir)):
            data = open(os.path.join(head_dir, f), "rb").read()
            assert struct.unpack(">I", data[:4])[0] == 0x0130BC91, "not a head chunk file"
            pos = 8
            while pos + 25 <= len(data) and any(data[pos:pos + 25]):
                pos += 8 + 8 + 8  # series ref, mint, maxt
                encoding = data[pos]
                n, p = read_uvarint(data, pos + 1)
                lines.append("headchunk %s %d %s" % (case_of[encoding], encoding, data[p:p + n].hex()))
                pos = p + n + 4  # crc32
        return sorted(lines, key=lambda l: l.split()[1])  # stable: time order within a series
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "prometheus"
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    lines = snapshot_chunks(binary) + head_chunks(binary)
    print("# Written by %s via gen_prometheus_histogram_chunks.py." % version)
    print("\n".join(sample_lines()))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
