#!/usr/bin/env python3
"""End-to-end test of docker_sd_configs against a real, private dockerd.

Starts Debian's dockerd on a private unix socket with private data and exec
roots under a temp dir (no iptables, no bridge, metrics on a loopback port),
imports a tiny image made of static busybox, and runs two containers with
--network host and Prometheus-style labels, each serving a metrics file with
`busybox httpd` on its own loopback port. Promethium discovers them through
docker_sd_configs (relabeling on the container labels picks port and path)
and also scrapes dockerd's own metrics. Checks:
  - both containers and the engine are up == 1;
  - /api/v1/targets shows the __meta_docker_* discovered labels;
  - a metric from each container is queryable;
  - the discovered and target labels equal those of Prometheus 2.42 run on
    the same discovery config (when --prometheus is given);
  - after `docker stop` of one container its target disappears and its
    series are stale at once (the query returns nothing).
Containers, dockerd and the temp dir are always cleaned up; every wait is
bounded. The test is skipped (exit 77) only when dockerd cannot start on
this machine, with the reason printed.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

from e2e_common import Api, TestFailure, check, free_port, http_get, print_log_tail, start_server, wait_until

SKIP = 77
DEADLINE = 30
IMAGE = "promethium-e2e-busybox:1"


class Skip(Exception):
    pass


class Docker:
    """Runs the docker CLI against the private daemon, with a timeout."""

    def __init__(self, sock):
        self.host = f"unix://{sock}"

    def __call__(self, *args, timeout=60, check_rc=True):
        proc = subprocess.run(["docker", "-H", self.host, *args], capture_output=True, text=True, timeout=timeout)
        if check_rc and proc.returncode != 0:
            raise TestFailure(f"docker {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc.stdout.strip()


def find_static_busybox():
    for path in ("/bin/busybox", "/usr/bin/busybox"):
        if os.path.exists(path):
            ldd = subprocess.run(["ldd", path], capture_output=True, text=True)
            if ldd.returncode != 0 or "not a dynamic executable" in (ldd.stdout + ldd.stderr):
                return path
    raise TestFailure("no static busybox found (install busybox-static: scripts/setup.sh)")


def start_dockerd(tmp, metrics_port):
    sock = os.path.join(tmp, "docker.sock")
    log_path = os.path.join(tmp, "dockerd.log")
    cmd = [shutil.which("dockerd") or "dockerd", "--iptables=false", "--bridge=none", "--ip-masq=false",
           f"--metrics-addr=127.0.0.1:{metrics_port}", "-H", f"unix://{sock}",
           f"--data-root={os.path.join(tmp, 'data')}", f"--exec-root={os.path.join(tmp, 'exec')}",
           f"--pidfile={os.path.join(tmp, 'docker.pid')}", "--storage-driver=vfs"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    docker = Docker(sock)
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if proc.poll() is not None:
            print_log_tail(log_path, "dockerd output")
            raise Skip(f"dockerd exited with {proc.returncode} at startup (see its output above)")
        if os.path.exists(sock) and subprocess.run(["docker", "-H", f"unix://{sock}", "version"],
                                                   capture_output=True, timeout=10).returncode == 0:
            return proc, sock, docker, log_path
        time.sleep(0.3)
    print_log_tail(log_path, "dockerd output")
    raise Skip(f"dockerd did not answer on {sock} within {DEADLINE}s")


def stop_process(proc, sig=signal.SIGTERM, wait_s=20):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def build_image(docker, tmp, busybox):
    rootfs = os.path.join(tmp, "image.tar")
    with tarfile.open(rootfs, "w") as tar:
        for d in ("bin", "www", "proc", "sys", "dev", "etc", "tmp"):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        tar.add(busybox, arcname="bin/busybox")
        for applet in ("sh", "httpd"):
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type = tarfile.SYMTYPE
            link.linkname = "busybox"
            tar.addfile(link)
    docker("import", rootfs, IMAGE)


def run_container(docker, tmp, name, port, value):
    www = os.path.join(tmp, f"www-{name}")
    os.makedirs(www)
    with open(os.path.join(www, "metrics"), "w") as f:
        f.write("# HELP docker_e2e_value A value served from a container.\n"
                "# TYPE docker_e2e_value gauge\n"
                f"docker_e2e_value{{source=\"{name}\"}} {value}\n")
    return docker("run", "-d", "--name", name, "--network", "host", "--label", "prometheus.io/scrape=true",
                  "--label", f"prometheus.io/port={port}", "--label", "prometheus.io/path=/metrics",
                  "--label", f"app={name}", "-v", f"{www}:/www:ro", IMAGE,
                  "/bin/busybox", "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", "/www")


def write_config(path, sock, engine_port, fallback=True):
    # busybox httpd sends no Content-Type for the metrics file: Prometheus 3
    # (and promethium) need fallback_scrape_protocol; 2.42 does not know it.
    fallback_line = "    fallback_scrape_protocol: PrometheusText0.0.4\n" if fallback else ""
    with open(path, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: docker
{fallback_line}    docker_sd_configs:
      - host: unix://{sock}
        host_networking_host: 127.0.0.1
        refresh_interval: 1s
        filters:
          - name: label
            values: ["prometheus.io/scrape=true"]
    relabel_configs:
      - source_labels: [__address__, __meta_docker_container_label_prometheus_io_port]
        regex: '([^:]+)(?::\\d+)?;(\\d+)'
        replacement: '$1:$2'
        target_label: __address__
      - source_labels: [__meta_docker_container_label_prometheus_io_path]
        regex: '(.+)'
        target_label: __metrics_path__
      - source_labels: [__meta_docker_container_name]
        regex: '/(.*)'
        target_label: container
  - job_name: dockerd
    static_configs:
      - targets: ['127.0.0.1:{engine_port}']
""")


