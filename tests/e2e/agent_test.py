#!/usr/bin/env python3
"""Agent mode end to end (docs/REMOTE.md, "Agent mode"): promethium --agent
scrapes a small synthetic fleet (../shared/tools/fleet.py) and forwards it by
remote write to VictoriaMetrics 1.79, started here on a loopback port with its
own temp dir; a full-mode promethium scrapes the same fleet as the reference.

Checks, in order:
  1. flags and config agent mode refuses, as Prometheus: a server-only flag
     with --agent and an agent-only flag without it exit 3 with Prometheus's
     message; rule_files in agent mode fails start-up with its message;
  2. the agent's HTTP API: queries, labels, series, rules, alerts,
     alertmanagers and status/tsdb answer 422 "unavailable with Prometheus
     Agent"; targets, status/config, status/flags, /metrics, /-/ready,
     /-/healthy and /-/reload work;
  3. forwarding, with the WAL truncated every 2 s meanwhile (a checkpoint
     and deleted segments must appear): after a reload that stops scraping (and writes stale
     markers), VictoriaMetrics holds every sample the agent appended
     (prometheus_agent_samples_appended_total, counted with the stale
     markers), exactly the fleet's series the reference promethium holds, and
     for every target every series has a sample at every scrape (the
     timestamps of its `up`).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from e2e_common import (Procs, TestFailure, check, free_port, http_get, self_metrics, wait_ready, wait_until)

DEADLINE = 90  # seconds, for each wait (the machine is shared)
TARGETS, SERIES = 4, 40
AGENT_ERROR = {"status": "error", "errorType": "execution", "error": "unavailable with Prometheus Agent"}


def http_post(url, data=b"", timeout=10):
    req = urllib.request.Request(url, data=data, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def metric(base, name):
    return sum(v for _, v in self_metrics(base).get(name, []))


def scrape_config(sd):
    return ("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "scrape_configs:\n  - job_name: fleet\n"
            f"    file_sd_configs: [{{files: ['{sd}'], refresh_interval: 1s}}]\n")


def remote_write_config(vm_base):
    return ("remote_write:\n"
            f"  - url: {vm_base}/api/v1/write\n    name: vm\n"
            "    queue_config: {max_shards: 2, min_shards: 1, max_samples_per_send: 500, batch_send_deadline: 1s,"
            " min_backoff: 100ms, max_backoff: 1s}\n"
            "    metadata_config: {send: false}\n")


def check_refusals(args, tmp, sd):
    cfg = os.path.join(tmp, "plain.yml")
    with open(cfg, "w") as f:
        f.write(scrape_config(sd))
    for flags, want in (
            (["--agent", f"--storage.tsdb.path={tmp}/x"],
             'The following flag(s) can not be used in agent mode: ["--storage.tsdb.path"]'),
            ([f"--storage.agent.path={tmp}/x"],
             'The following flag(s) can only be used in agent mode: ["--storage.agent.path"]')):
        r = subprocess.run([args.promethium, f"--config.file={cfg}", *flags], capture_output=True, text=True,
                           timeout=30)
        last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        check(r.returncode == 3 and last == want, f"{' '.join(flags)} exits 3 with {want!r} (got {r.returncode}, "
              f"{last!r})")
    rules_cfg = os.path.join(tmp, "rules.yml")
    with open(rules_cfg, "w") as f:
        f.write(scrape_config(sd) + "rule_files: [some_rules.yml]\n")
    r = subprocess.run([args.promethium, "--agent", f"--config.file={rules_cfg}", f"--storage.agent.path={tmp}/r",
                        f"--web.listen-address=127.0.0.1:{free_port()}"], capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    check(r.returncode == 1 and "field rule_files is not allowed in agent mode" in out,
          f"rule_files in agent mode fails start-up with Prometheus's message (rc {r.returncode})")


def check_api(base):
    for path in ("/api/v1/query?query=up", "/api/v1/query_range?query=up&start=0&end=1&step=1",
                 "/api/v1/labels", "/api/v1/label/job/values", "/api/v1/series?match[]=up",
                 "/api/v1/query_exemplars?query=up", "/api/v1/rules", "/api/v1/alerts", "/api/v1/alertmanagers",
                 "/api/v1/status/tsdb"):
        status, body = http_get(base + path)
        check(status == 422 and json.loads(body) == AGENT_ERROR,
              f"GET {path} answers 422 unavailable with Prometheus Agent (got {status} {body[:120]})")
    status, body = http_get(base + "/api/v1/status/flags")
    check(status == 200 and json.loads(body)["data"]["agent"] == "true", "status/flags shows agent=true")
    for path in ("/api/v1/status/config", "/api/v1/status/buildinfo", "/-/ready", "/-/healthy", "/metrics"):
        check(http_get(base + path)[0] == 200, f"GET {path} answers 200")
    def up_targets():
        active = json.loads(http_get(base + "/api/v1/targets")[1])["data"]["activeTargets"]
        return len([t for t in active if t["health"] == "up"]) == TARGETS
    wait_until(DEADLINE, "every fleet target up in /api/v1/targets", up_targets)
    check(True, f"/api/v1/targets lists the {TARGETS} fleet targets up")


def vm_export(vm_base, match, start, end):
    """{labels: {t_ms: value or None}} of what VictoriaMetrics holds (None for NaN/stale)."""
    q = urllib.parse.urlencode({"match[]": match, "start": f"{start:.3f}", "end": f"{end:.3f}"})
    with urllib.request.urlopen(f"{vm_base}/api/v1/export?{q}", timeout=60) as resp:
        lines = resp.read().decode().splitlines()
    out = {}
    for line in lines:
        doc = json.loads(line)
        key = tuple(sorted(doc["metric"].items()))
        samples = out.setdefault(key, {})
        for t, v in zip(doc["timestamps"], doc["values"]):
            samples[t] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
    return out


def reference_series(base):
    q = urllib.parse.urlencode({"match[]": '{job="fleet"}'})
    status, body = http_get(f"{base}/api/v1/series?{q}", timeout=30)
    if status != 200:
        raise TestFailure(f"reference series: {status} {body[:200]}")
    return {tuple(sorted(s.items())) for s in json.loads(body)["data"]}


def check_forwarding(agent_base, ref_base, vm_base, agent_cfg, sd, t_start):
    wait_until(DEADLINE, "the agent to append 20 scrapes of every target",
               lambda: metric(agent_base, "prometheus_agent_samples_appended_total") >= 20 * TARGETS * (SERIES + 5),
               interval=1)
    # Truncation (every 2s here) has checkpointed and deleted segments the
    # queue acknowledged, while it keeps sending: nothing may be lost below.
    wal = os.path.join(os.path.dirname(agent_cfg), "agent", "wal")

    def truncated():
        names = os.listdir(wal)
        segments = sorted(int(n) for n in names if n.isdigit())
        return any(n.startswith("checkpoint.") and not n.endswith(".tmp") for n in names) and segments[0] > 0
    wait_until(DEADLINE, "the agent to checkpoint and delete acknowledged WAL segments", truncated, interval=1)
    check(metric(agent_base, "prometheus_agent_checkpoint_creations_total") >= 1,
          f"the agent truncated its WAL while sending ({sorted(os.listdir(wal))})")
    # Stop scraping: the reload writes stale markers, then nothing more is appended.
    with open(agent_cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\nscrape_configs: []\n" + remote_write_config(vm_base))
    status, body = http_post(agent_base + "/-/reload")
    check(status == 200, f"POST /-/reload answers 200 (got {status} {body[:200]})")
    last = [-1.0]

    def stable():
        now = metric(agent_base, "prometheus_agent_samples_appended_total")
        done = now == last[0]
        last[0] = now
        return done
    wait_until(DEADLINE, "the agent's appended sample count to stop growing", stable, interval=3)
    appended = int(last[0])
    check(appended > 0, f"the agent appended {appended} samples")
    t_end = time.time() + 5
    got = {}

    def arrived():
        got["vm"] = vm_export(vm_base, '{__name__=~".+"}', t_start - 60, t_end)
        return sum(len(ts) for ts in got["vm"].values()) >= appended
    try:
        wait_until(DEADLINE, "VictoriaMetrics to hold every appended sample", arrived, interval=2)
    except TestFailure:
        pass  # the checks below say what differs
    vm = got["vm"]
    total = sum(len(ts) for ts in vm.values())
    stale = sum(1 for ts in vm.values() for v in ts.values() if v is None)
    check(total == appended, f"VictoriaMetrics holds {total} samples ({stale} stale markers), the agent appended "
          f"{appended}")
    fleet = {k: ts for k, ts in vm.items() if dict(k).get("job") == "fleet"}
    want = reference_series(ref_base)
    check(set(fleet) == want, f"VictoriaMetrics holds exactly the {len(want)} fleet series the reference promethium "
          f"scraped (got {len(fleet)}; missing {len(want - set(fleet))}, extra {len(set(fleet) - want)})")
    # Every scrape arrived whole: per target, each series has a sample at each `up` timestamp.
    problems = []
    for key, ts in fleet.items():
        labels = dict(key)
        up = [t for k, u in fleet.items() if dict(k).get("__name__") == "up" and
              dict(k).get("instance") == labels["instance"] for t, v in u.items() if v is not None]
        mine = {t for t, v in ts.items() if v is not None}
        if mine != set(up):
            problems.append(f"{labels}: {len(set(up) - mine)} scrapes missing, {len(mine - set(up))} extra")
    check(not problems and len(fleet) > 0, f"every fleet series has a sample at every scrape of its target: "
          + "; ".join(problems[:5]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--victoria-metrics", required=True)
    parser.add_argument("--fleet", required=True)
    args = parser.parse_args()
    for name in ("promethium", "victoria_metrics", "fleet"):
        if not os.path.exists(getattr(args, name)):
            raise TestFailure(f"--{name.replace('_', '-')} {getattr(args, name)!r} does not exist")
    with tempfile.TemporaryDirectory(prefix="promethium_agent_e2e_") as tmp:
        procs = Procs(tmp)
        try:
            sd = os.path.join(tmp, "fleet_sd.json")
            procs.start("fleet", [sys.executable, args.fleet, "synthetic", "--targets", str(TARGETS), "--series",
                                  str(SERIES), "--duration", "300", "--sd-file", sd, "--quiet"])
            wait_until(DEADLINE, "the fleet's file_sd JSON", lambda: os.path.exists(sd))
            check_refusals(args, tmp, sd)

            vm_port, ref_port, agent_port = free_port(), free_port(), free_port()
            vm_base = f"http://127.0.0.1:{vm_port}"
            procs.start("victoria-metrics", [args.victoria_metrics, f"-storageDataPath={tmp}/vm",
                                             f"-httpListenAddr=127.0.0.1:{vm_port}", "-search.latencyOffset=0s"])
            wait_until(DEADLINE, "victoria-metrics /health", lambda: http_get(vm_base + "/health")[0] == 200)

            ref_cfg = os.path.join(tmp, "reference.yml")
            with open(ref_cfg, "w") as f:
                f.write(scrape_config(sd))
            ref_base = f"http://127.0.0.1:{ref_port}"
            ref = procs.start("promethium-reference", [
                args.promethium, f"--config.file={ref_cfg}", f"--storage.tsdb.path={tmp}/ref",
                f"--web.listen-address=127.0.0.1:{ref_port}"])
            wait_ready("reference promethium", ref_base, ref, deadline_s=DEADLINE)

            agent_cfg = os.path.join(tmp, "agent.yml")
            with open(agent_cfg, "w") as f:
                f.write(scrape_config(sd) + remote_write_config(vm_base))
            agent_base = f"http://127.0.0.1:{agent_port}"
            t_start = time.time()
            agent = procs.start("promethium-agent", [
                args.promethium, "--agent", f"--config.file={agent_cfg}", f"--storage.agent.path={tmp}/agent",
                f"--web.listen-address=127.0.0.1:{agent_port}", "--web.enable-lifecycle",
                "--storage.agent.wal-truncate-frequency=2s", "--storage.agent.retention.min-time=30s"])
            wait_ready("agent promethium", agent_base, agent, deadline_s=DEADLINE)
            check_api(agent_base)
            check(os.path.isdir(f"{tmp}/agent/wal") and not os.path.exists(f"{tmp}/agent/chunks_head"),
                  "the agent keeps only a WAL (no head chunks, no blocks)")
            wait_until(DEADLINE, "prometheus_agent_active_series to count the fleet",
                       lambda: metric(agent_base, "prometheus_agent_active_series") >= TARGETS * SERIES)
            check_forwarding(agent_base, ref_base, vm_base, agent_cfg, sd, t_start)
            procs.stop(agent)
            procs.stop(ref)
        except BaseException:
            procs.print_tails()
            raise
        finally:
            procs.cleanup()
    print("PASS")


if __name__ == "__main__":
    try:
        main()
    except TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
