#!/usr/bin/env python3
"""Writes the seed inputs of remote_write_fuzzer (tests/fuzz/corpus/):
remote write 1.0 WriteRequests, a 2.0 Request, a remote read ReadRequest
and a streamed-read chunked frame, encoded by hand from remote/proto/*.proto
(no protobuf package needed), plus the remote write and read POSTs of
web_handler_fuzzer (snappy bodies, literal-only encoding). Run from the
repository root; review the output before committing it."""
import os
import struct
import sys


def varint(n):
    n &= (1 << 64) - 1
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 0:
        return key + varint(payload)
    if wire == 1:
        return key + payload
    return key + varint(len(payload)) + payload


def label(name, value):
    return field(1, 2, name.encode()) + field(2, 2, value.encode())


def sample(value, ts):
    return field(1, 1, struct.pack("<d", value)) + field(2, 0, ts)


def series(labels, samples, exemplar=False, histogram=False):
    out = b"".join(field(1, 2, label(n, v)) for n, v in labels)
    out += b"".join(field(2, 2, sample(v, t)) for v, t in samples)
    if exemplar:
        out += field(3, 2, field(1, 2, label("trace_id", "abc")) + field(2, 1, struct.pack("<d", 1.5)) + field(3, 0, 1700000000000))
    if histogram:
        out += field(4, 2, field(15, 0, 1700000000000))
    return out


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def snappy_literal(data):
    """Snappy raw block holding `data` as literals (valid, uncompressed)."""
    out = varint(len(data))
    for i in range(0, len(data), 60):
        piece = data[i:i + 60]
        out += bytes([(len(piece) - 1) << 2]) + piece
    return out


def main(out_dir, web_dir):
    t = 1700000000000
    up = [("__name__", "up"), ("instance", "a:9100"), ("job", "node")]
    seeds = {
        "write_v1_basic": field(1, 2, series(up, [(1.0, t), (0.0, t + 15000)])),
        "write_v1_two_series_metadata": field(1, 2, series(up, [(1.0, t)], exemplar=True))
        + field(1, 2, series([("__name__", "http_requests_total"), ("code", "200")], [(float("nan"), t)]))
        + field(3, 2, field(1, 0, 1) + field(2, 2, b"http_requests_total") + field(4, 2, b"Requests.") + field(5, 2, b"")),
        "write_v1_histogram": field(1, 2, series(up, [], histogram=True)),
        "write_v1_bad_labels": field(1, 2, series([("job", "x"), ("__name__", "m"), ("job", "y")], [(1.0, t)])),
        "write_v2_request": field(4, 2, b"") + field(4, 2, b"__name__") + field(4, 2, b"up") + field(4, 2, b"job")
        + field(4, 2, b"node") + field(5, 2, field(1, 2, varint(1) + varint(2) + varint(3) + varint(4)) + field(2, 2, sample(1.0, t))),
        "read_request": field(1, 2, field(1, 0, t) + field(2, 0, t + 60000)
                              + field(3, 2, field(1, 0, 0) + field(2, 2, b"__name__") + field(3, 2, b"up"))
                              + field(3, 2, field(1, 0, 2) + field(2, 2, b"job") + field(3, 2, b"no.*"))
                              + field(4, 2, field(1, 0, 15000) + field(2, 2, b"rate") + field(5, 2, b"job") + field(6, 0, 1)))
        + field(2, 0, 1) + field(2, 0, 0),
    }
    msg = field(1, 2, field(1, 2, label("__name__", "up")) + field(2, 2, field(1, 0, t) + field(2, 0, t) + field(3, 0, 1)))
    seeds["read_chunked_frame"] = varint(len(msg)) + struct.pack(">I", crc32c(msg)) + msg
    for name, data in seeds.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
    web = {
        "remote_write": b"POST /api/v1/write\nContent-Encoding: snappy\nContent-Type: application/x-protobuf\n\n"
        + snappy_literal(seeds["write_v1_two_series_metadata"]),
        "remote_read": b"POST /api/v1/read\nContent-Encoding: snappy\nContent-Type: application/x-protobuf\n\n"
        + snappy_literal(seeds["read_request"]),
    }
    for name, data in web.items():
        with open(os.path.join(web_dir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main("tests/fuzz/corpus/remote_write_fuzzer", "tests/fuzz/corpus/web_handler_fuzzer")
