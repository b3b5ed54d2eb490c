#!/usr/bin/env python3
"""End-to-end test of scrape sharding with hashmod (examples/sharding/).

Sixteen small targets on their own loopback ports are listed in one file_sd
file. Two promethium instances run the example's shard-0.yml and
shard-1.yml unchanged except for the scrape interval (1 s) and the remote
write URL (a VictoriaMetrics started by the test). Checks:
  - every target is scraped by exactly one shard;
  - shard 0 keeps exactly the targets that Prometheus 2.42 keeps with the
    same shard-0 configuration (the hash is Prometheus's);
  - the central VictoriaMetrics holds every target's `up` series, labelled
    with the shard that scraped it.
Every wait is bounded; every child is killed on exit.
"""

import argparse
import http.server
import json
import os
import sys
import threading
import urllib.parse
import urllib.request

from e2e_common import (Api, TestFailure, check, exposition_handler, free_port, missing_tool, run_with_procs,
                         wait_ready, wait_until)

TARGETS = 16
DEADLINE = 60  # seconds per wait: the machine may be busy


MetricsHandler = exposition_handler(b"# TYPE shard_test_metric gauge\nshard_test_metric 1\n")


def start_targets():
    addresses = []
    for _ in range(TARGETS):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), MetricsHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        addresses.append(f"127.0.0.1:{server.server_address[1]}")
    return addresses


def shard_config(example_dir, shard, out_dir, targets, remote_write_url):
    """The example's shard file with a 1 s interval and the test's receiver;
    returns its path. remote_write_url None drops the remote_write section."""
    with open(os.path.join(example_dir, f"shard-{shard}.yml")) as f:
        text = f.read()
    text = text.replace("scrape_interval: 15s", "scrape_interval: 1s")
    if remote_write_url is None:
        text = text[:text.index("remote_write:")]
    else:
        text = text.replace("http://127.0.0.1:8428/api/v1/write", remote_write_url)
    os.makedirs(os.path.join(out_dir, "targets"), exist_ok=True)
    with open(os.path.join(out_dir, "targets", "fleet.json"), "w") as f:
        json.dump([{"targets": targets}], f)
    path = os.path.join(out_dir, f"shard-{shard}.yml")
    with open(path, "w") as f:
        f.write(text)
    return path


def active_instances(port):
    doc = Api(port).get_json("/api/v1/targets")
    return {t["labels"]["instance"] for t in doc["data"]["activeTargets"] if t.get("scrapePool") == "node"}


def discovered_count(port):
    """How many targets the server has discovered: kept plus dropped by relabeling."""
    doc = Api(port).get_json("/api/v1/targets")
    return len(doc["data"]["activeTargets"]) + len(doc["data"]["droppedTargets"])


def vm_up_series(vm_base):
    """{instance: shard} of the `up` series VictoriaMetrics holds."""
    url = vm_base + "/api/v1/series?" + urllib.parse.urlencode({"match[]": 'up{job="node"}'})
    with urllib.request.urlopen(url, timeout=10) as resp:
        doc = json.loads(resp.read())
    return {s["instance"]: s.get("shard") for s in doc["data"]}


def run(args, tmp, procs):
    targets = start_targets()
    example_dir = os.path.join(args.source_dir, "examples", "sharding")

    vm_port = free_port()
    vm_base = f"http://127.0.0.1:{vm_port}"
    procs.start("victoria-metrics", [args.victoria_metrics, f"-storageDataPath={tmp}/vm",
                                     f"-httpListenAddr=127.0.0.1:{vm_port}", "-search.latencyOffset=0s"])
    wait_until(DEADLINE, "victoria-metrics /health", lambda: urllib.request.urlopen(vm_base + "/health").status == 200)

    ports = {}
    for shard in (0, 1):
        out = os.path.join(tmp, f"shard{shard}")
        cfg = shard_config(example_dir, shard, out, targets, vm_base + "/api/v1/write")
        ports[shard] = free_port()
        proc = procs.start(f"promethium-shard{shard}",
                           [args.promethium, f"--config.file={cfg}", f"--storage.tsdb.path={out}/data",
                            f"--web.listen-address=127.0.0.1:{ports[shard]}"])
        wait_ready(f"shard {shard}", f"http://127.0.0.1:{ports[shard]}", proc, deadline_s=DEADLINE)

    prom_dir = os.path.join(tmp, "prometheus")
    prom_cfg = shard_config(example_dir, 0, prom_dir, targets, None)
    prom_port = free_port()
    prom = procs.start("prometheus", [args.prometheus, f"--config.file={prom_cfg}",
                                      f"--storage.tsdb.path={prom_dir}/data",
                                      f"--web.listen-address=127.0.0.1:{prom_port}"])
    wait_ready("prometheus", f"http://127.0.0.1:{prom_port}", prom, deadline_s=DEADLINE)

    # Discovery runs once the file is read; wait until the shards together
    # hold every target (a target kept by neither would never appear).
    split = {}

    def all_discovered():
        split[0], split[1] = active_instances(ports[0]), active_instances(ports[1])
        return len(split[0]) + len(split[1]) >= TARGETS
    wait_until(DEADLINE, "the two shards to discover the targets", all_discovered)
    print(f"shard 0 keeps {len(split[0])} targets, shard 1 keeps {len(split[1])}", flush=True)
    check(not (split[0] & split[1]), "no target is scraped by both shards")
    check(split[0] | split[1] == set(targets), "every target is scraped by one of the shards")
    wait_until(DEADLINE, "Prometheus to discover the targets", lambda: discovered_count(prom_port) >= TARGETS)
    prom_split = active_instances(prom_port)
    check(prom_split == split[0], f"shard 0 keeps the targets Prometheus 2.42 keeps ({sorted(prom_split)})")

    want = {addr: str(shard) for shard in (0, 1) for addr in split[shard]}
    got = {}

    def central_has_all():
        got.clear()
        got.update(vm_up_series(vm_base))
        return got == want
    try:
        wait_until(DEADLINE, "VictoriaMetrics to hold every target's up series with its shard label", central_has_all)
    except TestFailure:
        pass  # the check below says what differs
    check(got == want, f"the central engine holds all {TARGETS} targets' up series, each labelled with the shard "
          f"that scraped it (want {json.dumps(want, sort_keys=True)}, got {json.dumps(got, sort_keys=True)})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--prometheus", required=True)
    parser.add_argument("--victoria-metrics", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    missing = missing_tool([(name, getattr(args, name)) for name in ("promethium", "prometheus", "victoria_metrics")])
    if missing:
        print(f"{missing}; scripts/setup.sh installs it", file=sys.stderr)
        return 1
    return run_with_procs("promethium-sharding-", lambda tmp, procs: run(args, tmp, procs))


if __name__ == "__main__":
    sys.exit(main())
