#!/usr/bin/env python3
"""Remote write end to end: promethium scrapes a small synthetic fleet
(../shared/tools/fleet.py) and remote-writes it to VictoriaMetrics 1.79 and
to Prometheus 2.42 (--web.enable-remote-write-receiver), both started here on
loopback ports with their own temp dirs.

Durability cases (docs/REMOTE.md, "Durability and WAL retention"):
  outage   both receivers are stopped for 60 s, then restarted on the same
           ports and data: nothing promethium holds is missing in them.
  sigkill  promethium is SIGKILLed while sending and restarted on the same
           data: nothing is missing, and VictoriaMetrics (which keeps every
           sample it is sent) holds at most one batch per shard twice.
Receiver error cases: promethium sends only to VictoriaMetrics through a
loopback proxy (FailingProxy) that answers an error for a window (60 s for 500, 20 s for 400), then
forwards each request unchanged:
  error500 5xx is recoverable: the batches are retried (samples_retried_total
           grows) and after the window nothing is missing in VictoriaMetrics.
  error400 4xx other than 429 is not: the batches are dropped and counted in
           samples_failed_total (retried stays 0), pending stays bounded, and
           samples scraped after the window arrive.
Each compares every series and sample of the fleet job over a time range
that spans the disruption, read raw from promethium and from each receiver.

The Prometheus receiver runs with out_of_order_time_window: a resent batch
holds samples older than what it already has, which Prometheus 2.42 rejects
with 400 for the whole request otherwise (its documented receiver setup for
senders that may resend).
"""
import argparse
import http.server
import json
import math
import os
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from e2e_common import (TestFailure, check, floats_close, free_port, http_get, loopback_http_server, run_with_procs,
                        self_metrics, wait_ready, wait_until)

DEADLINE = 60  # seconds, for each wait
TARGETS, SERIES = 4, 40
MAX_SHARDS, MAX_SAMPLES_PER_SEND = 2, 500
OUTAGE_S = 60
ERROR500_WINDOW_S = 60  # as long as the outage: nothing may be lost
ERROR400_WINDOW_S = 20  # long enough for several dropped batches
FORWARDED_HEADERS = ("Content-Type", "Content-Encoding", "User-Agent", "X-Prometheus-Remote-Write-Version")


class Setup:
    """The fleet, both receivers and promethium, with what restarts them."""

    def __init__(self, args, tmp, procs):
        self.args, self.tmp, self.procs = args, tmp, procs
        self.vm_port, self.prom_port, self.port = free_port(), free_port(), free_port()
        self.vm_base = f"http://127.0.0.1:{self.vm_port}"
        self.prom_base = f"http://127.0.0.1:{self.prom_port}"
        self.base = f"http://127.0.0.1:{self.port}"
        self.data = os.path.join(tmp, "promethium")

    def start_fleet(self):
        sd = os.path.join(self.tmp, "fleet_sd.json")
        self.procs.start("fleet", [sys.executable, self.args.fleet, "synthetic", "--targets", str(TARGETS),
                                   "--series", str(SERIES), "--duration", "300", "--sd-file", sd, "--quiet"])
        wait_until(DEADLINE, "the fleet's file_sd JSON", lambda: os.path.exists(sd))
        return sd

    def start_vm(self):
        self.vm = self.procs.start("victoria-metrics", [
            self.args.victoria_metrics, f"-storageDataPath={self.tmp}/vm", f"-httpListenAddr=127.0.0.1:{self.vm_port}",
            "-search.latencyOffset=0s"])
        wait_until(DEADLINE, "victoria-metrics /health", lambda: http_get(self.vm_base + "/health")[0] == 200)

    def start_prometheus(self):
        cfg = os.path.join(self.tmp, "receiver.yml")
        with open(cfg, "w") as f:
            f.write("storage:\n  tsdb:\n    out_of_order_time_window: 30m\n")
        self.prom = self.procs.start("prometheus-receiver", [
            self.args.prometheus, f"--config.file={cfg}", f"--storage.tsdb.path={self.tmp}/prom-receiver",
            f"--web.listen-address=127.0.0.1:{self.prom_port}", "--web.enable-remote-write-receiver"])
        wait_ready("prometheus receiver", self.prom_base, self.prom, deadline_s=DEADLINE)

    def write_config(self, sd, receivers=None):
        """receivers: [(remote_name, write URL)]; both started receivers unless given."""
        if receivers is None:
            receivers = [("vm", f"{self.vm_base}/api/v1/write"), ("prometheus", f"{self.prom_base}/api/v1/write")]
        queue = (f"    queue_config: {{max_shards: {MAX_SHARDS}, min_shards: 1, max_samples_per_send: "
                 f"{MAX_SAMPLES_PER_SEND}, batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}}\n"
                 "    metadata_config: {send: false}\n")
        self.cfg = os.path.join(self.tmp, "promethium.yml")
        with open(self.cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: fleet\n"
                    f"    file_sd_configs: [{{files: ['{sd}'], refresh_interval: 1s}}]\n"
                    "remote_write:\n" + "".join(f"  - url: {url}\n    name: {name}\n" + queue
                                                for name, url in receivers))

    def start_promethium(self):
        self.promethium = self.procs.start("promethium", [
            self.args.promethium, f"--config.file={self.cfg}", f"--storage.tsdb.path={self.data}",
            f"--web.listen-address=127.0.0.1:{self.port}"])
        wait_ready("promethium", self.base, self.promethium, deadline_s=DEADLINE)

    def start_all(self):
        sd = self.start_fleet()
        self.start_vm()
        self.start_prometheus()
        self.write_config(sd)
        self.start_promethium()
        wait_until(DEADLINE, "promethium to scrape every target", lambda: len(query_raw(self.base, 5, time.time())) >=
                   TARGETS * SERIES)


