"""Helpers shared by the end-to-end tests in this folder (Python 3 stdlib only).

Every network call goes to 127.0.0.1 with a timeout, and every wait is
bounded, so a broken server fails a test instead of hanging it.
"""
import calendar
import contextlib
import hashlib
import http.server
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
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


def missing_tool(tools):
    """For (name, path) pairs of the executables a test needs: a "FAIL: ..."
    line for the first one that does not exist, or None when all do."""
    for name, path in tools:
        if not path or not os.path.exists(path):
            return f"FAIL: {name} not found ({path!r})"
    return None


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


def peak_rss_mib(pid):
    """The peak resident memory (VmHWM) of process pid, in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise ValueError("no VmHWM")


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


def start_server(binary, cfg, data_dir, port, log_path, extra_args=()):
    """Starts promethium (or Prometheus) with cfg and data_dir, listening on
    127.0.0.1:port, plus extra_args (more flags), its output going to
    log_path; returns the Popen."""
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [binary, f"--config.file={cfg}", f"--storage.tsdb.path={data_dir}",
             f"--web.listen-address=127.0.0.1:{port}", *extra_args],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop_process(proc, name, timeout_s=30):
    """Sends SIGTERM and waits (bounded) for proc to exit; kills it and
    fails if it does not. Returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            raise TestFailure(f"{name} did not exit within {timeout_s}s of SIGTERM")
    return proc.returncode


_ULID_RE = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


def is_ulid(name):
    """Whether name is a ULID, as block directories are named."""
    return _ULID_RE.fullmatch(name) is not None


def block_dirs(data_dir):
    """{ULID: parsed meta.json} of the block directories in data_dir (only
    those with a readable meta.json, so half-written ones are skipped)."""
    out = {}
    for name in sorted(os.listdir(data_dir)):
        meta = os.path.join(data_dir, name, "meta.json")
        if not is_ulid(name) or not os.path.isfile(meta):
            continue
        try:
            with open(meta, "rb") as f:
                out[name] = json.loads(f.read().decode("utf-8"))
        except (OSError, ValueError):
            continue  # removed or being written meanwhile
    return out


def file_digests(root):
    """{relative path: sha256 hex} of every file under root (directories
    contribute their files; empty directories map to "<dir>")."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if not dirnames and not filenames and rel_dir != ".":
            out[rel_dir + "/"] = "<dir>"
        for name in filenames:
            path = os.path.join(dirpath, name)
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            out[os.path.relpath(path, root)] = h.hexdigest()
    return out


def digest_changes(before, after):
    """Human-readable differences between two file_digests() maps."""
    changes = []
    for path in sorted(set(before) | set(after)):
        if path not in after:
            changes.append(f"removed: {path}")
        elif path not in before:
            changes.append(f"added: {path}")
        elif before[path] != after[path]:
            changes.append(f"changed: {path}")
    return changes


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


def floats_close(a, b, tol):
    """Same text, or both finite numbers within relative tolerance tol (0:
    exact). Non-finite values must be spelled exactly alike ("NaN", "+Inf")."""
    if a == b:
        return True
    if tol == 0:
        return False
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return False
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    return abs(x - y) <= tol * max(abs(x), abs(y))


def json_diff(path, want, got, tol, out):
    """Appends to out every difference between the JSON values want (the
    reference) and got, numbers compared with floats_close(tol)."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key in sorted(set(want) | set(got)):
            if key not in got:
                out.append(f"{path}.{key}: missing (want {json.dumps(want[key])[:200]})")
            elif key not in want:
                out.append(f"{path}.{key}: unexpected {json.dumps(got[key])[:200]}")
            else:
                json_diff(f"{path}.{key}", want[key], got[key], tol, out)
    elif isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            out.append(f"{path}: length {len(got)}, want {len(want)}: got {json.dumps(got)[:300]} "
                       f"want {json.dumps(want)[:300]}")
            return
        for i, (w, g) in enumerate(zip(want, got)):
            json_diff(f"{path}[{i}]", w, g, tol, out)
    elif isinstance(want, (str, int, float)) and isinstance(got, (str, int, float)) and \
            not isinstance(want, bool) and not isinstance(got, bool):
        if not floats_close(want, got, tol):
            out.append(f"{path}: got {got!r}, want {want!r}")
    elif want != got:
        out.append(f"{path}: got {json.dumps(got)[:200]}, want {json.dumps(want)[:200]}")


