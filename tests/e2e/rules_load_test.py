#!/usr/bin/env python3
"""End to end: 1,000 rules in 50 groups at a 15 s interval, no missed iteration.

The rules and data are those of bench/rules_side_by_side.py (imported from
there, so the test and the benchmark load the same thing): 50 groups of 20
rules (14 recording rules: sums, ratios of rates, quantile, topk,
*_over_time; 6 alerting rules with `for`, labels and templated
annotations), over 200 series (50 instances x 3 counters + 1 gauge) pushed
by remote write: 30 minutes of history first, then one new sample per
series every 15 s while the test runs.

Promethium runs until every group has done ITERATIONS iterations (about a
minute: the first evaluation comes within one interval of the start). Then,
per group from /metrics: prometheus_rule_group_iterations_total >=
ITERATIONS, prometheus_rule_group_iterations_missed_total == 0,
prometheus_rule_evaluation_failures_total == 0, prometheus_rule_group_rules
== 20 and prometheus_rule_evaluations_total covering the finished
iterations; /api/v1/rules lists the 1,000 rules, all healthy; every one of
the 700 recording rules has recorded series. No timing is asserted beyond
"no missed iteration".
"""
import argparse
import os
import sys
import tempfile
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
from e2e_common import (Api, TestFailure, check, free_port, print_log_tail, self_metrics,  # noqa: E402
                        start_server, stop_process, wait_ready)
import rules_side_by_side as bench  # noqa: E402

GROUPS = 50
RULES_PER_GROUP = 20
RECORDING_PER_GROUP = 14  # bench.rule_file: rules r with r % 10 < 7
INSTANCES = 50  # 4 series each
HISTORY_S = 1800
ITERATIONS = 4
DEADLINE_S = 150


def per_group(metrics, name):
    """{group name: value} of a per-group rule metric."""
    return {labels["rule_group"].rsplit(";", 1)[1]: v for labels, v in metrics.get(name, [])}


def group_readings(base):
    m = self_metrics(base, timeout=30)
    names = ["prometheus_rule_group_iterations_total", "prometheus_rule_group_iterations_missed_total",
             "prometheus_rule_evaluation_failures_total", "prometheus_rule_evaluations_total",
             "prometheus_rule_group_rules"]
    return {n: per_group(m, n) for n in names}


def wait_iterations(base, live):
    """Pushes fresh samples while waiting until every group did ITERATIONS."""
    end = time.monotonic() + DEADLINE_S
    while True:
        live.tick()
        r = group_readings(base)
        it = r["prometheus_rule_group_iterations_total"]
        if len(it) == GROUPS and min(it.values()) >= ITERATIONS:
            return r
        if time.monotonic() > end:
            behind = sorted((v, g) for g, v in it.items())[:5]
            raise TestFailure(f"not every group did {ITERATIONS} iterations within {DEADLINE_S}s "
                              f"({len(it)} groups; slowest {behind})")
        time.sleep(1)


def print_durations(base):
    """Information only (no timing is asserted): group durations as exported."""
    m = self_metrics(base, timeout=30)
    last = [v for _, v in m.get("prometheus_rule_group_last_duration_seconds", [])]
    quantiles = {labels.get("quantile"): v for labels, v in m.get("prometheus_rule_group_duration_seconds", [])}
    print(f"info: prometheus_rule_group_last_duration_seconds max {max(last):.4f}s over {len(last)} groups; "
          f"prometheus_rule_group_duration_seconds quantiles {quantiles}", flush=True)


def check_groups(r):
    want = {f"bench_g{g}" for g in range(GROUPS)}
    for name, values in r.items():
        check(set(values) == want, f"{name} has exactly the {GROUPS} groups")
    it, missed = r["prometheus_rule_group_iterations_total"], r["prometheus_rule_group_iterations_missed_total"]
    check(all(v >= ITERATIONS for v in it.values()), f"every group did >= {ITERATIONS} iterations "
          f"(min {min(it.values()):.0f}, max {max(it.values()):.0f})")
    bad = {g: v for g, v in missed.items() if v != 0}
    check(not bad, f"prometheus_rule_group_iterations_missed_total is 0 for every group (not: {bad})")
    bad = {g: v for g, v in r["prometheus_rule_evaluation_failures_total"].items() if v != 0}
    check(not bad, f"no evaluation failure in any group (failures: {bad})")
    bad = {g: v for g, v in r["prometheus_rule_group_rules"].items() if v != RULES_PER_GROUP}
    check(not bad, f"prometheus_rule_group_rules is {RULES_PER_GROUP} for every group (not: {bad})")
    evals = r["prometheus_rule_evaluations_total"]
    # The iteration counter moves when an iteration starts, so the last one may be under way.
    bad = {g: (evals[g], it[g]) for g in want if evals[g] < RULES_PER_GROUP * (it[g] - 1)}
    check(not bad, f"every group evaluated its {RULES_PER_GROUP} rules in each finished iteration (not: {bad})")


def check_api(api):
    groups = api.get_json("/api/v1/rules")["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    check(len(groups) == GROUPS and len(rules) == GROUPS * RULES_PER_GROUP,
          f"/api/v1/rules lists {GROUPS} groups and {GROUPS * RULES_PER_GROUP} rules ({len(groups)}, {len(rules)})")
    unhealthy = [f"{r['name']}: {r['health']} {r.get('lastError', '')}" for r in rules if r["health"] != "ok"]
    check(not unhealthy, f"every rule is healthy (not: {unhealthy[:5]})")
    recorded = api.query('count by (__name__) ({__name__=~"bench:rec_.+"})')
    want = GROUPS * RECORDING_PER_GROUP
    check(len(recorded) == want, f"all {want} recording rules have recorded series (got {len(recorded)} names)")


def run(args, tmp):
    rules_path = os.path.join(tmp, "rules.yml")
    with open(rules_path, "w") as f:
        f.write(bench.rule_file(GROUPS, RULES_PER_GROUP))
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(f"global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\nrule_files:\n  - {rules_path}\n")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(args.promethium, cfg, os.path.join(tmp, "data"), port, os.path.join(tmp, "promethium.log"),
                        ["--web.enable-remote-write-receiver"])
    try:
        wait_ready("promethium", base, proc)
        # bench.push / LivePusher read push_tool and instances from args and base/name from the servers.
        bench_args = types.SimpleNamespace(push_tool=args.push_tool, instances=INSTANCES)
        servers = [types.SimpleNamespace(name="promethium", base=base)]
        now_k = int(time.time() * 1000) // bench.STEP_MS
        first_k = now_k - HISTORY_S * 1000 // bench.STEP_MS
        batch = os.path.join(tmp, "batch.txt")
        for k0 in range(first_k, now_k + 1, 40):
            bench.push(bench_args, servers, bench.samples(INSTANCES, k0, min(k0 + 40, now_k + 1)), batch)
        live = bench.LivePusher(bench_args, servers, now_k + 1, batch)
        readings = wait_iterations(base, live)
        print_durations(base)
        check_groups(readings)
        check_api(Api(port))
        check(stop_process(proc, "promethium") == 0, "promethium exits 0 on SIGTERM")
    except (TestFailure, bench.Failure) as e:
        print_log_tail(os.path.join(tmp, "promethium.log"))
        raise TestFailure(str(e)) from e
    finally:
        if proc.poll() is None:
            stop_process(proc, "promethium")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--promethium", required=True)
    ap.add_argument("--push-tool", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="promethium_rules_load_") as tmp:
        try:
            run(args, tmp)
        except TestFailure as e:
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
    print("PASS (1,000 rules, 50 groups, no missed iteration)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