def query_raw(base, range_s, at):
    """{labels: {t_ms: value}} of the fleet job's raw samples in (at - range_s, at], NaNs (stale markers) left out."""
    q = urllib.parse.urlencode({"query": f'{{job="fleet"}}[{int(range_s)}s]', "time": f"{at:.3f}"})
    status, body = http_get(f"{base}/api/v1/query?{q}", timeout=30)
    if status != 200:
        raise ValueError(f"{base} query failed with {status}: {body[:300]}")
    out = {}
    for s in json.loads(body)["data"]["result"]:
        key = tuple(sorted(s["metric"].items()))
        vals = {round(float(t) * 1000): float(v) for t, v in s["values"] if not math.isnan(float(v))}
        out.setdefault(key, {}).update(vals)
    return out


def vm_export(vm_base, start, end):
    """({labels: {t_ms: value}}, duplicate count) of what VictoriaMetrics holds for the fleet job in [start, end]."""
    q = urllib.parse.urlencode({"match[]": '{job="fleet"}', "start": f"{start:.3f}", "end": f"{end:.3f}"})
    with urllib.request.urlopen(f"{vm_base}/api/v1/export?{q}", timeout=30) as resp:
        lines = resp.read().decode().splitlines()
    out, dups = {}, 0
    for line in lines:
        doc = json.loads(line)
        key = tuple(sorted(doc["metric"].items()))
        samples = out.setdefault(key, {})
        for t, v in zip(doc["timestamps"], doc["values"]):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            dups += t in samples
            samples[t] = float(v)
    return out, dups


def within(samples, lo_ms, hi_ms):
    return {k: {t: v for t, v in ts.items() if lo_ms < t <= hi_ms} for k, ts in samples.items()}


def diff(want, got, tol):
    """Human-readable differences: series or samples of want missing or different in got, and extra ones."""
    out = []
    for key, ts in want.items():
        have = got.get(key, {})
        missing = sorted(t for t in ts if t not in have)
        wrong = sorted(t for t in ts if t in have and not floats_close(ts[t], have[t], tol))
        if missing or wrong:
            out.append(f"{dict(key)}: {len(missing)} missing (first {missing[:3]}), {len(wrong)} differ")
    for key, ts in got.items():
        extra = sorted(t for t in ts if t not in want.get(key, {}))
        if extra:
            out.append(f"{dict(key)}: {len(extra)} samples promethium does not hold (first {extra[:3]})")
    return out


