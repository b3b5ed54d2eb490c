#!/usr/bin/env python3
"""End-to-end test of file_sd_configs (standard library only).

Starts two small Python HTTP targets and promethium with a file_sd config
whose JSON file lists the first target. Checks that the first target is
scraped (up == 1 via the API), then rewrites the file to list only the
second target and checks that it appears in /api/v1/targets, that it is
scraped, and that the removed target's series went stale
(up{instance="<old>"} returns nothing right after). Every wait is bounded;
the whole test takes well under 40 s. Every child is killed on exit.
"""

import argparse
import http.server
import json
import os
import sys
import tempfile
import threading

from e2e_common import (Api, TestFailure, check, exposition_handler, free_port, print_log_tail, start_server,
                         wait_until)

DEADLINE = 15  # seconds per wait; three waits keep the test under ~40 s


MetricsHandler = exposition_handler(b"# TYPE sd_test_metric gauge\nsd_test_metric 1\n")


def start_target():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), MetricsHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"127.0.0.1:{server.server_address[1]}"


def write_targets(path, targets):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump([{"targets": targets, "labels": {"env": "e2e"}}], f)
    os.replace(tmp, path)  # atomic: promethium never sees a half-written file


def up_value(api, instance):
    result = api.query(f'up{{instance="{instance}"}}')
    return float(result[0]["value"][1]) if result else None


def run(args, tmp):
    _, old = start_target()
    _, new = start_target()
    sd_file = os.path.join(tmp, "targets.json")
    write_targets(sd_file, [old])
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(
            "global:\n  scrape_interval: 1s\n"
            "scrape_configs:\n"
            "  - job_name: sd\n"
            "    file_sd_configs:\n"
            "      - files: ['*.json']\n"  # relative to the config file, globbed
            "        refresh_interval: 5m\n"
        )
    port = free_port()
    log_path = os.path.join(tmp, "promethium.log")
    proc = start_server(args.promethium, cfg, os.path.join(tmp, "data"), port, log_path)
    try:
        api = Api(port)
        wait_until(DEADLINE, f"up == 1 for {old}", lambda: up_value(api, old) == 1)
        check(True, f"up{{instance=\"{old}\"}} == 1 (discovered from {sd_file})")
        target = api.active_targets("sd", "instance")[old]
        check(target["discoveredLabels"].get("__meta_filepath") == sd_file,
              f"discoveredLabels has __meta_filepath={sd_file}")
        check(target["labels"].get("env") == "e2e", "group label env=e2e reached the target")

        write_targets(sd_file, [new])
        wait_until(DEADLINE, f"{new} in /api/v1/targets and {old} gone",
                   lambda: set(api.active_targets("sd", "instance")) == {new})
        check(True, f"/api/v1/targets lists {new} only")
        check(up_value(api, old) is None, f"up{{instance=\"{old}\"}} is stale right after removal")
        wait_until(DEADLINE, f"up == 1 for {new}", lambda: up_value(api, new) == 1)
        check(True, f"up{{instance=\"{new}\"}} == 1")
    except BaseException:
        print_log_tail(log_path)
        raise
    finally:
        proc.kill()
        proc.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="promethium_sd_e2e_") as tmp:
        try:
            run(args, tmp)
        except TestFailure as e:
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