def docker_targets(api):
    return api.active_targets("docker", "container")


def up_values(api, selector):
    return {r["metric"].get("container", r["metric"].get("instance")): float(r["value"][1])
            for r in api.query(f"up{{{selector}}}")}


def check_discovered(target, name, cid, port):
    d = target["discoveredLabels"]
    expected = {
        "__meta_docker_container_id": cid,
        "__meta_docker_container_name": f"/{name}",
        "__meta_docker_container_network_mode": "host",
        "__meta_docker_container_label_app": name,
        "__meta_docker_container_label_prometheus_io_port": str(port),
        "__meta_docker_container_label_prometheus_io_scrape": "true",
        "__meta_docker_network_name": "host",
        "__meta_docker_network_scope": "local",
        "__meta_docker_network_internal": "false",
        "__meta_docker_network_ingress": "false",
        "__address__": "127.0.0.1",
    }
    for k, v in expected.items():
        check(d.get(k) == v, f"{name}: discovered {k}={v!r} (got {d.get(k)!r})")
    check(d.get("__meta_docker_network_id", "") != "", f"{name}: discovered __meta_docker_network_id is set")
    # Host networking has no IP: the empty label is dropped, as labels.Builder does.
    check(d.get("__meta_docker_network_ip") is None, f"{name}: empty __meta_docker_network_ip is dropped")
    check("__meta_docker_port_private" not in d, f"{name}: host networking has no port labels")
    check(target["labels"].get("instance") == f"127.0.0.1:{port}", f"{name}: instance is 127.0.0.1:{port}")
    check(target["scrapeUrl"] == f"http://127.0.0.1:{port}/metrics", f"{name}: scrape URL from the labels")


def run_test(args, tmp, state):
    busybox = find_static_busybox()
    engine_port = free_port()
    state["dockerd"], sock, docker, state["dockerd_log"] = start_dockerd(tmp, engine_port)
    state["docker"] = docker
    check(True, f"dockerd answers on {sock}")
    build_image(docker, tmp, busybox)
    check(True, f"imported {IMAGE} from {busybox}")
    ports = {"pm-e2e-a": free_port(), "pm-e2e-b": free_port()}
    values = {"pm-e2e-a": 11, "pm-e2e-b": 22}
    ids = {}
    for name, port in ports.items():
        ids[name] = run_container(docker, tmp, name, port, values[name])
        state["containers"].append(name)
        wait_until(DEADLINE, f"{name} serving on {port}",
                   lambda p=port: http_get(f"http://127.0.0.1:{p}/metrics")[0] == 200)
    check(True, "both containers serve their metrics file")

    cfg = os.path.join(tmp, "prometheus.yml")
    write_config(cfg, sock, engine_port)
    port = free_port()
    state["log"] = os.path.join(tmp, "promethium.log")
    state["promethium"] = start_server(args.promethium, cfg, os.path.join(tmp, "tsdb"), port, state["log"])
    api = Api(port)
    want = {"pm-e2e-a": 1.0, "pm-e2e-b": 1.0}
    wait_until(DEADLINE, "both containers up == 1", lambda: up_values(api, 'job="docker"') == want)
    check(True, "up{job=\"docker\"} == 1 for both containers")
    wait_until(DEADLINE, "dockerd up == 1", lambda: list(up_values(api, 'job="dockerd"').values()) == [1.0])
    check(True, "up{job=\"dockerd\"} == 1 (engine metrics)")
    wait_until(DEADLINE, "engine reports 2 running containers", lambda: [
        r["value"][1] for r in api.query('engine_daemon_container_states_containers{state="running"}')] == ["2"])
    check(True, "engine_daemon_container_states_containers{state=\"running\"} == 2")

    targets = docker_targets(api)
    check(set(targets) == set(ports), f"/api/v1/targets lists exactly {sorted(ports)}")
    for name, p in ports.items():
        check_discovered(targets[name], name, ids[name], p)
    for name, value in values.items():
        res = wait_until(DEADLINE, f"docker_e2e_value from {name}",
                         lambda n=name: api.query(f'docker_e2e_value{{container="{n}"}}'))
        check(float(res[0]["value"][1]) == value and res[0]["metric"]["source"] == name,
              f"docker_e2e_value{{container=\"{name}\"}} == {value}")

    if args.prometheus:
        cross_check_prometheus(args, tmp, sock, engine_port, state, targets)

    docker("stop", "-t", "1", "pm-e2e-b")
    wait_until(DEADLINE, "pm-e2e-b gone from /api/v1/targets", lambda: set(docker_targets(api)) == {"pm-e2e-a"})
    check(True, "stopped container's target disappeared")
    check(api.query('docker_e2e_value{container="pm-e2e-b"}') == [],
          "stopped container's series are stale at once")
    check(api.query('up{container="pm-e2e-b"}') == [], "stopped container's up is stale at once")
    check(len(api.query('docker_e2e_value{container="pm-e2e-a"}')) == 1, "the other container is still scraped")