def compare(setup, t0, t1, receivers=("victoria-metrics", "prometheus")):
    """Waits until the receivers hold what promethium holds in (t0, t1], then checks every sample."""
    lo, hi = round(t0 * 1000), round(t1 * 1000)
    want = within(query_raw(setup.base, t1 - t0 + 5, t1), lo, hi)
    total = sum(len(ts) for ts in want.values())
    check(len(want) >= TARGETS * SERIES and total > 0,
          f"promethium holds {len(want)} fleet series with {total} samples in the compared range")
    got = {}

    def caught_up(name, fetch):
        got[name] = fetch()
        return sum(len(ts) for ts in got[name].values()) >= total
    for name, fetch in (("victoria-metrics", lambda: within(vm_export(setup.vm_base, t0 - 5, t1)[0], lo, hi)),
                        ("prometheus", lambda: within(query_raw(setup.prom_base, t1 - t0 + 5, t1), lo, hi))):
        if name not in receivers:
            continue
        try:
            wait_until(DEADLINE, f"{name} to catch up", lambda: caught_up(name, fetch), interval=1)
        except TestFailure:
            pass  # the check below says what differs
        problems = diff(want, got[name], 1e-9)
        check(not problems, f"{name} holds exactly promethium's {len(want)} series and {total} samples over the "
              f"{t1 - t0:.0f}s range: " + "; ".join(problems[:5]))


def case_outage(setup):
    setup.start_all()
    t0 = time.time()
    time.sleep(8)
    print(f"stopping both receivers for {OUTAGE_S}s", flush=True)
    setup.procs.stop(setup.vm, want_rc=None)
    setup.procs.stop(setup.prom, want_rc=None)
    time.sleep(OUTAGE_S)  # promethium keeps scraping; its queues retry
    setup.start_vm()
    setup.start_prometheus()
    time.sleep(5)
    compare(setup, t0, time.time() - 2)


def case_sigkill(setup):
    setup.start_all()
    t0 = time.time()
    time.sleep(10)
    print("SIGKILL promethium while it sends", flush=True)
    setup.promethium.send_signal(signal.SIGKILL)
    setup.promethium.wait(timeout=30)
    positions = os.listdir(os.path.join(setup.data, "remote_write"))
    check(len([p for p in positions if p.endswith(".position")]) == 2,
          f"each queue saved its send position before the kill ({positions})")
    setup.start_promethium()
    with open(setup.promethium.log_path, errors="replace") as f:
        resumed = [line for line in f if "resuming remote write after WAL position" in line]
    check(len(resumed) == 2, f"both queues resume after their saved positions ({resumed})")
    time.sleep(8)
    t1 = time.time() - 2
    compare(setup, t0, t1)
    _, dups = vm_export(setup.vm_base, t0 - 5, t1)
    bound = MAX_SHARDS * MAX_SAMPLES_PER_SEND
    check(dups <= bound, f"VictoriaMetrics got {dups} samples twice: at most one batch per shard ({bound})")


class FailingProxy:
    """A loopback HTTP proxy in front of VictoriaMetrics' /api/v1/write: answers
    `status` to every POST until `fail_until` (time.time()), then forwards the
    body and the remote-write headers and answers what VictoriaMetrics answers."""

    def __init__(self, vm_base, status, fail_until):
        self.vm_base, self.status, self.fail_until = vm_base, status, fail_until
        self.failed = self.forwarded = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if time.time() < proxy.fail_until:
                    proxy.failed += 1
                    self.answer(proxy.status, b"injected by the test proxy\n")
                    return
                headers = {h: self.headers[h] for h in FORWARDED_HEADERS if self.headers[h] is not None}
                req = urllib.request.Request(proxy.vm_base + "/api/v1/write", data=body, headers=headers)
                try:
                    with urllib.request.urlopen(req, timeout=30) as resp:
                        code, reply = resp.status, resp.read()
                except urllib.error.HTTPError as e:
                    code, reply = e.code, e.read()
                except OSError as e:
                    code, reply = 502, str(e).encode()
                proxy.forwarded += 1
                self.answer(code, reply)

            def answer(self, code, reply):
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.handler = Handler


def queue_counter(setup, name):
    """The value of prometheus_remote_storage_<name> for the vm queue (0 when absent)."""
    samples = self_metrics(setup.base).get("prometheus_remote_storage_" + name, [])
    return sum(v for labels, v in samples if labels.get("remote_name") == "vm")


