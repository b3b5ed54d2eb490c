#!/usr/bin/env python3
"""End-to-end test of the server's limits under attack (standard library only).

--case=connections: promethium with the default --web.max-connections (512)
and timeouts. 1,000 sockets connect and send nothing, more than the limit.
A new query must still be answered (idle connections give up their slots
to new ones), every idle socket must be closed by the server (the header
timeout frees the rest), and the self-metrics must count the closures
(promethium_web_connections_closed_total{reason="evicted"|"header_timeout"}).
Then a header over 1 MiB gets 431 and a body over 64 MiB gets 413, each with
the connection closed.

--case=bombs: a loopback scrape target serves a gzip bomb (1 GiB of
zeros in about 1 MiB), a body that never ends, a body of endless labels and
a label value of 1 MiB; a remote write request declares 1 GiB of snappy
output. Every target must be reported down with its clear error, the remote
write must get a 400 naming the size, and the server's peak resident memory
(VmHWM in /proc/<pid>/status) must stay under PEAK_RSS_MIB: none of the
bombs was inflated.

Every wait is bounded and asserts a condition, never a duration. Every child
is killed on exit; the scrape target stops writing after TARGET_WRITE_S.
"""

import argparse
import http.server
import os
import resource
import socket
import sys
import time
import urllib.parse
import zlib

from e2e_common import (Api, check, free_port, loopback_http_server, peak_rss_mib, run_test_with_tools, self_metrics,
                        wait_ready, wait_until)

IDLE_CONNECTIONS = 1000
DEADLINE = 60        # seconds per wait (the default header timeout is 10 s)
PEAK_RSS_MIB = 200   # measured 46 MiB; the gzip bomb alone would be 1024 MiB if inflated
TARGET_WRITE_S = 20  # the endless bodies stop after this long at most
GZIP_BOMB_BYTES = 1 << 30


def start(procs, args, tmp, config, extra=()):
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(config)
    port = free_port()
    proc = procs.start("promethium", [args.promethium, f"--config.file={cfg}",
                                      f"--storage.tsdb.path={os.path.join(tmp, 'data')}",
                                      f"--web.listen-address=127.0.0.1:{port}", *extra])
    base = f"http://127.0.0.1:{port}"
    wait_ready("promethium", base, proc)
    return proc, port, base


def closed_total(base, reason):
    for labels, value in self_metrics(base).get("promethium_web_connections_closed_total", []):
        if labels.get("reason") == reason:
            return value
    return 0.0


