#!/usr/bin/env python3
"""End-to-end test of --query.max-memory (standard library only).

promethium runs with --query.max-memory=64MB and scrapes a loopback target
serving SERIES series, each with a PAD_BYTES label. Four queries that would
hold gigabytes without the limit (estimates below, for the default
--query.max-samples, which none of them reaches first) then run at the same
time, while a normal query runs in a loop beside them:

- count_values over all series and 5,000 steps: 10M distinct label sets of
  about 1 KiB each (~10 GiB);
- a 30m subquery at a 100ms step: 36M points in each of two intermediate
  matrices (~1.2 GiB);
- a group_left join copying a 1 MiB label (label_replace of the pad, 1024
  times) onto every series (~2 GiB, twice: output and interned labels);
- a label_replace giving every series a 1 MiB label (~2 GiB).

Measured at a tenth of the scale (200 series) with --query.max-memory=0,
one query at a time, the server's peak RSS grew from 17 MiB to 1527 MiB
(count_values), 155 MiB (subquery), 2498 MiB (join, with its 200 MB answer)
and 794 MiB (label_replace).

Each must fail with the memory error (HTTP 422, errorType execution), every
normal query must answer, a normal query afterwards must answer, and the
server's peak resident memory (VmHWM in /proc/<pid>/status) must stay under
PEAK_RSS_MIB.

Every wait is bounded and asserts a condition, never a duration.
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.parse

from e2e_common import (Api, check, exposition_handler, free_port, http_get, loopback_http_server, peak_rss_mib,
                        run_test_with_tools, wait_ready, wait_until)

SERIES = 2000
PAD_BYTES = 1000
MAX_MEMORY = "64MB"
PEAK_RSS_MIB = 400   # 4 queries x 64 MiB, the server (~30 MiB) and allocator slack
DEADLINE = 60        # seconds per wait
HEAVY_TIMEOUT = 120  # seconds per heavy query (the server's --query.timeout is 2m)
NORMAL_QUERIES_MAX = 500
MEMORY_ERROR = "query processing would load too much data into memory"


def exposition():
    pad = "p" * PAD_BYTES
    lines = ["# TYPE qm_x gauge"]
    lines += [f'qm_x{{i="{i}",pad="{pad}"}} {i}' for i in range(SERIES)]
    return ("\n".join(lines) + "\n").encode()


def heavy_queries(t0):
    """(name, endpoint, params) of the queries that must hit the limit."""
    big = "$1" * 1024  # 1024 copies of the 1000-byte pad: a 1 MiB label value
    last = "last_over_time(qm_x[1d])"
    rng = {"start": t0, "end": t0 + 4999, "step": 1}
    return [
        ("count_values", "/api/v1/query_range", dict(query=f'count_values("v", {last} + time())', **rng)),
        ("subquery", "/api/v1/query",
         {"query": f"max_over_time(({last} + time())[30m:100ms])", "time": t0 + 1800}),
        ("group_left join", "/api/v1/query_range",
         dict(query=f'{last} * on() group_left(big) label_replace(topk(1, {last}), "big", "{big}", "pad", "(.*)")',
              start=t0, end=t0 + 999, step=1)),
        ("label_replace", "/api/v1/query",
         {"query": f'label_replace({last}, "big", "{big}", "pad", "(.*)")', "time": t0 + 10}),
    ]


def run_heavy(base, name, endpoint, params, results):
    url = base + endpoint + "?" + urllib.parse.urlencode(params)
    status, body = http_get(url, timeout=HEAVY_TIMEOUT)
    results[name] = (status, body)


def normal_query_loop(api, stop, answers):
    for _ in range(NORMAL_QUERIES_MAX):
        if stop.is_set():
            return
        try:
            answers.append(int(api.query("count(qm_x)")[0]["value"][1]))
        except (OSError, ValueError, KeyError, IndexError) as e:
            answers.append(repr(e))


def check_memory_error(name, status, body):
    check(status == 422, f"{name}: HTTP 422 (got {status}: {body[:300]})")
    doc = json.loads(body)
    check(doc.get("errorType") == "execution" and MEMORY_ERROR in doc.get("error", "")
          and "--query.max-memory" in doc.get("error", ""), f"{name}: the memory error ({doc.get('error')!r})")


def case(args, tmp, procs):
    with loopback_http_server(exposition_handler(exposition())) as target_port:
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
                    f"  - job_name: qm\n    static_configs: [{{targets: ['127.0.0.1:{target_port}']}}]\n")
        port = free_port()
        proc = procs.start("promethium", [args.promethium, f"--config.file={cfg}",
                                          f"--storage.tsdb.path={os.path.join(tmp, 'data')}",
                                          f"--web.listen-address=127.0.0.1:{port}",
                                          f"--query.max-memory={MAX_MEMORY}"])
        base = f"http://127.0.0.1:{port}"
        wait_ready("promethium", base, proc)
        api = Api(port)
        wait_until(DEADLINE, f"{SERIES} qm_x series scraped",
                   lambda: api.query("count(qm_x)") and int(api.query("count(qm_x)")[0]["value"][1]) == SERIES)
        t0 = int(time.time()) + 1
        wait_until(DEADLINE, "a scrape after t0", lambda: time.time() > t0 + 2)
        baseline = peak_rss_mib(proc.pid)
        print(f"peak RSS before the heavy queries: {baseline:.0f} MiB", flush=True)

        results, answers, stop = {}, [], threading.Event()
        normal = threading.Thread(target=normal_query_loop, args=(api, stop, answers))
        normal.start()
        heavy = [threading.Thread(target=run_heavy, args=(base, n, e, p, results)) for n, e, p in heavy_queries(t0)]
        for t in heavy:
            t.start()
        for t in heavy:
            t.join(timeout=HEAVY_TIMEOUT + 10)
        stop.set()
        normal.join(timeout=DEADLINE)

        for name, _, _ in heavy_queries(t0):
            check(name in results, f"{name}: answered")
            check_memory_error(name, *results[name])
        check(len(answers) > 0 and all(a == SERIES for a in answers),
              f"{len(answers)} normal queries during the heavy ones all answered {SERIES}: {set(map(str, answers))}")
        check(proc.poll() is None, "promethium is still running")
        total = float(api.query("sum(qm_x)")[0]["value"][1])
        check(total == SERIES * (SERIES - 1) / 2, f"a normal query afterwards answers: sum(qm_x) = {total:.0f}")
        peak = peak_rss_mib(proc.pid)
        check(peak < PEAK_RSS_MIB, f"peak RSS (VmHWM) {peak:.0f} MiB < {PEAK_RSS_MIB} MiB with --query.max-memory="
                                   f"{MAX_MEMORY}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    args = parser.parse_args()
    return run_test_with_tools([("promethium", args.promethium)], "promethium-query-memory-",
                               lambda tmp, procs: case(args, tmp, procs))


if __name__ == "__main__":
    sys.exit(main())