def run_behind_failing_proxy(setup, status, window_s, body):
    """Fleet, VictoriaMetrics and promethium sending to it through a FailingProxy
    answering `status` for window_s from promethium's start; runs body(proxy)."""
    sd = setup.start_fleet()
    setup.start_vm()
    proxy = FailingProxy(setup.vm_base, status, time.time() + 3600)
    with loopback_http_server(proxy.handler) as proxy_port:
        setup.write_config(sd, [("vm", f"http://127.0.0.1:{proxy_port}/api/v1/write")])
        proxy.fail_until = time.time() + window_s
        setup.start_promethium()
        print(f"the proxy answers {status} until {proxy.fail_until:.1f}", flush=True)
        body(proxy)


def case_error500(setup):
    def body(proxy):
        t0 = time.time()
        wait_until(DEADLINE, "the proxy to answer 500 and promethium to count retries",
                   lambda: proxy.failed > 0 and queue_counter(setup, "samples_retried_total") > 0)
        wait_until(DEADLINE + ERROR500_WINDOW_S, "the proxy to forward after its error window",
                   lambda: proxy.forwarded > 0)
        time.sleep(5)
        compare(setup, t0, time.time() - 2, receivers=("victoria-metrics",))
        failed = queue_counter(setup, "samples_failed_total")
        retried = queue_counter(setup, "samples_retried_total")
        check(failed == 0 and retried > 0, f"500s are retried, not dropped (samples_retried_total {retried}, "
              f"samples_failed_total {failed})")
    run_behind_failing_proxy(setup, 500, ERROR500_WINDOW_S, body)


def case_error400(setup):
    def body(proxy):
        t0 = time.time()
        wait_until(DEADLINE, "the proxy to answer 400 and promethium to count failed samples",
                   lambda: proxy.failed > 0 and queue_counter(setup, "samples_failed_total") > 0)
        max_pending = 0
        deadline = time.time() + DEADLINE + ERROR400_WINDOW_S
        while proxy.forwarded == 0 and time.time() < deadline:  # sample pending through the rest of the window
            max_pending = max(max_pending, queue_counter(setup, "samples_pending"))
            time.sleep(0.5)
        check(proxy.forwarded > 0, "the proxy forwards after its error window")
        bound = MAX_SHARDS * MAX_SAMPLES_PER_SEND * 4
        check(max_pending <= bound, f"pending samples stay bounded while the receiver answers 400 "
              f"(max {max_pending}, bound {bound})")
        t_recovered = proxy.fail_until + 3
        time.sleep(max(0.0, t_recovered + 10 - time.time()))
        compare(setup, t_recovered, time.time() - 2, receivers=("victoria-metrics",))
        failed = queue_counter(setup, "samples_failed_total")
        retried = queue_counter(setup, "samples_retried_total")
        check(retried == 0, f"400s are not retried (samples_retried_total {retried})")
        lo, hi = round(t0 * 1000), round((proxy.fail_until - 2) * 1000)
        held = sum(len(ts) for ts in within(vm_export(setup.vm_base, t0 - 5, proxy.fail_until)[0], lo, hi).values())
        scraped = sum(len(ts) for ts in within(query_raw(setup.base, proxy.fail_until - t0 + 5, proxy.fail_until),
                                                 lo, hi).values())
        check(held < scraped, f"the window's batches were dropped: VictoriaMetrics holds {held} of the {scraped} "
              f"samples promethium scraped during the 400 window; samples_failed_total {failed}")
    run_behind_failing_proxy(setup, 400, ERROR400_WINDOW_S, body)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", required=True, choices=("outage", "sigkill", "error500", "error400"))
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--prometheus", required=True)
    parser.add_argument("--victoria-metrics", required=True)
    parser.add_argument("--fleet", required=True)
    args = parser.parse_args()
    for name in ("promethium", "prometheus", "victoria_metrics", "fleet"):
        path = getattr(args, name)
        if not path or not os.path.exists(path):
            print(f"FAIL: {name} not found ({path!r}); scripts/setup.sh installs it", file=sys.stderr)
            return 1
    case = {"outage": case_outage, "sigkill": case_sigkill, "error500": case_error500,
            "error400": case_error400}[args.case]
    return run_with_procs("promethium-remote-write-", lambda tmp, procs: case(Setup(args, tmp, procs)))


if __name__ == "__main__":
    sys.exit(main())
