"""Helpers shared by the end-to-end tests in this folder (Python 3 stdlib only).

Every network call goes to 127.0.0.1 with a timeout, and every wait is
bounded, so a broken server fails a test instead of hanging it.
"""
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HTTP_TIMEOUT = 5  # seconds, for every request the tests make


class TestFailure(Exception):
    pass


def check(cond, what):
    """Raises TestFailure unless cond holds; logs the passed check."""
    if not cond:
        raise TestFailure(what)
    print(f"ok: {what}", flush=True)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=HTTP_TIMEOUT):
    """Returns (status, body) without raising on HTTP error statuses."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def wait_until(deadline_s, what, fn, interval=0.25):
    """Polls fn() until it returns a truthy value or the deadline passes."""
    end = time.monotonic() + deadline_s
    last_err = None
    while time.monotonic() < end:
        try:
            value = fn()
            if value:
                return value
        except (OSError, ValueError, KeyError) as e:  # not up yet, bad JSON, ...
            last_err = e
        time.sleep(interval)
    raise TestFailure(f"timed out after {deadline_s}s waiting for {what} (last error: {last_err})")


def wait_ready(name, base, proc, deadline_s=30):
    """Waits until base/-/ready answers 200; fails early if proc exits."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise TestFailure(f"{name} exited early with {proc.returncode}")
        try:
            if http_get(base + "/-/ready")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TestFailure(f"{name} did not become ready")


def print_log_tail(path, title="promethium output", max_bytes=4000):
    """Prints the end of a server's log to stderr, for a failing test."""
    with open(path, "rb") as f:
        tail = f.read()[-max_bytes:].decode("utf-8", "replace")
    print(f"----- {title} -----\n{tail}", file=sys.stderr)


def start_server(binary, cfg, data_dir, port, log_path):
    """Starts promethium (or Prometheus) with cfg and data_dir, listening on
    127.0.0.1:port, its output going to log_path; returns the Popen."""
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [binary, f"--config.file={cfg}", f"--storage.tsdb.path={data_dir}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


class Api:
    """JSON client for the HTTP API of a server on 127.0.0.1:port."""

    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def get_json(self, path, **params):
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def query(self, expr):
        """The result of an instant query; ValueError unless it succeeded."""
        doc = self.get_json("/api/v1/query", query=expr)
        if doc.get("status") != "success":
            raise ValueError(f"query {expr!r}: {doc}")
        return doc["data"]["result"]

    def active_targets(self, pool, key_label):
        """The active targets of scrape pool `pool`, keyed by their `key_label` label."""
        doc = self.get_json("/api/v1/targets")
        return {t["labels"].get(key_label): t for t in doc["data"]["activeTargets"] if t.get("scrapePool") == pool}