def comparable(labels):
    """The __meta_* discovered labels as a set, without empty values (2.x keeps
    them, 3.x drops them). Only __meta_*: Prometheus 2.42 shows relabeling's
    changes to __address__ and friends in discoveredLabels (a bug fixed later)."""
    return frozenset((k, v) for k, v in labels.items() if v != "" and k.startswith("__meta_"))


def cross_check_prometheus(args, tmp, sock, engine_port, state, ours):
    """Runs Prometheus 2.42 on the same discovery config; discovered labels must match ours."""
    cfg = os.path.join(tmp, "prometheus-2.42.yml")
    write_config(cfg, sock, engine_port, fallback=False)
    port = free_port()
    state["prometheus_log"] = os.path.join(tmp, "prometheus.log")
    state["prometheus"] = start_server(args.prometheus, cfg, os.path.join(tmp, "prom"), port, state["prometheus_log"])
    prom = Api(port)
    theirs = wait_until(DEADLINE, "Prometheus 2.42 discovers both containers",
                        lambda: (lambda t: t if len(t) == 2 else None)(docker_targets(prom)))
    for name, target in ours.items():
        mine = comparable(target["discoveredLabels"])
        ref = comparable(theirs[name]["discoveredLabels"])
        check(mine == ref, f"{name}: {len(mine)} __meta_docker_* labels identical to Prometheus 2.42's "
                           f"(only ours: {sorted(mine - ref)}, only 2.42: {sorted(ref - mine)})")
        check(target["labels"] == theirs[name]["labels"], f"{name}: target labels identical to Prometheus 2.42's")
    stop_process(state.pop("prometheus"))


def cleanup(state, tmp):
    stop_process(state.get("prometheus"))
    stop_process(state.get("promethium"))
    docker = state.get("docker")
    if docker is not None:
        for name in state["containers"]:
            try:
                docker("rm", "-f", name, timeout=30, check_rc=False)
            except subprocess.TimeoutExpired:
                print(f"warning: docker rm -f {name} timed out", file=sys.stderr)
    stop_process(state.get("dockerd"))
    # The daemon leaves its netns mount (exec/netns/default) behind: unmount
    # whatever is still mounted under tmp, deepest first, then remove it.
    for mount_point in sorted(mounts_under(tmp), key=len, reverse=True):
        subprocess.run(["umount", "-l", mount_point], capture_output=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if os.path.exists(tmp):
        print(f"warning: could not remove {tmp}", file=sys.stderr)


def mounts_under(path):
    with open("/proc/self/mounts") as f:
        points = [line.split()[1].replace("\\040", " ") for line in f]
    return [p for p in points if p == path or p.startswith(path + "/")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--prometheus", default="", help="Prometheus 2.42 for the discovered-labels cross-check")
    args = parser.parse_args()
    for tool in ("dockerd", "docker"):
        if shutil.which(tool) is None:
            print(f"FAIL: {tool} not found (install docker.io: scripts/setup.sh)", file=sys.stderr)
            return 1
    tmp = tempfile.mkdtemp(prefix="pm-dk-")  # short: unix socket paths are limited to 108 bytes
    state = {"containers": []}
    try:
        run_test(args, tmp, state)
        print("PASS: docker_sd e2e")
        return 0
    except Skip as e:
        print(f"SKIP: dockerd cannot run on this machine: {e}")
        return SKIP
    except (TestFailure, subprocess.TimeoutExpired, OSError) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        if state.get("log") and os.path.exists(state["log"]):
            print_log_tail(state["log"])
        if state.get("dockerd_log") and os.path.exists(state["dockerd_log"]):
            print_log_tail(state["dockerd_log"], "dockerd output")
        return 1
    finally:
        cleanup(state, tmp)


if __name__ == "__main__":
    sys.exit(main())