def closed_by_server(sock):
    """True when the server closed (EOF) or reset the connection."""
    sock.settimeout(DEADLINE)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def raw_exchange(port, request, then_send=b""):
    """Sends request (and then_send, ignoring a reset), returns (status line, closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as s:
        s.sendall(request)
        try:
            s.sendall(then_send)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        while b"\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
        status = answer.split(b"\r\n", 1)[0].decode("latin-1")
        while True:  # read to the end: the server must close
            try:
                if not s.recv(65536):
                    return status, True
            except ConnectionResetError:
                return status, True
            except socket.timeout:
                return status, False


def case_connections(args, tmp, procs):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, IDLE_CONNECTIONS + 256)), hard))
    _, port, base = start(procs, args, tmp, "global:\n  scrape_interval: 1m\n")
    idle = []
    try:
        for _ in range(IDLE_CONNECTIONS):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=DEADLINE))
        check(True, f"{IDLE_CONNECTIONS} idle connections open (limit 512)")
        api = Api(port)
        wait_until(DEADLINE, "a query answered with the idle connections open",
                   lambda: api.query("1+1")[1] == "2")
        check(True, "query 1+1 answered while the idle connections are open")
        wait_until(DEADLINE, "every idle connection closed by the server (evicted or header timeout)",
                   lambda: closed_total(base, "evicted") + closed_total(base, "header_timeout") >= IDLE_CONNECTIONS)
        evicted, timed_out = closed_total(base, "evicted"), closed_total(base, "header_timeout")
        check(evicted >= IDLE_CONNECTIONS - 512, f"metrics: {evicted:.0f} evicted at the limit, "
                                                 f"{timed_out:.0f} closed by the header timeout")
        still_open = sum(1 for s in idle if not closed_by_server(s))
        check(still_open == 0, f"every idle socket sees the server's close ({still_open} still open)")
        opened = self_metrics(base)["promethium_web_connections_open"][0][1]
        check(opened <= 2, f"promethium_web_connections_open back to {opened:.0f}")
    finally:
        for s in idle:
            s.close()
    status, closed = raw_exchange(port, b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * ((1 << 20) + 4096)
                                  + b"\r\n\r\n")
    check(status.startswith("HTTP/1.1 431") and closed, f"1 MiB header: {status!r}, connection closed")
    status, closed = raw_exchange(port, b"POST /api/v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                                  b"Content-Type: application/x-www-form-urlencoded\r\n\r\n" % (65 << 20),
                                  b"query=" + b"1" * ((1 << 20) - 64))  # all drained: no reset
    check(status.startswith("HTTP/1.1 413") and closed, f"65 MiB body: {status!r}, connection closed")
    check(closed_total(base, "header_too_large") == 1 and closed_total(base, "body_too_large") == 1,
          "metrics count the 431 and the 413")


def gzip_bomb():
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    parts = [comp.compress(zeros) for _ in range(GZIP_BOMB_BYTES >> 20)]
    parts.append(comp.flush())
    return b"".join(parts)


def bomb_handler(bomb):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # bodies end at close: no length needed

        def do_GET(self):
            path = urllib.parse.urlparse(self.path).path
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            if path == "/gzip":
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(bomb)))
            self.end_headers()
            try:
                if path == "/gzip":
                    self.wfile.write(bomb)
                elif path == "/longvalue":
                    self.wfile.write(b'm{v="' + b"x" * (1 << 20) + b'"} 1\n')
                else:
                    self.endless(path)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the scraper hung up: expected

        def endless(self, path):
            end = time.monotonic() + TARGET_WRITE_S
            n = 0
            while time.monotonic() < end:
                if path == "/labels":  # fast: hits body_size_limit
                    self.wfile.write(b"".join(b'm{l%d="%s"} 1\n' % (n + i, b"v" * 200) for i in range(1000)))
                    n += 1000
                else:  # /slow: a line every 100 ms, never the end
                    self.wfile.write(b"slow_metric %d\n" % n)
                    self.wfile.flush()
                    n += 1
                    time.sleep(0.1)

        def log_message(self, *args):
            pass
    return Handler


def snappy_bomb_status(port):
    varint = bytes([0x80, 0x80, 0x80, 0x80, 0x04])  # 1 GiB declared
    body = varint + b"\x00a" + b"\xfe\x01\x00" * (1 << 20)  # a literal, then 64-byte copies
    status, _ = raw_exchange(port, b"POST /api/v1/write HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                  b"Content-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n"
                                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
    return status


def case_bombs(args, tmp, procs):
    bomb = gzip_bomb()
    check(len(bomb) < 2 << 20, f"gzip bomb: {len(bomb)} bytes inflating to {GZIP_BOMB_BYTES >> 20} MiB")
    jobs = {"gzip": "", "slow": "", "labels": "", "longvalue": "    label_value_length_limit: 1024\n"}
    with loopback_http_server(bomb_handler(bomb)) as target_port:
        config = "global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\n  body_size_limit: 10MB\nscrape_configs:\n"
        for job, extra in jobs.items():
            config += (f"  - job_name: {job}\n    metrics_path: /{job}\n{extra}"
                       f"    static_configs: [{{targets: ['127.0.0.1:{target_port}']}}]\n")
        proc, port, base = start(procs, args, tmp, config, ["--web.enable-remote-write-receiver"])
        api = Api(port)
        want = {"gzip": "body size limit exceeded", "slow": "context deadline exceeded",
                "labels": "body size limit exceeded", "longvalue": "label_value_length_limit exceeded"}
        for job, text in want.items():
            def down_with_error(job=job, text=text):
                targets = api.active_targets(job, "instance")
                return any(t["health"] == "down" and text in t["lastError"] for t in targets.values())
            wait_until(DEADLINE, f"job {job} down with {text!r}", down_with_error)
            check(True, f"target of job {job} is down: {text}")
        status = snappy_bomb_status(port)
        check(status.startswith("HTTP/1.1 400"), f"snappy bomb declaring 1 GiB: {status!r}")
        peak = peak_rss_mib(proc.pid)
        check(peak < PEAK_RSS_MIB, f"peak RSS (VmHWM) {peak:.0f} MiB < {PEAK_RSS_MIB} MiB after every bomb")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", choices=["connections", "bombs"], required=True)
    parser.add_argument("--promethium", required=True)
    args = parser.parse_args()
    case = case_connections if args.case == "connections" else case_bombs
    return run_test_with_tools([("promethium", args.promethium)], "promethium-limits-",
                               lambda tmp, procs: case(args, tmp, procs))


if __name__ == "__main__":
    sys.exit(main())