_SERIES_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def self_metrics(base, timeout=HTTP_TIMEOUT):
    """The samples of base/metrics (text format 0.0.4) as {name: [(labels
    dict, float value), ...]}; raises TestFailure unless it answers 200."""
    status, body = http_get(base + "/metrics", timeout)
    if status != 200:
        raise TestFailure(f"GET {base}/metrics: HTTP {status}")
    out = {}
    for line in body.splitlines():
        m = _SERIES_RE.match(line)
        if not m:
            continue
        labels = {k: v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
                  for k, v in _LABEL_RE.findall(m.group(2) or "")}
        out.setdefault(m.group(1), []).append((labels, float(m.group(3))))
    return out


def _rfc3339_parts(text):
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z", text)
    if not m:
        raise ValueError(f"not an RFC 3339 UTC time: {text!r}")
    return calendar.timegm(tuple(int(m.group(i)) for i in range(1, 7))), m.group(7) or "0"


def parse_rfc3339(text):
    """Seconds since the epoch of an RFC 3339 UTC time as the API writes it
    ("2023-11-14T22:13:20.5Z", up to nanoseconds)."""
    whole, frac = _rfc3339_parts(text)
    return whole + int(frac) / 10 ** len(frac)


def rfc3339_ms(text):
    """The same time as whole milliseconds (truncated), exactly."""
    whole, frac = _rfc3339_parts(text)
    return whole * 1000 + int(frac[:3].ljust(3, "0"))


class Procs:
    """Starts servers and tools with their output in a log file; stops them."""

    def __init__(self, tmpdir):
        self.tmpdir = tmpdir
        self.procs = []
        self.logs = []

    def start(self, name, cmd, env=None):
        """env: the child's whole environment (None: inherit ours)."""
        path = os.path.join(self.tmpdir, f"{len(self.logs):02d}-{name}.log")
        print(f"starting {name}: {' '.join(cmd)}", flush=True)
        with open(path, "wb") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        proc.log_path = path
        proc.name = name
        self.procs.append(proc)
        self.logs.append((name, path))
        return proc

    def stop(self, proc, want_rc=0):
        rc = stop_process(proc, proc.name)
        check(want_rc is None or rc == want_rc, f"{proc.name} exits with {want_rc} on SIGTERM (got {rc})")
        return rc

    def cleanup(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass

    def print_tails(self):
        for name, path in self.logs:
            if os.path.exists(path):
                print_log_tail(path, f"{name} output", max_bytes=3000)


def exposition_handler(body):
    """A BaseHTTPRequestHandler class answering every GET with `body` (bytes)
    as text exposition format 0.0.4, for tests that need a scrape target."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    return Handler


@contextlib.contextmanager
def loopback_http_server(handler_class):
    """Serves handler_class (a BaseHTTPRequestHandler) on 127.0.0.1 at a free
    port in a daemon thread; yields the port, shuts down on exit."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def run_with_procs(prefix, body):
    """Runs body(tmp, procs) in a fresh temp dir and returns the exit code:
    on TestFailure prints every process's log tail and FAIL, else PASS; every
    process started through procs is stopped either way."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        procs = Procs(tmp)
        try:
            body(tmp, procs)
        except TestFailure as e:
            procs.print_tails()
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
        finally:
            procs.cleanup()
    print("PASS")
    return 0


def run_test_with_tools(tools, prefix, body):
    """The usual main() of an e2e test: fails (exit 1) when an executable of
    the (name, path) pairs in `tools` is missing, else run_with_procs."""
    missing = missing_tool(tools)
    if missing:
        print(missing, file=sys.stderr)
        return 1
    return run_with_procs(prefix, body)
